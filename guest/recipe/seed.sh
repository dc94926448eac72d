#!/bin/busybox sh
# Applies the NoCloud first-boot seed: an ISO 9660 volume labelled "cidata" holding
# meta-data, user-data and optionally network-config. Only the cloud-config subset that
# guest/README.md documents is understood. Per-instance parts (write_files, users, SSH keys)
# run once per instance-id; hostname and the private address apply on every boot.
# Writes /run/machine/seed.env (PRIVATE_ADDR, PRIVATE_MAC) for the boot script.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
# Never on a host.
grep -q '^ID=machineos' /etc/os-release 2>/dev/null || { echo "seed.sh: not machine OS, refusing" >&2; exit 1; }
state=/var/lib/machine
mnt=/run/machine/seed
work=/run/machine/seed.d

iso_label() { dd if="$1" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' \0'; }
find_seed() {
  for d in /dev/vd? /dev/sr? /dev/sd?; do
    [ -b "$d" ] || continue
    case $(iso_label "$d") in cidata|CIDATA) echo "$d"; return 0 ;; esac
  done
  return 1
}
dev=$(find_seed)
if [ -z "$dev" ]; then
  # Not on virtio: the seed may be an IDE CD-ROM (VirtualBox); the cloud kernel has no AHCI.
  modprobe -a virtio_scsi sd_mod ata_piix sr_mod 2>/dev/null
  i=0
  while [ -z "$dev" ] && [ $i -lt 30 ]; do sleep 0.1; dev=$(find_seed); i=$((i + 1)); done
fi
[ -n "$dev" ] || { echo "no seed (no volume labelled cidata)"; exit 0; }
modprobe isofs 2>/dev/null
mkdir -p "$mnt" "$work" "$state"
mount -t iso9660 -o ro "$dev" "$mnt" || { echo "cannot mount seed $dev"; exit 1; }

# "key: value" from a flat YAML file, quotes removed
get() {
  [ -f "$2" ] || return 0
  awk -v k="$1" -v q="'" '
    index($0, k ":") == 1 { v = substr($0, length(k) + 2); gsub(/^[ \t]+|[ \t\r]+$/, "", v)
      c = substr(v, 1, 1); if ((c == "\"" || c == q) && substr(v, length(v), 1) == c) v = substr(v, 2, length(v) - 2)
      print v; exit }' "$2"
}
iid=$(get instance-id "$mnt/meta-data")
host=$(get local-hostname "$mnt/meta-data")
[ -n "$host" ] || host=$(get hostname "$mnt/user-data")
if [ -n "$host" ]; then
  echo "$host" > /etc/hostname
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$host" > /etc/hosts
fi

