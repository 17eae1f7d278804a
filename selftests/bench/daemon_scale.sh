#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# What `meshgw run` costs with PEERS peers of 2 endpoints each (default: 1,000
# peers, then 4,095 = 4,096 sites, the daemon state's capacity), with the data plane
# attached and wireguard-go on this host: the daemon's CPU over MEASURE_S (default
# 10 s: run time from /proc/PID/schedstat, and utime + stime from /proc/PID/stat,
# which the timer tick samples) and its syscall rate, bpf and all (perf's syscall
# tracepoints over SYSCALL_S, default 5 s; strace -c when perf cannot, which slows
# a busy daemon, so its rates are then a lower bound).
# Two cases, each after SETTLE_S (default 15 s, past the 10 s after which a dead
# peer is probed at the idle rate):
#   unanswered  nobody answers a probe (the remote sites do not exist): every peer
#               is in trouble, every endpoint down;
#   answered    a second namespace holds every remote endpoint address and runs the
#               data plane of one of the sites (meshgw up), whose XDP program answers
#               every probe: an idle, healthy mesh. Its CPU is the one judged
#               (issue 17): < 1 % at 1,000 peers, < 2 % at 4,096 sites.
# BASE=path/to/another/meshgw measures that binary too, right after this one in the
# same topology and case, and prints the two side by side (a base commit's build:
# `git worktree add /tmp/base <commit> && make -C /tmp/base`). The far side runs
# MESHGW's `up`. The probes' softirq work on the far side (XDP answering on the
# other end of a veth) runs on the sending CPU and is counted in the daemon's time.
# Not a pass/fail test: it prints numbers; exits non-zero only when it could not run.
#
#   PEERS="1000 4095" BASE= SETTLE_S=15 MEASURE_S=10 SYSCALL_S=5 selftests/bench/daemon_scale.sh
#
#   gateway ns: lan$$ 10.251.0.1 ──veth── lanp$$ 10.251.0.2 :far-side ns
#   default route via .2                  198.18.0.0/15 blackholed (unanswered)
#                                         or local + meshgw data plane (answered)
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
PEERS=${PEERS:-1000 4095}
BASE=${BASE:-}
SETTLE_S=${SETTLE_S:-15}
MEASURE_S=${MEASURE_S:-10}
SYSCALL_S=${SYSCALL_S:-5}

if [ "$(id -u)" != 0 ]; then echo "daemon_scale: needs root (network namespaces); skipped"; exit 0; fi
for v in SETTLE_S MEASURE_S SYSCALL_S; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "daemon_scale: $v must be a positive number" >&2; exit 2; }
done
for n in $PEERS; do
	[[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 16000 ] ||
		{ echo "daemon_scale: PEERS: numbers from 1 to 16000" >&2; exit 2; }
done
[ -x "$MESHGW" ] || { echo "daemon_scale: no meshgw binary at $MESHGW (run make)" >&2; exit 1; }
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "daemon_scale: BASE=$BASE is not a program" >&2; exit 1; }
for c in wireguard-go python3 nsenter; do
	command -v $c >/dev/null || { echo "daemon_scale: $c missing; skipped"; exit 0; }
done

s=$$
gw=mgdsg$s far=mgdsf$s
tmp=$(mktemp -d /tmp/meshgw-dscale.$s.XXXX)
pin=/sys/fs/bpf/mgds$s
. "$(dirname "${BASH_SOURCE[0]}")/../lib/leftovers.sh"
daemon_pid= startup_ms=

N() { local ns=$1; shift; nsenter --net=/run/netns/$ns "$@"; }

