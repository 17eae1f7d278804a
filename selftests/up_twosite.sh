#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Two sites configured only by `meshgw up` from one mesh file, with the WireGuard
# backend given as $1 (kernel or userspace). Sourced by nobody: run directly by
# up_userspace.t.sh on the host and by vm_kernel_wg.t.sh inside the VM. TAP output.
#
#   hA ── lan0 ── gA ══ wan0 203.0.113.1/.2 ══ gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1     (mesh 192.168.254.0/24)      10.2.0.1   10.2.0.2
# (the two-site fixture, selftests/lib/twosite.sh; IPv6 fd01::/64, fd02::/64 on the LANs)
#
# Checks: LAN-to-LAN ping through the tunnel; the device agrees with the mesh file;
# a second `up` changes nothing (handshake time kept, counters not reset, nothing
# sent); an edited mesh file changes exactly the difference; a bad mesh file is
# rejected with nothing changed, and so is a data plane that must be refused (a
# foreign TC filter in meshgw's place, with TcHook = cls_bpf), while a foreign XDP program on the uplink is
# left alone with TC only on that NIC; 65,536
# allowed IPs on one peer and 1,000 peers read back by meshgw and by `wg show`;
# `down` removes only meshgw's objects.
# A second argument "backend" (vm_kernel_wg.t.sh, inside the VM, where every `up`
# costs seconds) leaves out what does not depend on the backend and runs on the host
# (up_userspace.t.sh): mesh files refused before any change, another `up` holding
# the lock, and the data plane beside foreign XDP and TC programs (on 6.1 too:
# vm_dp.t.sh leaves a foreign XDP program alone there).
set -eu
BACKEND=${1:?kernel or userspace}
PART=${2:-all}
[ "$PART" = all ] || [ "$PART" = backend ] || { echo "usage: $0 kernel|userspace [all|backend]" >&2; exit 2; }
all_part() { [ "$PART" = all ]; }
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}
READBACK=$OUT/selftests/helpers/wg_readback

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_init u
A() { N "$gA" "$@"; }
B() { N "$gB" "$@"; }

# --- topology ----------------------------------------------------------------------
twosite_topology ipv6
# Foreign objects in gateway A that `down` must leave alone.
ip -n "$gA" link add fl$s type veth peer name fp$s && ip -n "$gA" link set fl$s up
ip -n "$gA" route add 10.77.0.0/24 dev fl$s

# --- configuration -------------------------------------------------------------------
twosite_keys c
mesh() { # mesh [EXTRA_EGRESS_B] [WITH_C]
	twosite_mesh -k 25 -6 ${1:+-b "Egress = $1"}
	if [ -n "${2:-}" ]; then
		mesh_site c 192.168.254.3 "$pubC" "Endpoint = localhost:51823" \
			"Endpoint = 203.0.113.3:51820" "Egress = 10.3.0.0/24"
	fi
	return 0
}
mesh >"$tmp/mesh.conf"
for x in a b; do twosite_local $x "MeshSecretFile = $tmp/secret" "Backend = $BACKEND"; done
upA() { A "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/a.local"; }
upB() { B "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/b.local"; }
snapshot() { # everything `up` manages on gateway A, minus the live counters
	A wg show "$wgA" dump | cut -f1-4,8 | sed 's/\t/ /g' | sort
	A ip -o addr show dev "$wgA" | awk '{print $3, $4}'
	A ip route show proto 109 | sort
	A ip -6 route show proto 109 | sort
	A sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.send_redirects
}
no_site_c_in_maps() { # (the map read, and no site c in it)
	local m
	m=$(bpftool map dump pinned "/sys/fs/bpf/meshgw/$wgA/mg_peer_info") && ! grep -q '"name": "c"' <<<"$m"
}
peer_field() { # peer_field NS IF PUBKEY FIELD: from `wg show dump`
	N "$1" wg show "$2" dump | awk -v k="$3" -v f="$4" '$1 == k { print $f }'
}
# --- bad configuration before anything exists (host part) ------------------------
if all_part; then
	sed 's|^Egress = 10.2.0.0/24|Egress = 10.1.0.0/16|' "$tmp/mesh.conf" >"$tmp/bad.conf"
	if A "$MESHGW" up -c "$tmp/bad.conf" -l "$tmp/a.local" 2>"$tmp/err"; then
		not_ok "overlapping egress rejected"
	else
		ok "overlapping egress rejected (exit 1)"
	fi
	t "  with file:line and 'nothing was changed'" grep -q "bad.conf:.*overlaps" "$tmp/err"
	t "  and no link was created" bash -c "! ip -n $gA link show $wgA"
