# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The TAP of a test run inside the VM (selftests/vm/run.sh), as the host's test
# prints it: the vm_*.t.sh wrappers that run a host script with kernel WireGuard.
#
#   vm_tap_report OUT RC START [TITLE ERE]
#
# OUT holds the run's output, RC run.sh's exit status, START the run's start (date
# +%s). The inner TAP lines pass through as they are, anything else (kernel
# messages, stderr) as comments; then how long the VM ran; with TITLE and ERE, the
# lines of OUT matching ERE again under "# TITLE" (the timings worth seeing at a
# glance); then one failing line if the VM died or timed out before the inner plan,
# or exited non-zero with no failing test, and the plan.
vm_tap_report() {
	local out=$1 rc=$2 start=$3 n
	sed -E '/^(ok|not ok|1\.\.|#)/!s/^/# /' "$out" | grep -v '^1\.\.'
	n=$(grep -cE '^(ok|not ok) ' "$out")
	echo "# VM run: run.sh exit $rc after $(($(date +%s) - start)) s (Debian kernel $(cd /boot && ls vmlinuz-*-amd64 | sed 's/^vmlinuz-//' | sort -V | tail -n 1), kernel WireGuard)"
	if [ $# -ge 5 ]; then
		echo "# $4"
		grep -E "$5" "$out" | sed -E 's/^(ok [0-9]+ - |# )/#   /'
	fi
	if ! grep -qE '^1\.\.[0-9]+' "$out"; then
		n=$((n + 1))
		echo "not ok $n - the VM run finished its plan (run.sh exit $rc: 124 = timeout, 125 = VM failure)"
	elif [ "$rc" != 0 ] && ! grep -q '^not ok' "$out"; then
		n=$((n + 1))
		echo "not ok $n - the VM run exited $rc with no failing test"
	fi
	echo "1..$n"
}
