#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The gateway engine (user/gateway/: gateway_up, gateway_down) judged by what the
# kernel holds afterwards, on site a of the two-site fixture (selftests/lib/twosite.sh):
#
#   hA ── lan0 ── gA ══ wan0 203.0.113.1/.2 ══ gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1     (mesh 192.168.254.0/24)      10.2.0.1   10.2.0.2
#
# Only gA runs meshgw. A snapshot of gA's namespace (links, XDP, addresses, every
# route of every table, WireGuard's configuration, qdiscs and TC filters, sysctls,
# pins, the state record) is taken before `meshgw up`, after it, after a second
# `up`, after `up` on a gateway someone changed by hand, and after `down`. Checks:
# up holds exactly meshgw's objects (two routes, one peer as the mesh file says, the
# map pins, TC on wan0 and the WireGuard link, none on the veth LAN (dp_iface_lan_kernel:
# the kernel forwards there), no XDP on these veths, the four
# sysctls); a second up changes nothing, not even a program id; up puts back what
# was changed by hand; down gives back exactly the namespace it found. The same on a
# WireGuard link the test made (adopted): down takes off meshgw's part and leaves the
# link. Argument: the WireGuard backend, userspace (default) or kernel.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_require "${1:-}" wg tc nsenter
twosite_init ge
twosite_topology
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
twosite_local a "UplinkInterface = wan0" "Backend = $BACKEND" "PinPath = $pin/a"
A() { N "$gA" "$@"; }
up() { A "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/a.local"; }
down() { A "$MESHGW" down -l "$tmp/a.local"; }

# held [SECTION...]: what gateway a's namespace holds, one normalised line per
# object, by section (links wg addrs routes tc sysctls pins state; all by default).
# Counters, handshake times and program ids (tc's [id], "id N", tags) are left out
# unless IDS=1. One bash in the namespace for all of it: a process costs.
held_in() {
	local sections=${*:-links wg addrs routes tc sysctls pins state} sec d
	local ids='s/(:\[|id |tag )[0-9a-f]+/\1N/g'
	[ "${IDS:-}" = 1 ] && ids=''
	for sec in $sections; do
		case $sec in
		links)	# name, flags, MTU, and an XDP program if any
			ip -o link show 2>/dev/null | awk '{ n = $2; sub(/@.*/, "", n); sub(/:$/, "", n); x = "none"
				for (i = 3; i < NF; i++) {
					if ($i == "mtu") m = $(i + 1)
					if ($i ~ /^prog\/xdp/) x = $i " id " $(i + 2)
				}
				print "link", n, $3, "mtu", m, "xdp", x }' | sed -E "$ids" ;;
		wg)	# interface and peers without handshake time and counters. Not `wg show
			# all`: it lists every wireguard-go socket on the host, other tests' too.
			for d in $(ip -o link show 2>/dev/null | sed -E 's/^[0-9]+: ([^:@]+).*/\1/'); do
				wg show "$d" dump 2>/dev/null | awk -F'\t' -v d="$d" \
					'NF == 8 { $5 = $6 = $7 = "-" } { $1 = $1; print "wg", d, $0 }'
			done ;;
		addrs)	ip -o addr show | awk '$4 !~ /^fe80/ { print "addr", $2, $3, $4 }' ;;
		routes)	ip -4 route show table all | sed 's/^/route4 /'
			ip -6 route show table all | grep -v 'fe80\|^multicast\|^local fe80' | sed 's/^/route6 /' ;;
		tc)	for d in $(ip -o link show 2>/dev/null | sed -E 's/^[0-9]+: ([^:@]+).*/\1/'); do
				tc qdisc show dev "$d" | sed "s/^/qdisc $d /"
				tc filter show dev "$d" ingress | sed -E "s/^/ingress $d /; $ids"
				tc filter show dev "$d" egress | sed -E "s/^/egress $d /; $ids"
				"$TCHOOKS" "$d" | awk '$3 == "tcx" { print "tcx", $2, $1, "id", $4, $5 }' | sed -E "$ids"
			done ;;
		sysctls) sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding \
				net.ipv4.conf.all.send_redirects net.ipv4.conf.lan0.send_redirects \
				net.ipv4.conf.wan0.send_redirects | sed 's/^/sysctl /' ;;
		pins)	[ -d "$pin/a" ] && ls -A "$pin/a" | sed 's/^/pin /' ;;
		state)	[ -e "/run/meshgw/$wgA.state" ] && awk '$1 != "wg_pid" { print "state", $0 }' "/run/meshgw/$wgA.state" ;;
		esac
	done
	return 0
}
held() { IDS=${IDS:-} wgA=$wgA pin=$pin TCHOOKS=$TCHOOKS N "$gA" bash -c "$(declare -f held_in); held_in \"\$@\"" held "$@"; }
# has SECTION LINE...: the section holds exactly these lines (in any order)
has() {
	local sec=$1 got want
	shift
	got=$(held "$sec" | sort)
	want=$(printf '%s\n' "$@" | sort)
	[ "$got" = "$want" ] && return 0
	diff <(echo "$want") <(echo "$got") | sed 's/^/want>got /'
	return 1
}
# same BEFORE NOW: two snapshots equal, else the difference
same() { [ "$1" = "$2" ] || { diff <(echo "$1") <(echo "$2"); return 1; }; }

