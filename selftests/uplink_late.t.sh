#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A backup uplink that comes and goes: site A's second uplink is a layer-3 device
# (wwan0, a tun: what a raw-IP LTE modem or ppp0 looks like, no Ethernet header)
# that is not there when `meshgw up` and `meshgw run` start, as a modem that has not
# connected yet. B probes both of A's endpoints.
#
#   hA ── lan0 ── gA ── wan0 203.0.113.1 ──┐
#  10.1.0.2  10.1.0.1                      br0 (internet) ── 203.0.113.2 wan0 ── gB ── lan0 ── hB
#                  └── wwan0 100.70.0.2 ── isp 100.70.0.1 ── 203.0.113.9 ──┘
#                      (tun relay: appears later)
#
# Checks: `up` with wwan0 missing warns and works; once wwan0 appears, A's daemon
# attaches the data plane to it within a few seconds (the log says so), `show -j`
# lists it (TC only, layer 3, in mg_ifaces), and B's probes to A's second endpoint
# are answered there (tc_lan on a layer-3 uplink), and what comes in by it for hA
# takes the TC fast path; when it goes, the daemon lets it
# go (no entry left for its old index); `meshgw down` leaves nothing; with the
# first uplink the missing one, `up` works through the second. The neighbours
# run no XDP program. (uplinks.t.sh: two Ethernet uplinks, failover between them.)
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}
RELAY=$SRC/selftests/helpers/tun_relay.py

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_require "${1:-}" wg nsenter python3 jq
twosite_init lu
isp=luis$s inet_ns=luin$s
relay='' dA='' dB=''
before_cleanup() {
	local p
	for p in $dA $dB $relay; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "$failed" != 0 ]; then
		for p in a b; do echo "# --- $p.log"; tail -25 "$tmp/$p.log" 2>/dev/null | sed 's/^/#   /'; done
	fi
}
A() { N "$gA" "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/a.local"; }
B() { N "$gB" "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/b.local"; }

# --- topology -------------------------------------------------------------------------
twosite_ns "$gA" "$gB" "$hA" "$hB" "$isp" "$inet_ns"
for ns in "${nss[@]}"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
ip netns exec "$isp" sysctl -qw net.ipv4.ip_forward=1
twosite_internet "$inet_ns"
twosite_plug "$gA" wan0 1
twosite_plug "$gB" wan0 2
twosite_plug "$isp" toinet 9
twosite_lan A
twosite_lan B
ip -n "$gB" route add 100.70.0.0/24 via 203.0.113.9
ip -n "$gA" route add default via 203.0.113.9 dev wan0 metric 10

twosite_keys
twosite_mesh -a "Endpoint = 100.70.0.2:51820" >"$tmp/mesh.conf"
twosite_local a "UplinkInterface = wan0" "UplinkInterface = wwan0 via 100.70.0.1" \
	"Backend = $BACKEND" "PinPath = $pin/a"
twosite_local b "UplinkInterface = wan0" "Backend = $BACKEND" "PinPath = $pin/b"

# up_both WHAT: `up` on A with wwan0 missing (WHAT says which uplink that is), which
# says so, then on B; hA reaches hB.
up_both() {
	A up >"$tmp/up.out" 2>&1
	is "meshgw up on A with $1" "$?" 0
	record_wg_pid "$wgA"
	t "  says so" grep -q "UplinkInterface wwan0 does not exist (yet)" "$tmp/up.out"
	t "meshgw up on B" B up
	record_wg_pid "$wgB"
	t "hA reaches hB through the tunnel" poll 20 ip netns exec "$hA" ping -c1 -W1 10.2.0.2
}
up_both "wwan0 not there yet"
# nsenter execs meshgw: $! is the daemon itself.
nsenter --net=/run/netns/"$gA" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/a.log" 2>&1 &
dA=$!
nsenter --net=/run/netns/"$gB" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/b.local" >"$tmp/b.log" 2>&1 &
dB=$!
t "meshgw run on A and B" poll 20 grep -q "running: site b" "$tmp/b.log"
poll 20 grep -q "running: site a" "$tmp/a.log"

