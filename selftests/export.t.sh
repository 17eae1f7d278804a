#!/bin/bash
# meshgw export -f wg-quick against the real thing: site a is a meshgw gateway
# (`meshgw up`, userspace backend), site b is a plain-WireGuard box configured only by
# the exported file and `wg-quick up` (wireguard-go). The PSK comes from -s, the
# private key from -k.
#
#   hostA ── la ── gwA (meshgw) ══ wan 203.0.113.0/24 ══ gwB (wg-quick) ── lb ── hostB
#  10.1.0.2    10.1.0.1        (mesh 192.168.254.0/24)          10.2.0.1    10.2.0.2
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi
for c in wireguard-go wg wg-quick ip; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c not installed"; exit 0; }
done
s=$$
nsA=exA$s nsB=exB$s hA=exhA$s hB=exhB$s
wgA=xwa$s wgB=xwb$s
tmp=$(mktemp -d /tmp/meshgw-export.$s.XXXX)
pids=()

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
A() { ip netns exec "$nsA" "$@"; }
B() { ip netns exec "$nsB" "$@"; }
# PID of the wireguard-go daemon serving interface $1 in netns $2 (from its UAPI socket).
wggo_pid() {
	ip netns exec "$2" ss -xlpn 2>/dev/null | awk -v s="/wireguard/$1.sock" '$5 ~ s"$"' |
		grep -o 'pid=[0-9]*' | cut -d= -f2 | head -1
}

cleanup() {
	set +e
	A "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/a.local.conf" >/dev/null 2>&1
	for ns in $nsA $nsB $hA $hB; do ip netns del "$ns" 2>/dev/null; done
	for p in "${pids[@]}"; do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = wireguard-go ] && kill "$p"
	done
	# Checked gone at the end of a full run: only a failed or cut-short run has
	# anything here (the lock file meshgw keeps by design goes too).
	remove_left /run/meshgw/$wgA.state /sys/fs/bpf/meshgw/$wgA /run/wireguard/$wgA.sock \
		/run/wireguard/$wgB.sock
	rm -f /run/meshgw/$wgA.lock
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- topology --------------------------------------------------------------------------
for ns in $nsA $nsB $hA $hB; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add wan$s netns "$nsA" type veth peer name wan$s netns "$nsB"
ip -n "$nsA" addr add 203.0.113.1/24 dev wan$s && ip -n "$nsA" link set wan$s up
ip -n "$nsB" addr add 203.0.113.2/24 dev wan$s && ip -n "$nsB" link set wan$s up
for x in A B; do
	gw=ex$x$s h=exh$x$s net=$([ $x = A ] && echo 1 || echo 2)
	ip link add l$x$s netns "$gw" type veth peer name eth0 netns "$h"
	ip -n "$gw" addr add 10.$net.0.1/24 dev l$x$s && ip -n "$gw" link set l$x$s up
	ip -n "$h" addr add 10.$net.0.2/24 dev eth0 && ip -n "$h" link set eth0 up
	ip -n "$h" route add default via 10.$net.0.1
done

# --- configuration ---------------------------------------------------------------------
(umask 077
 "$MESHGW" genkey >"$tmp/a.key"; "$MESHGW" genkey >"$tmp/b.key"; "$MESHGW" genpsk >"$tmp/secret")
pubA=$("$MESHGW" pubkey <"$tmp/a.key") pubB=$("$MESHGW" pubkey <"$tmp/b.key")
cat >"$tmp/mesh.conf" <<-EOF2
	[Mesh]
	Network = 192.168.254.0/24
	ListenPort = 51820
	PersistentKeepalive = 25

	[Site a]
	Address = 192.168.254.1
	PublicKey = $pubA
	Endpoint = 203.0.113.1:51820
	Egress = 10.1.0.0/24

	[Site b]
	Address = 192.168.254.2
	PublicKey = $pubB
	Endpoint = 203.0.113.2:51820
	Endpoint = gw-b.example.net:51820
	Egress = 10.2.0.0/24
EOF2
cat >"$tmp/a.local.conf" <<-EOF2
	[Local]
	Site = a
	PrivateKeyFile = $tmp/a.key
	MeshSecretFile = $tmp/secret
	LanInterface = lA$s
	WireGuardInterface = $wgA
	Backend = userspace
EOF2

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
p=$(wggo_pid "$wgB" "$nsB")
t "  wireguard-go serves $wgB (PID ${p:-none}, kept for cleanup)" test -n "$p"
[ -n "$p" ] && pids+=("$p")
B sysctl -qw net.ipv4.ip_forward=1	# the export's comment asks for it
t "meshgw up on a (userspace)" A "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/a.local.conf"
p=$(awk '$1 == "wg_pid" { print $2 }' "/run/meshgw/$wgA.state" 2>/dev/null || true)
[ -n "$p" ] && [ "$p" != 0 ] && pids+=("$p")

t "gateway a pings b's mesh address through the tunnel" poll 20 A ping -c1 -W1 192.168.254.2
t "gateway b pings a's mesh address" B ping -c1 -W1 192.168.254.1
t "host A pings host B (egress routes on both sides)" poll 10 ip netns exec "$hA" ping -c1 -W1 10.2.0.2
t "host B pings host A" ip netns exec "$hB" ping -c1 -W1 10.1.0.2
peer() { ip netns exec "$1" wg show "$2" dump | awk -v k="$3" -v f="$4" '$1 == k { print $f }'; }
t "both ends use the same derived PSK" \
	bash -c "[ \"\$(ip netns exec $nsB wg show $wgB preshared-keys | cut -f2)\" = \"\$(ip netns exec $nsA wg show $wgA preshared-keys | cut -f2)\" ]"
t "b: handshake with a done" test "$(peer "$nsB" "$wgB" "$pubA" 5)" -gt 0
t "b: listen port 51820" test "$(B wg show "$wgB" listen-port)" = 51820
t "b: a's endpoint" test "$(peer "$nsB" "$wgB" "$pubA" 3)" = 203.0.113.1:51820
t "b: keepalive 25" test "$(peer "$nsB" "$wgB" "$pubA" 8)" = 25
t "b: address 192.168.254.2/24" bash -c "ip -n $nsB -o addr show dev $wgB | grep -q 'inet 192.168.254.2/24'"
t "b: MTU 1420" bash -c "ip -n $nsB link show $wgB | grep -q 'mtu 1420'"
t "b: route to a's egress via $wgB (added by wg-quick)" bash -c "ip -n $nsB route show 10.1.0.0/24 | grep -q 'dev $wgB'"

t "wg-quick down on b" B wg-quick down "$tmp/$wgB.conf"
t "  $wgB is gone" poll 5 bash -c "! ip -n $nsB link show $wgB"
t "  a no longer reaches b" bash -c "! ip netns exec $nsA ping -c1 -W1 192.168.254.2"

# --- what down leaves behind, checked before the cleanup removes anything ----------------
t "meshgw down on a" A "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/a.local.conf"
poll 5 nothing_left /run/wireguard/$wgA.sock || true	# wireguard-go removes it as it exits
# Under ip netns exec the pins are on the host's bpffs when it has one (else on a
# private one that went with the command): /sys/fs/bpf/meshgw/$wgA here.
t "  nothing left: state, pins, wireguard-go's socket" \
	nothing_left /run/meshgw/$wgA.state /sys/fs/bpf/meshgw/$wgA /run/wireguard/$wgA.sock

echo "1..$n"
[ "$failed" = 0 ]