ids_out() { sed -E 's/(:\[|id |tag )[0-9a-f]+/\1N/g'; }	# program ids left out
wg_link_up() { # the WireGuard link up with MTU 1420, and no XDP program on any link
	held links | grep -q "^link $wgA <[^>]*,UP[,>].* mtu 1420 xdp none$" && ! held links | grep -qv 'xdp none$'
}
two_routes() { # proto 109 (meshgw's): b's LAN and the mesh, nothing else
	[ "$(held routes | grep -c 'proto 109')" = 2 ] &&
		held routes | grep -qx "route4 10.2.0.0/24 dev $wgA proto 109 scope link " &&
		held routes | grep -qx "route4 192.168.254.0/24 dev $wgA proto 109 scope link "
}
no_other_route() { # besides meshgw's, only what the kernel adds for the link's address
	local new
	new=$(comm -13 <(echo "$S0" | grep '^route' | sort) <(echo "$S1" | grep '^route' | sort) |
		grep -v "proto 109\|local 192.168.254.1 dev $wgA\|broadcast 192.168.254.255 dev $wgA")
	[ -z "$new" ] || { echo "$new"; return 1; }
}
tc_programs() { # DIRECTION DEV PROGRAM, one per tcx link or meshgw's filter, sorted
	held tc | awk '/^tcx / { print $2, $3, $6 }
		/^(ingress|egress) .* handle / { n = $13; sub(/:.*/, "", n); print $1, $2, n }' | sort | xargs
}
KIND=$(tc_kind)
# the pins of the tcx links on wan0 and the WireGuard link, where the kernel has tcx
tcx_pins=()
[ "$KIND" = tcx ] && tcx_pins=("pin tcx_uplink" "pin tcx_wg_egress" "pin tcx_wg_ingress")
changed() { ! [ "$S1" = "$(IDS=1 held)" ]; }

S0=$(IDS=1 held)

# --- up ----------------------------------------------------------------------------------
t "meshgw up on gateway a ($BACKEND)" up
record_wg_pid "$wgA"
S1=$(IDS=1 held)
t "  $wgA: up, MTU 1420; no XDP anywhere (veths: TC only, or nothing)" wg_link_up
t "  WireGuard as the mesh file says: a's key, port 51820, one peer b" has wg \
	"wg $wgA $(cat "$tmp/a.key") $pubA 51820 off" \
	"wg $wgA $pubB (none) 203.0.113.2:51820 192.168.254.2/32,10.2.0.0/24 - - - 25"
t "  address 192.168.254.1/24 on $wgA, the others untouched" has addrs \
	"addr lo inet 127.0.0.1/8" "addr lo inet6 ::1/128" "addr wan0 inet 203.0.113.1/24" \
	"addr lan0 inet 10.1.0.1/24" "addr $wgA inet 192.168.254.1/24"
t "  exactly two routes of meshgw's (proto 109): b's LAN and the mesh" two_routes
t "  no other route added but the kernel's for the address" no_other_route
is "  TC ($KIND): mg_tc_lan on wan0 ingress, mg_tc_wg_* on $wgA, nothing on the veth LAN" "$(tc_programs)" \
	"$(printf '%s\n' "egress $wgA mg_tc_wg_egress" "ingress $wgA mg_tc_wg_ingres" \
		"ingress wan0 mg_tc_lan" | sort | xargs)"