fi

# --- Backend = kernel where the kernel has no WireGuard ---------------------------------
if [ "$BACKEND" = userspace ] && ! ip -n "$gA" link add mgchk$s type wireguard 2>/dev/null; then
	sed 's/^Backend = .*/Backend = kernel/' "$tmp/a.local" >"$tmp/kernel.local"
	t "Backend = kernel without kernel WireGuard: up fails" \
		bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/kernel.local 2>$tmp/err"
	t "  says so and points at Backend = userspace" \
		bash -c "grep -q 'this kernel has no WireGuard' $tmp/err && grep -q 'Backend = userspace' $tmp/err"
	t "  and created nothing" bash -c "! ip -n $gA link show $wgA 2>/dev/null"
fi
ip -n "$gA" link del mgchk$s 2>/dev/null || true

# --- a failure midway leaves nothing behind --------------------------------------------
# A foreign route for b's LAN makes meshgw's route add fail after the link exists.
A ip route add 10.2.0.0/24 dev fl$s
t "up fails on a conflicting foreign route" \
	bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/a.local 2>$tmp/err"
t "  naming the route and the device" grep -q "add route 10.2.0.0/24 dev $wgA: File exists" "$tmp/err"
t "  the link it created is removed again" bash -c "! ip -n $gA link show $wgA 2>/dev/null"
t "  no state recorded, forwarding untouched" \
	bash -c "[ ! -e /run/meshgw/$wgA.state ] && [ \$(nsenter --net=/run/netns/$gA sysctl -n net.ipv4.ip_forward) = 0 ]"
if [ "$BACKEND" = userspace ]; then
	t "  and the wireguard-go it started is gone" poll 5 bash -c "! [ -S /run/wireguard/$wgA.sock ]"
fi
A ip route del 10.2.0.0/24 dev fl$s

# --- up --------------------------------------------------------------------------------
t "meshgw up on site a ($BACKEND)" upA; record_wg_pid "$wgA"
t "meshgw up on site b ($BACKEND)" upB; record_wg_pid "$wgB"
t "host A pings host B through the tunnel" poll 20 ip netns exec "$hA" ping -c1 -W1 10.2.0.2
t "host B pings host A" ip netns exec "$hB" ping -c1 -W1 10.1.0.2
t "the hosts, the gateways' neighbours, run no XDP program" twosite_plain "$hA" "$hB"
t "host A pings host B over IPv6 (IPv6 egress in an IPv4 mesh)" poll 10 ip netns exec "$hA" ping -6 -c1 -W1 fd02::2

# The device agrees with the mesh file.
t "listen port 51820" test "$(A wg show "$wgA" listen-port)" = 51820
t "one peer: site b's key" test "$(A wg show "$wgA" peers)" = "$pubB"
t "allowed IPs = b's mesh address + egress" \
	test "$(A wg show "$wgA" allowed-ips | cut -f2 | tr ' ' '\n' | sort | xargs)" = "10.2.0.0/24 192.168.254.2/32 fd02::/64"
t "endpoint = b's first endpoint" test "$(peer_field "$gA" "$wgA" "$pubB" 3)" = 203.0.113.2:51820
t "keepalive 25" test "$(peer_field "$gA" "$wgA" "$pubB" 8)" = 25
psk=$(peer_field "$gA" "$wgA" "$pubB" 2)
t "derived preshared key set, same at both ends" \
	bash -c "[ '$psk' != '(none)' ] && [ '$psk' = '$(peer_field "$gB" "$wgB" "$pubA" 2)' ]"