# B's view of A's endpoint I: health and probe replies, from `meshgw show -j` at B.
b_sees() {
	B show -j 2>/dev/null | jq -r --argjson i "$1" \
		'.peers[] | select(.site == "a") | .endpoints[$i] | "\(.health) \(.probe_replies // 0)"'
}
b_sees_up() { [ "$(b_sees "$1" | cut -d' ' -f1)" = up ]; }
# A's NIC NAME in `show -j` (dataplane.interfaces): "xdp reason tc ifindex", or nothing.
a_iface() {
	A show -j 2>/dev/null | jq -r --arg n "$1" \
		'.dataplane.interfaces[] | select(.name == $n) | "\(.xdp) \(.reason) \(.tc) \(.ifindex)"'
}
t "B's probes to A's first endpoint are answered" poll 10 b_sees_up 0
is "A's show -j lists no wwan0 while it is not there" "$(a_iface wwan0)" ""
replies0=$(b_sees 1 | cut -d' ' -f2)

# The modem connects: wwan0 appears in gA, relayed to the ISP's fromgw; goes away.
modem_connects() {
	# nsenter execs python: $! is the relay itself.
	nsenter --net="/run/netns/$gA" -- python3 "$RELAY" wwan0 fromgw "/run/netns/$isp" >"$tmp/relay.log" 2>&1 &
	relay=$!
	poll 5 ip -n "$isp" link show fromgw
	ip -n "$gA" link set wwan0 up && ip -n "$isp" link set fromgw up
	ip -n "$gA" addr add 100.70.0.2/24 dev wwan0
	ip -n "$isp" addr add 100.70.0.1/24 dev fromgw
	ip -n "$isp" route replace 10.1.0.0/24 via 100.70.0.2
	t "wwan0 is there (layer 3, relayed to the ISP)" ip netns exec "$gA" ping -c1 -W1 100.70.0.1
}
modem_goes() { kill "$relay"; wait "$relay" 2>/dev/null; relay=; }

# --- the modem connects ------------------------------------------------------------------
modem_connects
t "A's daemon attaches the data plane to it" \
	poll 5 grep -q "wwan0 is there (index [0-9]*): attaching the data plane to it" "$tmp/a.log"
a_wwan() { [ "$(a_iface wwan0 | cut -d' ' -f1-3)" = "$1" ]; }
t "A's show -j: wwan0 TC only, layer 3" poll 3 a_wwan "false layer3 true"
idx1=$(a_iface wwan0 | cut -d' ' -f4)
is "  at wwan0's index" "$idx1" "$(ip -n "$gA" -o link show wwan0 | cut -d: -f1)"
t "B's probes to A's second endpoint are answered (tc_lan on the layer-3 uplink)" poll 15 b_sees_up 1
replies1=$(b_sees 1 | cut -d' ' -f2)
echo "# B's probe replies from A's endpoint 1: $replies0 -> $replies1"
t "  replies counted" test "${replies1:-0}" -gt "${replies0:-0}"
# Forwarded traffic in by the layer-3 uplink takes the TC fast path (an Ethernet
# header put in front, MACs from the route lookup): tc_forward counts the 10
# pings. (hA's replies are the kernel's: lan0, a veth, runs no program.) Before,
# all that came in by a layer-3 NIC was left to the kernel: +0.
tc_fwd() { A show -j | jq -r '.dataplane.verdicts.tc_forward.packets'; }
f0=$(tc_fwd)
ip netns exec "$isp" ping -q -c 10 -i 0.05 -W 1 10.1.0.2 >/dev/null
is "10 pings from the ISP to hA in by wwan0 are answered" "$?" 0
f1=$(tc_fwd)
echo "# A's tc_forward: $f0 -> $f1"
t "  forwarded by TC from the layer-3 uplink (tc_forward +10)" test $((f1 - f0)) -ge 10

