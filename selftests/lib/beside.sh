# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Another TAP test run beside this one, its results counted as this test's: for a
# host test that mostly waits on timers (the labs' failover and plain-WireGuard runs)
# and its VM twin, which keeps a core busy with QEMU's TCG. Run side by side they
# take the time of the longer one; make check asks for it (LAB_VM_BESIDE=1) and
# leaves the twin out of its own list. Source after tap.sh:
#
#   beside_start TEST [ARGS...]   starts it in the background, output to a file
#   beside_report LABEL           waits for it; its results become ok/not_ok lines of
#                                 this test prefixed "LABEL: ", its comments stay
#                                 comments; a run that ends without its plan, or
#                                 fails with no failing line, is one failure more
#   beside_stop                   (for the cleanup) ends a run not reported yet: its
#                                 process group (the VM runner kills its QEMU)
beside_pid= beside_out=

beside_start() {
	beside_out=$(mktemp /tmp/meshgw-beside.$$.XXXX)
	# A session of its own (setsid execs: $! leads the group), so beside_stop can
	# end the test and what it started.
	setsid -w "$@" >"$beside_out" 2>&1 </dev/null &
	beside_pid=$!
}

beside_stop() {
	[ -n "$beside_pid" ] || return 0
	kill -TERM -- "-$beside_pid" 2>/dev/null || true
	wait "$beside_pid" 2>/dev/null || true
	beside_pid=
	rm -f "$beside_out"
}

beside_report() {
	local rc=0
	[ -n "$beside_pid" ] || return 0
	wait "$beside_pid" || rc=$?
	beside_pid=
	tap_import "$1" "$beside_out" "$rc"
	rm -f "$beside_out"
}