t "wg showconf shows the private key of a" \
	bash -c "nsenter --net=/run/netns/$gA wg showconf $wgA | grep -qxF 'PrivateKey = $(cat "$tmp/a.key")'"
t "mesh address 192.168.254.1/24 on $wgA" bash -c "ip -n $gA -o addr show dev $wgA | grep -q 'inet 192.168.254.1/24'"
t "routes: mesh network and b's egress via $wgA, proto 109 (meshgw)" \
	test "$(A ip route show proto 109 | awk '{print $1, $3}' | sort | xargs)" = "10.2.0.0/24 $wgA 192.168.254.0/24 $wgA"
t "  and b's IPv6 egress" test "$(A ip -6 route show proto 109 | awk '{print $1, $3}')" = "fd02::/64 $wgA"
t "IPv6 forwarding on" test "$(A sysctl -n net.ipv6.conf.all.forwarding)" = 1
t "MTU 1420" bash -c "ip -n $gA link show $wgA | grep -q 'mtu 1420'"
t "forwarding on" test "$(A sysctl -n net.ipv4.ip_forward)" = 1
t "send_redirects off on the LAN interface" test "$(A sysctl -n net.ipv4.conf.lan0.send_redirects)" = 0

# --- idempotence -------------------------------------------------------------------
before=$(snapshot)
hs=$(peer_field "$gA" "$wgA" "$pubB" 5) rx=$(peer_field "$gA" "$wgA" "$pubB" 6)
t "second up succeeds" bash -c "nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/a.local 2>$tmp/up2"
t "  and sends nothing (no 'updated'/'added' message)" bash -c "! grep -Eq 'updated|added|created' $tmp/up2"
t "  nothing changed" test "$before" = "$(snapshot)"
t "  handshake time unchanged" test "$hs" = "$(peer_field "$gA" "$wgA" "$pubB" 5)"
t "  rx counter not reset" test "$(peer_field "$gA" "$wgA" "$pubB" 6)" -ge "$rx"
t "  tunnel still up" ip netns exec "$hA" ping -c1 -W1 10.2.0.2
# The lock is meshgw's own (host part).
if all_part; then
	# Another meshgw working on the interface (its lock held for 1 s): up waits for it.
	flock /run/meshgw/$wgA.lock sleep 1 & lockpid=$!
	poll 5 bash -c "! flock -n /run/meshgw/$wgA.lock true"
	t0=$(date +%s%N)
	t "up while another holds the interface lock waits, then succeeds" upA
	t "  (it waited)" test $(( ($(date +%s%N) - t0) / 1000000 )) -ge 500
	wait $lockpid
	# A successful `down` removes the lock file while it holds it; an `up` that was
	# waiting on that file must not work under a lock nobody else can see.
	flock /run/meshgw/$wgA.lock sh -c "sleep 1; rm /run/meshgw/$wgA.lock" & lockpid=$!
	poll 5 bash -c "! flock -n /run/meshgw/$wgA.lock true"
	upA >"$tmp/up_rm" 2>&1 & uppid=$!
	wait $lockpid
	t "up waiting on a lock file that a down removed succeeds" wait $uppid
	t "  under a new lock file, there while the gateway is up" test -e /run/meshgw/$wgA.lock
fi

# --- diff ------------------------------------------------------------------------------
mesh 10.9.0.0/24 c >"$tmp/mesh.conf"
# Read again just before: WireGuard rekeys by itself 120 s after a handshake, which a
# slow run (the VM under TCG) reaches between the idempotence checks and here.
hs=$(peer_field "$gA" "$wgA" "$pubB" 5)
t "up after adding site c and an egress to b" upA
t "  peer c added" bash -c "nsenter --net=/run/netns/$gA wg show $wgA peers | grep -qxF '$pubC'"
t "  c's first endpoint, a hostname, resolved at up (localhost, from /etc/hosts)" \
	bash -c "case \$(nsenter --net=/run/netns/$gA wg show $wgA endpoints | awk -v k='$pubC' '\$1 == k { print \$2 }') in 127.0.0.1:51823|\\[::1\\]:51823) exit 0;; esac; exit 1"
