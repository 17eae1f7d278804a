#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A site with 65,536 more /32 Egress ranges (the issue's case: the old cap was 1,024)
# goes all the way, not only through `meshgw check`: on the two-site fixture
# (selftests/lib/twosite.sh, IPv6 off, wireguard-go)
#
#   hA ── lan0 ── gA ══ wan0 203.0.113.1/.2 ══ gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1     (mesh 192.168.254.0/24)      10.2.0.1   10.2.0.2
#
# b's 65,537 ranges become, on gateway a, 65,537 kernel routes into the tunnel,
# 65,537 allowed IPs of peer b (plus its address) and entries of the BPF route trie;
# hA reaches hB; a second `up` changes nothing; `down` removes them all. Times printed.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}
. "$SRC/selftests/lib/tap.sh"
. "$SRC/selftests/lib/twosite.sh"
twosite_require "${1:-}" wg bpftool nsenter python3
twosite_init es
twosite_topology no-ipv6
twosite_keys
{
	twosite_mesh
	awk 'BEGIN { for (i = 0; i < 65536; i++)
		printf "Egress = 10.%d.%d.%d/32\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256 }'
} >"$tmp/mesh.conf"
for x in a b; do
	twosite_local $x "UplinkInterface = wan0" "Backend = $BACKEND" "PinPath = $pin/$x"
done
A() { N $gA "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/a.local"; }
timed() { # timed LABEL CMD...: runs CMD, prints its time
	local label=$1 t0 rc=0
	shift
	t0=$(now)
	"$@" || rc=$?
	echo "# $label: $(since "$t0") s" >>"$tmp/times"
	return $rc
}

t "meshgw check: OK" timed check A check
t "meshgw up on gateway a" timed up A up
record_wg_pid $wgA
t "meshgw up on gateway b" N $gB "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/b.local"
record_wg_pid $wgB
is "a: b's ranges routed into the tunnel (65,537 + the mesh network)" \
	"$(ip -n $gA route show dev $wgA | wc -l)" 65538
is "a: peer b's allowed IPs (its address + 65,537 ranges)" \
	"$(N $gA wg show $wgA allowed-ips | awk '{ n += NF - 1 } END { print n }')" 65538
trie() { bpftool -j map dump pinned "$pin/a/mg_routes4" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
is "a: BPF route trie holds them (b's 65,538 + a's own range)" "$(trie)" 65539
t "hA pings hB through the tunnel" poll 20 ip netns exec $hA ping -c1 -W1 10.2.0.2
t "a second up on a changes nothing" timed "up again" A up
is "  still 65,538 routes" "$(ip -n $gA route show dev $wgA | wc -l)" 65538
t "meshgw down on a" timed down A down
t "  no route of b's left on a" bash -c "! ip -n $gA route show 10.100.255.255/32 | grep -q ."
t "meshgw down on b" N $gB "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/b.local"
t "  nothing left: pins, state" nothing_left $pin/a $pin/b /run/meshgw/$wgA.state /run/meshgw/$wgB.state
t "  and $pin is empty" rmdir $pin
cat "$tmp/times"
tap_done
