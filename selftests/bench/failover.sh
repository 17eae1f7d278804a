#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Failover time on the multi-ISP lab (selftests/lab/lab.sh, wireguard-go on this host),
# per scenario, counting only what the daemon did:
#
#   both     B's preferred ISP (ISP1) cut at the ISP side while A's and B's LAN hosts
#            ping each other every 20 ms: time to the first answered ping A->B, B->A
#   oneway   the same cut with only A's host pinging B's (B's hosts silent, so
#            WireGuard roaming cannot help): A->B
#   idle     the same cut with no traffic at all; 2 s after the cut A's host starts
#            pinging B's: time from that first ping to its first answer
#   aside    A's preferred ISP cut instead (A's router fails over to its ISP2; B and
#            C must move to A's ISP2 endpoint), both ways pinging: A->B, B->A
#
# A cut counts only when it starts on the preferred endpoint: before it, the peers
# that must move (A and C for B's endpoints; B and C for A's) are on endpoint 0 in the
# daemon's published state and in WireGuard (`wg show`); otherwise it is reported as
# "not on the preferred endpoint" and cut again later. Each counted cut is attributed
# to what moved the traffic: the daemon (its log says endpoint 0 -> n, probe loss or
# no rx), WireGuard roaming (the far side's packets came from the other address
# first), or nothing logged. Per scenario the cuts go on until CUTS daemon cuts (or
# 3 x CUTS cuts). For the daemon's cuts the table splits the time into the decision
# (the daemon's log line, timestamped as it arrives) and the rest (first answered
# ping). After each cut the ISP comes back after CUT_MIN_S (and not before the daemon
# moved): fail-back must bring every peer back to endpoint 0 within HoldDown + 1 s,
# with one move back (more is a flap).
#
# Then the probe traffic of the mesh left idle right after those fail-backs over
# IDLE_S (default 30 s), counted by nft on the internet namespace by the probe magic,
# against the goal of 1 kbit/s per peer; and last the "both" cuts on a fresh lab of
# the same shape with plain WireGuard and no daemon (lab_wg_up), where recovery
# usually never comes: capped at CAP_S (default 10 s). Prints numbers; exits non-zero
# only when it could not run.
#
#   CUTS=10 SCENARIOS="both oneway idle aside" PLAIN_CUTS=$CUTS CAP_S=10 IDLE_S=30 \
#   HOLDDOWN_S=2 CUT_MIN_S=1 selftests/bench/failover.sh
#   FO_LOGS=DIR keeps the daemons' logs (A.log, B.log, C.log) in DIR.
#   CT_FLUSH=1 flushes router B's UDP NAT state between cuts (see ct_flush; needs conntrack).
#   LAB_DNAT=one (default) or per-isp: how the routers forward the WireGuard port
#   (selftests/lab/lab.sh). With one address for both ISPs and no flush, a move back
#   cannot last (see ct_flush): the daemon says so once and stays (FO_NAT_HOLD_MS).
set -u
export LAB_DNAT=${LAB_DNAT:-one}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
CUTS=${CUTS:-10}
SCENARIOS=${SCENARIOS:-both oneway idle aside}
PLAIN_CUTS=${PLAIN_CUTS:-$CUTS}
CAP_S=${CAP_S:-10}
IDLE_S=${IDLE_S:-30}
HOLDDOWN_S=${HOLDDOWN_S:-2}
CUT_MIN_S=${CUT_MIN_S:-1}
CT_FLUSH=${CT_FLUSH:-0}
command -v conntrack > /dev/null || { [ "$CT_FLUSH" = 1 ] && echo "failover: CT_FLUSH=1 needs conntrack (make deps): not flushing" >&2; CT_FLUSH=0; }

if [ "$(id -u)" != 0 ]; then echo "failover: needs root (network namespaces); skipped"; exit 0; fi
for v in CUTS PLAIN_CUTS CAP_S IDLE_S HOLDDOWN_S CUT_MIN_S CT_FLUSH; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "failover: $v must be a whole number, not '${!v}'" >&2; exit 2; }
done
for sc in $SCENARIOS; do
	case $sc in both | oneway | idle | aside) ;;
	*) echo "failover: unknown scenario '$sc' (both oneway idle aside)" >&2; exit 2 ;; esac
