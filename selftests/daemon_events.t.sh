#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# What `meshgw run` (the failover daemon) does when the gateway changes under it, on
# the two-site fixture (selftests/lib/twosite.sh, IPv6 off) brought up by `meshgw up`:
#
#   hA ── lan0 ── gA ══ wan0 203.0.113.1/.2 ══ gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1     (mesh 192.168.254.0/24)      10.2.0.1   10.2.0.2
#
# with the daemon on gA. Checks: it follows lan0's MAC changing (XDP reloaded with
# the new address) and lan0 being deleted and created again (XDP and tc_lan attached
# again, traffic counted); it follows rp_filter turned on and off on lan0, and another
# tool's TC filter added to lan0's ingress and removed, and a shaping qdisc on wan0
# (no XDP target while it is there); it brings
# the gateway back when the WireGuard interface
# vanishes (wireguard-go killed, or the link deleted); SIGHUP reloads by diff (a bad
# file and a taken port change nothing; changed ports and timings are applied, and
# probes go on; meshgw_config_last_reload_successful says 0, then 1 with a newer
# timestamp); `meshgw down` under it stops it, nothing comes back, nothing is left.
# (down_daemon.t.sh: the same `down` on a link meshgw did not create.)
# Argument: the WireGuard backend, userspace (default, wireguard-go on this host)
# or kernel (kernel WireGuard, for a run inside the Debian VM).
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_require "${1:-}" wg bpftool nsenter python3 jq
twosite_init de
daemon=
before_cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; }
A() { N $gA "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/a.local"; }

twosite_topology no-ipv6
for g in $gA $gB; do N $g sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
# XDP on lan0 although auto would not put it there (its peer's GSO): the checks
# follow the XDP program through MAC and NIC changes. The neighbours run nothing, so
# it may not transmit: TC forwards and answers. Metrics: SIGHUP moves the server.
for x in a b; do
	twosite_local $x "UplinkInterface = wan0" "Backend = $BACKEND" "PinPath = $pin/$x" \
		"FastPath = xdp" "Metrics = 127.0.0.1:10586"
done

t "meshgw up on gateway a" N $gA "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/a.local"; record_wg_pid $wgA
t "meshgw up on gateway b" N $gB "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/b.local"; record_wg_pid $wgB
t "hA pings hB through the tunnel (handshake)" poll 20 ip netns exec $hA ping -c1 -W1 10.2.0.2
# nsenter execs meshgw: $! is the daemon itself.
nsenter --net=/run/netns/$gA "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/run.log" 2>&1 &
daemon=$!
t "meshgw run on gateway a" poll 20 grep -q "running: site a" "$tmp/run.log"
t "  publishes its records (mg_failover pinned)" poll 5 test -e $pin/a/mg_failover

# --- lan0's MAC changes under the daemon: it reloads XDP with the new address --------
xdp_mac() { # the MAC the XDP program on gateway a's lan0 matches frames against
	# One python calling bpftool: the VM (TCG) pays ~0.5 s for every process start.
	python3 - "$pin/a/xdp_lan0" <<'PY'
import json, subprocess, sys
def bpftool(*args):
    return json.loads(subprocess.run(["bpftool", "-j", *args], check=True, capture_output=True).stdout)
prog = bpftool("link", "show", "pinned", sys.argv[1])["prog_id"]
ids = set(bpftool("prog", "show", "id", str(prog))["map_ids"])
rodata = [m["id"] for m in bpftool("map", "show") if m["id"] in ids and m.get("name", "").endswith(".rodata")]
def find(o):
    if isinstance(o, dict):
        if "own_mac" in o:
            return o["own_mac"]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None:
                return r
mac = find(bpftool("map", "dump", "id", str(rodata[0])))[0]
print(":".join("%02x" % (int(b, 0) if isinstance(b, str) else b) for b in mac))
PY
}
mac0=$(ip -n $gA -br link show lan0 | awk '{print $3}')
is "XDP on lan0 matches frames against lan0's MAC" "$(xdp_mac)" "$mac0"
ip -n $gA link set lan0 address 02:00:00:00:aa:01
mac_followed() { [ "$(xdp_mac)" = "$1" ]; }
# The daemon looks every second; the reload itself takes ~1 s in the VM (TCG).
t "lan0's MAC changed: the daemon reloads XDP with the new one" poll 15 mac_followed 02:00:00:00:aa:01
t "  and says so" grep -q "lan0: MAC address now 02:00:00:00:aa:01: reloading the XDP program" "$tmp/run.log"
ip -n $gA link set lan0 address "$mac0"
t "  and back" poll 15 mac_followed "$mac0"

