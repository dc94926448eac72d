#!/bin/busybox sh
# machine OS boot, run by busybox init as sysinit. Brings up sshd and dockerd as early as
# possible: everything that does not depend on the seed starts in parallel at once.
# busybox sh runs its applets (mount, modprobe, grep ...) without exec or dynamic linking,
# which is what costs most under TCG.
# Serial console contract (parsed by the QEMU driver and the provisioner):
#   machine-hostkey: <type> <base64>   one per SSH host key
#   machine-docker-ready               dockerd answers on /var/run/docker.sock
#   machine-boot-done                  sshd and dockerd are ready
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# Never on a host: this mounts over /run and /proc and configures the network.
grep -q '^ID=machineos' /etc/os-release 2>/dev/null || { echo "boot.sh: not machine OS, refusing" >&2; exit 1; }
umask 022

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mkdir -p /dev/pts /dev/shm /run/machine /run/lock
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
ln -sf pts/ptmx /dev/ptmx 2>/dev/null

debug=no
grep -qw machine.debug /proc/cmdline && debug=yes
log() {
  read -r up _ < /proc/uptime
  echo "machine-boot: $up $*" >> /run/machine/boot.log
  [ $debug = no ] || echo "machine-boot: $up $*" > /dev/console
}
log "init started"

# Limits dockerd and containerd expect (their systemd units set the same).
ulimit -n 1048576
ulimit -u unlimited 2>/dev/null

# Start in parallel: docker's kernel modules, containerd, the power button, host keys.
(
  modprobe -a overlay br_netfilter veth bridge nf_nat nf_conntrack xt_conntrack \
    xt_MASQUERADE xt_addrtype iptable_nat iptable_filter nf_tables nft_compat \
    nft_chain_nat 2>/dev/null
  log "docker modules loaded"
) &
mkdir -p /var/log /var/lib/containerd
setsid containerd > /var/log/containerd.log 2>&1 < /dev/null &
(
  modprobe -a button evdev 2>/dev/null
  acpid -c /etc/acpi -l /var/log/acpid.log -p /run/acpid.pid
) &
(
  for t in ed25519; do
    f=/etc/dropbear/dropbear_${t}_host_key
    [ -s $f ] || dropbearkey -t $t -f $f > /dev/null 2>&1
  done
  log "host keys ready"
) &
keys_pid=$!

# The seed decides hostname, keys, daemon.json and the private NIC, so it goes first.
ip link set lo up
/usr/lib/machine/seed > /run/machine/seed.log 2>&1 || echo "machine: seed not applied: $(tail -n1 /run/machine/seed.log)" > /dev/console
log "seed applied"
PRIVATE_ADDR= PRIVATE_MAC=
[ -f /run/machine/seed.env ] && . /run/machine/seed.env
hostname -F /etc/hostname

# dockerd needs the seed (daemon.json) but not the network: start it now. Its modules are
# loading in parallel (dockerd would modprobe them itself otherwise).
(
  if /usr/sbin/machine-docker start; then
    echo "machine-docker-ready" > /dev/console
    log "dockerd ready"
    while [ ! -s /run/dropbear.pid ]; do sleep 0.05; done
    echo "machine-boot-done" > /dev/console
  else
    echo "machine: dockerd failed to start, see /var/log/docker.log" > /dev/console
  fi
  # Grow the root filesystem to the disk (machine create --disk-size); after dockerd so
  # the resize's I/O does not slow the boot.
  rootdev=$(awk '$2 == "/" && $1 ~ "^/dev/" { print $1 }' /proc/mounts | tail -n1)
  [ -n "$rootdev" ] && resize2fs "$rootdev" > /run/machine/resize.log 2>&1
) &

# Network: the NIC with the seed's MAC (else the second NIC) gets the static private
# address; every other NIC is configured by DHCP (busybox udhcpc). The first NIC's lease
# (QEMU user networking and VirtualBox NAT: 10.0.2.15; a libvirt network: its own address)
# also gives the default route; without a lease it falls back to user networking's static
# 10.0.2.15. Interface names are whatever the kernel chose.
modprobe virtio_net 2>/dev/null
primary= private= others=
for dev in /sys/class/net/*; do
  name=${dev##*/}
  [ -e "$dev/device" ] && [ "$(cat "$dev/type")" = 1 ] || continue
  mac=$(cat "$dev/address")
  if [ -n "$PRIVATE_MAC" ] && [ "$mac" = "$PRIVATE_MAC" ]; then private=$name; continue; fi
  if [ -z "$primary" ]; then primary=$name
  elif [ -z "$private" ] && [ -z "$PRIVATE_MAC" ] && [ -n "$PRIVATE_ADDR" ]; then private=$name
  else others="$others $name"; fi
done
# -n: give up after 4 discovers 3 s apart; with a lease udhcpc stays in the background to
# renew it. dnsmasq (a libvirt network's DHCP server) pings an address for up to 3 s before
# it offers it: 1 s waits missed that offer every time under load. Networks that answer at
# once (QEMU user networking, VirtualBox NAT) are not slowed down.
dhcp() {
  MACHINE_DHCP_PRIMARY=$2 udhcpc -i "$1" -s /usr/lib/machine/udhcpc.script -p "/run/udhcpc.$1.pid" \
    -x "hostname:$(hostname)" -t 4 -T 3 -A 10 -n > "/run/machine/udhcpc.$1.log" 2>&1
}
if [ -n "$primary" ]; then
  ip link set "$primary" up
  if ! dhcp "$primary" yes; then
    ip addr add 10.0.2.15/24 dev "$primary"
    ip route add default via 10.0.2.2 dev "$primary"
  fi
fi
if [ -n "$private" ] && [ -n "$PRIVATE_ADDR" ]; then
  ip link set "$private" up
  ip addr add "$PRIVATE_ADDR" dev "$private"
fi
for nic in $others; do
  ip link set "$nic" up
  dhcp "$nic" no &
done
log "network up ($primary${private:+, $private})"

wait $keys_pid
for f in /etc/dropbear/dropbear_*_host_key; do
  dropbearkey -y -f "$f" 2>/dev/null | while read -r type key rest; do
    case $type in
      ssh-*|ecdsa-*) echo "machine-hostkey: $type $key" > /dev/console ;;
      Fingerprint:) echo "machine-fingerprint: $key $rest" > /dev/console ;;
    esac
  done
done
hostkeys=
for f in /etc/dropbear/dropbear_*_host_key; do hostkeys="$hostkeys -r $f"; done
# -s: keys only; -w: no root login; -j/-k: no port forwarding of our own accord is needed
dropbear $hostkeys -p 22 -s -w -P /run/dropbear.pid
log "sshd started"

exit 0
