#!/bin/bash
# Failover time on the multi-ISP lab (selftests/lab/lab.sh, wireguard-go on this host):
# from the cut of site B's preferred ISP (at the ISP side) to the first LAN ping
# answered again, A->B and B->A (hosts pinging each other every 20 ms, timestamped),
# over CUTS cuts (default 10). Between cuts the ISP is restored and the bench waits for
# A and C to be back on B's preferred endpoint (HoldDown = HOLDDOWN_S, default 2 s, so
# the loop stays short; the defaults use 5 s). Then the same cuts on a fresh lab of the
# same shape with plain WireGuard and no daemon (lab_wg_up), where recovery usually
# never comes: capped at CAP_S (default 10 s) and counted as "no recovery". Last, the
# probe traffic of an idle mesh (no LAN traffic) over IDLE_S (default 30 s), counted by
# nft on the internet namespace by the probe magic, against the goal of 1 kbit/s per
# peer. Prints numbers; exits non-zero only when it could not run.
#
#   CUTS=10 PLAIN_CUTS=$CUTS CAP_S=10 IDLE_S=30 HOLDDOWN_S=2 CUT_MIN_S=1 selftests/bench/failover.sh
#   FO_LOGS=DIR keeps the daemons' logs (A.log, B.log, C.log) in DIR.
#   CT_FLUSH=1 flushes router B's UDP NAT state between cuts (see ct_flush; needs conntrack).
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
CUTS=${CUTS:-10}
PLAIN_CUTS=${PLAIN_CUTS:-$CUTS}
CAP_S=${CAP_S:-10}
IDLE_S=${IDLE_S:-30}
HOLDDOWN_S=${HOLDDOWN_S:-2}
CUT_MIN_S=${CUT_MIN_S:-1}
CT_FLUSH=${CT_FLUSH:-0}
command -v conntrack > /dev/null || CT_FLUSH=0

if [ "$(id -u)" != 0 ]; then echo "failover: needs root (network namespaces); skipped"; exit 0; fi
for v in CUTS PLAIN_CUTS CAP_S IDLE_S HOLDDOWN_S CUT_MIN_S CT_FLUSH; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "failover: $v must be a whole number, not '${!v}'" >&2; exit 2; }
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

# Seconds since the last reply in FROM->TO's ping log (99 when none).
reply_age() {
	awk -v t="$(now)" '/bytes from/ { gsub(/[\[\]]/, "", $1); l = $1 } END { printf "%.3f\n", l ? t - l : 99 }' \
		"$MLAB_DIR/ping-$1-$2"
}
# Both directions answered within the last 0.2 s.
steady() { le "$(reply_age A B)" 0.2 && le "$(reply_age B A)" 0.2; }
le() { [ "$(echo "$1 <= $2" | bc)" = 1 ]; }
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

