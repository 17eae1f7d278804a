#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The VM runner (selftests/vm/run.sh): Debian's kernel boots, kernel WireGuard works
# between two network namespaces in it, bpffs is mounted, and the runner passes
# arguments, environment, cwd, stdout/stderr, exit status and timeouts through.
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/vm/run.sh

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (QEMU exports / over 9p)"; exit 0; fi

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

tmp=$(mktemp -d /tmp/meshgw-vmsmoke.$$.XXXX)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

kver=$(cd /boot && ls vmlinuz-*-amd64 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n 1)

# --- inside the VM: kernel, WireGuard between two namespaces, bpffs, environment ----
cat > "$tmp/guest.sh" <<'EOF'
set -u
r() { if "${@:2}"; then echo "PASS $1"; else echo "FAIL $1"; fi; }
s=$$
r "uname -r is the Debian kernel ($VM_ENV_KVER)" test "$(uname -r)" = "$VM_ENV_KVER"
r "arguments arrive intact" test "$#:$1:$2" = "2:one:two words"
r "cwd is the caller's" test "$PWD" = "$VM_ENV_CWD"
r "MESHGW and --env variables pass through" test "$MESHGW:$SMOKE_EXTRA" = "/nonexistent/meshgw:extra value"
r "/sys/fs/bpf is bpffs" test "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs
r "the root is writable (overlay)" touch /usr/vm-smoke-$s
echo "to stderr $s" >&2

ip netns add a$s && ip netns add b$s
ip link add va$s netns a$s type veth peer name vb$s netns b$s
ip -n a$s addr add 10.0.0.1/24 dev va$s && ip -n a$s link set va$s up
ip -n b$s addr add 10.0.0.2/24 dev vb$s && ip -n b$s link set vb$s up
r "ip link add type wireguard autoloads wireguard.ko" ip -n a$s link add wga$s type wireguard
ip -n b$s link add wgb$s type wireguard
ka=$(wg genkey) kb=$(wg genkey)
ip netns exec a$s wg set wga$s private-key <(echo "$ka") listen-port 51001 \
	peer "$(echo "$kb" | wg pubkey)" endpoint 10.0.0.2:51002 allowed-ips 10.9.0.2/32
ip netns exec b$s wg set wgb$s private-key <(echo "$kb") listen-port 51002 \
	peer "$(echo "$ka" | wg pubkey)" endpoint 10.0.0.1:51001 allowed-ips 10.9.0.1/32
ip -n a$s addr add 10.9.0.1/24 dev wga$s && ip -n a$s link set wga$s up
ip -n b$s addr add 10.9.0.2/24 dev wgb$s && ip -n b$s link set wgb$s up
r "ping through kernel WireGuard" ip netns exec a$s busybox ping -q -c 2 -W 5 10.9.0.2
r "handshake recorded" test "$(ip netns exec a$s wg show wga$s latest-handshakes | awk '{print $2}')" -gt 0
r "the tunnel runs on wireguard.ko" grep -q '^wireguard ' /proc/modules
ip netns del a$s; ip netns del b$s
# The exit status and the end of the output, in this same boot (a boot costs seconds).
printf 'no newline'
exit 3
EOF

# The timeout case first, in the background: its VM sleeps until the limit while
# the other runs (a VM of its own each; the job directory in $tmp names it).
echo 'echo started; sleep 100' > "$tmp/sleep.sh"
{
	to_start=$(now)
	TMPDIR=$tmp "$run" --timeout 8 "$tmp/sleep.sh" > "$tmp/to.out" 2> "$tmp/to.err" && rc=0 || rc=$?
	echo "$rc $(since "$to_start")" > "$tmp/to.result"
} &
to_pid=$!

start=$(now)
VM_ENV_KVER=$kver VM_ENV_CWD=$PWD MESHGW=/nonexistent/meshgw SMOKE_EXTRA="extra value" \
	"$run" --env SMOKE_EXTRA "$tmp/guest.sh" one "two words" > "$tmp/out" 2> "$tmp/err" &&
	rc=0 || rc=$?
echo "# boot + WireGuard tunnel script: $(since "$start") s"
t "the script's exit status (3) is run.sh's" test $rc = 3
t "output is complete and unmangled at poweroff (no CR, last partial line kept)" \
	bash -c "! grep -q $'\r' '$tmp/out' && test \"\$(tail -c 11 '$tmp/out')\" = '$(printf '\nno newline')'"
expect=10
while read -r verdict desc; do
	case $verdict in
	PASS) t "VM: $desc" true ;;
	FAIL) t "VM: $desc" false ;;
	esac
done < <(grep -E '^(PASS|FAIL) ' "$tmp/out")
got=$(grep -cE '^(PASS|FAIL) ' "$tmp/out" || true)
t "all $expect checks ran in the VM (got $got)" test "$got" = "$expect"
t "the script's stderr comes out on run.sh's stderr" grep -q "^to stderr [0-9]" "$tmp/err"
t "  ... and not on its stdout" bash -c "! grep -q 'to stderr' '$tmp/out'"
[ $failed = 0 ] || { sed 's/^/# out: /' "$tmp/out"; sed 's/^/# err: /' "$tmp/err"; }

# --- timeout, bad input (the bad-input cases boot nothing) --------------------------
echo 'exit 3' > "$tmp/exit3.sh"

wait "$to_pid"
read -r rc el < "$tmp/to.result"
echo "# timeout run took $el s"
t "timeout exits 124" test $rc = 124
t "  ... says so on stderr" grep -q "timeout" "$tmp/to.err"
t "  ... within a few seconds of the limit" test "$(echo "$el < 14" | bc)" = 1
t "  ... and leaves no QEMU behind" bash -c "! grep -ls '$tmp/[m]eshgw-vm' /proc/[0-9]*/cmdline"

"$run" /nonexistent/script.sh 2> "$tmp/bad.err" && rc=0 || rc=$?
t "missing script: exit 2 with its name" bash -c "[ $rc = 2 ] && grep -q /nonexistent/script.sh '$tmp/bad.err'"
"$run" --bogus "$tmp/exit3.sh" 2> /dev/null && rc=0 || rc=$?
t "unknown option: exit 2" test $rc = 2
"$run" --timeout abc "$tmp/exit3.sh" 2> /dev/null && rc=0 || rc=$?
t "non-numeric --timeout: exit 2" test $rc = 2

"$run" --cpus 0 "$tmp/exit3.sh" 2> /dev/null && rc=0 || rc=$?
t "--cpus 0: exit 2" test $rc = 2
"$run" --timeout 10 2> /dev/null && rc=0 || rc=$?
t "no script: exit 2" test $rc = 2

echo "1..$n"
[ $failed = 0 ]
