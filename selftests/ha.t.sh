#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Two gateways at one site, active/standby with keepalived (issue 15, README "Two
# gateways at one site"). The topology, the files and the measurements are
# selftests/lib/ha.sh's (its picture): site b's two boxes b1 and b2 share the mesh
# file and site key, keepalived elects the master, the example notify script runs
# `meshgw run` on it and `meshgw down` on the other.
#
# Checks, while hA and hB ping each other every 20 ms:
#   1. the pair comes up with one master (b1, the higher priority) running the tunnel;
#      `meshgw show` says master on b1 and standby on b2 (HaAddress in the local files)
#   2. b1's links go down: keepalived on b1 says FAULT (its notify takes the tunnel
#      down), b2 becomes master and starts it; both directions answer again within
#      RESTORE_S (3 s); b2's `meshgw show` says master and lists site a, and its
#      per-peer counters are its own (they count the pings sent since the switch)
#   3. b1's links come back: b1 stays standby (nopreempt), no gap over GAP_S (1 s)
#   4. b2's keepalived is stopped (SIGTERM, by its PID): STOP takes b2's tunnel
#      down, b1 takes over within RESTORE_S
#   throughout: site a's WireGuard sees site b only at its VRRP address (sampled
#   every ~0.25 s), and gets not one WireGuard message from a box's own address
#   (counted per packet by nftables in gA; the boxes reach gA from their own
#   addresses too, as behind a real router, so an old master that still sent
#   would be seen); each old master's WireGuard link is down within GUARD_MS
#   (300 ms; 0-10 ms here, ~0.6 s by the notify alone) of its VRRP addresses leaving (ip monitor in each box:
#   meshgw run's guard); the stretches with both links up are printed
#   at the end: meshgw run on b2 without keepalived keeps its link down until the
#   VRRP addresses are put on by hand, and takes it down when one is taken off
#   (again within GUARD_MS, and site a gets nothing from b2's own address);
#   b2 brought up by hand (meshgw up): its link left down, show says so; the link
#   set up by hand: show warns; the `meshgw down`s left nothing (pins, state files)
# Times are printed as TAP comments. Setup waits are generous (make check runs two
# tests at a time on two cores); only the restorations are held to RESTORE_S.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/selftests/lib/tap.sh"
. "$SRC/selftests/lib/twosite.sh"
. "$SRC/selftests/lib/ha.sh"
twosite_require userspace keepalived flock nsenter ping bc nft
RESTORE_S=${RESTORE_S:-3}
GAP_S=${GAP_S:-1}
GUARD_MS=${GUARD_MS:-300}
ha_init ha
exec 3>&1	# TAP comments from inside checks (t keeps their output for failures)

