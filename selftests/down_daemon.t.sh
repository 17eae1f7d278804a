#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meshgw down` while `meshgw run` runs, on a WireGuard link meshgw did not create
# (wireguard-go started by this test, adopted by `meshgw up`): down takes off only
# meshgw's routes, address and data plane and leaves the link, so the daemon cannot
# tell from the link that the gateway went down; it must stop because down removed
# up's state. Checks: the daemon stops by itself and says why, the link is still
# there, and down left nothing (pins with the daemon's mg_failover, the state file).
# (daemon_events.t.sh covers a link meshgw created; lab_failover.t.sh three sites.)
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
twosite_init dd
ns=$gA wg=$wgA daemon=''	# site a of the fixture's mesh file, alone in its namespace
before_cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; }
M() { N $ns "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/a.local"; }

twosite_ns $ns
ip -n $ns link add lan0 type veth peer name lan0p
ip -n $ns link set lan0 up && ip -n $ns link set lan0p up
ip -n $ns addr add 10.1.0.1/24 dev lan0
# The link, not meshgw's: wireguard-go run by the test.
wg_start $ns $wg
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
twosite_local a "Backend = userspace" "PinPath = $pin/a"

t "meshgw up adopts $wg (a link it did not create)" M up
t "  the state says so (created_link 0)" grep -qx "created_link 0" /run/meshgw/$wg.state
# Not through N: a function run in the background is a subshell, and $! would not be
# the daemon. nsenter execs it.
nsenter --net=/run/netns/$ns "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/run.log" 2>&1 &
daemon=$!
t "meshgw run" poll 20 grep -q "running: site a" "$tmp/run.log"
t "  publishes its state (mg_failover pinned)" poll 5 test -e $pin/a/mg_failover
t "meshgw down while it runs" M down
t "  the daemon stops by itself" poll 10 bash -c "! kill -0 $daemon 2>/dev/null"
kill "$daemon" 2>/dev/null || true	# (when it did not)
wait "$daemon" 2>/dev/null || true
daemon=
t "  and says why" grep -q "$wg was taken down by .meshgw down.: stopping" "$tmp/run.log"
t "  $wg, not meshgw's, is still there" ip -n $ns link show $wg
# Before the cleanup removes anything.
t "  nothing left: pins in $pin/a (mg_failover too), /run/meshgw/$wg.state and .lock" \
	nothing_left $pin/a /run/meshgw/$wg.state /run/meshgw/$wg.lock
# $pin itself is the parent of the test's PinPath: the test's own to remove.
t "  and $pin is empty" rmdir $pin
tap_done