cleanup() {
	set +e
	stop_daemon
	N $gw "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/gw.local" >/dev/null 2>&1
	N $far "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/far.local" >/dev/null 2>&1
	ip netns del $gw 2>/dev/null
	ip netns del $far 2>/dev/null
	rm -f /run/meshgw/mgg$s.lock /run/meshgw/mgf$s.lock /run/meshgw/mgg$s.state /run/meshgw/mgf$s.state
	remove_pin_root "$pin"
	rm -rf "$tmp"
}
trap cleanup EXIT

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# --- topology and configuration -----------------------------------------------------
topology_up() { # PEERS
	ip netns add $gw
	ip netns add $far
	ip -n $gw link set lo up
	ip -n $far link set lo up
	ip link add lan$s netns $gw type veth peer name lanp$s netns $far
	ip -n $gw addr add 10.251.0.1/24 dev lan$s
	ip -n $far addr add 10.251.0.2/24 dev lanp$s
	ip -n $gw link set lan$s up
	ip -n $far link set lanp$s up
	ip -n $gw route add default via 10.251.0.2
	# Probes really leave the gateway; the far side drops them without a word (an
	# ICMP error would be an answer of sorts) until it is made to answer them.
	ip netns exec $far sysctl -qw net.ipv4.ip_forward=1
	ip -n $far route add blackhole 198.18.0.0/15

	(umask 077; "$MESHGW" genkey >"$tmp/gw.key"; "$MESHGW" genkey >"$tmp/far.key")
	{
		printf '[Mesh]\nNetwork = 10.250.0.0/16\nListenPort = 51820\nPersistentKeepalive = 0\n\n'
		printf '[Site self]\nAddress = 10.250.0.1\nPublicKey = %s\nEndpoint = 10.251.0.1:51820\n\n' \
			"$("$MESHGW" pubkey <"$tmp/gw.key")"
		# Site s0 is the far side's; the others get random keys (nobody handshakes).
		python3 - "$1" "$("$MESHGW" pubkey <"$tmp/far.key")" <<-'PY'
		import base64, os, sys
		for i in range(int(sys.argv[1])):
		    n = i + 2
		    key = sys.argv[2] if i == 0 else base64.b64encode(os.urandom(32)).decode()
		    print(f"[Site s{i}]\nAddress = 10.250.{n >> 8}.{n & 255}\nPublicKey = {key}")
		    print(f"Endpoint = 198.18.{n >> 8}.{n & 255}:51820")
		    print(f"Endpoint = 198.19.{n >> 8}.{n & 255}:51820\n")
		PY
	} >"$tmp/mesh.conf"
	local_conf() { # SITE KEY LAN WG PIN
		printf '[Local]\nSite = %s\nPrivateKeyFile = %s\nLanInterface = %s\nWireGuardInterface = %s\nBackend = userspace\nPinPath = %s\n' \
			"$@"
	}
	local_conf self "$tmp/gw.key" lan$s mgg$s "$pin/gw" >"$tmp/gw.local"
	local_conf s0 "$tmp/far.key" lanp$s mgf$s "$pin/far" >"$tmp/far.local"
}

# What cleanup undoes, between two sizes.
topology_down() {
	cleanup
	tmp=$(mktemp -d /tmp/meshgw-dscale.$s.XXXX)
}

