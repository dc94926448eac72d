#!/bin/busybox sh
# Run by busybox init on poweroff (ACPI power button, `poweroff`): stop the services in
# order and leave the root filesystem clean.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# Never on a host: this kills every process and remounts / read-only.
grep -q '^ID=machineos' /etc/os-release 2>/dev/null || { echo "shutdown.sh: not machine OS, refusing" >&2; exit 1; }
echo "machine: shutting down" > /dev/console
/usr/sbin/machine-docker stop > /dev/null 2>&1
for pidfile in /run/containerd/containerd.pid /run/dropbear.pid /run/acpid.pid; do
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
pkill_wait() {
  i=0
  while pidof "$1" > /dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
kill "$(pidof containerd)" 2>/dev/null
pkill_wait containerd
kill -TERM -1 2>/dev/null
sleep 0.3
kill -KILL -1 2>/dev/null
sync
# container mounts first (deepest first), then everything else, then / read-only
awk '$2 != "/" { print $2 }' /proc/mounts | sort -r | while read -r m; do
  case $m in /proc|/sys|/dev|/run) continue ;; esac
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
done
mount -o remount,ro /
sync
echo "machine-shutdown-done" > /dev/console