t "  b's allowed IPs gained 10.9.0.0/24" \
	bash -c "nsenter --net=/run/netns/$gA wg show $wgA allowed-ips | grep -F '$pubB' | grep -q 10.9.0.0/24"
t "  routes to 10.9.0.0/24 and 10.3.0.0/24 added" \
	test "$(A ip route show proto 109 | awk '{print $1}' | sort | xargs)" = "10.2.0.0/24 10.3.0.0/24 10.9.0.0/24 192.168.254.0/24"
t "  b's handshake time unchanged (session kept)" test "$hs" = "$(peer_field "$gA" "$wgA" "$pubB" 5)"
t "  tunnel still up" ip netns exec "$hA" ping -c1 -W1 10.2.0.2
mesh >"$tmp/mesh.conf"
t "up after removing them again" upA
t "  back to the first state exactly" test "$before" = "$(snapshot)"
t "  b's handshake time unchanged" test "$hs" = "$(peer_field "$gA" "$wgA" "$pubB" 5)"

# --- refused or left alone on a running gateway (host part) ------------------------
# A bad mesh file, a key of another site: refused before anything is changed.
if all_part; then
	sed 's|^Address = 192.168.254.2|Address = 192.168.253.2|' "$tmp/mesh.conf" >"$tmp/bad2.conf"
	t "address outside the mesh rejected" bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/bad2.conf -l $tmp/a.local 2>$tmp/err"
	t "  nothing changed" test "$before" = "$(snapshot)"
	sed "s|^PrivateKeyFile = .*|PrivateKeyFile = $tmp/c.key|" "$tmp/a.local" >"$tmp/wrongkey.conf"
	t "private key not matching the site's PublicKey rejected" \
		bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/wrongkey.conf 2>$tmp/err"
	t "  says so" grep -q "but site a has PublicKey" "$tmp/err"
	t "  nothing changed" test "$before" = "$(snapshot)"

	# Refused late: a new site whose Egress the main table already routes (the
	# user's own route, same metric): the kernel refuses meshgw's route after
	# WireGuard took the new peer and b's new range. Nothing of the run stays.
	A ip route add 10.3.0.0/24 dev lan0
	mesh 10.9.0.0/24 c >"$tmp/mesh_c9.conf"
	t "a new site whose Egress the main table routes already: up refused" \
		bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh_c9.conf -l $tmp/a.local 2>$tmp/err"
	t "  names the route" grep -q "route 10.3.0.0/24 dev $wgA" "$tmp/err"
	t "  and puts back what it had changed" grep -q "what this run had changed is put back" "$tmp/err"
	t "  nothing changed (no peer c, b without 10.9.0.0/24, no route to it)" test "$before" = "$(snapshot)"
	t "  the user's route kept" bash -c "ip -n $gA route show 10.3.0.0/24 dev lan0 | grep -q ."
	A ip route del 10.3.0.0/24 dev lan0

	# Failed after WireGuard and the routes: the state file cannot be written (/run
	# full: state_full, lib/twosite.sh). The data plane comes last in `up`, so its
	# maps never steer site c's range to a peer WireGuard then no longer has.
	t "the state file cannot be written (/run full): up refused" \
		bash -c "! state_full $tmp $wgA $gA $MESHGW up -c $tmp/mesh_c9.conf -l $tmp/a.local 2>$tmp/err"
	t "  says why" grep -q "cannot write /run/meshgw/$wgA.state" "$tmp/err"
	t "  nothing changed" test "$before" = "$(snapshot)"
	t "  site c never reached the data plane's maps" no_site_c_in_maps

	# The gateway's own uplink (not a neighbour: they run none) carries an XDP program
	# meshgw did not attach: meshgw leaves it
	# alone and runs TC only there (FastPath = xdp asks for XDP, to make the point);
	# the rest of the change (site c) is applied.
	A ip link set fl$s xdp obj "$OUT/bpf/xdp_pass.bpf.o" sec xdp
	mesh "" c >"$tmp/mesh_c.conf"
	{ cat "$tmp/a.local"; echo "UplinkInterface = fl$s"; echo "FastPath = xdp"; } >"$tmp/uplink.conf"
	t "uplink with a foreign XDP program: up succeeds" \
		bash -c "nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh_c.conf -l $tmp/uplink.conf 2>$tmp/err"
	t "  names the interface and the program id, leaves it alone" \
		grep -q "Interface fl$s already has XDP program id [0-9]* (xdp_pass) that this meshgw did not attach: leaving it alone" "$tmp/err"
	t "  the foreign program is still attached, tc_lan next to it" bash -c "ip -n $gA link show fl$s | grep -q 'prog/xdp.*xdp_pass' && \
		tc_progs $gA fl$s ingress | grep -q mg_tc_lan"
	t "  up without the uplink and site c again" nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/a.local
	t "  back as before (site c gone)" test "$before" = "$(snapshot)"
	t "  the foreign program still there, nothing of ours on fl$s" bash -c "ip -n $gA link show fl$s | grep -q 'prog/xdp.*xdp_pass' && \
		tc_clean $gA fl$s"
	A ip link set fl$s xdp off
	# A driver that has native XDP but refuses the program (a veth whose peer has more
	# TX queues than it has RX queues: "XDP expects number of rx queues not less than
	# peer tx queues", ENOSPC): TC does the job there; `up` does not fail for want of
	# acceleration.
	ip -n "$gA" link add fq$s numtxqueues 1 numrxqueues 1 type veth peer name fr$s numtxqueues 4 numrxqueues 4
	A ip link set fq$s up && A ip link set fr$s up
	{ cat "$tmp/a.local"; echo "UplinkInterface = fq$s"; echo "FastPath = xdp"; } >"$tmp/refuse.conf"
	t "uplink whose driver refuses the XDP program (veth, queues): up succeeds" \
		bash -c "nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/refuse.conf 2>$tmp/err"
	t "  names the interface, the kernel's error and why" \
		grep -q "fq$s: the driver refused meshgw's XDP program (No space left on device: its peer has more TX queues than it has RX queues): TC only there" "$tmp/err"
	t "  in the driver's own words (its extended ACK, asked by netlink)" \
		grep -q "TC only there. The kernel says: veth: XDP expects number of rx queues not less than peer tx queues$" "$tmp/err"
	is "  show: no XDP there, why, tc_lan on its ingress" \
		"$(A "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/refuse.conf" |
			jq -r --arg n "fq$s" '.dataplane.interfaces[] | select(.name == $n) | "\(.xdp) \(.reason)"')" \
		"false xdp_refused"
	t "  no XDP program on it, tc_lan on its ingress" bash -c "! ip -n $gA link show fq$s | grep -q prog/xdp && \
		tc_progs $gA fq$s ingress | grep -q mg_tc_lan"
	t "  XDP still on lan0" bash -c "ip -n $gA link show lan0 | grep -q prog/xdp"
	t "  tunnel still up" ip netns exec "$hA" ping -c1 -W1 10.2.0.2
	t "  up without that uplink" upA
	t "  back as before" test "$before" = "$(snapshot)"
	t "  nothing of ours on fq$s" tc_clean "$gA" "fq$s"
	ip -n "$gA" link del fq$s
	# An attachment that fails once the maps would be written, on a running gateway:
	# the XDP link of a new uplink cannot be pinned (a directory of that name is in
	# the way). The maps keep the table they had, as WireGuard and the routes do: site
	# c must not be steered into a tunnel that has no peer c.
	ip -n "$gA" link add fz$s type veth peer name fy$s
	A ip link set fz$s up && A ip link set fy$s up
	A ethtool -K fy$s gro on >/dev/null	# its peer has NAPI: fz can take XDP
	mkdir "/sys/fs/bpf/meshgw/$wgA/xdp_fz$s"
	{ cat "$tmp/a.local"; echo "UplinkInterface = fz$s"; echo "FastPath = xdp"; } >"$tmp/pinfail.conf"
	t "a new uplink whose XDP link cannot be pinned: up refused" \
		bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh_c.conf -l $tmp/pinfail.conf 2>$tmp/err"
	t "  says why" grep -q "Failed to pin the XDP link of fz$s" "$tmp/err"
	t "  nothing changed" test "$before" = "$(snapshot)"
	t "  site c never reached the data plane's maps" no_site_c_in_maps
	rmdir "/sys/fs/bpf/meshgw/$wgA/xdp_fz$s"
	t "  up without that uplink" upA
	t "  back as before" test "$before" = "$(snapshot)"
	t "  nothing of ours on fz$s" bash -c "tc_clean $gA fz$s && ! ip -n $gA link show fz$s | grep -q prog/xdp"
	ip -n "$gA" link del fz$s
	# Another program's cls_bpf filter at meshgw's handle and priority on the LAN NIC
	# (0x4d47, "MG"; any BPF object does as the stranger). Where meshgw attaches
	# cls_bpf filters (TcHook = cls_bpf, or a kernel without tcx) that place is the
	# stranger's: up must not run it. A tcx link takes no filter's place: there up
	# goes on, ours runs before the stranger's, which stays as it was.
	stranger_qdisc=0	# tcx links made none: the stranger brings its own, and takes it away
	A tc qdisc show dev lan0 | grep -q clsact || { A tc qdisc add dev lan0 clsact; stranger_qdisc=1; }
	A tc filter replace dev lan0 ingress prio 0x4d47 handle 0x4d47 bpf da obj "$OUT/bpf/xdp_pass.bpf.o" sec xdp
	{ cat "$tmp/a.local"; echo "TcHook = cls_bpf"; } >"$tmp/cls.conf"
	t "LAN NIC with a foreign TC filter in meshgw's place, TcHook = cls_bpf: up refused" \
		bash -c "! nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh_c.conf -l $tmp/cls.conf 2>$tmp/err"
	t "  names the interface and the program" grep -q "Interface lan0 has a TC ingress filter with meshgw's handle/priority (program id [0-9]" "$tmp/err"
	t "  nothing changed (site c not added)" test "$before" = "$(snapshot)"
	if "$TCHOOKS" --tcx; then
		t "  TcHook = auto (tcx): up goes on" nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/a.local
		is "  tc_lan's tcx link, then the stranger's filter, untouched" \
			"$(N "$gA" "$TCHOOKS" lan0 | awk '$2 == "ingress" { print $3, $5 }' | xargs)" "tcx mg_tc_lan cls_bpf xdp_pass"
	fi
	A tc filter del dev lan0 ingress prio 0x4d47 handle 0x4d47 bpf
	[ "$stranger_qdisc" = 0 ] || A tc qdisc del dev lan0 clsact
	t "up puts meshgw's program back" bash -c "nsenter --net=/run/netns/$gA $MESHGW up -c $tmp/mesh.conf -l $tmp/a.local && tc_progs $gA lan0 ingress | grep -q mg_tc_lan"
	t "  tunnel still up" ip netns exec "$hA" ping -c1 -W1 10.2.0.2
	# Another tool's tcx program on the same hook (Cilium, a firewall): meshgw's link
	# and the stranger's keep their places in the kernel's order, whichever came
	# first; a stranger that hands packets on leaves meshgw's counting exact.
	if "$TCHOOKS" --tcx; then
		spin=/sys/fs/bpf/mgstranger$s
		before_cleanup() { rm -f "$spin"; }	# (the test's own stranger, if it stopped early)
		order() { N "$gA" "$TCHOOKS" lan0 | awk '$2 == "ingress" && $3 == "tcx" { print $5 }' | xargs; }
		lan_b() { A "$MESHGW" metrics -c "$tmp/mesh.conf" -l "$tmp/a.local" |
			awk '$1 == "meshgw_peer_lan_packets_total{site=\"b\"}" { print $2 }'; }
		t "a stranger's tcx program linked after meshgw's on lan0" \
			N "$gA" "$TCHOOKS" --stranger lan0 ingress "$spin"
		is "  order: meshgw's, the stranger's" "$(order)" "mg_tc_lan stranger"
		t "  up again" upA
		is "  both kept, in that order" "$(order)" "mg_tc_lan stranger"
		t "  TcHook = cls_bpf: meshgw's link becomes a filter" \
			A "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/cls.conf"
		is "  the stranger's link alone on the tcx hook" "$(order)" "stranger"
		t "  TcHook = auto again" upA
		is "  meshgw's link now after the stranger's" "$(order)" "stranger mg_tc_lan"
		n0=$(lan_b)
		t "  hA pings hB 5 times through the stranger and meshgw" \
			ip netns exec "$hA" ping -q -c5 -i 0.1 -W2 10.2.0.2
		is "  tc_lan counted each once (lan packets to b)" "$(($(lan_b) - n0))" 5
		rm -f "$spin"
		is "  the stranger's link gone with its pin, meshgw's kept" "$(order)" "mg_tc_lan"
	fi
