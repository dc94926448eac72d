#!/bin/sh
# mmdebstrap customize hook: turns the freshly installed Debian tree into machine OS.
# Runs on the build host as root:  customize.sh ROOTFS RECIPE_DIR IMAGE_VERSION OUT_DIR SUITE
# Leaves vmlinuz, initrd.img and packages.tsv in OUT_DIR.
set -eu
root=$1 recipe=$2 version=$3 out=$4 suite=${5:-bookworm}
kver=$(ls "$root/lib/modules" | head -n1)
[ -n "$kver" ] || { echo "customize: no kernel installed" >&2; exit 1; }

# --- identity -----------------------------------------------------------------------------
rm -f "$root/etc/os-release"
cat > "$root/etc/os-release" <<OSR
PRETTY_NAME="machine OS $version (Debian $suite based)"
NAME="machine OS"
ID=machineos
ID_LIKE=debian
VERSION_ID=$version
VERSION="$version"
HOME_URL="https://github.com/"
OSR
echo machine > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
printf 'nameserver 10.0.2.3\n' > "$root/etc/resolv.conf"
: > "$root/etc/fstab"

# --- init: busybox init runs our boot and shutdown scripts --------------------------------
install -d -m 0755 "$root/usr/lib/machine" "$root/etc/acpi/PWRF" "$root/var/lib/machine"
install -m 0755 "$recipe/boot.sh" "$root/usr/lib/machine/boot"
install -m 0755 "$recipe/shutdown.sh" "$root/usr/lib/machine/shutdown"
install -m 0755 "$recipe/seed.sh" "$root/usr/lib/machine/seed"
install -m 0755 "$recipe/udhcpc.script" "$root/usr/lib/machine/udhcpc.script"
install -m 0755 "$recipe/machine-docker" "$root/usr/sbin/machine-docker"
install -m 0755 "$recipe/machine-mount" "$root/usr/sbin/machine-mount"
install -d -m 0755 "$root/etc/containerd"
install -m 0644 "$recipe/containerd.toml" "$root/etc/containerd/config.toml"
cat > "$root/etc/inittab" <<'TAB'
::sysinit:/usr/lib/machine/boot
::ctrlaltdel:/bin/busybox poweroff
::shutdown:/usr/lib/machine/shutdown
TAB
# The ACPI power button (QMP system_powerdown) ends in busybox init's orderly poweroff.
printf '#!/bin/sh\nexec /bin/busybox poweroff\n' > "$root/etc/acpi/PWRF/00000080"
chmod 0755 "$root/etc/acpi/PWRF/00000080"
rm -f "$root/sbin/init"
ln -s /bin/busybox "$root/sbin/init"
# busybox applets the scripts use that Debian's essential set lacks, and the everyday tools
# boot2docker had that users reach for over `machine ssh` (procps brings pgrep/pkill/ps/free/top)
for applet in acpid findfs ip udhcpc poweroff reboot halt awk \
  killall pidof less vi nc wget netstat ifconfig route ping nslookup traceroute; do
  [ -e "$root/sbin/$applet" ] || [ -e "$root/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] || [ -e "$root/usr/bin/$applet" ] \
    || ln -s /bin/busybox "$root/sbin/$applet"
done

# --- the docker user: SSH login, docker group, passwordless sudo --------------------------
chroot "$root" getent group docker >/dev/null || chroot "$root" groupadd --system docker
chroot "$root" useradd --create-home --shell /bin/bash --gid docker --groups sudo docker
# '*' (not '!'): no password login, but dropbear still accepts public keys.
chroot "$root" usermod -p '*' docker
printf 'docker ALL=(ALL) NOPASSWD:ALL\n' > "$root/etc/sudoers.d/docker"
chmod 0440 "$root/etc/sudoers.d/docker"
# boot2docker's docker user found dockerd and the sbin tools on its PATH; dropbear gives a
# session /usr/bin:/bin. bash reads ~/.bashrc for commands run over SSH (`machine ssh vm
# 'pgrep -f $(which dockerd)'`), so the PATH goes first in it, before the interactive check.
bashrc="$root/home/docker/.bashrc"
{ echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'; cat "$bashrc" 2>/dev/null || true; } > "$bashrc.new"
mv "$bashrc.new" "$bashrc"
chroot "$root" chown docker:docker /home/docker/.bashrc
install -d -m 0700 "$root/home/docker/.ssh"
chroot "$root" chown docker:docker /home/docker/.ssh
install -d -m 0755 "$root/etc/dropbear" "$root/etc/docker"
# boot2docker's well-known paths, which scripts read: the engine's TLS files live in /etc/docker.
install -d -m 0755 "$root/var/lib/boot2docker"
for f in ca.pem server.pem server-key.pem; do ln -s "/etc/docker/$f" "$root/var/lib/boot2docker/$f"; done

# --- trim: docs, locales, service scripts we never run, kernel modules docker does not need -
rm -rf "$root/usr/share/doc"/*/changelog* "$root/usr/share/man" "$root/usr/share/info" \
  "$root/usr/share/locale" "$root/usr/share/lintian" "$root/usr/share/bash-completion" \
  "$root/usr/share/zsh" "$root/usr/share/fish" "$root/var/cache/debconf"/*-old \
  "$root/etc/init.d" "$root/etc/rc"?.d "$root/lib/systemd/system" "$root/usr/lib/systemd/system"
# containerd test and debug tools, legacy shims, docker's duplicate of tini
rm -f "$root/usr/bin/containerd-stress" "$root/usr/bin/ctr" "$root/usr/bin/containerd-shim" \
  "$root/usr/bin/containerd-shim-runc-v1"
# libnetwork's debugging tools shipped by docker.io; glibc charset modules nothing here loads
rm -f "$root/usr/bin/dnet" "$root/usr/sbin/ovrouter"
rm -rf "$root/usr/lib/x86_64-linux-gnu/gconv"
# Debian's generated initrd (we build our own below), kernel build leftovers
rm -f "$root/boot/initrd.img-"* "$root/boot/System.map-"* "$root/boot/config-"*
mods="$root/lib/modules/$kver/kernel"
keep="$recipe/modules.keep"
# trixie's kernel ships modules compressed (.ko.xz); the patterns name them without it.
find "$mods" -name '*.ko' -o -name '*.ko.xz' | while read -r m; do
  rel=${m#"$mods"/}
  rel=${rel%.xz}
  keepit=no
  while read -r pat; do
    case $pat in ''|'#'*) continue ;; esac
    case $rel in $pat|$pat/*) keepit=yes; break ;; esac
  done < "$keep"
  [ $keepit = yes ] || rm -f "$m"
done
find "$mods" -depth -type d -empty -delete
# Kept modules are stored uncompressed: the guest then never decompresses one under TCG at
# boot, busybox insmod in the initrd loads them as they are, and the zstd qcow2 and the
# gzip initrd compress them anyway.
find "$mods" -name '*.ko.xz' -exec xz -d {} +
chroot "$root" depmod "$kver"

# --- initrd: busybox + the modules that reach the root disk ---------------------------------
ird=$(mktemp -d)
install -d "$ird/bin" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot" "$ird/lib/modules"
cp "$root/bin/busybox" "$ird/bin/busybox"
install -m 0755 "$recipe/initrd-init" "$ird/init"
: > "$ird/modules"
# virtio_net and isofs too: probing the NIC and reading the seed then cost nothing later
for mod in virtio_pci virtio_blk virtio_net isofs; do
  chroot "$root" modprobe -S "$kver" --show-depends "$mod" | while read -r cmd path _; do
    [ "$cmd" = insmod ] || continue
    name=$(basename "$path")
    grep -qx "$name" "$ird/modules" && continue
    cp "$root$path" "$ird/lib/modules/$name"
    echo "$name" >> "$ird/modules"
  done
done
# SCSI and IDE, probed only when the root disk is not on virtio-blk (VirtualBox: the cloud
# kernel has no AHCI)
: > "$ird/modules.late"
for mod in virtio_scsi sd_mod ata_piix sr_mod; do
  chroot "$root" modprobe -S "$kver" --show-depends "$mod" | while read -r cmd path _; do
    [ "$cmd" = insmod ] || continue
    name=$(basename "$path")
    grep -qx "$name" "$ird/modules" "$ird/modules.late" && continue
    cp "$root$path" "$ird/lib/modules/$name"
    echo "$name" >> "$ird/modules.late"
  done
done
# gzip: an uncompressed cpio boots with -initrd but hangs when extlinux loads it.
(cd "$ird" && find . | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -9 > "$out/initrd.img"
rm -rf "$ird"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"

# --- record what went in --------------------------------------------------------------------
chroot "$root" dpkg-query -W -f '${Package}\t${Version}\t${Installed-Size}\n' > "$out/packages.tsv"
echo "$kver" > "$out/kernel-version"

# The disk boots on its own too (no -kernel): extlinux reads these.
install -d "$root/boot/extlinux"
cp "$out/initrd.img" "$root/boot/initrd.img"
ln -sf "vmlinuz-$kver" "$root/boot/vmlinuz"

# apt caches and logs are rebuilt on demand; nothing in the image should be host-specific
rm -rf "$root/var/cache/apt"/*.bin "$root/var/lib/apt/lists"/* "$root/var/log"/*.log \
  "$root/var/log/apt"/* "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
: > "$root/etc/machine-id"