# measure_cut MODE I: cut B's ISP1, record A->B and B->A recovery (or "none") in
# $RES/MODE.AB / MODE.BA, restore, wait until the mesh is back to normal. The ISP
# stays down at least CUT_MIN_S (and, with meshgw, until A's published state has
# left B's ISP1), as a real outage would: a shorter cut loses no probe to the
# preferred endpoint, and the daemon may rightly move back at once.
measure_cut() {
	local mode=$1 i=$2 cut el ab='' ba='' end back='' epa epc how=''
	local lines
	wait_until 20 steady || echo "#   cut $i: pings not steady before the cut (ages $(reply_age A B) / $(reply_age B A) s)"
	# A cut only measures something when traffic to B uses B's ISP1.
	# (Plain WireGuard: only A's peer B is watched; C may have roamed to B's ISP2.)
	wait_until 5 on_b1 A && { [ "$mode" = plain ] || wait_until 5 on_b1 C; } ||
		echo "#   cut $i: WireGuard at A$([ "$mode" = plain ] || echo ' or C') not on B's ISP1 before the cut"
	epa=$(wg_ep A B) epc=$(wg_ep C B)
	lines=$(cat "$MLAB_DIR/A.log" 2> /dev/null | wc -l)
	lab_isp_down B 1
	cut=$(now)
	end=$(echo "$cut + $CAP_S" | bc)
	while :; do
		[ -n "$ab" ] || ab=$(mlab_first_reply_after A B "$cut")
		[ -n "$ba" ] || ba=$(mlab_first_reply_after B A "$cut")
		[ -n "$ab" ] && [ -n "$ba" ] && break
		le "$end" "$(now)" && break
		sleep 0.05
	done
	# A reply later than the cap counts as none (the loop may overshoot a little).
	[ -n "$ab" ] && le "$ab" "$CAP_S" || ab=none
	[ -n "$ba" ] && le "$ba" "$CAP_S" || ba=none
	echo "$ab" >> "$RES/$mode.AB"
	echo "$ba" >> "$RES/$mode.BA"
	if [ "$mode" = meshgw ]; then
		wait_until 3 left_b1 || echo "#   cut $i: A's published state still on B's ISP1"
	fi
	while le "$(sub "$(now)" "$cut")" "$CUT_MIN_S"; do sleep 0.1; done
	lab_isp_up B 1
	el=$(now)
	ct_flush
	if [ "$mode" = meshgw ]; then
		# Who moved A off B's ISP1: the daemon (probe loss) or WireGuard roaming.
		how=$(tail -n +"$((lines + 1))" "$MLAB_DIR/A.log" | grep -m1 -oE 'peer B: (WireGuard roamed|endpoint 0 .*\((probe_loss|no_rx))' |
			sed -E 's/.*roamed/WireGuard roaming/; s/.*\((.*)/daemon, \1/')
		if [ "$epa" != "${LAB_ISP_IP[B,1]}" ]; then
			how="" && echo not-on-isp1
		else
			case $how in
			daemon*) echo daemon ;;
			*roaming) echo roaming ;;
			*) echo other ;;
			esac
		fi >> "$RES/meshgw.how"
		if [ "$how" != "${how#daemon}" ]; then
			echo "$ab" >> "$RES/daemon.AB"
			echo "$ba" >> "$RES/daemon.BA"
		fi
		# Back on B's preferred endpoint at A and C after the hold-down.
		if wait_until $((4 * HOLDDOWN_S + 4)) preferred_b; then
			back=$(sub "$(now)" "$el")
			echo "$back" >> "$RES/meshgw.back"
			# The daemon just moved A back to B's ISP1: drop the NAT state
			# A's traffic to B's ISP2 left at router B (see ct_flush).
			ct_flush
		fi
	fi
	printf '#   %-6s cut %2d: A->B %-6s B->A %-6s%s (A, C sent to B at %s, %s)%s\n' "$mode" "$i" "$ab" "$ba" \
		"${how:+ by ${how}}" "$epa" "$epc" "${back:+; preferred endpoint back $(printf %.2f "$back") s after the restore}"
}
# ct_flush: forget router B's UDP connection-tracking entries (CT_FLUSH=0: keep them).
# While A sends to B's ISP2, router B holds a DNAT entry for that flow whose reply
# tuple (gateway B:port -> A) is the one a flow to B's ISP1 needs too: when A moves
# back, B's packets keep matching the old entry and leave with the ISP2 address,
# WireGuard at A roams back to it, and the daemon, which follows roaming, damps its
# next move back (the hold-down doubles). Each cut would then start on ISP2 and cost
# nothing ("not-on-isp1" cuts). CT_FLUSH=1 flushes after each restore and after each
# move back, so more cuts start on ISP1; but it also turns B's flows into ones B
# started, which WireGuard's roaming rescues by itself (plain WireGuard too: 9 of 10
# cuts recovered in ~0.05 s with it), so it is off by default and applies to both runs.
ct_flush() {
	[ "$CT_FLUSH" = 1 ] || return 0
	lab_exec rB conntrack -D -p udp > /dev/null 2>&1 || true
}
# wg_ep X PEER: the address WireGuard at X sends PEER's packets to.
wg_ep() {
	lab_exec "g$1" wg show "${LAB_WG_IF[$1]}" endpoints | awk -v k="${LAB_PUB[$2]}" '$1 == k { sub(/:[0-9]+$/, "", $2); print $2 }'
}
on_b1() { [ "$(wg_ep "$1" B)" = "${LAB_ISP_IP[B,1]}" ]; }
left_b1() { [ "$(mlab_active A B)" != 0 ]; }
preferred_b() { [ "$(mlab_active A B)" = 0 ] && [ "$(mlab_active C B)" = 0 ]; }

