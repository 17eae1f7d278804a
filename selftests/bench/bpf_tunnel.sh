#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Tunnel throughput through wireguard-go with and without meshgw's programs
# attached (dataplane_up / dataplane_down via dp_ctl on both gateways), iperf3 TCP
# hA -> hB, ROUNDS (default 3) interleaved rounds of SECONDS (default 3) each.
# Goal: with >= 98 % of without. Prints; never fails on slowness. A third arm (an
# XDP_PASS program alone) separates what any XDP program costs on veth.
#
#   hA 10.1.0.2 ── gA ══ wireguard-go over 203.0.113.0/24 ══ gB ── hB 10.2.0.2
# (the two-site fixture, selftests/lib/twosite.sh, with WireGuard set up by hand)
set -eu
OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
MESHGW=${MESHGW:-$OUT/meshgw}
DPCTL=$OUT/selftests/helpers/dp_ctl
ROUNDS=${ROUNDS:-3} SECONDS_PER=${SECONDS_PER:-3}
if [ "$(id -u)" != 0 ]; then echo "bpf_tunnel: skipped (needs root)"; exit 0; fi
for t in wireguard-go wg iperf3 nsenter; do
	command -v $t >/dev/null || { echo "bpf_tunnel: skipped ($t missing)"; exit 0; }
done
BACKEND=userspace
. "$(dirname "${BASH_SOURCE[0]}")/../lib/twosite.sh"
twosite_init t
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
twosite_topology
for g in $gA $gB; do N $g sysctl -qw net.ipv4.ip_forward=1; done
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
for x in a b; do twosite_local $x "PinPath = $pin/$x"; done
twosite_wg
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