if [ "$KIND" = tcx ]; then
	is "  no clsact qdisc anywhere (tcx links need none)" "$(held tc | awk '/^qdisc .* clsact/ { print $2 }')" ""
else
	t "  clsact qdiscs on exactly those two" \
		test "$(held tc | awk '/^qdisc .* clsact/ { print $2 }' | sort | xargs)" = "$(printf '%s\n' wan0 "$wgA" | sort | xargs)"
fi
t "  sysctls: forwarding on, redirects off on all and lan0 (wan0 untouched)" has sysctls \
	"sysctl net.ipv4.ip_forward = 1" "sysctl net.ipv6.conf.all.forwarding = 1" \
	"sysctl net.ipv4.conf.all.send_redirects = 0" "sysctl net.ipv4.conf.lan0.send_redirects = 0" \
	"sysctl net.ipv4.conf.wan0.send_redirects = 1"
# The maps pinned by the data plane: the list in include/meshgw_bpf.h without the
# daemon's mg_failover (`meshgw run` adds it), and the tcx links where the kernel has
# tcx (no XDP link: TC only).
t "  pins: the data plane's twenty-three maps, the tcx links ($KIND), nothing else" has pins "${tcx_pins[@]}" \
	"pin mg_attach" "pin mg_dir4_l1" "pin mg_dir4_l2" "pin mg_ep_stats" "pin mg_exit" \
	"pin mg_exit4" "pin mg_exit6" \
	"pin mg_exit_stats" "pin mg_if_slots" "pin mg_ifaces" "pin mg_known_eps" "pin mg_local4" \
	"pin mg_mesh_tag" "pin mg_own_addr" \
	"pin mg_peer_info" "pin mg_peer_stats" "pin mg_probe_ring" "pin mg_probes" \
	"pin mg_route_filter" \
	"pin mg_route_leaf" "pin mg_routes4" "pin mg_routes6" "pin mg_stats"
t "  state: meshgw created the link; the address and each sysctl's old value recorded" has state \
	"state backend $([ "$BACKEND" = kernel ] && echo 1 || echo 2)" "state created_link 1" \
	"state address 192.168.254.1/24" \
	"state sysctl /proc/sys/net/ipv4/ip_forward 0 1" \
	"state sysctl /proc/sys/net/ipv6/conf/all/forwarding 0 1" \
	"state sysctl /proc/sys/net/ipv4/conf/all/send_redirects 1 0" \
	"state sysctl /proc/sys/net/ipv4/conf/lan0/send_redirects 1 0"

# --- up again: nothing changes, nothing is reloaded ----------------------------------------
t "up again" eval 'up 2>"$tmp/up2"' 
t "  says it changed nothing (no 'updated', 'added', 'created')" bash -c "! grep -Eq 'updated|added|created' $tmp/up2"
t "  the namespace holds exactly what it held (program ids aside)" same "$(echo "$S1" | ids_out)" "$(held)"
# dataplane_up keeps the programs that are already this build's with these settings
# (up_keep.t.sh has the cases that do reload).
t "  not even a program reloaded" same "$S1" "$(IDS=1 held)"

# --- up on a gateway changed by hand: up puts back what it owns ------------------------------
A ip route del 10.2.0.0/24 dev "$wgA"
A wg set "$wgA" listen-port 51999 peer "$pubB" remove
if [ "$KIND" = tcx ]; then
	bpftool link detach pinned "$pin/a/tcx_wg_egress"
	bpftool link detach pinned "$pin/a/tcx_uplink"
else
	A tc filter del dev "$wgA" egress
	A tc filter del dev wan0 ingress
fi
A ip addr del 192.168.254.1/24 dev "$wgA"
t "changed by hand: a route, the port, the peer, two TC programs and the address gone" changed
t "up puts them back" up
t "  the namespace holds what the first up made (programs may be new)" same "$(echo "$S1" | ids_out)" "$(held)"