# restored LABEL T: the outage after T (the longest gap between replies, each way)
# is at most RESTORE_S. Waits up to 20 s so that a slow switch is reported with its time.
restored() {
	local ab ba worst
	read -r ab ba worst <<<"$(outage "$2")"
	echo "# $1: outage hA -> hB $ab s, hB -> hA $ba s"
	t "$1: LAN <-> LAN restored within $RESTORE_S s (${worst} s)" le "$worst" "$RESTORE_S"
}
# show_ha K: box K's `meshgw show`, its "ha:" line.
show_ha() { N "${gb[$1]}" "$MESHGW" show -c "$tmp/mesh.conf" -l "$tmp/b$1.local" 2>&1 | grep '^ *ha: '; }
# says_master K / says_standby K: box K's `show` tells its role.
says_master() { show_ha "$1" | grep -q '^  ha: master (holds VRRP addresses 10\.2\.0\.1 on lan0, 203\.0\.113\.2 on up0)$'; }
says_standby() { show_ha "$1" | grep -q '^  ha: standby (VRRP addresses 10\.2\.0\.1, 203\.0\.113\.2 not held)$'; }
# peer_rx K: the packets box K's data plane received from site a (its one peer)
# through the tunnel: `meshgw show -j`'s peers[0].bpf.rx_packets, counted on the
# WireGuard device's ingress, which every packet from a passes (tx, on its egress,
# misses what the LAN's fast path steers). awk, not python: a python start costs
# 0.7 s under pyenv's shims.
peer_rx() {
	N "${gb[$1]}" "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/b$1.local" |
		awk '/"site": "a"/ { p = 1 } p && /"bpf": \{/ { b = 1 } b && /"rx_packets":/ { gsub(/[^0-9]/, "", $2); print $2; f = 1; exit }
			END { exit !f }'
}
# first_count K T: polls box K's counters (rx from site a) from T until its `show -j`
# has them, the new master's first reading: sets fc_rx, and fc_hi, what site a's
# host can have sent through it since T (requests and replies, 50 a second each,
# plus 20). A count that went on from an earlier run of the box would be over it.
first_count() {
	poll 20 peer_rx_into "$1" || return 1
	fc_hi=$(echo "100 * ($(now) - $2) + 20" | bc | cut -d. -f1)
}
peer_rx_into() { fc_rx=$(peer_rx "$1" 2>/dev/null); }
# between FILE T1 T2: the replies in FILE stamped between T1 and T2.
between() { awk -v a="$2" -v b="$3" '/bytes from/ { gsub(/[\[\]]/, "", $1); if ($1 + 0 > a && $1 + 0 < b) n++ } END { print n + 0 }' "$1"; }
# counts_pings K: over a second, box K's rx from site a grows by at least the replies
# hB got in that second (each came through K).
counts_pings() {
	local r1 r2 t1 t2 n
	r1=$(peer_rx "$1" 2>/dev/null) && t1=$(now)
	sleep 1
	t2=$(now) && r2=$(peer_rx "$1" 2>/dev/null) || return 1
	n=$(between "$tmp/ping-ba" "$t1" "$t2")
	echo "# box $1: rx from site a +$((r2 - r1)) in $(echo "$t2 - $t1" | bc) s in which hB got $n replies, hA $(between "$tmp/ping-ab" "$t1" "$t2")" >&3
	[ $((r2 - r1)) -ge "$n" ] && [ "$n" -gt 0 ]
}
# replies_since FILE T: the replies in FILE stamped after T.
replies_since() { awk -v t="$2" '/bytes from/ { gsub(/[\[\]]/, "", $1); if ($1 + 0 > t + 0) n++ } END { print n + 0 }' "$1"; }

# --- The topology and the files.
ha_topology
ha_guard
ha_files
ha_monitor
for k in 1 2; do
	t "b$k's local file passes meshgw check" "$MESHGW" check -c "$tmp/mesh.conf" -l "$tmp/b$k.local"
	t "keepalived --config-test accepts box $k's file" N "${gb[$k]}" keepalived --config-test -f "$tmp/ka$k.conf"
done

# --- Up: site a, then b1 (priority 110), then b2 once b1 is master.
t "site a: meshgw run" ha_site_a
ka_start 1
t "b1 becomes master and runs the tunnel" poll 30 only 1
ka_start 2
sleep 2	# b2 hears b1's adverts and stays backup
t "b2 starts as backup: b1 still the only one with the tunnel" only 1
start=$(now)
t "hA <-> hB through b1" poll 30 hosts_talk
echo "# hosts talk $(since "$start") s after b1 came up"
t "b1's meshgw show says master, with the VRRP addresses it holds" says_master 1
t "b2's meshgw show says standby" says_standby 2
t "  and show -j: role standby, neither address held, exit 0" bash -c \
	"set -o pipefail; nsenter --net=/run/netns/${gb[2]} $MESHGW show -j -c $tmp/mesh.conf -l $tmp/b2.local | tr -d ' \n' |
	grep -q '\"ha\":{\"role\":\"standby\",\"addresses\":\[{\"address\":\"10.2.0.1\",\"held\":false,\"interface\":null},{\"address\":\"203.0.113.2\",\"held\":false,\"interface\":null}\],\"wireguard_link_up\":null}'"

# --- Pings both ways every 20 ms, and the sampler of who has the tunnel.
ha_pings
ha_sampler
sleep 3
# What b1 counted before it goes down: more than its second run may count (above).
b1_before=$(peer_rx 1 2>/dev/null)
fc_rx='' fc_hi=''