done
[ -x "$MESHGW" ] || { echo "failover: no meshgw binary at $MESHGW (run make)" >&2; exit 1; }
for c in wireguard-go wg nft bpftool python3 ping bc; do
	command -v "$c" > /dev/null || { echo "failover: $c missing; cannot run" >&2; exit 1; }
done

# shellcheck source=../lab/lab.sh
source "$SRC/selftests/lab/lab.sh"
# shellcheck source=../lab/meshgw_lab.sh
source "$SRC/selftests/lab/meshgw_lab.sh"
# shellcheck source=../lib/leftovers.sh
source "$SRC/selftests/lib/leftovers.sh"
BASE_SFX=$$
LAB_SFX=$BASE_SFX
MLAB_DIR=$(mktemp -d /tmp/meshgw-bench-fo.$$.XXXX)
MLAB_STAMP=1
RES=$MLAB_DIR/results
mkdir -p "$RES"

cleanup() {
	local x
	mlab_cleanup
	if [ -f "$MLAB_DIR/mesh.conf" ] && [ -n "${LAB_DIR:-}" ]; then
		for x in $LAB_SITES; do
			lab_exec "g$x" "$MESHGW" down -c "$MLAB_DIR/mesh.conf" -l "$MLAB_DIR/$x.local.conf" \
				> /dev/null 2>&1 || true
		done
	fi
	lab_destroy
	remove_pin_root "/sys/fs/bpf/meshgw-lab-$BASE_SFX"
	if [ -n "${FO_LOGS:-}" ]; then mkdir -p "$FO_LOGS" && cp "$MLAB_DIR"/*.log "$FO_LOGS"/ 2>/dev/null; fi
	rm -rf "$MLAB_DIR"
}
trap cleanup EXIT
trap "exit 1" INT TERM

now() { date +%s.%N; }
sub() { echo "$1 - $2" | bc; }
die() { echo "failover: $*" >&2; exit 1; }
le() { [ "$(echo "$1 <= $2" | bc)" = 1 ]; }

# Seconds since the last reply in FROM->TO's ping log (99 when none).
reply_age() {
	awk -v t="$(now)" '/bytes from/ { gsub(/[\[\]]/, "", $1); l = $1 } END { printf "%.3f\n", l ? t - l : 99 }' \
		"$MLAB_DIR/ping-$1-$2"
}
# The running pings answered within the last 0.2 s.
steady() {
	local k
	for k in "${!MLAB_PING_PID[@]}"; do le "$(reply_age "${k:0:1}" "${k:1:1}")" 0.2 || return 1; done
}
# wait_until SECONDS COMMAND...: poll every 0.1 s; 0 when COMMAND succeeded in time.
wait_until() {
	local end
	end=$(echo "$(now) + $1" | bc)
	shift
	until "$@" > /dev/null 2>&1; do
		le "$end" "$(now)" && return 1
		sleep 0.1
	done
}

# wg_ep X PEER: the address WireGuard at X sends PEER's packets to.
wg_ep() {
	lab_exec "g$1" wg show "${LAB_WG_IF[$1]}" endpoints | awk -v k="${LAB_PUB[$2]}" '$1 == k { sub(/:[0-9]+$/, "", $2); print $2 }'
}
# The site whose ISP1 a scenario cuts, and the sites that must move off it.
cut_site() { [ "$1" = aside ] && echo A || echo B; }
movers() { [ "$1" = aside ] && echo "B C" || echo "A C"; }
# at_preferred SITE: every mover on SITE's endpoint 0, in its daemon and in WireGuard.
at_preferred() {
	local x
	for x in $(movers "$SC"); do
		[ "$(mlab_active "$x" "$1")" = 0 ] && [ "$(wg_ep "$x" "$1")" = "${LAB_ISP_IP[$1,1]}" ] || return 1
	done
}
# moved_off SITE: the daemon of the first mover no longer publishes endpoint 0.
moved_off() { local m; m=$(movers "$SC"); [ "$(mlab_active "${m%% *}" "$1")" != 0 ]; }
# log_after X T: X's daemon log lines stamped later than T.
log_after() { awk -v t="$2" '$1 + 0 > t + 0' "$MLAB_DIR/$1.log"; }
# Pings of a scenario: the directions it measures.
dirs() { case $1 in oneway | idle) echo AB ;; *) echo "AB BA" ;; esac; }
pings_start() { local d; for d in $(dirs "$1"); do mlab_ping_start "${d:0:1}" "${d:1:1}"; done; }
pings_stop() { local k; for k in "${!MLAB_PING_PID[@]}"; do mlab_ping_stop "${k:0:1}" "${k:1:1}"; done; }

# ct_flush: forget router B's UDP connection-tracking entries (CT_FLUSH=0: keep them).
# While A sends to B's ISP2, router B holds a DNAT entry for that flow whose reply
# tuple (gateway B:port -> A) is the one a flow to B's ISP1 needs too: when A moves
# back, B's packets keep matching the old entry and leave with the ISP2 address,
# WireGuard at A roams back to it, and the daemon, which follows roaming, damps its
# next move back (the hold-down doubles). CT_FLUSH=1 flushes after each restore and
# after each move back; it also turns B's flows into ones B started, which WireGuard's
# roaming rescues by itself, so it is off by default and applies to both runs.
ct_flush() {
	[ "$CT_FLUSH" = 1 ] || return 0
	lab_exec rB conntrack -D -p udp > /dev/null 2>&1 || true
}

# measure_cut SCENARIO MODE: one cut of the scenario's site's ISP1; prints a line and
# appends to $RES/MODE.SCENARIO.*. Returns 2 when the cut did not start on the
# preferred endpoint (then nothing was cut).
measure_cut() {
	local sc=$1 mode=$2 site first t0 cut el d r how='' decide='' back='' flaps='' end x val n
	local -A got=()
	site=$(cut_site "$sc") first=$(movers "$sc") first=${first%% *}
	[ "$sc" = idle ] || wait_until 20 steady || echo "#   pings not steady before the cut"
	if [ "$mode" = meshgw ]; then
		wait_until $((4 * HOLDDOWN_S + 6)) at_preferred "$site" || return 2
	else
		wait_until 5 at_preferred_plain "$site" || return 2
	fi
	lab_isp_down "$site" 1
	cut=$(now)
	t0=$cut
	if [ "$sc" = idle ]; then
		sleep 2
		t0=$(now)
		pings_start idle
	fi
	end=$(echo "$t0 + $CAP_S" | bc)
	while :; do
		for d in $(dirs "$sc"); do
			[ -n "${got[$d]:-}" ] || got[$d]=$(mlab_first_reply_after "${d:0:1}" "${d:1:1}" "$t0")
		done
		r=1
		for d in $(dirs "$sc"); do [ -n "${got[$d]}" ] || r=0; done
		[ $r = 1 ] && break
		le "$end" "$(now)" && break
		sleep 0.05
	done
	[ "$sc" = idle ] && pings_stop
	for d in $(dirs "$sc"); do
		val=${got[$d]}
		[ -n "$val" ] && le "$val" "$CAP_S" || val=none
		got[$d]=$val
	done
	if [ "$mode" = meshgw ]; then
		wait_until 3 moved_off "$site" || echo "#   $first's published state still on $site's ISP1 3 s after the cut"
		# What moved the first mover off the endpoint: its daemon, or WireGuard roaming.
		how=$(log_after "$first" "$cut" | grep -m1 -E "peer $site: (WireGuard roamed|endpoint 0 .*\((probe_loss|no_rx))")
		decide=$(awk -v t="$cut" '{ printf "%.3f", $1 - t }' <<< "$how")
		case $how in
		*roamed*) how=roaming decide='' ;;
		*probe_loss* | *no_rx*) how=daemon ;;
		*) how=other decide='' ;;
		esac
	fi
	while le "$(sub "$(now)" "$cut")" "$CUT_MIN_S"; do sleep 0.1; done
	lab_isp_up "$site" 1
	el=$(now)
	ct_flush
	if [ "$mode" = meshgw ]; then
		# Back on the preferred endpoint everywhere, then watch two more hold-downs for
		# a second move (a flap). The next cut must not come sooner either: a failure
		# within two hold-downs of a move back is a flap to the daemon, which
		# (rightly) doubles its next hold-down.
		if wait_until $((4 * HOLDDOWN_S + 6)) at_preferred "$site"; then
			# When: the last mover's move back as its daemon logged it (what the
			# poll of `wg show` above only confirms, 0.1-0.4 s later under load).
			back=$(for x in $(movers "$sc"); do
				log_after "$x" "$el" | grep -m1 -E "peer $site: (endpoint [0-9]+ \S+ -> 0 |WireGuard roamed to endpoint 0 )"
			done | awk -v t="$el" '$1 - t > m { m = $1 - t } END { if (m) printf "%.3f\n", m }')
			[ -n "$back" ] || back=$(sub "$(now)" "$el")
			ct_flush
			sleep $((2 * HOLDDOWN_S + 1))
		fi
		# The most moves any mover made after the restore: 1 is the move back
		# (0 for one that never left), more is a flap.
		flaps=0
		for x in $(movers "$sc"); do
			n=$(log_after "$x" "$el" | grep -cE "peer $site: endpoint [0-9]+ \S+ -> ")
			[ "$n" -gt "$flaps" ] && flaps=$n
		done
		echo "$how" >> "$RES/$mode.$sc.how"
		[ -n "$back" ] && echo "$back" >> "$RES/$mode.$sc.back" || echo none >> "$RES/$mode.$sc.back"
		echo "$flaps" >> "$RES/$mode.$sc.moves_back"
		[ -n "$decide" ] && echo "$decide" >> "$RES/$mode.$sc.decide"
	fi
	for d in $(dirs "$sc"); do
		echo "${got[$d]}" >> "$RES/$mode.$sc.$d"
		[ "$how" = daemon ] && echo "${got[$d]}" >> "$RES/$mode.$sc.daemon.$d"
	done
	printf '#   %-6s %-6s' "$mode" "$sc"
	for d in $(dirs "$sc"); do printf ' %s->%s %-6s' "${d:0:1}" "${d:1:1}" "${got[$d]}"; done
	printf '%s%s%s\n' "${how:+ by $how}" "${decide:+ (decided at $decide s)}" \
		"${back:+; all back on ISP1 of $site $(printf %.2f "$back") s after the restore, at most $flaps moves per peer}"
	[ "$mode" = meshgw ] && [ -z "$back" ] && echo "#   not back on $site's ISP1 $((4 * HOLDDOWN_S + 6)) s after the restore"
	return 0
}
# Plain WireGuard: only WireGuard's own endpoint counts (no daemon state).
at_preferred_plain() { [ "$(wg_ep "$(movers "$SC" | cut -c1)" "$1")" = "${LAB_ISP_IP[$1,1]}" ]; }

# run_scenario SCENARIO MODE MAX_DAEMON_CUTS
run_scenario() {
	local sc=$1 mode=$2 want=$3 tries=0 counted=0 skipped=0 rc
	SC=$sc
	[ "$sc" = idle ] || { pings_start "$sc"; wait_until 10 steady || echo "#   $sc: pings do not answer"; }
	while [ "$tries" -lt $((3 * want)) ]; do
		tries=$((tries + 1))
		measure_cut "$sc" "$mode"
		rc=$?
		if [ $rc = 2 ]; then
			skipped=$((skipped + 1))
			echo "#   $mode $sc: not on $(cut_site "$sc")'s preferred endpoint before the cut: not cut"
			continue
		fi
		if [ "$mode" = plain ]; then counted=$((counted + 1))
		elif [ "$(tail -n 1 "$RES/$mode.$sc.how")" = daemon ]; then counted=$((counted + 1)); fi
		[ "$counted" -ge "$want" ] && break
	done
	pings_stop
	echo "$skipped" > "$RES/$mode.$sc.skipped"
}

# stats FILE: "n min median p95 max none" (p95 by nearest rank); none = capped cuts.
stats() {
	python3 - "$1" <<-'PY'
	import math, sys
	try:
	    vals = [l.strip() for l in open(sys.argv[1]) if l.strip()]
	except FileNotFoundError:
	    vals = []
	got = sorted(float(v) for v in vals if v != "none")
	none = len(vals) - len(got)
	def rank(p):
	    return got[max(0, math.ceil(p * len(got)) - 1)]
	if got:
	    med = got[len(got) // 2] if len(got) % 2 else (got[len(got) // 2 - 1] + got[len(got) // 2]) / 2
	    print(f"{len(vals)} {got[0]:.3f} {med:.3f} {rank(0.95):.3f} {got[-1]:.3f} {none}")
	else:
	    print(f"{len(vals)} - - - - {none}")
	PY
}

bench_start=$(now)
echo "failover: scenarios $SCENARIOS; up to $CUTS daemon cuts each (at most $((3 * CUTS)) cuts)"
echo "failover: meshgw run at every gateway (wireguard-go), HoldDown = ${HOLDDOWN_S}s, other settings default"
echo "failover: routers forward the WireGuard port to $([ "$LAB_DNAT" = per-isp ] &&
	echo "one gateway address per ISP (LAB_DNAT=per-isp)" || echo "one gateway address (LAB_DNAT=one)")"
if [ "$CT_FLUSH" = 1 ]; then
	echo "failover: router B's UDP conntrack entries flushed after each restore and move back (CT_FLUSH=1)"
else
	echo "failover: the routers' NAT state kept between cuts, as a real router would (CT_FLUSH=1 flushes it)"
fi

# --- meshgw ------------------------------------------------------------------------------
lab_create || die "cannot create the lab"
mlab_configure "HoldDown = ${HOLDDOWN_S}s"
for x in $LAB_SITES; do mlab_start "$x"; done
wait_until 30 mlab_all_pairs 1 || die "the meshgw mesh did not come up in 30 s (logs: $MLAB_DIR/*.log)"
for sc in $SCENARIOS; do run_scenario "$sc" meshgw "$CUTS"; done
# --- idle probe traffic, same lab and daemons --------------------------------------------
# Probes are UDP to the WireGuard port whose payload (32 bytes) starts with the magic
# "MGPR" (request) or "MGPP" (reply); count them per ordered pair of sites as they
# cross the internet (sources and destinations are the routers' public addresses).
rules="" counters=""
for x in $LAB_SITES; do
	src="${LAB_ISP_IP[$x,1]}, ${LAB_ISP_IP[$x,2]}"
	for y in $LAB_SITES; do
		[ "$x" = "$y" ] && continue
		dst="${LAB_ISP_IP[$y,1]}, ${LAB_ISP_IP[$y,2]}"
		rules+="ip saddr { $src } ip daddr { $dst } udp length 40 @th,64,32 0x4d475052 counter name req$x$y"$'\n'
		rules+="ip saddr { $src } ip daddr { $dst } udp length 40 @th,64,32 0x4d475050 counter name rep$x$y"$'\n'
		counters+="counter req$x$y {}"$'\n'"counter rep$x$y {}"$'\n'
	done
	rules+="ip saddr { $src } udp dport $LAB_PORT counter name all$x"$'\n'
	counters+="counter all$x {}"$'\n'
done
lab_exec inet nft -f - <<-EOF || die "nft counters in the internet namespace"
table ip bench {
	$counters
	chain count {
		type filter hook forward priority 0; policy accept;
		$rules
	}
}
EOF
# Right after the last fail-back: let the daemons drop to the idle probe rate.
sleep 5
lab_exec inet nft reset counters table ip bench > /dev/null
t0=$(now)
sleep "$IDLE_S"
dt=$(sub "$(now)" "$t0")
lab_exec inet nft -j list counters table ip bench > "$MLAB_DIR/counters.json"
idle_report=$(python3 - "$MLAB_DIR/counters.json" "$dt" "$LAB_SITES" <<-'PY'
	import json, sys
	dt = float(sys.argv[2]); sites = sys.argv[3].split()
	c = {}
	for o in json.load(open(sys.argv[1]))["nftables"]:
	    if "counter" in o:
	        k = o["counter"]
	        c[k["name"]] = (k["packets"], k["bytes"])
	worst = 0.0
	for x in sites:
	    # x's probes to peer y and y's replies to them: the probe cost of one peer.
	    parts = []
	    for y in sites:
	        if x == y:
	            continue
	        req, rep = c[f"req{x}{y}"], c[f"rep{y}{x}"]
	        bps = (req[1] + rep[1]) * 8 / dt
	        worst = max(worst, bps)
	        parts.append(f"{y}: {req[0]} probes/{rep[0]} replies = {bps / 1000:.3f} kbit/s")
	    allk = c["all" + x][1] * 8 / dt / 1000
	    print(f"  site {x} -> " + ", ".join(parts) +
	          f"  (all UDP it sent to WireGuard ports, both peers, keepalives included: {allk:.3f} kbit/s)")
	print(f"{worst / 1000:.3f}")
	PY
) || idle_report="? (could not read the counters)"
mlab_cleanup
for x in $LAB_SITES; do
	lab_exec "g$x" "$MESHGW" down -c "$MLAB_DIR/mesh.conf" -l "$MLAB_DIR/$x.local.conf" > /dev/null 2>&1 || true
done
lab_destroy
remove_pin_root "/sys/fs/bpf/meshgw-lab-$BASE_SFX"

# --- plain WireGuard on a fresh lab of the same shape ("both" only) ------------------------
LAB_SFX=$((BASE_SFX + 1000000))
if [ "$PLAIN_CUTS" -gt 0 ] && [[ " $SCENARIOS " == *" both "* ]]; then
	lab_create || die "cannot create the plain-WireGuard lab"
	for x in $LAB_SITES; do lab_wg_up "$x" go || die "plain WireGuard at $x"; done
	wait_until 30 mlab_all_pairs 1 || die "the plain-WireGuard mesh did not come up in 30 s"
	SC=both
	pings_start both
	wait_until 10 steady || die "A<->B pings do not answer over plain WireGuard"
	for i in $(seq "$PLAIN_CUTS"); do
		measure_cut both plain || echo "#   plain: A not on B's ISP1 before the cut: not cut"
		# Give plain WireGuard its time to come back after the restore.
		wait_until 30 steady || echo "#   plain: A<->B not answering 30 s after the restore"
	done
	pings_stop
	lab_destroy
fi

# --- results -----------------------------------------------------------------------------
row() { # LABEL FILE
	local cnt mn md p95 mx none
	read -r cnt mn md p95 mx none <<< "$(stats "$2")"
	printf '  %-34s %4s %7s %7s %7s %7s  %s\n' "$1" "$cnt" "$mn" "$md" "$p95" "$mx" "$none"
}
echo
echo "failover time (seconds from the cut, idle: from the first packet; p95 by nearest rank; cap ${CAP_S} s):"
printf '  %-34s %4s %7s %7s %7s %7s  %s\n' "" n min median p95 max "none within ${CAP_S} s"
for sc in $SCENARIOS; do
	site=$(cut_site "$sc")
	echo "  $sc: $site's ISP1 cut"
	for d in $(dirs "$sc"); do
		row "${d:0:1}->${d:1:1}, the daemon's moves" "$RES/meshgw.$sc.daemon.$d"
		row "${d:0:1}->${d:1:1}, every counted cut" "$RES/meshgw.$sc.$d"
	done
	row "the daemon's decision (log line)" "$RES/meshgw.$sc.decide"
	[ -s "$RES/meshgw.$sc.how" ] &&
		echo "    what moved the traffic: $(sort "$RES/meshgw.$sc.how" | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }');" \
			"not cut (not on the preferred endpoint): $(cat "$RES/meshgw.$sc.skipped" 2>/dev/null || echo 0)"
	if [ -s "$RES/meshgw.$sc.back" ]; then
		n=$(wc -l < "$RES/meshgw.$sc.back")
		ok=$(awk -v h="$HOLDDOWN_S" '$1 != "none" && $1 <= h + 1' "$RES/meshgw.$sc.back" | wc -l)
		one=$(awk '$1 <= 1' "$RES/meshgw.$sc.moves_back" | wc -l)
		read -r _ mn md _ mx _ <<< "$(stats "$RES/meshgw.$sc.back")"
		echo "    fail-back: $ok of $n within HoldDown + 1 s (median $md, max $mx s after the restore);" \
			"$one of $n without a flap (at most one move per peer after the restore)"
	fi
	if [ "$sc" = both ] && [ -s "$RES/plain.both.AB" ]; then
		row "A->B, plain WireGuard" "$RES/plain.both.AB"
		row "B->A, plain WireGuard" "$RES/plain.both.BA"
	fi
done
echo
echo "idle mesh probe traffic over ${IDLE_S} s right after the fail-backs (probe requests + replies per peer, IP bytes: 60 per probe, 74 with Ethernet framing):"
printf '%s\n' "$idle_report" | sed '$d'
printf '  worst site: %s kbit/s per peer (goal < 1 kbit/s)\n' "$(printf '%s\n' "$idle_report" | tail -n 1)"
echo "failover bench: $(printf '%.0f' "$(sub "$(now)" "$bench_start")") s"
exit 0