# stats FILE: "n min median p95 max none" (p95 by nearest rank); none = capped cuts.
stats() {
	python3 - "$1" <<-'PY'
	import math, sys
	vals = [l.strip() for l in open(sys.argv[1]) if l.strip()]
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
echo "failover: B's ISP1 cut at the ISP side, A<->B LAN hosts pinging every 20 ms"
echo "failover: meshgw run at every gateway (wireguard-go), HoldDown = ${HOLDDOWN_S}s, other settings default"
if [ "$CT_FLUSH" = 1 ]; then
	echo "failover: router B's UDP conntrack entries flushed after each restore and move back (CT_FLUSH=1)"
else
	echo "failover: router B's NAT state kept between cuts, as a real router would (CT_FLUSH=1 flushes it)"
fi

# --- meshgw ------------------------------------------------------------------------------
lab_create || die "cannot create the lab"
mlab_configure "HoldDown = ${HOLDDOWN_S}s"
for x in $LAB_SITES; do mlab_start "$x"; done
wait_until 30 mlab_all_pairs 1 || die "the meshgw mesh did not come up in 30 s (logs: $MLAB_DIR/*.log)"
mlab_ping_start A B
mlab_ping_start B A
wait_until 10 steady || die "A<->B pings do not answer"
# Every daemon settled on the preferred endpoints before the first cut.
wait_until 15 preferred_b ||
	echo "#   A or C not on B's endpoint 0 before the first cut"
for i in $(seq "$CUTS"); do measure_cut meshgw "$i"; done
mlab_ping_stop A B
mlab_ping_stop B A
moves=$(grep -c " -> " "$MLAB_DIR/A.log")
echo "#   endpoint changes logged by A's daemon: $moves"

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
# Let the pings' traffic drain and the daemons drop to the idle probe rate.
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

# --- plain WireGuard on a fresh lab of the same shape ------------------------------------
LAB_SFX=$((BASE_SFX + 1000000))
if [ "$PLAIN_CUTS" -gt 0 ]; then
	lab_create || die "cannot create the plain-WireGuard lab"
	for x in $LAB_SITES; do lab_wg_up "$x" go || die "plain WireGuard at $x"; done
	wait_until 30 mlab_all_pairs 1 || die "the plain-WireGuard mesh did not come up in 30 s"
	mlab_ping_start A B
	mlab_ping_start B A
	wait_until 10 steady || die "A<->B pings do not answer over plain WireGuard"
	for i in $(seq "$PLAIN_CUTS"); do
		measure_cut plain "$i"
		# Give plain WireGuard its time to come back after the restore.
		wait_until 30 steady || echo "#   plain: A<->B not answering 30 s after the restore"
	done
	mlab_ping_stop A B
	mlab_ping_stop B A
	lab_destroy
fi

# --- results -----------------------------------------------------------------------------
echo
echo "failover time after cutting B's preferred ISP (seconds; $CUTS cuts meshgw, $PLAIN_CUTS plain, cap ${CAP_S} s):"
printf '  %-24s %4s %7s %7s %7s %7s  %s\n' "" n min median p95 max "no recovery within ${CAP_S} s"
for d in AB BA; do
	for mode in meshgw plain; do
		[ -s "$RES/$mode.$d" ] || continue
		read -r cnt mn md p95 mx none <<< "$(stats "$RES/$mode.$d")"
		label="${d:0:1}->${d:1:1} $([ $mode = meshgw ] && echo meshgw || echo 'plain WireGuard')"
		if [ "$mode" = meshgw ] && [ -s "$RES/daemon.$d" ]; then
			read -r cnt2 mn2 md2 p952 mx2 none2 <<< "$(stats "$RES/daemon.$d")"
			printf '  %-24s %4s %7s %7s %7s %7s  %s of %s\n' "  (daemon's moves only)" "$cnt2" "$mn2" "$md2" "$p952" "$mx2" "$none2" "$cnt2"
		fi
		printf '  %-24s %4s %7s %7s %7s %7s  %s of %s\n' "$label" "$cnt" "$mn" "$md" "$p95" "$mx" "$none" "$cnt"
	done
	if [ -s "$RES/plain.$d" ] && [ -s "$RES/meshgw.$d" ]; then
		read -r _ _ mmed mp95 _ mnone <<< "$(stats "$RES/meshgw.$d")"
		read -r _ _ pmed _ _ pnone <<< "$(stats "$RES/plain.$d")"
		if [ "$pmed" = - ] || [ "$pnone" -gt 0 ]; then
			echo "  ${d:0:1}->${d:1:1}: plain WireGuard recovered in $((PLAIN_CUTS - pnone)) of $PLAIN_CUTS cuts within ${CAP_S} s; meshgw in $((CUTS - mnone)) of $CUTS (p95 $mp95 s, goal <= 1 s)"
		else
			echo "  ${d:0:1}->${d:1:1}: median plain / meshgw = $(echo "scale=1; $pmed / $mmed" | bc) x (p95 meshgw $mp95 s, goal <= 1 s)"
		fi
	fi
done
if [ -s "$RES/meshgw.how" ]; then
	echo "  meshgw cuts by what moved A off B's ISP1: $(sort "$RES/meshgw.how" | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')"
	echo "    (daemon = probe loss; roaming = B's packets came from its ISP2 first and WireGuard followed;"
	echo "     not-on-isp1 = A's WireGuard was already sending to B's ISP2: the cut cost nothing)"
fi
if [ -s "$RES/meshgw.back" ]; then
	read -r cnt mn md p95 mx _ <<< "$(stats "$RES/meshgw.back")"
	echo "  preferred endpoint back after the restore (HoldDown ${HOLDDOWN_S} s): min $mn median $md max $mx s ($cnt of $CUTS)"
fi
echo
echo "idle mesh probe traffic over ${IDLE_S} s (probe requests + replies per peer, IP bytes: 60 per probe, 74 with Ethernet framing):"
printf '%s\n' "$idle_report" | sed '$d'
printf '  worst site: %s kbit/s per peer (goal < 1 kbit/s)\n' "$(printf '%s\n' "$idle_report" | tail -n 1)"
echo "failover bench: $(printf '%.0f' "$(sub "$(now)" "$bench_start")") s"
exit 0