# --- the modem goes away -----------------------------------------------------------------
modem_goes
t "A's daemon sees wwan0 go" poll 5 grep -q "wwan0 is gone" "$tmp/a.log"
no_wwan() { [ -z "$(a_iface wwan0)" ]; }
t "  and lets it go (no entry in show -j)" poll 5 no_wwan
t "the daemons are still running" kill -0 "$dA" "$dB"
t "hA still reaches hB" ip netns exec "$hA" ping -c1 -W1 10.2.0.2
t "the neighbours run no XDP program" twosite_plain "$hA" "$hB" "$isp" "$inet_ns"

kill "$dB"; wait "$dB" 2>/dev/null; dB=
t "meshgw down on A (its daemon running)" A down
a_stopped() { ! kill -0 "$dA" 2>/dev/null; }
t "  A's daemon stops" poll 5 a_stopped
wait "$dA" 2>/dev/null; dA=
t "meshgw down on B" B down
t "down: nothing left on wan0's TC hooks" tc_clean "$gA" wan0
t "down: nothing left" nothing_left "/run/meshgw/$wgA.state" "/run/meshgw/$wgA.lock" "$pin/a" \
	"/run/meshgw/$wgB.state" "/run/meshgw/$wgB.lock" "$pin/b"

# --- the first uplink is the one missing (PPPoE not connected at boot) -----------------
# The second carries the mesh meanwhile.
twosite_local a "UplinkInterface = wwan0 via 100.70.0.1" "UplinkInterface = wan0" \
	"Backend = $BACKEND" "PinPath = $pin/a"
t "check with the first uplink missing" A check
up_both "the first uplink missing: the second carries the mesh"
t "down on both" bash -c "nsenter --net=/run/netns/$gA $MESHGW down -l $tmp/a.local && nsenter --net=/run/netns/$gB $MESHGW down -l $tmp/b.local"
t "down: nothing left" nothing_left "/run/meshgw/$wgA.state" "/run/meshgw/$wgA.lock" "$pin/a" \
	"/run/meshgw/$wgB.state" "/run/meshgw/$wgB.lock" "$pin/b"

# --- the only uplink is missing (a site on one PPPoE or LTE link, at boot) ----------------
# `up` works (nothing reaches the other sites yet, as without meshgw), and the
# daemon attaches the data plane to the uplink once it is there. (wan0 stays in
# gA, not meshgw's: A's WireGuard still leaves by it, the main table's default.)
twosite_local a "UplinkInterface = wwan0 via 100.70.0.1" "Backend = $BACKEND" "PinPath = $pin/a"
t "check with the only uplink missing" A check
A up >"$tmp/up.out" 2>&1
is "meshgw up on A with its only uplink not there yet" "$?" 0
record_wg_pid "$wgA"
t "  says so" grep -q "UplinkInterface wwan0 does not exist (yet): no path to the other sites" "$tmp/up.out"
nsenter --net=/run/netns/"$gA" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/a.log" 2>&1 &
dA=$!
t "meshgw run on A" poll 20 grep -q "running: site a" "$tmp/a.log"
modem_connects
t "A's daemon attaches the data plane to it" \
	poll 5 grep -q "wwan0 is there (index [0-9]*): attaching the data plane to it" "$tmp/a.log"
t "A's show -j: wwan0 TC only, layer 3" poll 3 a_wwan "false layer3 true"
f0=$(tc_fwd)
ip netns exec "$isp" ping -q -c 10 -i 0.05 -W 1 10.1.0.2 >/dev/null
f1=$(tc_fwd)
echo "# A's tc_forward: $f0 -> $f1"
t "  pings in by wwan0 forwarded by TC (tc_forward +10)" test $((f1 - f0)) -ge 10
modem_goes
t "A's daemon lets wwan0 go" poll 5 no_wwan
t "  and is still running" kill -0 "$dA"
t "meshgw down on A (its daemon running)" A down
t "  A's daemon stops" poll 5 a_stopped
wait "$dA" 2>/dev/null; dA=
t "down: nothing left" nothing_left "/run/meshgw/$wgA.state" "/run/meshgw/$wgA.lock" "$pin/a"
tap_done
