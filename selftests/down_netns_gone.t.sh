#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meshgw down` after the gateway's network namespace was deleted (a container
# removed, `ip netns del`): the wireguard-go that `meshgw up` started keeps that
# namespace alive, its tunnel up and its handshakes with the other sites going, and
# the WireGuard link is in no namespace `down` can see. Checks: down, run from the
# host's namespace with the same local file, stops that wireguard-go (and says so)
# and leaves nothing (state, lock, pins, wireguard-go's socket).
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, bpffs)"; exit 0; fi
for c in wireguard-go nsenter ip; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c not installed"; exit 0; }
done
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
BACKEND=userspace
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_init dg
ns=$gA wg=$wgA	# site a of the fixture's mesh file, alone in its namespace

twosite_ns $ns
ip -n $ns link add lan0 type veth peer name lan0p
ip -n $ns link set lan0 up && ip -n $ns link set lan0p up
ip -n $ns addr add 10.1.0.1/24 dev lan0
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
twosite_local a "Backend = userspace" "PinPath = $pin/a"

t "meshgw up in $ns (it starts wireguard-go)" N $ns "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/a.local"
record_wg_pid $wg
wgpid=$(awk '$1 == "wg_pid" { print $2 }' /run/meshgw/$wg.state)
ip netns del $ns
t "$ns deleted: its wireguard-go still runs (it holds the namespace)" kill -0 "$wgpid"
t "meshgw down from the host's namespace" bash -c "'$MESHGW' down -l '$tmp/a.local' 2>'$tmp/down.log'"
t "  says what it did" grep -q "$wg: not in this network namespace.*(pid $wgpid) is stopped" "$tmp/down.log"
t "  that wireguard-go is stopped" poll 5 bash -c "! kill -0 $wgpid 2>/dev/null"
# Before the cleanup removes anything.
t "  nothing left: pins in $pin/a, state, lock, wireguard-go's socket" \
	nothing_left $pin/a /run/meshgw/$wg.state /run/meshgw/$wg.lock /run/wireguard/$wg.sock
t "  and $pin is empty" rmdir $pin
tap_done