# --- lan0 deleted and created again (ifupdown does that to a bridge) -----------------
logged() { grep -q "$1" "$tmp/run.log"; }
metric() { A metrics | awk -v m="$1" '$1 == m { print $2 }'; }
ip -n $gA link del lan0
t "lan0 deleted: the daemon says its programs went with it" poll 15 logged "lan0 is gone"
# With the MAC it had: a NIC that comes back is the same hardware, only its index is new.
ip link add lan0 address "$mac0" netns $gA type veth peer name eth0 netns $hA
ip -n $gA addr add 10.1.0.1/24 dev lan0 && ip -n $gA link set lan0 up
ip -n $hA addr add 10.1.0.2/24 dev eth0 && ip -n $hA link set eth0 up
ip -n $hA route add default via 10.1.0.1
attached_again() { ip -n $gA link show lan0 | grep -q 'prog/xdp' && tc_progs $gA lan0 ingress | grep -q mg_tc_lan; }
t "lan0 created again: the daemon attaches XDP and tc_lan to it" poll 15 attached_again
t "  and says so" logged "lan0 is there (index [0-9]*): attaching the data plane to it"
t "  XDP matches lan0's MAC" mac_followed "$mac0"
lan0=$(metric 'meshgw_peer_lan_packets_total{site="b"}')
t "  hA reaches hB through the tunnel again" poll 10 ip netns exec $hA ping -c1 -W1 10.2.0.2
t "  counted by the XDP program on the new lan0" \
	test "$(metric 'meshgw_peer_lan_packets_total{site="b"}')" -gt "$lan0"

# --- rp_filter turned on and off under the daemon: the fast paths follow it ----------
rpf_of() { A show -j | jq -r '.dataplane.interfaces[] | select(.name == "lan0") | .rp_filter'; }
rpf_is() { [ "$(rpf_of)" = "$1" ]; }
N $gA sysctl -qw net.ipv4.conf.lan0.rp_filter=1
t "rp_filter strict on lan0: the daemon publishes it (show -j)" poll 5 rpf_is strict
t "  and says so" logged "lan0: rp_filter now strict (1)"
N $gA sysctl -qw net.ipv4.conf.lan0.rp_filter=0
t "  off again: followed" poll 5 rpf_is off
# Forwarding turned off on lan0 (net.ipv4.conf.lan0.forwarding = 0: the admin cuts
# the LAN off): the kernel forwards nothing from it, and meshgw's programs, which
# steer the mesh traffic into the tunnel themselves, stop too within a second.
fwd_of() { A show -j | jq -r '.dataplane.interfaces[] | select(.name == "lan0") | .forwards_ipv4'; }
fwd_is() { [ "$(fwd_of)" = "$1" ]; }
N $gA sysctl -qw net.ipv4.conf.lan0.forwarding=0
t "forwarding off on lan0: the daemon publishes it (show -j)" poll 5 fwd_is false
t "  and says so" logged "lan0: the kernel forwards no IPv4 from it now"
t "  hA's pings to hB go nowhere, as without meshgw" \
	bash -c "! ip netns exec $hA ping -q -c 3 -i 0.1 -W 1 10.2.0.2"