# --- 2. b1's links go down.
cut=$(now)
# The LAN first: b1 must not get a last advert out (a FAULT on the uplink alone sends
# one with priority 0, and b2 would take over at once, not after 3 missed adverts).
ip -n "${gb[1]}" link set lan0 down
ip -n "${gb[1]}" link set up0 down
first_count 2 "$cut"
restored "b1's links down" "$cut"
# Where the time went (a slow machine): when the sampler (~50 ms steps, later under
# load) first saw b2's WireGuard.
echo "# b2's WireGuard first seen $(awk -v t="$cut" '$1 > t && $2 ~ /2/ { printf "%.2f", $1 - t; exit }' "$tmp/sampler") s after the cut"
t "  b2 is master with the tunnel, b1 took its down (FAULT)" poll 10 only 2
t "  b1's notify said FAULT" grep -q "FAULT: taking the tunnel down" "$tmp/b1.pid.log" "$tmp/ka1.log"
t "  b2's meshgw show works and lists site a" bash -c \
	"nsenter --net=/run/netns/${gb[2]} $MESHGW show -c $tmp/mesh.conf -l $tmp/b2.local | tee /dev/stderr | grep -q '\ba\b'"
t "  b2's meshgw show says master" says_master 2
t "  b1's meshgw show says standby" says_standby 1
t "  b2's counters are its own: $fc_rx from a at its first reading, at most $fc_hi" test "$fc_rx" -le "$fc_hi"
t "  b2's counters count the pings" counts_pings 2
# --- 3. b1 comes back: standby, no second outage.
back=$(now)
ip -n "${gb[1]}" link set up0 up
ip -n "${gb[1]}" link set lan0 up
sleep 3
t "b1 back: b2 stays master (nopreempt)" only 2
gab=$(max_gap "$tmp/ping-ab" "$back") gba=$(max_gap "$tmp/ping-ba" "$back")
t "  no outage: longest gap between replies $gab s (hA -> hB), $gba s (hB -> hA)" \
	bash -c "[ \$(echo '$gab <= $GAP_S && $gba <= $GAP_S' | bc) = 1 ]"

# --- 4. b2's keepalived stops: b1 takes over.
cut=$(now)
kill -TERM "${ka_pid[2]}"
first_count 1 "$cut"
ka_stop 2
restored "b2's keepalived stopped" "$cut"
# b1 counted $b1_before in its first run: a count that went on from there would be
# over the bound (when b1 came up fast enough for the bound to be below it).
t "  b1's counters are its own, from zero: $fc_rx from a at its first reading, at most $fc_hi (its first run had $b1_before)" \
	test "$fc_rx" -le "$fc_hi"
t "  b1's counters count the pings" counts_pings 1
t "  b1 is master with the tunnel, b2 took its down (STOP)" poll 10 only 1
t "  b1's meshgw show says master" says_master 1

