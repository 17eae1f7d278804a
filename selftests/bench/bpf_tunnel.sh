#!/bin/bash
# Tunnel throughput through wireguard-go with and without meshgw's programs
# attached (dataplane_up / dataplane_down via dp_ctl on both gateways), iperf3 TCP
# hA -> hB, ROUNDS (default 3) interleaved rounds of SECONDS (default 3) each.
# Goal: with >= 98 % of without. Prints; never fails on slowness. A third arm (an
# XDP_PASS program alone) separates what any XDP program costs on veth.
#
#   hA 10.1.0.2 ── gwA ══ wireguard-go over 203.0.113.0/24 ══ gwB ── hB 10.2.0.2
set -eu
OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
MESHGW=${MESHGW:-$OUT/meshgw}
DPCTL=$OUT/selftests/helpers/dp_ctl
ROUNDS=${ROUNDS:-3} SECONDS_PER=${SECONDS_PER:-3}
if [ "$(id -u)" != 0 ]; then echo "bpf_tunnel: skipped (needs root)"; exit 0; fi
for t in wireguard-go wg iperf3 nsenter; do
	command -v $t >/dev/null || { echo "bpf_tunnel: skipped ($t missing)"; exit 0; }
done
s=$$
hA=tha$s hB=thb$s gA=tga$s gB=tgb$s wgA=twa$s wgB=twb$s
pin=/sys/fs/bpf/mgtn$s
. "$(dirname "${BASH_SOURCE[0]}")/../lib/leftovers.sh"
tmp=$(mktemp -d /tmp/meshgw-tn.$s.XXXX)
pids=()
N() { local ns=$1; shift; nsenter --net=/run/netns/$ns "$@"; }
cleanup() {
	set +e
	N $gA "$DPCTL" down "$tmp/mesh.conf" "$tmp/a.local" >/dev/null 2>&1
	N $gB "$DPCTL" down "$tmp/mesh.conf" "$tmp/b.local" >/dev/null 2>&1
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for ns in $hA $hB $gA $gB; do ip netns del $ns 2>/dev/null; done
	remove_pin_root "$pin"
	rm -rf "$tmp"
}
trap cleanup EXIT
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
for ns in $hA $hB $gA $gB; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add wan0 netns $gA type veth peer name wan0 netns $gB
ip -n $gA addr add 203.0.113.1/24 dev wan0
ip -n $gB addr add 203.0.113.2/24 dev wan0
ip -n $gA link set wan0 up
ip -n $gB link set wan0 up
for x in "A 1" "B 2"; do
	set -- $x; eval h=\$h$1 g=\$g$1
	ip link add eth0 netns $h type veth peer name lan0 netns $g
	ip -n $h addr add 10.$2.0.2/24 dev eth0
	ip -n $h link set eth0 up
	ip -n $h route add default via 10.$2.0.1
	ip -n $g addr add 10.$2.0.1/24 dev lan0
	ip -n $g link set lan0 up
	N $g sysctl -qw net.ipv4.ip_forward=1
done
(umask 077; "$MESHGW" genkey >"$tmp/a.key"; "$MESHGW" genkey >"$tmp/b.key")
pubA=$("$MESHGW" pubkey <"$tmp/a.key") pubB=$("$MESHGW" pubkey <"$tmp/b.key")
printf '[Mesh]\nNetwork = 192.168.254.0/24\nListenPort = 51820\n\n[Site a]\nAddress = 192.168.254.1\nPublicKey = %s\nEndpoint = 203.0.113.1:51820\nEgress = 10.1.0.0/24\n\n[Site b]\nAddress = 192.168.254.2\nPublicKey = %s\nEndpoint = 203.0.113.2:51820\nEgress = 10.2.0.0/24\n' \
	"$pubA" "$pubB" >"$tmp/mesh.conf"
for x in a b; do
	X=$(echo $x | tr ab AB); eval wg=\$wg$X
	printf '[Local]\nSite = %s\nPrivateKeyFile = %s\nLanInterface = lan0\nWireGuardInterface = %s\nPinPath = %s/%s\n' \
		$x "$tmp/$x.key" "$wg" "$pin" $x >"$tmp/$x.local"
