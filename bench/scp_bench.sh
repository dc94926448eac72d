#!/usr/bin/env bash
# `machine scp` throughput against OpenSSH's scp to the same machine, side by side in one
# run: 64 MB up and down with (1) `machine scp` (the system scp, the default), (2) `machine
# --native-ssh scp` (SFTP over libssh2) and (3) OpenSSH's scp run directly with the same
# key and pinned host key (the reference). Three rounds each, interleaved, best and median.
#   bench/scp_bench.sh [path/to/machine]     (root; MACHINE_TEST_IMAGE_CACHE as for e2e)
set -euo pipefail
machine=${1:-$(dirname "$0")/../build/cli/machine}
cache=${MACHINE_TEST_IMAGE_CACHE:-/var/tmp/machine-test-cache}
rounds=${ROUNDS:-3}
work=$(mktemp -d /tmp/scp-bench.XXXXXX)
store=$work/store
mkdir -p "$store" "$work/docker"
ln -s "$cache" "$store/cache"
export DOCKER_CONFIG=$work/docker HOME=$work
m() { "$machine" -s "$store" "$@"; }
cleanup() { m ls -q 2>/dev/null | xargs -r "$machine" -s "$store" rm -f -y > /dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

head -c $((64 << 20)) /dev/urandom > "$work/payload"
echo "# bench/scp_bench.sh $(date -u +%Y-%m-%d) load $(cut -d' ' -f1-3 /proc/loadavg), TCG, 2 vCPU, 1 GiB, 64 MB"
m create --qemu-restrict-network --no-mounts bscp > /dev/null
dir=$store/machines/bscp
port=$(m inspect -f '{{.Driver.SSHPort}}' bscp)
user=$(m inspect -f '{{.Driver.SSHUser}}' bscp)
openssh() {
  scp -q -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$dir/known_hosts" \
    -o IdentitiesOnly=yes -i "$dir/id_ed25519" -P "$port" "$@"
}
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'; }
declare -A times
for r in $(seq 1 "$rounds"); do
  times[machine_up]+="$(secs m scp -q "$work/payload" bscp:/tmp/p1) "
  times[native_up]+="$(secs m --native-ssh scp -q "$work/payload" bscp:/tmp/p2) "
  times[openssh_up]+="$(secs openssh "$work/payload" "$user@127.0.0.1:/tmp/p3") "
  times[machine_down]+="$(secs m scp -q bscp:/tmp/p1 "$work/d1") "
  times[native_down]+="$(secs m --native-ssh scp -q bscp:/tmp/p2 "$work/d2") "
  times[openssh_down]+="$(secs openssh "$user@127.0.0.1:/tmp/p3" "$work/d3") "
  cmp -s "$work/payload" "$work/d1" && cmp -s "$work/payload" "$work/d2" && cmp -s "$work/payload" "$work/d3"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for dir_ in up down; do
  ref=$(echo "${times[openssh_$dir_]}" | median)
  for tool in machine native openssh; do
    med=$(echo "${times[${tool}_$dir_]}" | median)
    echo "$dir_ $tool median ${med} s (${times[${tool}_$dir_]% }) ratio_vs_openssh $(awk -v r="$ref" -v t="$med" 'BEGIN { printf "%.2f", r / t }')x"
  done
done