N $gA sysctl -qw net.ipv4.conf.lan0.forwarding=1
t "  on again: followed" poll 5 fwd_is true
t "  hA reaches hB again" poll 5 ip netns exec $hA ping -c1 -W1 10.2.0.2
# Another tool's TC filter on lan0's ingress (an ACL, an IFB mirror): the daemon
# sees it within a second and leaves what comes in by lan0 to the kernel, through it.
foreign_of() { A show -j | jq -r '.dataplane.interfaces[] | select(.name == "lan0") | "\(.foreign_tc_ingress) \(.fast_forward)"'; }
foreign_is() { [ "$(foreign_of)" = "$1" ]; }
clsact_ours=0
N $gA tc qdisc show dev lan0 | grep -q clsact || { N $gA tc qdisc add dev lan0 clsact; clsact_ours=1; }
N $gA tc filter add dev lan0 ingress prio 100 handle 7 bpf da obj "$OUT/bpf/tc_drop.bpf.o" sec tc
t "another tool's filter on lan0's ingress: the daemon takes lan0 off the fast path" poll 5 foreign_is "true false"
t "  and says so" logged "lan0: a TC filter (bpf) of another tool on its ingress"
t "  hA's pings to hB are dropped by it, as without meshgw" bash -c "! ip netns exec $hA ping -q -c 2 -i 0.1 -W 1 10.2.0.2"
N $gA tc filter del dev lan0 ingress prio 100 handle 7 bpf
[ "$clsact_ours" = 0 ] || N $gA tc qdisc del dev lan0 clsact
t "  filter gone: fast path on again" poll 5 foreign_is "false true"
t "  hA reaches hB again" poll 5 ip netns exec $hA ping -c1 -W1 10.2.0.2
# The same on the WireGuard device's ingress (sqm-scripts shaping what comes out of
# the tunnel through an IFB mirror, a policer): tc_wg's redirect to lan0 would pass
# such a filter by; the daemon sees it and leaves those packets to the kernel.
clsact_ours=0
N $gA tc qdisc show dev $wgA | grep -q clsact || { N $gA tc qdisc add dev $wgA clsact; clsact_ours=1; }
N $gA tc filter add dev $wgA ingress prio 100 handle 7 bpf da obj "$OUT/bpf/tc_drop.bpf.o" sec tc/l3
t "another tool's filter on $wgA's ingress: the daemon says so" \
	poll 5 logged "$wgA: a TC filter (bpf) of another tool on its ingress"
t "  hB's pings to hA, out of the tunnel at gA, are dropped by it, as without meshgw" \
	bash -c "! ip netns exec $hB ping -q -c 2 -i 0.1 -W 1 10.1.0.2"
N $gA tc filter del dev $wgA ingress prio 100 handle 7 bpf
[ "$clsact_ours" = 0 ] || N $gA tc qdisc del dev $wgA clsact
t "  filter gone: the daemon says so" poll 5 logged "$wgA: no TC filter of another tool on its ingress now"
t "  hB reaches hA again" poll 5 ip netns exec $hB ping -c1 -W1 10.1.0.2
# wan0 runs XDP and is an XDP target (gB's end runs XDP too, so it has NAPI), but
# not while a shaping qdisc is on it: XDP frames would pass tbf by. The daemon
# follows the qdisc both ways.
wan0_is() { A show -j | jq -r '.dataplane.interfaces[] | select(.name == "wan0") | "\(.xdp_target) \(.reason)"'; }
wan0_now() { [ "$(wan0_is)" = "$1" ]; }
if genl ctrl get name netdev >/dev/null 2>&1; then
	is "wan0: an XDP target" "$(wan0_is)" "true none"
	N $gA tc qdisc add dev wan0 root tbf rate 100mbit burst 32k latency 50ms
	t "  tbf on wan0: the daemon takes it off (reason qdisc)" poll 5 wan0_now "false qdisc"
	t "  and says so" logged "wan0: fast path off: a queueing discipline that shapes"
	N $gA tc qdisc del dev wan0 root
	t "  tbf gone: an XDP target again" poll 5 wan0_now "true none"
else
	echo "# no xdp-features in this kernel: the XDP target checks are left out"
fi

# --- the WireGuard interface vanishes under the daemon (wireguard-go exits, or the ----
# link is deleted): `up`'s state is still recorded, so the daemon brings it back.
if [ "$BACKEND" = userspace ]; then
	wgpid=$(awk '$1 == "wg_pid" { print $2 }' /run/meshgw/$wgA.state)
	# started by this test's `meshgw up` (recorded in wggo_pids): ours to kill
	[ "$(cat /proc/$wgpid/comm 2>/dev/null)" = wireguard-go ] && kill "$wgpid"
else
	ip -n $gA link del $wgA
fi
t "$wgA gone under the daemon: it brings the gateway up again" \
	poll 20 logged "$wgA is gone, but .meshgw up. recorded it"