if [ -f "$mnt/network-config" ]; then
  awk -v q="'" '
    function unq(s,  c) { gsub(/^[ \t]+|[ \t]+$/, "", s); c = substr(s, 1, 1)
      if ((c == "\"" || c == q) && length(s) > 1 && substr(s, length(s), 1) == c) s = substr(s, 2, length(s) - 2)
      return s }
    /macaddress:/ { v = $0; sub(/.*macaddress:/, "", v); mac = tolower(unq(v)) }
    /addresses:/ { inaddr = 1; v = $0; sub(/.*addresses:/, "", v); v = unq(v)
                   if (v ~ /^\[/) { gsub(/[\[\]]/, "", v); split(v, a, ","); if (addr == "") addr = unq(a[1]); inaddr = 0 }
                   next }
    inaddr && /^[ \t]*-/ { v = $0; sub(/^[ \t]*-/, "", v); if (addr == "") addr = unq(v); next }
    { inaddr = 0 }
    END { printf "PRIVATE_ADDR=%s\nPRIVATE_MAC=%s\n", addr, (addr == "" ? "" : mac) }
  ' "$mnt/network-config" > /run/machine/seed.env
fi

if [ -n "$iid" ] && [ "$iid" = "$(cat $state/instance-id 2>/dev/null)" ]; then
  umount "$mnt"
  echo "instance $iid already applied"
  exit 0
fi

rm -rf "$work" && mkdir -p "$work"
[ -f "$mnt/user-data" ] && awk -v dir="$work" -v q="'" '
  function unq(s,  c) { gsub(/^[ \t]+|[ \t]+$/, "", s); c = substr(s, 1, 1)
      if ((c == "\"" || c == q) && length(s) > 1 && substr(s, length(s), 1) == c) s = substr(s, 2, length(s) - 2)
      return s }
  function ind(s) { match(s, /^ */); return RLENGTH }
  function flush() {
    if (path != "") printf "%d\037%s\037%s\037%s\037%s\n", n, path, perm, enc, owner >> (dir "/files")
    path = ""; perm = "0644"; enc = ""; owner = "root:root"
  }
  function field(k, v) {
    if (k == "path") path = unq(v)
    else if (k == "permissions") perm = unq(v)
    else if (k == "encoding") enc = unq(v)
    else if (k == "owner") owner = unq(v)
    else if (k == "content") {
      v = unq(v); cfile = dir "/" n ".content"
      if (v == "|" || v == "|-") { block = 1; bind = -1; printf "" > cfile }
      else { printf "%s", v > cfile; if (enc == "") plainline[n] = 1 }
      close(cfile)
    }
  }
  BEGIN { n = 0; flush() }
  block {
    if ($0 ~ /^[ \t]*$/) { print "" >> cfile; next }
    if (bind < 0) bind = ind($0)
    if (ind($0) >= bind) { print substr($0, bind + 1) >> cfile; next }
    block = 0; close(cfile)
  }
  /^#/ { next }
  /^[^ -][^:]*:/ { flush(); top = $0; sub(/:.*/, "", top); next }
  top == "ssh_authorized_keys" && /^ *- / { v = $0; sub(/^ *- */, "", v); print unq(v) >> (dir "/keys"); next }
  top == "users" && /^ *- / { v = $0; sub(/^ *- */, "", v); sub(/^name: */, "", v); v = unq(v)
                              if (v != "default") print v >> (dir "/users"); next }
  top == "write_files" && /^ *- / { flush(); n++; v = $0; sub(/^ *- */, "", v)
                                    k = v; sub(/:.*/, "", k); sub(/^[^:]*: */, "", v); field(k, v); next }
  top == "write_files" && /^ +[a-z_]+:/ { v = $0; sub(/^ +/, "", v); k = v; sub(/:.*/, "", k)
                                          sub(/^[^:]*: */, "", v); field(k, v); next }
  END { flush() }
' "$mnt/user-data"

add_keys() {  # add_keys USER
  home=$(getent passwd "$1" | cut -d: -f6)
  [ -n "$home" ] && [ -f "$work/keys" ] || return 0
  install -d -m 0700 -o "$1" -g "$1" "$home/.ssh" 2>/dev/null || install -d -m 0700 "$home/.ssh"
  install -m 0600 "$work/keys" "$home/.ssh/authorized_keys"
  chown -R "$1:$(id -g "$1")" "$home/.ssh"
}
if [ -f "$work/users" ]; then
  while read -r u; do
    if ! getent passwd "$u" > /dev/null; then
      useradd --create-home --shell /bin/bash --groups docker "$u"
      usermod -p '*' "$u"  # '*' not '!': dropbear refuses keys for locked accounts
    fi
    add_keys "$u"
  done < "$work/users"
fi
add_keys docker

if [ -f "$work/files" ]; then
  # \037 (not tab) separates fields: read would merge empty tab-separated fields
  while IFS="$(printf '\037')" read -r n path perm enc owner; do
    case $path in /*) ;; *) echo "skipping write_files entry with relative path $path"; continue ;; esac
    mkdir -p "$(dirname "$path")"
    case $enc in
      b64|base64) base64 -d < "$work/$n.content" > "$path.seed-tmp" ;;
      ''|text/plain) cat "$work/$n.content" > "$path.seed-tmp" ;;
      *) echo "skipping $path: unsupported encoding $enc"; continue ;;
    esac
    chmod "$perm" "$path.seed-tmp"
    chown "$owner" "$path.seed-tmp" 2>/dev/null
    mv -f "$path.seed-tmp" "$path"
  done < "$work/files"
fi

[ -n "$iid" ] && echo "$iid" > "$state/instance-id"
umount "$mnt"
rm -rf "$work"
echo "applied instance $iid"
