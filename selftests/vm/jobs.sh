#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the test VM (as run.sh's SCRIPT): several test scripts one after the
# other in one boot, so the guest boots once and its page cache (bash, ip, python3,
# meshgw, read over 9p) is warm after the first. A boot under TCG costs 3 s on a
# quiet host and 12-15 s on a loaded one; the cold cache as much again.
#
#   jobs.sh JOBFILE
#
# JOBFILE (written on the host before the boot by selftests/lib/vm_jobs.sh, visible
# here through the shared root) has one job per line: printf %q words
#   LABEL TIMEOUT [NAME=VALUE...] -- SCRIPT [ARGS...]
# Each job runs as `bash SCRIPT ARGS` with those variables, its stdout and stderr
# together (in order) between two marker lines:
#   @@vm-job begin LABEL
#   @@vm-job end LABEL RC SECONDS  (RC 124: TIMEOUT seconds passed, job killed)
# VM_MODULES among the variables is loaded with one `modprobe -a` first (one
# request is much faster than autoloading under TCG). A job that fails does not
# stop the next; what a job leaves running is ended before the next starts.
set -u
[ $# = 1 ] && [ -r "$1" ] || { echo "usage: $0 JOBFILE" >&2; exit 2; }
rc_all=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	eval "job=($line)"
	label=${job[0]} limit=${job[1]}
	vars=()
	i=2
	while [ "${job[$i]}" != -- ]; do vars+=("${job[$i]}"); i=$((i + 1)); done
	cmd=("${job[@]:$((i + 1))}")
	echo "@@vm-job begin $label"
	t0=$SECONDS
	for v in "${vars[@]}"; do
		case $v in VM_MODULES=*) [ -z "${v#VM_MODULES=}" ] || modprobe -a ${v#VM_MODULES=} ;; esac
	done
	# A session of its own, so what the job started (daemons, wireguard-go) can be
	# ended as a group; `timeout` sends TERM, then KILL 10 s later.
	setsid -w timeout -k 10 "$limit" env "${vars[@]}" bash "${cmd[@]}" </dev/null 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null
	echo "@@vm-job end $label $rc $((SECONDS - t0))"
	[ "$rc" = 0 ] || rc_all=1
done <"$1"
exit "$rc_all"