fi

# --- large requests, read back by meshgw and by wg ---------------------------------------
t "65,536 allowed IPs on one peer, set through meshgw's encoder" A "$READBACK" "$BACKEND" "$wgA" fill 1 65536
t "  meshgw reads back 65,536 on that peer" \
	bash -c "nsenter --net=/run/netns/$gA $READBACK $BACKEND $wgA show | awk '\$2 == 65536' | grep -q ."
t "  wg show agrees" \
	test "$(A wg show "$wgA" allowed-ips | awk '{ n += NF - 1 } END { print n }')" = $((65536 + 3))
t "up removes the foreign peer again" upA
t "  back to the first state" test "$before" = "$(snapshot)"
t "1,000 peers x 4 allowed IPs, set through meshgw's encoder" A "$READBACK" "$BACKEND" "$wgA" fill 1000 4
t "  meshgw reads back 1,001 peers, 4,003 allowed IPs" \
	test "$(A "$READBACK" "$BACKEND" "$wgA" show | awk '{ p++; n += $2 } END { print p, n }')" = "1001 4003"
t "  wg show agrees" test "$(A wg show "$wgA" peers | wc -l)" = 1001
t "up removes them, b untouched" upA
t "  back to the first state" test "$before" = "$(snapshot)"
t "  b's handshake time unchanged" test "$hs" = "$(peer_field "$gA" "$wgA" "$pubB" 5)"

