#!/usr/bin/env bash
# Host-folder throughput, in one run: sequential write and read MB/s of a 256 MB file and
# 1,000-file create+stat ops/s, measured inside the machine on a virtiofs mount, on a
# reverse-sshfs mount and on the VM's own disk. Creates two machines in a private store
# (qemu driver, the same image as the tests), prints one line per target, removes them.
#   bench/mounts_bench.sh [path/to/machine]     (root; MACHINE_TEST_IMAGE_CACHE as for e2e)
# Reads drop the guest's page cache first; the host's page cache stays warm (what a user
# gets when a build re-reads its sources).
set -euo pipefail
machine=${1:-$(dirname "$0")/../build/cli/machine}
cache=${MACHINE_TEST_IMAGE_CACHE:-/var/tmp/machine-test-cache}
work=$(mktemp -d /tmp/mounts-bench.XXXXXX)
store=$work/store
mkdir -p "$store" "$work/share-virtiofs" "$work/share-sshfs" "$work/docker"
ln -s "$cache" "$store/cache"
export DOCKER_CONFIG=$work/docker HOME=$work
m() { "$machine" -s "$store" "$@"; }
cleanup() { m ls -q 2>/dev/null | xargs -r "$machine" -s "$store" rm -f -y > /dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/probe.sh" <<'PROBE'
# runs in the guest as root: probe.sh DIR LABEL
set -e
dir=$1 label=$2
now() { date +%s.%N; }
rate() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
mkdir -p "$dir/bench" && cd "$dir/bench"
t0=$(now); dd if=/dev/zero of=big bs=1M count=256 conv=fsync 2>/dev/null; t1=$(now)
sync; echo 3 > /proc/sys/vm/drop_caches
t2=$(now); dd if=big of=/dev/null bs=1M 2>/dev/null; t3=$(now)
mkdir -p small && cd small
t4=$(now); i=0; while [ $i -lt 1000 ]; do : > f$i; i=$((i + 1)); done; stat -c %s f* > /dev/null; t5=$(now)
cd "$dir" && rm -rf "$dir/bench"
echo "$label write_MBps=$(rate $t0 $t1 256) read_MBps=$(rate $t2 $t3 256) create_stat_ops=$(rate $t4 $t5 1000)"
PROBE

echo "# bench/mounts_bench.sh $(date -u +%Y-%m-%d) load $(cut -d' ' -f1-3 /proc/loadavg), TCG, 2 vCPU, 1 GiB"
m create --qemu-restrict-network --mount-type virtiofs --mount "$work/share-virtiofs" bv > /dev/null
m create --qemu-restrict-network --mount-type sshfs --mount "$work/share-sshfs" bs > /dev/null
m scp -q "$work/probe.sh" bv:/tmp/probe.sh
m scp -q "$work/probe.sh" bs:/tmp/probe.sh
m ssh bv -- sudo sh /tmp/probe.sh /var/tmp vm-disk
m ssh bv -- sudo sh /tmp/probe.sh "$work/share-virtiofs" virtiofs
m ssh bs -- sudo sh /tmp/probe.sh "$work/share-sshfs" sshfs