# Maps pinned by a meshgw whose maps had another shape (an upgrade under a gateway
# that was up, or one that crashed): up replaces them instead of failing.
max_entries() { bpftool map show pinned "$pin/a/$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "max_entries") print $(i + 1) }'; }
want_entries=$(max_entries mg_probes)
t "down, then mg_probes pinned as an older meshgw made it (4,096 entries)" bash -c \
	"$(declare -f down A N); MESHGW=$MESHGW tmp=$tmp gA=$gA; down >/dev/null 2>&1 && mkdir -p $pin/a &&
	 bpftool map create $pin/a/mg_probes type lru_hash key 20 value 32 entries 4096 name mg_probes"
t "up over it" eval 'up 2>"$tmp/up_compat"'
t "  says it replaced that map, and why" grep -q "mg_probes: pinned by another meshgw (max_entries 4096, this build's $want_entries)" "$tmp/up_compat"
is "  mg_probes pinned with this build's size" "$(max_entries mg_probes)" "$want_entries"

# --- down ------------------------------------------------------------------------------------
t "meshgw down" down
t "  the namespace is exactly as before up (links, routes, addresses, TC, sysctls)" same "$S0" "$(IDS=1 held)"
t "  nothing left: pins, state, lock" nothing_left "$pin/a" "/run/meshgw/$wgA.state" "/run/meshgw/$wgA.lock"
if [ "$BACKEND" = userspace ]; then
	t "  wireguard-go of $wgA exited" poll 5 bash -c "! [ -S /run/wireguard/$wgA.sock ]"
fi
t "second down changes nothing" down
t "  still as before up" same "$S0" "$(IDS=1 held)"

# --- a fresh up that fails late gives back what it changed -----------------------------------
# PinPath under a pinned map (not a directory): up gets as far as the data plane,
# after the link, routes and sysctls, and fails there.
bpftool map create "$pin/notadir" type array key 4 value 4 entries 1 name notadir
sed "s|^PinPath = .*|PinPath = $pin/notadir/a|" "$tmp/a.local" >"$tmp/a-bad.local"
t "up with PinPath under a pinned map fails" bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/a-bad.local 2>$tmp/up_bad"
sed 's/^/#   /' "$tmp/up_bad" | tail -5
t "  the namespace is exactly as before (link, routes, sysctls back)" same "$S0" "$(IDS=1 held)"
t "  nothing left: state, lock" nothing_left "/run/meshgw/$wgA.state" "/run/meshgw/$wgA.lock"
rm -f "$pin/notadir"
# A mesh file with a mistake: refused before anything changes. (`up` takes the
# interface's lock before it reads the mesh file, to have wireguard-go build its
# reply meanwhile: the lock file must not outlive a refused first `up` either.)
sed 's/^ListenPort = .*/ListenPort = seventy/' "$tmp/mesh.conf" >"$tmp/mesh-bad.conf"
t "up with a mesh file that does not parse: refused" bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh-bad.conf -l $tmp/a.local 2>$tmp/up_bad2"
t "  says where" grep -q "mesh-bad.conf:[0-9]*: .*ListenPort" "$tmp/up_bad2"
t "  the namespace is exactly as before" same "$S0" "$(IDS=1 held)"
t "  nothing left: state, lock" nothing_left "/run/meshgw/$wgA.state" "/run/meshgw/$wgA.lock"

# --- a WireGuard link meshgw did not create ----------------------------------------------------
wg_start "$gA" "$wgA"
T0=$(IDS=1 held)
t "up on $wgA made by the test (adopted)" up
t "  state: created_link 0" grep -qx "created_link 0" "/run/meshgw/$wgA.state"
t "  the same routes, address, TC, sysctls and pins as on its own link" \
	same "$(echo "$S1" | grep -v '^link\|^wg\|^state\|^route6 .* dev '"$wgA" | ids_out)" \
	"$(held addrs routes tc sysctls pins | grep -v '^route6 .* dev '"$wgA")"
t "down" down
t "  $wgA, not meshgw's, is still there" A ip link show "$wgA"
# Up set the link's WireGuard keys and peers and set it up (a root qdisc comes with
# that); down leaves the link as it is.
link_own() { grep -v "^link\|^wg\|^route6 .* dev $wgA\|^qdisc $wgA .* root"; }
t "  routes, addresses, TC, sysctls as before up; no pins, no state" \
	same "$(echo "$T0" | link_own)" "$(IDS=1 held addrs routes tc sysctls pins state | link_own)"
t "  nothing left: pins, state, lock" nothing_left "$pin/a" "/run/meshgw/$wgA.state" "/run/meshgw/$wgA.lock"
# $pin itself is the parent of the test's PinPath: the test's own to remove.
t "  and $pin is empty" rmdir "$pin"
tap_done