wg_back() { tc_progs $gA $wgA egress 2>/dev/null | grep -q mg_tc_wg_egress; }
t "  $wgA is back, with meshgw's TC programs on it" poll 20 wg_back
record_wg_pid $wgA
t "  hA reaches hB through it again" poll 20 ip netns exec $hA ping -c1 -W1 10.2.0.2

# --- SIGHUP: reload by diff; a bad file or a port that cannot be had changes nothing --
get_on() { # get_on PORT: GET /metrics answers 200 there
	N $gA python3 -c 'import sys, urllib.request
sys.exit(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=3).status != 200)' "$1" 2>/dev/null
}
cp "$tmp/a.local" "$tmp/a.local.orig"
echo "NoSuchKey = 1" >>"$tmp/a.local"
kill -HUP "$daemon"
t "SIGHUP with a bad local file: reported, previous configuration kept" \
	poll 5 logged "reload: 1 problem; still running the previous configuration"
t "  still serving on 10586" get_on 10586
reload_metric() { # reload_metric PORT NAME: its value in the daemon's GET /metrics
	N $gA python3 -c 'import sys, urllib.request
for l in urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=3).read().decode().splitlines():
    if l.split(" ")[0] == sys.argv[2]: print(l.split(" ")[1])' "$1" "$2"
}
good_ts=$(reload_metric 10586 meshgw_config_last_reload_success_timestamp_seconds || true)
is "  meshgw_config_last_reload_successful 0" \
	"$(reload_metric 10586 meshgw_config_last_reload_successful)" 0
t "  its success timestamp is the start's ($good_ts)" test -n "$good_ts"
# A metrics port another process holds: nothing changes, not even the rest of the file.
nsenter --net=/run/netns/$gA python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 10588)); s.listen(); time.sleep(300)' &
holder=$!	# nsenter execs python: this is the holder itself
# Wait until it listens: python starts slowly in the VM (more than 10 s seen on a
# loaded 2-core host), and the daemon must not win the port.
poll 60 bash -c "nsenter --net=/run/netns/$gA ss -ltnH | grep -q '127.0.0.1:10588 '" || echo "# the holder never listened on 10588"
sed -e 's/^Metrics = .*/Metrics = 127.0.0.1:10588/' "$tmp/a.local.orig" >"$tmp/a.local"
echo "HoldDown = 9s" >>"$tmp/a.local"
kill -HUP "$daemon"
t "SIGHUP with the metrics port taken: nothing changed" \
	poll 5 logged "cannot serve metrics on 127.0.0.1:10588"
t "  still serving on 10586, hold-down not applied" bash -c \
	"$(declare -f get_on N); gA=$gA; get_on 10586 && ! grep -q 'hold-down 9000 ms' '$tmp/run.log'"
kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true
# Metrics address, ProbePort and HoldDown changed: all three applied.
sed -e 's/^Metrics = .*/Metrics = 127.0.0.1:10587/' "$tmp/a.local.orig" >"$tmp/a.local"
printf 'ProbePort = 40100\nHoldDown = 7s\n' >>"$tmp/a.local"
kill -HUP "$daemon"
t "SIGHUP with Metrics, ProbePort and HoldDown changed: applied" \
	poll 10 logged "reload: done.*probes from UDP 40100-40107.*hold-down 7000 ms, metrics on 127.0.0.1:10587"
t "  serving on 10587" get_on 10587
is "  meshgw_config_last_reload_successful 1" \
	"$(reload_metric 10587 meshgw_config_last_reload_successful)" 1
t "  its success timestamp moved on" python3 -c "import sys; sys.exit(not float('$(reload_metric 10587 meshgw_config_last_reload_success_timestamp_seconds)') > float('${good_ts:-0}'))"
t "  no longer on 10586" bash -c "$(declare -f get_on N); gA=$gA; ! get_on 10586"
t "  probe sockets moved to 40100-40107" bash -c \
	"N() { nsenter --net=/run/netns/\$1 \"\${@:2}\"; }; N $gA ss -lunH | grep -q ':40100 ' && ! N $gA ss -lunH | grep -q ':51821 '"
