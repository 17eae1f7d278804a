#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Forwarding rate through a gateway namespace, 60-byte IPv4 frames from one pinned
# generator thread (BPF_F_TEST_XDP_LIVE_FRAMES, XDP_TX out of g0):
#
#   gen: g0 198.18.0.2 ── gi 198.18.0.1  gw  go 198.19.0.1 ── s0 198.19.0.2 :sink (XDP count+drop)
#                                          (and 10.99.0.0/24)     (10.99.0.2)
#
# kernel IP forwarding vs meshgw's XDP fast path vs a bare fib_lookup+redirect
# program, ROUNDS (default 5) interleaved rounds (medians); plus meshgw with a destination
# sharing its first octet with the mesh ranges (10/8), where the trie is walked. Goals: meshgw >= 2.3x kernel and
# >= 85 % of bare. Prints ratios; never fails on slowness.
set -eu
OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
ROUNDS=${ROUNDS:-5} FRAMES=${FRAMES:-3000000}
if [ "$(id -u)" != 0 ]; then echo "bpf_forward: skipped (needs root)"; exit 0; fi
s=$$
gen=bfg$s gw=bfw$s sink=bfs$s
cleanup() { for ns in $gen $gw $sink; do ip netns del $ns 2>/dev/null; done; }
trap cleanup EXIT
for ns in $gen $gw $sink; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add g0 netns $gen type veth peer name gi netns $gw
ip link add go netns $gw type veth peer name s0 netns $sink
ip -n $gen addr add 198.18.0.2/24 dev g0
ip -n $gw addr add 198.18.0.1/24 dev gi
ip -n $gw addr add 198.19.0.1/24 dev go
ip -n $gw addr add 10.99.0.1/24 dev go
ip -n $sink addr add 198.19.0.2/24 dev s0
ip -n $sink addr add 10.99.0.2/24 dev s0
for x in "$gen g0" "$gw gi" "$gw go" "$sink s0"; do set -- $x; ip -n $1 link set $2 up; done
ip netns exec $gw sysctl -qw net.ipv4.ip_forward=1
mac=$(ip -n $sink -br link show s0 | awk '{print $3}')
ip -n $gw neigh add 198.19.0.2 lladdr "$mac" dev go nud permanent
ip -n $gw neigh add 10.99.0.2 lladdr "$mac" dev go nud permanent
echo "frames per measurement: $FRAMES, rounds: $ROUNDS, generator pinned to CPU 0"
"$OUT/selftests/helpers/bpf_bench" fwd $gen $gw $sink "$ROUNDS" "$FRAMES"
