# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# TAP helpers for the shell tests: source this file, report with `t`, `ok`,
# `not_ok` or `is`, and end with `tap_done`, which prints the plan and gives the
# exit status. Counters: $n (tests) and $failed.
n=0 failed=0
[ -z "${TAP_TIMES:-}" ] || TAP_T0=${TAP_T0:-$EPOCHREALTIME}

ok() { n=$((n + 1)); echo "ok $n - $*"; }
# A description ending in "# TODO reason" is a known failure (TAP's TODO directive):
# reported, not counted against the exit status.
not_ok() {
	n=$((n + 1))
	case "$*" in *"# TODO"*) ;; *) failed=$((failed + 1)) ;; esac
	echo "not ok $n - $*"
}

# t DESCRIPTION COMMAND...: ok when COMMAND succeeds. COMMAND runs in this shell
# (it may set variables); its output is shown, as TAP comments, only on failure.
# TAP_TIMES=1 follows each with a comment saying how long it took and when it ended,
# counted from TAP_T0 (an $EPOCHREALTIME; default: when this file was sourced), to
# find where a slow test spends its time, between its checks too.
# COMMAND's output goes to one file per shell, opened once and unlinked at once (so
# nothing is left behind whatever the test's EXIT trap does): a mktemp and an rm per
# check were two execs, ~70 ms each check in the VM (TCG). A t inside another t's
# COMMAND, or in a subshell, uses a file of its own.
_t_fd= _t_pid= _t_depth=0
_t_open() {
	local f
	f=$(mktemp /tmp/meshgw-tap.XXXXXX) || return 1
	exec {_t_fd}<>"$f"
	rm -f "$f"
	_t_pid=$BASHPID
}
t() {
	local d=$1 out own t0=$EPOCHREALTIME
	shift
	if [ "$_t_depth" = 0 ] && { [ "$_t_pid" = "$BASHPID" ] || _t_open; }; then
		out=/proc/self/fd/$_t_fd own=
	else
		out=$(mktemp /tmp/meshgw-tap.XXXXXX) own=1
	fi
	_t_depth=$((_t_depth + 1))
	if "$@" > "$out" 2>&1; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/#   /' "$out" | tail -20
	fi
	_t_depth=$((_t_depth - 1))
	[ -z "$own" ] || rm -f "$out"
	[ -z "${TAP_TIMES:-}" ] || awk -v a="$t0" -v b="$EPOCHREALTIME" -v z="${TAP_T0:-$t0}" 'BEGIN { printf "#   took %.2f s (at %.1f s)\n", b - a, b - z }'
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   got '$2', want '$3'"; fi
}

q() { "$@" > /dev/null 2>&1; }		# q COMMAND...: quietly
now() { date +%s.%N; }
since() { printf '%.2f' "$(echo "$(now) - $1" | bc)"; }	# seconds since a now()

# poll SECONDS COMMAND...: 0 as soon as COMMAND succeeds, 1 after SECONDS.
poll() {
	local end=$((SECONDS + $1))
	shift
	until "$@" > /dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# tap_import LABEL FILE RC: another test's TAP (FILE, its output; RC, its exit status)
# as this test's: its results become ok/not_ok lines prefixed "LABEL: " (a TODO
# stays a TODO), its comments stay comments, anything else becomes a comment; a run
# that ended without its plan, or failed with no failing line, is one failure more.
tap_import() {
	local label=$1 file=$2 rc=$3 line plan=0 bad=0
	while IFS= read -r line; do
		if [[ $line =~ ^ok\ [0-9]+\ -\ (.*) ]]; then
			ok "$label: ${BASH_REMATCH[1]}"
		elif [[ $line =~ ^not\ ok\ [0-9]+\ -\ (.*) ]]; then
			not_ok "$label: ${BASH_REMATCH[1]}"
			bad=1
		elif [[ $line =~ ^1\.\.[0-9]+ ]]; then
			plan=1
			[[ $line =~ ^1\.\.0 ]] && echo "# $label: $line"
		elif [[ $line =~ ^# ]]; then
			echo "$line"
		else
			echo "# $label: $line"
		fi
	done <"$file"
	if [ "$plan" = 0 ]; then
		not_ok "$label: finished its plan (exit $rc)"
	elif [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
		not_ok "$label: exited $rc with no failing test"
	fi
}

tap_done() {
	echo "1..$n"
	[ "$failed" = 0 ]
}

# nothing_left, remove_left, remove_pin_root: selftests/lib/leftovers.sh.
. "$(dirname "${BASH_SOURCE[0]}")/leftovers.sh"
