#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# meshgw export -f wg-quick against the real thing: site a is a meshgw gateway
# (`meshgw up`, userspace backend), site b is a plain-WireGuard box configured only by
# the exported file and `wg-quick up` (wireguard-go). The PSK comes from -s, the
# private key from -k.
#
#   hA ── lan0 ── gA (meshgw) ══ wan0 203.0.113.1/.2 ══ gB (wg-quick) ── lan0 ── hB
#  10.1.0.2   10.1.0.1         (mesh 192.168.254.0/24)            10.2.0.1   10.2.0.2
# (the two-site fixture, selftests/lib/twosite.sh)
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi
for c in wireguard-go wg wg-quick ip; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c not installed"; exit 0; }
done
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_init x
# ip netns exec, as a user would type it (the pins still land on the host's bpffs).
A() { ip netns exec "$gA" "$@"; }
B() { ip netns exec "$gB" "$@"; }
# PID of the wireguard-go daemon serving interface $1 in netns $2 (from its UAPI socket).
wggo_pid() {
	ip netns exec "$2" ss -xlpn 2>/dev/null | awk -v s="/wireguard/$1.sock" '$5 ~ s"$"' |
		grep -o 'pid=[0-9]*' | cut -d= -f2 | head -1
}

twosite_topology
twosite_keys
twosite_mesh -k 25 -b "Endpoint = gw-b.example.net:51820" >"$tmp/mesh.conf"
twosite_local a "MeshSecretFile = $tmp/secret" "Backend = userspace"
t "meshgw export -f wg-quick -k -s b" bash -c "umask 077; '$MESHGW' export -f wg-quick -i $wgB -c '$tmp/mesh.conf' -k '$tmp/b.key' -s '$tmp/secret' b >'$tmp/$wgB.conf'"
t "  has the private key of b" grep -qxF "PrivateKey = $(cat "$tmp/b.key")" "$tmp/$wgB.conf"
t "  has a PresharedKey" grep -q '^PresharedKey = ' "$tmp/$wgB.conf"
t "export of a keeps b's hostname endpoint (a comment: plain WireGuard takes one)" \
	bash -c "'$MESHGW' export -f wg-quick -c '$tmp/mesh.conf' a | grep -q '^# other endpoints of b, in preference order: gw-b.example.net:51820'"
t "  wg-quick strip accepts it" bash -c "wg-quick strip '$tmp/$wgB.conf' >'$tmp/stripped'"
t "  wg accepts the stripped file (syntax)" grep -q '^AllowedIPs = 192.168.254.1/32, 10.1.0.0/24' "$tmp/stripped"

t "wg-quick up on b (wireguard-go)" \
	B env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
	wg-quick up "$tmp/$wgB.conf"
p=$(wggo_pid "$wgB" "$gB")
t "  wireguard-go serves $wgB (PID ${p:-none}, kept for cleanup)" test -n "$p"
[ -n "$p" ] && wggo_pids+=("$p")
B sysctl -qw net.ipv4.ip_forward=1	# the export's comment asks for it
t "meshgw up on a (userspace)" A "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/a.local"
record_wg_pid "$wgA"

t "gateway a pings b's mesh address through the tunnel" poll 20 A ping -c1 -W1 192.168.254.2
t "gateway b pings a's mesh address" B ping -c1 -W1 192.168.254.1
t "host A pings host B (egress routes on both sides)" poll 10 ip netns exec "$hA" ping -c1 -W1 10.2.0.2
t "host B pings host A" ip netns exec "$hB" ping -c1 -W1 10.1.0.2
peer() { ip netns exec "$1" wg show "$2" dump | awk -v k="$3" -v f="$4" '$1 == k { print $f }'; }
t "both ends use the same derived PSK" \
	bash -c "[ \"\$(ip netns exec $gB wg show $wgB preshared-keys | cut -f2)\" = \"\$(ip netns exec $gA wg show $wgA preshared-keys | cut -f2)\" ]"
t "b: handshake with a done" test "$(peer "$gB" "$wgB" "$pubA" 5)" -gt 0
t "b: listen port 51820" test "$(B wg show "$wgB" listen-port)" = 51820
t "b: a's endpoint" test "$(peer "$gB" "$wgB" "$pubA" 3)" = 203.0.113.1:51820
t "b: keepalive 25" test "$(peer "$gB" "$wgB" "$pubA" 8)" = 25
t "b: address 192.168.254.2/24" bash -c "ip -n $gB -o addr show dev $wgB | grep -q 'inet 192.168.254.2/24'"
t "b: MTU 1420" bash -c "ip -n $gB link show $wgB | grep -q 'mtu 1420'"
t "b: route to a's egress via $wgB (added by wg-quick)" bash -c "ip -n $gB route show 10.1.0.0/24 | grep -q 'dev $wgB'"

t "wg-quick down on b" B wg-quick down "$tmp/$wgB.conf"
t "  $wgB is gone" poll 5 bash -c "! ip -n $gB link show $wgB"
t "  a no longer reaches b" bash -c "! ip netns exec $gA ping -c1 -W1 192.168.254.2"

# --- what down leaves behind, checked before the cleanup removes anything ----------------
t "meshgw down on a" A "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/a.local"
poll 5 nothing_left /run/wireguard/$wgA.sock || true	# wireguard-go removes it as it exits
# Under ip netns exec the pins are on the host's bpffs when it has one (else on a
# private one that went with the command): /sys/fs/bpf/meshgw/$wgA here.
t "  nothing left: state, pins, wireguard-go's socket" \
	nothing_left /run/meshgw/$wgA.state /sys/fs/bpf/meshgw/$wgA /run/wireguard/$wgA.sock

echo "1..$n"
[ "$failed" = 0 ]