# --- down --------------------------------------------------------------------------------
t "meshgw down on site a" A "$MESHGW" down -l "$tmp/a.local"
t "  $wgA is gone" bash -c "! ip -n $gA link show $wgA 2>/dev/null"
t "  no meshgw route left" test -z "$(A ip route show proto 109; A ip -6 route show proto 109)"
t "  the foreign link survives" ip -n "$gA" link show fl$s
t "  the foreign route survives" bash -c "ip -n $gA route show | grep -q '10.77.0.0/24 dev fl$s'"
t "  forwarding restored to 0" test "$(A sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | xargs)" = "0 0"
t "  send_redirects restored" test "$(A sysctl -n net.ipv4.conf.lan0.send_redirects)" = 1
t "  state file removed" test ! -e /run/meshgw/$wgA.state
if [ "$BACKEND" = userspace ]; then
	t "  wireguard-go of site a exited" poll 5 bash -c "! [ -S /run/wireguard/$wgA.sock ]"
fi
t "second down is harmless" A "$MESHGW" down -l "$tmp/a.local"
t "meshgw down on site b" B "$MESHGW" down -l "$tmp/b.local"
# Before the cleanup removes anything: down itself left nothing of either site.
left=("/run/meshgw/$wgA.state" "/run/meshgw/$wgB.state" "/sys/fs/bpf/meshgw/$wgA" "/sys/fs/bpf/meshgw/$wgB")
if [ "$BACKEND" = userspace ]; then
	left+=("/run/wireguard/$wgB.sock")
	poll 5 nothing_left /run/wireguard/$wgB.sock || true	# wireguard-go removes it as it exits
fi
t "  nothing left of either site: state files, pins$([ "$BACKEND" = userspace ] && echo ", wireguard-go's socket")" \
	nothing_left "${left[@]}"

echo "1..$n"
[ "$failed" = 0 ]