# From the other site: its WireGuard never roamed to a box's own address.
t "site a's WireGuard has b at the VRRP address 203.0.113.2:51820, as before" b_at_vip
# The old master's link went down the moment its VRRP addresses left (meshgw run's
# guard; keepalived runs the notify only after): b1 at its FAULT, b2 at its STOP.
# within_guard MS...: every one of MS is a number of ms, at most GUARD_MS, and
# there is one at least.
within_guard() {
	[ $# -gt 0 ] || return 1
	for m; do le "$m" "$GUARD_MS" || return 1; done
}
for k in 1 2; do
	d=$(guard_delays $k | paste -sd' ')
	# shellcheck disable=SC2086 # $d: one word per time
	t "box $k's WireGuard link down within $GUARD_MS ms of its VRRP addresses leaving (${d:-none} ms)" \
		within_guard $d
done
echo "# both boxes with their WireGuard link up at once: $(link_overlaps | paste -sd' ' | sed 's/^$/never/') (ms, each stretch)"
ha_stop_sampler
t "site a never sent b's packets elsewhere than 203.0.113.2:51820 ($(sampled_roamed) of $(samples_ep) samples)" \
	test "$(sampled_roamed)" = 0

# --- The end: keepalived's STOP takes b1's tunnel down; nothing left.
ka_stop 1
t "b1's keepalived stopped: no box has the tunnel" poll 15 none_has_wg
poll 10 test ! -e "/run/meshgw/${wb[1]}.state"
# What the other site saw of the switches, counted per packet: not one WireGuard
# message from a box's own address (the old masters at their FAULT and STOP); and
# the match works: it counts what came from the VRRP address.
t "site a got no WireGuard message from a box's own address (b1 $(from_box 1), b2 $(from_box 2)), $(from_box vip) from the VRRP address" \
	bash -c "[ '$(from_box 1)' = 0 ] && [ '$(from_box 2)' = 0 ] && [ '$(from_box vip)' -gt 0 ]"
# --- meshgw run's own guard, without keepalived (it died, or its notify never ran):
# the link is up only while the box holds every VRRP address.
wg_up() { ip -n "${gb[2]}" -o link show "${wb[2]}" 2>/dev/null | grep -q '[<,]UP[,>]'; }
wg_down() { ip -n "${gb[2]}" -o link show "${wb[2]}" 2>/dev/null | grep -qv '[<,]UP[,>]'; }
# show_ha_extra: box 2's "ha:" lines after its role line.
show_ha_extra() { show_ha 2 | grep -v '^  ha: standby ('; }
held_line="  ha: WireGuard link ${wb[2]} down: this box sends nothing (meshgw keeps it down off the master)"
held_down_shown() { wg_down && [ "$(show_ha_extra)" = "$held_line" ]; }
h0=$(from_box 2)
nsenter --net=/run/netns/"${gb[2]}" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/b2.local" >"$tmp/b2.run.log" 2>&1 &
run_b2=$!
pids+=("$run_b2")
t "meshgw run on b2 without the VRRP addresses: it runs" poll 30 grep -q "running: site b" "$tmp/b2.run.log"
t "  with its WireGuard link down; show says so" poll 10 held_down_shown
t "  and show -j: wireguard_link_up false" bash -c \
	"nsenter --net=/run/netns/${gb[2]} $MESHGW show -j -c $tmp/mesh.conf -l $tmp/b2.local | tr -d ' \n' |
	grep -q '\"wireguard_link_up\":false}'"
ip -n "${gb[2]}" addr add 10.2.0.1/24 dev lan0
ip -n "${gb[2]}" addr add 203.0.113.2/24 dev up0
# keepalived would send gratuitous ARPs: without them gA and hB still have b1's MAC
# for these addresses, for as long as their neighbour entries stay fresh.
ip -n "$gA" neigh flush to 203.0.113.2
ip -n "$hB" neigh flush to 10.2.0.1
t "the VRRP addresses put on b2 by hand: its link comes up" poll 10 wg_up
t "  hA <-> hB through b2" poll 30 hosts_talk
n0=$(guard_delays 2 | wc -l)
ip -n "${gb[2]}" addr del 203.0.113.2/24 dev up0
t "the uplink's VRRP address taken off b2 (hB still sends to b2): its link goes down" poll 10 wg_down
more_delays() { [ "$(guard_delays 2 | wc -l)" -gt "$n0" ]; }
poll 5 more_delays
d=$(guard_delays 2 | tail -1)
t "  within $GUARD_MS ms (${d:-none} ms after the address left)" within_guard "$d"
ip -n "${gb[2]}" addr del 10.2.0.1/24 dev lan0
kill -TERM "$run_b2" && wait "$run_b2" 2>/dev/null
t "  meshgw down" N "${gb[2]}" "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/b2.local"
t "  site a got no WireGuard message from b2's own address meanwhile ($h0 before, $(from_box 2) after)" \
	test "$(from_box 2)" = "$h0"

# --- meshgw up on a box that is not the master (by hand here; a notify gone wrong,
# in life): everything but the WireGuard link, left down; show says so. Set up by
# hand after that (last: site a roams to b2's own address): show warns in red.
t "b2 brought up by hand without the VRRP addresses: meshgw up" \
	N "${gb[2]}" "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/b2.local"
t "  its WireGuard link is left down" wg_down
t "  its show says standby, and that the link is down" held_down_shown
ip -n "${gb[2]}" link set "${wb[2]}" up
warned() { [ "$(show_ha 2 | grep -c -e '^  ha: standby (' -e '^  ha: the tunnel is up on a box that is not the master')" = 2 ]; }
t "  the link set up by hand: show warns that the tunnel is up on a box that is not the master" warned
t "  meshgw down" N "${gb[2]}" "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/b2.local"

t "nothing left by the notify's meshgw down (pins, state, locks)" \
	nothing_left "$pin/b1" "$pin/b2" "/run/meshgw/${wb[1]}.state" "/run/meshgw/${wb[2]}.state" \
	"/run/meshgw/${wb[1]}.lock" "/run/meshgw/${wb[2]}.lock"
tap_done