probes_again() { # probes still sent, and answered (XDP records replies on the new ports)
	local m a b
	m='$1 == "meshgw_probes_sent_total{site=\"b\",endpoint=\"0\"}" || $1 == "meshgw_probe_replies_total{site=\"b\",endpoint=\"0\"}" { printf "%s ", $2 }'
	a=($(A metrics | awk "$m"))
	# Polled: a probe goes out every 2 s when all is well.
	both_moved() { b=($(A metrics | awk "$m")); [ "${b[0]}" -gt "${a[0]}" ] && [ "${b[1]}" -gt "${a[1]}" ]; }
	poll 10 both_moved
}
t "  probes still go out and are answered" probes_again
# --- the gateway's own addresses: mg_own_addr follows them and the default route ------
# (dp_own_addr.h: an address outside the mesh, with a default route on its device,
# whose replies to mesh hosts leave by that route.) The fixture has no default
# route, so nothing is listed until one comes; then a second address, a new
# gateway, and the route taken away again, each followed without a reload.
t "mg_own_addr on gateway a: empty (no default route)" own_is "$pin/a" ""
t "a default route via 203.0.113.254 on wan0" N $gA ip route add default via 203.0.113.254 dev wan0
t "  wan0's address listed, with that gateway" own_wait "$pin/a" "203.0.113.1 203.0.113.254"
# mg_local4 (every IPv4 address of the box, for the fast paths' source check).
local4_has() { bpftool -j map dump pinned "$pin/a/mg_local4" |
	python3 -S -c 'import json, socket, struct, sys
v = json.load(sys.stdin)[0]["formatted"]["value"]
have = [socket.inet_ntoa(struct.pack("<I", a & 0xffffffff)) for a in v["addr"][:v["n"]]]
sys.exit(0 if (sys.argv[1] in have) == (sys.argv[2] == "yes") else 1)' "$1" "$2"; }
t "  mg_local4 without 203.0.113.77" local4_has 203.0.113.77 no
t "a second address on wan0 (203.0.113.77)" N $gA ip addr add 203.0.113.77/24 dev wan0
t "  listed too" own_wait "$pin/a" "203.0.113.1 203.0.113.254 203.0.113.77 203.0.113.254"
t "  and in mg_local4" poll 5 local4_has 203.0.113.77 yes
t "the default route moves to 203.0.113.253" N $gA ip route replace default via 203.0.113.253 dev wan0
t "  both follow" own_wait "$pin/a" "203.0.113.1 203.0.113.253 203.0.113.77 203.0.113.253"
t "the second address and the default route taken away" \
	N $gA sh -c "ip addr del 203.0.113.77/24 dev wan0 && ip route del default"
t "  mg_own_addr empty again" own_wait "$pin/a" ""
t "  203.0.113.77 gone from mg_local4" poll 5 local4_has 203.0.113.77 no
t "  hA still reaches hB through the tunnel" ip netns exec $hA ping -c1 -W2 10.2.0.2

# --- `meshgw down` while `meshgw run` runs: the daemon stops, nothing comes back ------
t "meshgw down while it runs" A down
t "  the daemon stops by itself" poll 10 bash -c "! kill -0 $daemon 2>/dev/null"
kill "$daemon" 2>/dev/null || true	# (when it did not: the wait would hang)
wait "$daemon" 2>/dev/null || true; daemon=
sed 's/^/#   run: /' "$tmp/run.log" | head -60
t "  and says why" grep -q "$wgA was taken down by .meshgw down.: stopping" "$tmp/run.log"
t "  nothing brought back" bash -c "! ip -n $gA link show $wgA 2>/dev/null"

# --- what down leaves behind, checked before the cleanup removes anything ----------------
t "  nothing left: pins in $pin/a (mg_failover too), /run/meshgw/$wgA.state and .lock" \
	nothing_left $pin/a /run/meshgw/$wgA.state /run/meshgw/$wgA.lock
t "meshgw down on gateway b" N $gB "$MESHGW" down -l "$tmp/b.local"
t "  nothing left: pins in $pin/b, /run/meshgw/$wgB.state and .lock" nothing_left $pin/b /run/meshgw/$wgB.state /run/meshgw/$wgB.lock
# $pin itself is the parent of the test's PinPaths: the test's own to remove.
t "  and $pin is empty" rmdir $pin
tap_done