done
wgup() { # NS IF KEY ADDR PEERPUB PEERENDPOINT PEERNETS ROUTE
	# Not through N: a function run in the background is a subshell, and
	# killing $! would leave wireguard-go running. nsenter execs it.
	WG_PROCESS_FOREGROUND=1 nsenter --net=/run/netns/"$1" wireguard-go -f "$2" >"$tmp/$2.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -S /run/wireguard/$2.sock ] && break; sleep 0.05; done
	N "$1" wg set "$2" listen-port 51820 private-key "$3" peer "$5" endpoint "$6" allowed-ips "$7"
	N "$1" ip addr add "$4" dev "$2"
	N "$1" ip link set "$2" up
	N "$1" ip route add "$8" dev "$2"
}
wgup $gA $wgA "$tmp/a.key" 192.168.254.1/24 "$pubB" 203.0.113.2:51820 192.168.254.2/32,10.2.0.0/24 10.2.0.0/24
wgup $gB $wgB "$tmp/b.key" 192.168.254.2/24 "$pubA" 203.0.113.1:51820 192.168.254.1/32,10.1.0.0/24 10.1.0.0/24
ip netns exec $hA ping -c 1 -W 5 10.2.0.2 >/dev/null
ip netns exec $hB iperf3 -s -B 10.2.0.2 >"$tmp/iperf.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do ip netns exec $hB ss -ltn | grep -q 10.2.0.2:5201 && break; sleep 0.1; done
measure() { # Mbit/s received
	ip netns exec $hA iperf3 -c 10.2.0.2 -t "$SECONDS_PER" -J --connect-timeout 3000 |
		awk -F'[:,]' '/"sum_received"/ { f = 1 } f && /"bits_per_second"/ { printf "%.0f\n", $2 / 1e6; exit }'
}
# Any XDP program on a veth costs what a physical NIC does not: the peer loses
# TSO/GSO (veth_xdp_set clears NETIF_F_GSO_SOFTWARE, so the sending host hA
# segments TCP itself) and skbs without XDP headroom are copied. The middle arm,
# an XDP_PASS program on both lan0, measures that cost alone.
xdp_pass() { # on | off
	local g
	for g in $gA $gB; do
		if [ "$1" = on ]; then ip -n $g link set lan0 xdpdrv obj "$OUT/bpf/xdp_pass.bpf.o" sec xdp
		else ip -n $g link set lan0 xdpdrv off; fi
	done
}
without=() with=() passonly=()
for r in $(seq "$ROUNDS"); do
	without+=($(measure))
	xdp_pass on
	passonly+=($(measure))
	xdp_pass off
	N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" >/dev/null
	N $gB "$DPCTL" up "$tmp/mesh.conf" "$tmp/b.local" >/dev/null
	with+=($(measure))
	N $gA "$DPCTL" down "$tmp/mesh.conf" "$tmp/a.local" >/dev/null
	N $gB "$DPCTL" down "$tmp/mesh.conf" "$tmp/b.local" >/dev/null
done
sum() { local t=0; for v in "$@"; do t=$((t + v)); done; echo $t; }
printf '%-28s %s   mean\n' "iperf3 TCP Mbit/s" "$(seq -f 'round%g' -s ' ' "$ROUNDS")"
printf '%-28s %s   %d\n' "without meshgw programs" "${without[*]}" $(($(sum "${without[@]}") / ROUNDS))
printf '%-28s %s   %d\n' "XDP_PASS on lan0 only" "${passonly[*]}" $(($(sum "${passonly[@]}") / ROUNDS))
printf '%-28s %s   %d\n' "with meshgw programs" "${with[*]}" $(($(sum "${with[@]}") / ROUNDS))
echo "with / without = $(($(sum "${with[@]}") * 100 / $(sum "${without[@]}")))% (goal >= 98%)"
echo "with / XDP_PASS only (the veth cost of any XDP program taken out) =" \
	"$(($(sum "${with[@]}") * 100 / $(sum "${passonly[@]}")))%"
