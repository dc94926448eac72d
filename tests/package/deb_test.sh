#!/usr/bin/env bash
# The Debian package as a user gets it: built with CPack from the build tree, unpacked with
# `dpkg -x` into a temporary root (never the host's), and the installed binary run from
# there: version, ls on an empty store, completion bash, no fault hook; the completion file,
# the man page and the declared dependencies are checked too.
#   tests/package/deb_test.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd -P)
tmp=$(mktemp -d /tmp/machine-deb-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "deb_test: $*" >&2; exit 1; }

t0=$SECONDS
if ! cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2
  fail "cpack failed"
fi
debs=("$tmp"/out/machine_*.deb)
[ -f "${debs[0]}" ] || fail "cpack made no machine_*.deb: $(ls "$tmp/out")"
deb=${debs[0]}
echo "built $(basename "$deb"): $(stat -c %s "$deb") bytes in $((SECONDS - t0)) s"

# Metadata: the tools create and the image build need are dependencies; shlibdeps found libs.
depends=$(dpkg-deb -f "$deb" Depends)
for p in qemu-system-x86 qemu-utils xorriso mmdebstrap libssh2-1 libssl3; do
  [[ "$depends" == *"$p"* ]] || fail "Depends lacks $p: $depends"
done
[[ "$(dpkg-deb -f "$deb" Recommends)" == *docker.io* ]] || fail "Recommends lacks docker.io"
[ "$(dpkg-deb -f "$deb" Package)" = machine ] || fail "package name"

root="$tmp/root"
dpkg -x "$deb" "$root"
for f in usr/bin/machine usr/share/bash-completion/completions/machine usr/share/zsh/vendor-completions/_machine \
  usr/share/fish/vendor_completions.d/machine.fish usr/share/man/man1/machine.1.gz usr/share/doc/machine/README.md; do
  [ -s "$root/$f" ] || fail "$f is missing from the package"
done
bin="$root/usr/bin/machine"

# Run it from the temporary root with nothing of this user's: an empty HOME and store.
mkdir "$tmp/home"
run() { env -i PATH=/usr/bin:/bin HOME="$tmp/home" "$bin" "$@"; }
out=$(run version)
[[ "$out" == "machine version "* ]] || fail "version printed: $out"
out=$(run -s "$tmp/store" ls)
[ "$out" = "NAME   ACTIVE   DRIVER   STATE   URL   SWARM   DOCKER   ERRORS" ] || fail "ls printed: $out"
run completion bash >"$tmp/completion.bash"
bash -n "$tmp/completion.bash" || fail "completion bash is not valid bash"
cmp -s "$tmp/completion.bash" "$root/usr/share/bash-completion/completions/machine" ||
  fail "the installed bash completion differs from what the binary prints"
# The installed completion works: sourced into bash, it completes a command.
words=$(bash -c 'source "$1"; COMP_WORDS=(machine cre); COMP_CWORD=1; _machine; echo "${COMPREPLY[*]}"' bash \
  "$root/usr/share/bash-completion/completions/machine")
[ "$words" = create ] || fail "installed completion offered '$words' for 'machine cre'"
# No fault hook in the package (cli/CMakeLists.txt): MACHINE_FAULT_POINT, which stops the test
# build's binary at a step of create, changes nothing, and nothing in the file reads it.
! grep -q MACHINE_FAULT_POINT "$bin" || fail "the packaged binary carries the fault hook (it names MACHINE_FAULT_POINT)"
create_at_fault_point() {  # BINARY STORE: exit status of a none-driver create told to SIGKILL itself
  local rc=0
  env -i PATH=/usr/bin:/bin HOME="$tmp/home" DOCKER_CONFIG="$tmp/docker" MACHINE_FAULT_POINT=create-after-certs:KILL \
    "$1" -s "$2" create -d none --url tcp://127.0.0.1:9 --no-docker-context f1 >"$tmp/fault.log" 2>&1 || rc=$?
  echo "$rc"
}
rc=$(create_at_fault_point "$bin" "$tmp/store-release")
[ "$rc" = 0 ] || fail "the packaged binary obeyed MACHINE_FAULT_POINT (exit $rc): $(cat "$tmp/fault.log")"
[ "$(run -s "$tmp/store-release" ls -q)" = f1 ] || fail "create under MACHINE_FAULT_POINT made no machine"
# The same command stops the test build's binary, so the check above can tell the two apart.
if grep -q '^MACHINE_FAULT_HOOKS:BOOL=ON$' "$build_dir/CMakeCache.txt"; then
  rc=$(create_at_fault_point "$build_dir/cli/machine" "$tmp/store-test")
  [ "$rc" = 137 ] || fail "the test build's machine was not stopped at the fault point (exit $rc)"
fi
zcat "$root/usr/share/man/man1/machine.1.gz" | grep -q '^\.SH COMMANDS' || fail "man page has no COMMANDS section"
echo "deb_test: ok"