# --- the daemon and its numbers ---------------------------------------------------------
# Sets startup_ms: from the launch to the daemon's 'running:' line (after up, the
# map opening and the peer list, just before the first tick), to within 20 ms.
start_daemon() { # BINARY
	local i t0
	t0=$(date +%s%N)
	# Not through N(): a backgrounded function is a subshell. nsenter execs, so
	# $! is meshgw's own PID.
	nsenter --net=/run/netns/$gw "$1" run -c "$tmp/mesh.conf" -l "$tmp/gw.local" \
		>"$tmp/run.log" 2>&1 &
	daemon_pid=$!
	for ((i = 0; i < 6000; i++)); do
		if grep -q 'running:' "$tmp/run.log"; then
			startup_ms=$((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.02
	done
	echo "daemon_scale: meshgw run did not start:"
	tail -20 "$tmp/run.log"
	exit 1
}

stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	local i
	kill -TERM "$daemon_pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$daemon_pid" 2>/dev/null || true
	wait "$daemon_pid" 2>/dev/null || true
	daemon_pid=
}

# utime + stime, in clock ticks: sampled at the timer tick, which a process waking
# every 10 ms is not independent of.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat"; }
# Time on a CPU in ns, exact (CONFIG_SCHED_INFO); empty when the kernel has none.
cpu_ns() { awk '{ print $1 }' "/proc/$daemon_pid/schedstat" 2>/dev/null || true; }

# "BPF ALL" syscalls per second over SYSCALL_S, or "- -" when nothing can count them.
syscall_rates() {
	local out bpf all
	if command -v perf >/dev/null &&
	   out=$(perf stat -x, -e syscalls:sys_enter_bpf -e raw_syscalls:sys_enter \
		-p "$daemon_pid" -- sleep "$SYSCALL_S" 2>&1) &&
	   bpf=$(echo "$out" | awk -F, '$3 == "syscalls:sys_enter_bpf" { print $1 }') &&
	   all=$(echo "$out" | awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }') &&
	   [[ $bpf =~ ^[0-9]+$ && $all =~ ^[0-9]+$ ]]; then
		echo "$((bpf / SYSCALL_S)) $((all / SYSCALL_S)) perf"
	elif command -v strace >/dev/null &&
	     timeout -s INT "$SYSCALL_S" strace -c -f -o "$tmp/strace" -p "$daemon_pid" 2>/dev/null;
	     [ -s "$tmp/strace" ]; then
		bpf=$(awk '$NF == "bpf" { print $4 }' "$tmp/strace")
		all=$(awk '$NF == "total" { print $4 }' "$tmp/strace")
		echo "$((${bpf:-0} / SYSCALL_S)) $((${all:-0} / SYSCALL_S)) strace"
	else
		echo "- - none"
	fi
}

# How many endpoints the daemon sees up, from its published state (meshgw show -j).
endpoints_up() {
	N $gw "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/gw.local" 2>/dev/null |
		python3 -c 'import json, sys
d = json.load(sys.stdin)
print(sum(1 for p in d.get("peers", []) for e in p.get("endpoints", []) if e.get("health") == "up"))' \
		2>/dev/null || echo "?"
}

# Sets last_run: the CPU % (run time) of the last measure.
measure() { # CASE BINARY LABEL PEERS
	local t0 t1 c0 c1 r0 r1 hz pct run bpf all tool up
	start_daemon "$2"
	sleep "$SETTLE_S"
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks); r0=$(cpu_ns); t0=$(date +%s%N)
	sleep "$MEASURE_S"
	c1=$(cpu_ticks); r1=$(cpu_ns); t1=$(date +%s%N)
	pct=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.1f", c / hz / (ns / 1e9) * 100 }')
	run=-
	if [ -n "$r0" ] && [ -n "$r1" ]; then
		run=$(awk -v r=$((r1 - r0)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", r / ns * 100 }')
	fi
	last_run=$run
	read -r bpf all tool <<<"$(syscall_rates)"
	up=$(endpoints_up)
	printf '  %-10s %-4s  CPU %5s %% (run time; utime+stime %s %%)  %7s bpf/s  %7s syscalls/s (%s)  endpoints up: %s of %d  started in %s ms\n' \
		"$1" "$3" "$run" "$pct" "$bpf" "$all" "$tool" "$up" $(($4 * 2)) "$startup_ms"
	# Not an idle mesh then: endpoints seen down move peers and reconfigure
	# WireGuard, which is not what the goal is about.
	if [ "$1" = answered ] && [ "$up" != $(($4 * 2)) ]; then
		echo "    not every endpoint up: replies lost (the data plane's mg_probes holds MG_MAX_ENDPOINTS" \
			"of them) or too short a SETTLE_S; failovers, not idle work, are in this number"
	fi
	if grep -q 'tick took' "$tmp/run.log"; then
		echo "    slow ticks: $(grep -c 'tick took' "$tmp/run.log"), e.g. $(grep 'tick took' "$tmp/run.log" | tail -1)"
	fi
	stop_daemon
}

# This build and BASE, one right after the other, in one case; then the goal.
case_side_by_side() { # CASE PEERS GOAL
	local this base=-
	measure "$1" "$MESHGW" this "$2"
	this=$last_run
	if [ -n "$BASE" ]; then
		measure "$1" "$BASE" base "$2"
		base=$last_run
	fi
	printf '  %-10s this %s %%, base %s %%%s\n' "$1" "$this" "$base" "${3:+, goal < $3 %}"
}

echo "daemon_scale: meshgw run, data plane attached, wireguard-go, $(nproc) CPUs, kernel $(uname -r)${BASE:+; base: $BASE}"
first=1
for n in $PEERS; do
	[ -n "$first" ] || topology_down
	first=
	topology_up "$n"
	goal=
	[ "$n" -le 1000 ] && goal=1
	[ "$n" -gt 1000 ] && [ "$n" -le 4095 ] && goal=2
	echo "$n peers x 2 endpoints ($((n + 1)) sites):"
	case_side_by_side unanswered "$n" ""
	# The far side takes every endpoint address and answers probes in XDP.
	N $far "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/far.local" >"$tmp/far.up" 2>&1 ||
		{ echo "daemon_scale: far side's meshgw up failed:"; tail -20 "$tmp/far.up"; exit 1; }
	ip -n $far route del blackhole 198.18.0.0/15
	ip -n $far route add local 198.18.0.0/15 dev lo
	case_side_by_side answered "$n" "$goal"
done
