#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The BPF data plane attached by dataplane_up (through the dp_ctl helper) on two
# gateways joined by WireGuard, in network namespaces: wireguard-go on the host
# kernel (default, or argument "userspace"), kernel WireGuard with argument
# "kernel" (run inside the VM by vm_dp.t.sh).
#
#            sw (bridge) ─── rI: "internet" router 10.1.0.254, 198.51.100.1
#            │      │
#   hA ──────┘      └── gwA lanA 10.1.0.1 ══ wan 203.0.113.1/.2 ══ gwB lanB 10.2.0.1 ── hB
#  10.1.0.2            (one-armed site a)     wgA 192.168.254.1/.2 wgB           10.2.0.2
#
# Checks: LAN-to-LAN ping and TCP through the tunnel with the programs attached;
# per-peer counters in the pinned maps equal exactly the pings sent, jumbo frames
# (MTU 9000, multi-buffer XDP) included; hA reaches the
# internet namespace through gwA's fast path (the neighbours run no XDP program,
# as on a user's network, so on these veths it is TC's: tc_forward moves by exactly
# the packets sent, the kernel's ForwDatagrams does not: gateway a has FastPath = tc);
# with rp_filter strict, what the kernel would drop as spoofed is not forwarded, nor
# what comes from a martian source (127.0.0.5) with rp_filter off;
# gateway b, default settings, leaves its veth LAN to the kernel (no program there)
# and still counts its LAN's mesh traffic exactly, fragments included; a second up keeps the
# counters; an nftables chain on the forward hook sends forwarding back to the
# kernel, mesh traffic included (rules that drop pings between the LANs drop them),
# and so does a rule in a netdev ingress chain of the LAN NIC, another tool's TC
# filter on its ingress, or an IPsec policy (what it covers is not sent in clear);
# a shaping qdisc on wan0 makes it no XDP target; an XDP program meshgw
# did not attach is left alone (TC only there); down removes the pins, the links, the
# filters and the clsact qdiscs it created.
# Gateways are entered with nsenter --net so the pins live on the host's bpffs
# (ip netns exec would give each command a private /sys).
# A second argument "backend" (vm_dp.t.sh, inside the VM on 6.1) leaves out two parts
# that are meshgw's userspace alone, the same on every kernel and backend, and run on
# the host: `up` through ip netns exec adopting the host's pins, and the map
# differences of a changed mesh file.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}
DPCTL=$OUT/selftests/helpers/dp_ctl
BACKEND=${1:-userspace}
PART=${2:-all}
[ "$PART" = all ] || [ "$PART" = backend ] || { echo "usage: $0 [userspace|kernel] [all|backend]" >&2; exit 2; }
all_part() { [ "$PART" = all ]; }

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
[ "$BACKEND" = kernel ] || [ "$BACKEND" = userspace ] || { echo "usage: $0 [userspace|kernel]" >&2; exit 2; }
for t in wg iperf3 nsenter $([ "$BACKEND" = userspace ] && echo wireguard-go); do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }
done

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_init d
sw=dsw$s rI=dri$s

# No mount of bpffs here: on a fresh boot nothing has mounted it, and dataplane_up
# (dataplane_pin_dir_make) must do it itself.

# --- topology: the two-site fixture, with site a's LAN on a bridge ---------------------
twosite_ns $gA $gB $hA $hB $sw $rI
twosite_wan
twosite_lan B
ip -n $sw link add br0 type bridge
ip -n $sw link set br0 up
port() { # port NS IFNAME BRIDGEPORT: a veth from NS into the bridge
	ip link add "$2" netns "$1" type veth peer name "$3" netns $sw
	ip -n $sw link set "$3" master br0 up
	ip -n "$1" link set "$2" up
}
port $hA eth0 ph
port $gA lan0 plan0
port $rI eth0 pr
ip -n $hA addr add 10.1.0.2/24 dev eth0
ip -n $hA route add default via 10.1.0.1
ip -n $gA addr add 10.1.0.1/24 dev lan0
ip -n $gA route add default via 10.1.0.254
ip -n $rI addr add 10.1.0.254/24 dev eth0
ip -n $rI addr add 198.51.100.1/32 dev lo
for g in $gA $gB; do
	N $g sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.lan0.send_redirects=0
done

# --- WireGuard (by hand, BACKEND) and the configuration ----------------------------------
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
# a: FastPath = tc, meshgw's TC fast path on its veth LAN (tc_lan); b: the default,
# which leaves a veth LAN to the kernel (dp_iface_lan_kernel).
twosite_local a "UplinkInterface = wan0" "PinPath = $pin/a" "FastPath = tc"
twosite_local b "UplinkInterface = wan0" "PinPath = $pin/b"
twosite_wg
for g in $gA $gB; do N $g sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done

t "dataplane_up on gateway a" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
t "dataplane_up on gateway b" N $gB "$DPCTL" up "$tmp/mesh.conf" "$tmp/b.local" 51821
t "maps pinned under PinPath" test -e $pin/a/mg_peer_stats -a -e $pin/a/mg_ifaces
t "the neighbours (hosts, switch, internet) run no XDP program" twosite_plain $hA $hB $sw $rI
# lan0 is a veth: a (FastPath = tc) gets TC only, b (auto) no program at all there.
t "tc_lan on gateway a's LAN NIC, no XDP program" bash -c "tc_progs $gA lan0 ingress | grep -q mg_tc_lan && ! ip -n $gA link show lan0 | grep -q prog/xdp && ! test -e $pin/a/xdp_lan0"
t "mg_ifaces says why: FastPath = tc" bash -c "bpftool map dump pinned $pin/a/mg_ifaces | grep -q '\"why\": 1'"
t "gateway b's LAN NIC: no filter, no clsact, no XDP (the kernel forwards)" bash -c \
	"tc_clean $gB lan0 && ! ip -n $gB link show lan0 | grep -q prog/xdp"
# flags: MG_IF_KERNEL (32) on b's lan0, not on a's
lanflags() { bpftool -j map dump pinned $pin/$1/mg_ifaces | python3 -S -c '
import json, sys
for e in json.load(sys.stdin):
    v = e.get("formatted", e)["value"]
    if v["name"] == "lan0": print(v["flags"] & 32)'; }
is "  mg_ifaces: b's lan0 has MG_IF_KERNEL" "$(lanflags b)" 32
is "  a's lan0 does not" "$(lanflags a)" 0
t "TC programs on the wg device" bash -c "tc_progs $gA $wgA ingress | grep -q mg_tc_wg_ingres && tc_progs $gA $wgA egress | grep -q mg_tc_wg_egress"
t "bpftool shows peer names in the pinned peer map" bash -c "bpftool map dump pinned $pin/a/mg_peer_info | grep -q '\"name\": \"b\"'"

[ -n "${DP_HOLD:-}" ] && { echo "# holding: s=$s"; sleep "$DP_HOLD"; }
peer() { # peer GATEWAY(a|b) SITE FIELD(2 rx, 3 tx, 4 lan packets, 7 lan bytes): from the pinned maps
	"$DPCTL" peers "$pin/$1" | awk -v s="$2" -v f="$3" '$1 == s { print $f }'
}
# snap GATEWAY VAR: VAR_SITE_FIELD for every site and field of one `dp_ctl peers`
# (VAR_b_4: peer b's LAN packets), so that several counters cost one process, not
# two each (0.1-0.3 s a process in the VM).
snap() {
	local -a f
	local i
	while read -r -a f; do
		for i in "${!f[@]}"; do [ "$i" = 0 ] || printf -v "$2_${f[0]}_$((i + 1))" %s "${f[$i]}"; done
	done < <("$DPCTL" peers "$pin/$1")
}
stat() { "$DPCTL" stats "$pin/$1" | awk -v s="$2" '$1 == s { print $2 }'; }
statb() { "$DPCTL" stats "$pin/$1" | awk -v s="$2" '$1 == s { print $3 }'; }

# --- LAN to LAN through the tunnel --------------------------------------------------------
t "hA pings hB through the tunnel (handshake)" ip netns exec $hA ping -c 1 -W 5 10.2.0.2
snap a A0; snap b B0
t "10 pings hA -> hB" ip netns exec $hA ping -q -c 10 -i 0.05 -W 2 10.2.0.2
snap a A1; snap b B1
is "gw a: XDP counted 10 LAN packets for peer b" $((A1_b_4 - A0_b_4)) 10
is "gw a: tc_wg egress counted 10 tx for peer b" $((A1_b_3 - A0_b_3)) 10
is "gw a: tc_wg ingress counted 10 rx (replies) from peer b" $((A1_b_2 - A0_b_2)) 10
is "gw b: 10 rx from peer a" $((B1_a_2 - B0_a_2)) 10
is "gw b: 10 tx to peer a" $((B1_a_3 - B0_a_3)) 10
# b's lan0 has no program: the kernel routed hB's replies into WireGuard, tc_wg
# counted them as LAN traffic, with the bytes tc_lan would have seen (98 per reply).
is "gw b: 10 LAN packets for peer a (the replies, counted by tc_wg)" $((B1_a_4 - B0_a_4)) 10
is "  10 x 98 bytes" $((B1_a_7 - B0_a_7)) 980
# The programs forward in the kernel's place, so they owe it the TTL: a reply
# leaves hB with 64 and crosses two gateways; TTL 1 and 2 die at gateway a and b
# (left to the kernel, which answers "time exceeded").
is "reply reaches hA with TTL 62 (both gateways decremented)" \
	"$(ip netns exec $hA ping -c 1 -W 2 10.2.0.2 | grep -o 'ttl=[0-9]*')" "ttl=62"
t "TTL 1 to hB: time exceeded from gateway a" bash -c \
	"ip netns exec $hA ping -c 1 -W 2 -t 1 10.2.0.2 | grep -q 'From 10.1.0.1 .*Time to live exceeded'"
t "TTL 2 to hB: time exceeded from gateway b" bash -c \
	"ip netns exec $hA ping -c 1 -W 2 -t 2 10.2.0.2 | grep -q 'From .*Time to live exceeded'"
txb() { ip netns exec $hA cat /sys/class/net/eth0/statistics/tx_bytes; }
redir0=$(statb a tc_lan_redirect) txb0=$(txb)
ip netns exec $hB iperf3 -s -1 -D -B 10.2.0.2 --logfile "$tmp/iperf.log"
for _ in $(seq 50); do ip netns exec $hB ss -ltn | grep -q 10.2.0.2:5201 && break; sleep 0.1; done
t "TCP hA -> hB through the tunnel (iperf3, 2 MB)" ip netns exec $hA iperf3 -c 10.2.0.2 -n 2M --connect-timeout 3000 --logfile "$tmp/iperf-c.log"
# How long it took and how many segments were sent again: in the VM this file once
# took 282 s instead of 60 (make check, other work on the machine), in no check.
grep -E 'sender|receiver|error' "$tmp/iperf-c.log" | sed 's/^/# iperf3: /'
# Bytes, not packets: hA keeps GSO (no XDP on lan0), so the transfer may be a few
# dozen skbs. At least 90 % of what hA sent (its eth0 counter) was steered; the rest
# is ARP, and the first full-size segments, which the kernel answers with
# "fragmentation needed" (path MTU discovery of the 1420-byte tunnel).
steered() { [ $((100 * ($(statb a tc_lan_redirect) - redir0))) -ge $((90 * ($(txb) - txb0))) ]; }
t "  at least 90 % of it steered by tc_lan ($(($(txb) - txb0)) bytes sent)" poll 5 steered

# --- jumbo frames on site b's LAN (XDP multi-buffer) ------------------------------------------
# 8,000-byte pings are steered and counted with every byte, and the kernel
# fragments them for the tunnel.
t "site b's LAN to MTU 9000" \
	bash -c "ip -n $hB link set eth0 mtu 9000 && ip -n $gB link set lan0 mtu 9000"
t "  a second up keeps it (the new program takes multi-buffer frames too)" \
	N $gB "$DPCTL" up "$tmp/mesh.conf" "$tmp/b.local" 51821
snap b J0
t "5 pings of 8,000 bytes hB -> hA (fragmented for the tunnel)" \
	ip netns exec $hB ping -q -c 5 -i 0.1 -W 2 -s 8000 -M dont 10.1.0.2
snap b J1
# b's lan0 has no program: tc_wg counts them on the way out, fragments and all.
is "  gw b: tc_wg counted 5 LAN packets for peer a" $((J1_a_4 - J0_a_4)) 5
is "  with all their bytes, as on the LAN (5 x 8,042)" $((J1_a_7 - J0_a_7)) 40210
ip -n $gB link set lan0 mtu 1500
ip -n $hB link set eth0 mtu 1500

# --- the one-armed fast path --------------------------------------------------------------
ip netns exec $hA ping -c 1 -W 2 10.1.0.254 >/dev/null	# neighbours resolved up front
N $gA ping -c 1 -W 2 10.1.0.254 >/dev/null
fwd() { N $gA awk '/^Ip:/ { if (h) print $7; h = 1 }' /proc/net/snmp; }
f0=$(fwd) tx0=$(stat a tc_forward)
t "hA pings the internet namespace through gateway a" ip netns exec $hA ping -q -c 20 -i 0.05 -W 2 198.51.100.1
is "TC fast path took all 20 requests" $(($(stat a tc_forward) - tx0)) 20
is "the kernel forwarded none of them (ForwDatagrams)" $(($(fwd) - f0)) 0

# The kernel's reverse-path filter: what it drops, the fast path does not forward.
# hA sends from 203.0.113.77, which gateway a routes out of wan0, not lan0: with
# rp_filter strict the kernel drops it, with loose (a route exists) it forwards it.
# rI counts what arrives from that address.
ip -n $hA addr add 203.0.113.77/32 dev eth0
N $rI nft add table ip rpf$s
N $rI nft add chain ip rpf$s in '{ type filter hook input priority 0; policy accept; }'
N $rI nft add rule ip rpf$s in ip saddr 203.0.113.77 counter
spoofed_at_rI() { N $rI nft list chain ip rpf$s in | awk '/counter/ { print $(NF - 2) }'; }
ifflags() { bpftool -j map dump pinned $pin/a/mg_ifaces | python3 -S -c '
import json, sys
for e in json.load(sys.stdin):
    v = e.get("formatted", e)["value"]
    if v["name"] == "'"$1"'": print(v["flags"])'; }
spoof() { ip netns exec $hA ping -q -c 5 -i 0.05 -W 1 -I 203.0.113.77 198.51.100.1 >/dev/null 2>&1 || :; }
N $gA sysctl -qw net.ipv4.conf.all.rp_filter=1
t "up again with rp_filter strict on gateway a" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
is "  mg_ifaces: lan0 has MG_IF_RPF_STRICT (128)" $(($(ifflags lan0) & 384)) 128
tx0=$(stat a tc_forward) r0=$(stat a tc_rp_filter) c0=$(spoofed_at_rI)
spoof
is "5 pings from a source routed out of wan0: none reach rI (strict)" $(($(spoofed_at_rI) - c0)) 0
is "  the fast path left them to the kernel (tc_rp_filter +5)" $(($(stat a tc_rp_filter) - ${r0:-0})) 5
is "  and forwarded none (tc_forward)" $(($(stat a tc_forward) - tx0)) 0
tx0=$(stat a tc_forward)
ip netns exec $hA ping -q -c 5 -i 0.05 -W 2 198.51.100.1 >/dev/null
is "  hA's own pings still take the fast path" $(($(stat a tc_forward) - tx0)) 5
N $gA sysctl -qw net.ipv4.conf.all.rp_filter=2
t "up again with rp_filter loose" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
is "  mg_ifaces: lan0 has MG_IF_RPF_LOOSE (256)" $(($(ifflags lan0) & 384)) 256
tx0=$(stat a tc_forward) c0=$(spoofed_at_rI)
spoof
is "5 pings from that source reach rI (loose: a route to it exists)" $(($(spoofed_at_rI) - c0)) 5
is "  by the fast path" $(($(stat a tc_forward) - tx0)) 5
N $gA sysctl -qw net.ipv4.conf.all.rp_filter=0
t "up again with rp_filter off" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
is "  mg_ifaces: lan0 without MG_IF_RPF_*" $(($(ifflags lan0) & 384)) 0
ip -n $hA addr del 203.0.113.77/32 dev eth0
# A source the kernel never forwards from (127.0.0.5: a martian), whatever
# rp_filter says: hA's frames to gateway a's MAC carry it (a raw socket, as a
# broken or hostile host sends them); rI counts them before its own routing. So
# is one of the gateway's own addresses (10.1.0.1, lan0's; 203.0.113.1, wan0's:
# a LAN host spoofing the gateway), which the kernel drops with rp_filter off too.
N $rI nft add chain ip rpf$s pre '{ type filter hook prerouting priority -300; policy accept; }'
N $rI nft add rule ip rpf$s pre ip saddr 127.0.0.5 counter
N $rI nft add rule ip rpf$s pre ip saddr '{ 10.1.0.1, 203.0.113.1 }' counter
# martians_at_rI N: what rI's Nth counter rule counted
martians_at_rI() { N $rI nft list chain ip rpf$s pre | awk -v n="$1" '/counter/ && ++i == n { print $(NF - 2) }'; }
send_martians() { # send_martians SRC: 3 ICMP echo requests SRC -> 198.51.100.1, to gateway a's lan0
	ip netns exec $hA python3 -S - "$(ip -n $gA -br link show lan0 | awk '{ print $3 }')" "$1" <<-'PY'
	import socket, struct, sys
	def csum(b):
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    s = (s >> 16) + (s & 0xffff)
	    return ~(s + (s >> 16)) & 0xffff
	icmp = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"martian!"
	icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
	ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
	                 socket.inet_aton(sys.argv[2]), socket.inet_aton("198.51.100.1"))
	ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
	s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	s.bind(("eth0", 0))
	mac = open("/sys/class/net/eth0/address").read().strip()
	eth = bytes.fromhex(sys.argv[1].replace(":", "")) + bytes.fromhex(mac.replace(":", "")) + b"\x08\x00"
	for _ in range(3):
	    s.send(eth + ip + icmp)
	PY
}
tx0=$(stat a tc_forward) m0=$(stat a tc_martian_source) c0=$(martians_at_rI 1)
send_martians 127.0.0.5
sleep 0.3
is "3 frames from 127.0.0.5 through gateway a: none reach rI" $(($(martians_at_rI 1) - c0)) 0
is "  left to the kernel as martians (tc_martian_source +3)" $(($(stat a tc_martian_source) - ${m0:-0})) 3
is "  none forwarded by the fast path" $(($(stat a tc_forward) - tx0)) 0
is "gateway a's mg_local4 holds its IPv4 addresses (lo, lan0, wan0, the mesh address)" \
	"$(bpftool -j map dump pinned $pin/a/mg_local4 | python3 -S -c 'import json, sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["n"])')" 4
tx0=$(stat a tc_forward) m0=$(stat a tc_martian_source) c0=$(martians_at_rI 2)
send_martians 10.1.0.1
send_martians 203.0.113.1
sleep 0.3
is "6 frames from gateway a's own addresses (lan0's, wan0's) through it: none reach rI" \
	$(($(martians_at_rI 2) - c0)) 0
is "  left to the kernel as martians (tc_martian_source +6)" $(($(stat a tc_martian_source) - ${m0:-0})) 6
is "  none forwarded by the fast path" $(($(stat a tc_forward) - tx0)) 0
# A local route that is no address (AnyIP: a whole prefix answered by the box):
# the kernel judges sources by a route lookup then, and so do the fast paths.
N $gA ip route add local 192.0.2.0/24 dev lo
t "up again with a local route for 192.0.2.0/24 (AnyIP)" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
is "  mg_local4 says: ask the routing table (n = 17)" \
	"$(bpftool -j map dump pinned $pin/a/mg_local4 | python3 -S -c 'import json, sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["n"])')" 17
N $rI nft add rule ip rpf$s pre ip saddr 192.0.2.5 counter
tx0=$(stat a tc_forward) m0=$(stat a tc_martian_source) c0=$(martians_at_rI 3)
send_martians 192.0.2.5
sleep 0.3
is "3 frames from 192.0.2.5 (local by that route) through gateway a: none reach rI" $(($(martians_at_rI 3) - ${c0:-0})) 0
is "  left to the kernel as martians (tc_martian_source +3)" $(($(stat a tc_martian_source) - ${m0:-0})) 3
N $gA ip route del local 192.0.2.0/24 dev lo
t "up again without it" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
tx0=$(stat a tc_forward)
ip netns exec $hA ping -q -c 5 -i 0.05 -W 2 198.51.100.1 >/dev/null
is "  hA's pings to rI by the fast path again (tc_forward +5)" $(($(stat a tc_forward) - tx0)) 5

# A firewall or NAT on the gateway's forwarding path must see every packet: with a
# rule in an nftables chain on the forward hook, the fast path leaves forwarding to
# the kernel. An empty accepting chain (Debian's stock nftables.conf) changes nothing.
N $gA nft add table inet mgfw$s
N $gA nft add chain inet mgfw$s fwdchk '{ type filter hook forward priority 0; policy accept; }'
t "up again with an empty accepting forward chain in gateway a" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
tx0=$(stat a tc_forward)
ip netns exec $hA ping -q -c 5 -i 0.05 -W 2 198.51.100.1 >/dev/null
is "  TC fast path still took all 5" $(($(stat a tc_forward) - tx0)) 5
N $gA nft add rule inet mgfw$s fwdchk counter
t "up again with a rule in it" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
f0=$(fwd) tx0=$(stat a tc_forward)
t "  hA still reaches the internet namespace" ip netns exec $hA ping -q -c 10 -i 0.05 -W 2 198.51.100.1
is "  the fast path took none of them" $(($(stat a tc_forward) - tx0)) 0
is "  the kernel forwarded all 10 (ForwDatagrams), the rule counted them" $(($(fwd) - f0)) 10
# The user's rules apply to mesh traffic too: neither tc_lan (LAN -> tunnel) nor
# tc_wg (tunnel -> LAN) forwards past them while netfilter acts. Rules that drop
# hA's pings to hB and hB's to hA drop them as they do without meshgw.
N $gA nft add chain inet mgfw$s meshchk '{ type filter hook forward priority 0; policy accept; }'
N $gA nft add rule inet mgfw$s meshchk ip saddr 10.1.0.2 ip daddr 10.2.0.2 icmp type echo-request counter drop
N $gA nft add rule inet mgfw$s meshchk ip saddr 10.2.0.2 ip daddr 10.1.0.2 icmp type echo-request counter drop
dropped() { # SRC: what gateway a's rule for pings from SRC dropped
	N $gA nft list chain inet mgfw$s meshchk | awk -v s="$1" '$0 ~ "saddr " s " " { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
mesh0=$(peer a b 4)
t "  hA -> hB: 3 pings dropped by gateway a's forward rule" bash -c "! ip netns exec $hA ping -q -c 3 -i 0.1 -W 1 10.2.0.2"
is "    the rule dropped all 3" "$(dropped 10.1.0.2)" 3
is "    none counted as sent to peer b (dropped before the tunnel)" $(($(peer a b 4) - mesh0)) 0
t "  hB -> hA: 3 pings dropped by gateway a's rule on the way out of the tunnel" \
	bash -c "! ip netns exec $hB ping -q -c 3 -i 0.1 -W 1 10.1.0.2"
is "    the rule dropped all 3" "$(dropped 10.2.0.2)" 3
N $gA nft delete chain inet mgfw$s meshchk
mesh0=$(peer a b 4)
t "  rules removed: hA -> hB again" ip netns exec $hA ping -q -c 2 -i 0.1 -W 2 10.2.0.2
# tc_lan hands them on uncounted while netfilter acts; tc_wg counts them in the tunnel.
is "    its 2 pings counted for peer b (by tc_wg)" $(($(peer a b 4) - mesh0)) 2
t "  and hB -> hA" ip netns exec $hB ping -q -c 2 -i 0.1 -W 2 10.1.0.2
# The same with XDP on gateway a's LAN NIC (FastPath = xdp): while netfilter acts,
# XDP hands the mesh traffic on uncounted too, so what a rule drops is not counted
# as sent (XDP counted it before the rule saw it, before 2026-12-04).
sed 's/^FastPath = tc$/FastPath = xdp/' "$tmp/a.local" >"$tmp/a_xdp.local"
N $gA nft add chain inet mgfw$s meshchk '{ type filter hook forward priority 0; policy accept; }'
N $gA nft add rule inet mgfw$s meshchk ip saddr 10.1.0.2 ip daddr 10.2.0.2 icmp type echo-request counter drop
t "  up with XDP on lan0 (FastPath = xdp), hA's pings to hB dropped by a rule again" \
	N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a_xdp.local" 51821
t "    XDP on lan0" bash -c "ip -n $gA link show lan0 | grep -q prog/xdp"
mesh0=$(peer a b 4)
t "    hA -> hB: 3 pings dropped" bash -c "! ip netns exec $hA ping -q -c 3 -i 0.1 -W 1 10.2.0.2"
is "    none counted as sent to peer b" $(($(peer a b 4) - mesh0)) 0
N $gA nft delete chain inet mgfw$s meshchk
mesh0=$(peer a b 4)
t "    rule removed: hA -> hB again" ip netns exec $hA ping -q -c 2 -i 0.1 -W 2 10.2.0.2
is "    its 2 pings counted for peer b once (by tc_wg, not XDP)" $(($(peer a b 4) - mesh0)) 2
t "  back to TC only on lan0 (FastPath = tc)" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
N $gA nft delete table inet mgfw$s
t "  chain removed, up again" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
tx0=$(stat a tc_forward)
ip netns exec $hA ping -q -c 5 -i 0.05 -W 2 198.51.100.1 >/dev/null
is "  TC fast path took all 5" $(($(stat a tc_forward) - tx0)) 5
# A NIC's own ingress chain (netdev family) runs after TC's ingress hook, so a
# redirect there skips it: with a rule in one, forwarding is the kernel's too.
N $gA nft add table netdev mgnd$s
N $gA nft add chain netdev mgnd$s in "{ type filter hook ingress device lan0 priority 0; policy accept; }"
N $gA nft add rule netdev mgnd$s in ip daddr 198.51.100.1 icmp type echo-request counter drop
t "up again with a netdev ingress rule on lan0 that drops pings to the internet namespace" \
	N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
t "  hA's 3 pings are dropped, as without meshgw" bash -c "! ip netns exec $hA ping -q -c 3 -i 0.1 -W 1 198.51.100.1"
is "  by that rule" "$(N $gA nft list chain netdev mgnd$s in | awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')" 3
N $gA nft delete table netdev mgnd$s
t "  table removed, up again" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
tx0=$(stat a tc_forward)
ip netns exec $hA ping -q -c 5 -i 0.05 -W 2 198.51.100.1 >/dev/null
is "  TC fast path took all 5" $(($(stat a tc_forward) - tx0)) 5
# Another tool's TC filter on lan0's ingress (here an ACL that drops pings; an IFB
# mirror for ingress shaping, sqm-scripts', sits in the same place) runs after
# meshgw's program, which would pass it by with a redirect: with one there, the
# kernel forwards what comes in by lan0, through it.
clsact_ours=0
N $gA tc qdisc show dev lan0 | grep -q clsact || { N $gA tc qdisc add dev lan0 clsact; clsact_ours=1; }
N $gA tc filter add dev lan0 ingress prio 100 handle 7 bpf da obj "$OUT/bpf/tc_drop.bpf.o" sec tc
t "up again with another tool's TC filter on lan0's ingress" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
is "  mg_ifaces: lan0 has MG_IF_FILTERS (512), not MG_IF_FWD (8)" $(($(ifflags lan0) & 520)) 512
is "  wan0 keeps MG_IF_FWD" $(($(ifflags wan0) & 520)) 8
t "  hA's pings to rI are dropped by that filter, as without meshgw" \
	bash -c "! ip netns exec $hA ping -q -c 3 -i 0.1 -W 1 198.51.100.1"
N $gA tc filter del dev lan0 ingress prio 100 handle 7 bpf
[ "$clsact_ours" = 0 ] || N $gA tc qdisc del dev lan0 clsact
t "  filter removed, up again" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
is "  mg_ifaces: lan0 has MG_IF_FWD again" $(($(ifflags lan0) & 520)) 8
tx0=$(stat a tc_forward)
ip netns exec $hA ping -q -c 5 -i 0.05 -W 2 198.51.100.1 >/dev/null
is "  TC fast path took all 5" $(($(stat a tc_forward) - tx0)) 5
# A queueing discipline that shapes what leaves wan0 (tbf; cake with sqm-scripts):
# XDP frames would pass it by, so wan0 is no XDP target while it is there. (GRO on
# gB's end of the link gives it the NAPI a veth needs to be one.)
if genl ctrl get name netdev >/dev/null 2>&1 && command -v ethtool >/dev/null; then
	N $gB ethtool -K wan0 gro on >/dev/null
	t "gB's end of wan0 with GRO: up again" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
	is "  wan0 is an XDP target (MG_IF_XMIT)" $(($(ifflags wan0) & 2)) 2
	N $gA tc qdisc add dev wan0 root tbf rate 100mbit burst 32k latency 50ms
	t "  tbf on wan0: up again" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
	is "  wan0 is no XDP target" $(($(ifflags wan0) & 2)) 0
	N $gA tc qdisc del dev wan0 root
	t "  tbf removed: up again" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
	is "  wan0 is an XDP target again" $(($(ifflags wan0) & 2)) 2
	N $gB ethtool -K wan0 gro off >/dev/null
	N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821 >/dev/null
else
	echo "# no xdp-features in this kernel (or no ethtool): the qdisc check is left out"
fi
# A policy-based IPsec tunnel (strongSwan's kind) from site a's LAN to rI's address:
# the kernel must encrypt what it forwards there, and with no key yet (no xfrm state)
# it sends nothing; the fast path would send it in clear. rI counts what arrives
# from hA in clear.
N $rI nft add rule ip rpf$s in ip saddr 10.1.0.2 icmp type echo-request counter
clear_at_rI() { N $rI nft list chain ip rpf$s in | awk '/10.1.0.2/ { print $(NF - 2) }'; }
if N $gA ip xfrm policy list >/dev/null 2>&1; then
	for dir in out fwd; do
		N $gA ip xfrm policy add src 10.1.0.0/24 dst 198.51.100.1/32 dir $dir \
			tmpl src 10.1.0.1 dst 10.1.0.254 proto esp mode tunnel
	done
	t "up again with IPsec policies for site a's LAN to rI" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
	c0=$(clear_at_rI) tx0=$(stat a tc_forward)
	t "  hA's 3 pings to rI do not get through (no key: the kernel holds them)" \
		bash -c "! ip netns exec $hA ping -q -c 3 -i 0.1 -W 1 198.51.100.1"
	is "  none reached rI in clear" $(($(clear_at_rI) - c0)) 0
	is "  the fast path took none" $(($(stat a tc_forward) - tx0)) 0
	N $gA ip xfrm policy flush
	t "  policies removed, up again" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
	tx0=$(stat a tc_forward)
	ip netns exec $hA ping -q -c 5 -i 0.05 -W 2 198.51.100.1 >/dev/null
	is "  TC fast path took all 5" $(($(stat a tc_forward) - tx0)) 5
else
	echo "# no xfrm netlink in this kernel: the IPsec policy checks are left out"
fi

# --- probes and endpoint counting on the uplink (TC on wan0, a veth) -------------------
epb=$(bpftool map dump pinned $pin/b/mg_ep_stats | grep -A8 '203, *0, *113, *1' | awk -F': ' '/"packets"/ { gsub(",", "", $2); print $2 }')
t "gw b counted WireGuard packets from gw a's endpoint address" test "${epb:-0}" -gt 0
ans0=$(stat b tc_probe_answered) rec0=$(stat a tc_probe_reply)
t "gw a sends a probe to gw b's WireGuard port" N $gA "$DPCTL" probe "$tmp/mesh.conf" "$tmp/a.local" 203.0.113.2 51820 4242
for _ in $(seq 50); do [ "$(stat a tc_probe_reply)" != "$rec0" ] && break; sleep 0.05; done
is "  gw b's TC answered it" $(($(stat b tc_probe_answered) - ans0)) 1
is "  gw a's TC recorded the reply" $(($(stat a tc_probe_reply) - rec0)) 1
t "  mg_probes holds seq 4242 from 203.0.113.2:51820" bash -c \
	"bpftool map dump pinned $pin/a/mg_probes | grep -A12 '203, *0, *113, *2' | grep -q '\"last_seq\": 4242'"

# --- `ip netns exec` (private /sys, no bpffs there): up must adopt the host's pins --
if all_part; then
	rxb=$(peer b a 2)
	t "up on gateway b through ip netns exec" ip netns exec $gB "$DPCTL" up "$tmp/mesh.conf" "$tmp/b.local" 51821
	t "  tc_wg still attached after it exited" bash -c "tc_progs $gB $wgB egress | grep -q mg_tc_wg_egress"
	is "  the host's pinned counters were adopted" "$(peer b a 2)" "$rxb"
fi

# --- idempotence, refusal, down -----------------------------------------------------------
lanb=$(peer a b 4)
t "second dataplane_up succeeds" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
is "  counters survive it" "$(peer a b 4)" "$lanb"
if all_part; then
	# Map diffs: a site added to the mesh file appears, removed it goes, b keeps its
	# slot and counters; a known endpoint added by the daemon (a resolved hostname of
	# b, 198.51.100.50) survives `up`.
	epkey="0 0 0 0 0 0 0 0 0 0 0xff 0xff 198 51 100 50 2 0 0 0"
	rtkey="24 0 0 0 10 3 0 0"
	bpftool map update pinned $pin/a/mg_known_eps key $epkey value 1 0 0 0
	cp "$tmp/mesh.conf" "$tmp/mesh2.conf"
	printf '\n[Site c]\nAddress = 192.168.254.3\nPublicKey = %s\nEndpoint = 203.0.113.3:51820\nEgress = 10.3.0.0/24\n' \
		"$("$MESHGW" genkey | "$MESHGW" pubkey)" >>"$tmp/mesh2.conf"
	lanb=$(peer a b 4)
	t "up with site c added" N $gA "$DPCTL" up "$tmp/mesh2.conf" "$tmp/a.local" 51821
	t "  c's egress range is in mg_routes4" bpftool map lookup pinned $pin/a/mg_routes4 key $rtkey
	t "  c has a peer slot" bash -c "bpftool map dump pinned $pin/a/mg_peer_info | grep -q '\"name\": \"c\"'"
	t "up with site c removed" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
	t "  c's range is gone" bash -c "! bpftool map lookup pinned $pin/a/mg_routes4 key $rtkey 2>/dev/null"
	t "  c's slot is gone" bash -c "! bpftool map dump pinned $pin/a/mg_peer_info | grep -q '\"name\": \"c\"'"
	is "  b kept its slot and counters" "$(peer a b 4)" "$lanb"
	t "  the daemon's known endpoint of b survived" bpftool map lookup pinned $pin/a/mg_known_eps key $epkey
fi
# LanInterface moved to another NIC: up takes everything of ours off the old one.
ip -n $gA link add lan1 type veth peer name lan1p
ip -n $gA link set lan1 up
sed 's/^LanInterface = lan0/LanInterface = lan1/' "$tmp/a.local" >"$tmp/a1.local"
t "up with LanInterface moved to lan1" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a1.local" 51821
t "  tc_lan on lan1" bash -c "tc_progs $gA lan1 ingress | grep -q mg_tc_lan"
t "  nothing of ours left on lan0 (XDP, filter, clsact)" bash -c "! ip -n $gA link show lan0 | grep -q prog/xdp && \
	tc_clean $gA lan0 && ! test -e $pin/a/xdp_lan0"
t "up back on lan0" N $gA "$DPCTL" up "$tmp/mesh.conf" "$tmp/a.local" 51821
t "  lan1 clean again" bash -c "! ip -n $gA link show lan1 | grep -q prog/xdp && tc_clean $gA lan1"
t "down on gateway a" N $gA "$DPCTL" down "$tmp/mesh.conf" "$tmp/a.local"
t "  pins, XDP and clsact gone" bash -c "! test -e $pin/a && ! ip -n $gA link show lan0 | grep -q prog/xdp && \
	tc_clean $gA lan0 && tc_clean $gA $wgA"
# A foreign XDP program (loaded by ip, not meshgw) on the gateway's own NIC, not on a
# neighbour (they run none in this test), is never replaced: that NIC
# runs TC only (FastPath = xdp asks for XDP there, to make the point).
ip -n $gA link set lan0 xdp obj "$OUT/bpf/xdp_pass.bpf.o" sec xdp
sed 's/^FastPath = tc/FastPath = xdp/' "$tmp/a.local" >"$tmp/a-xdp.local"
t "up with a foreign XDP program on lan0 succeeds" bash -c "nsenter --net=/run/netns/$gA $DPCTL up $tmp/mesh.conf $tmp/a-xdp.local 51821 2>$tmp/err"
t "  says it leaves it alone, naming the interface and the program id" \
	grep -q "lan0 already has XDP program id [0-9]* (xdp_pass) that this meshgw did not attach: leaving it alone" "$tmp/err"
t "  the foreign program is still attached" bash -c "ip -n $gA link show lan0 | grep -q 'prog/xdp.*xdp_pass'"
t "  tc_lan on lan0, mg_ifaces says why (foreign)" bash -c "tc_progs $gA lan0 ingress | grep -q mg_tc_lan && \
	bpftool map dump pinned $pin/a/mg_ifaces | grep -q '\"why\": 8'"
t "  hA still reaches the internet namespace" ip netns exec $hA ping -q -c 3 -i 0.05 -W 2 198.51.100.1
t "down" N $gA "$DPCTL" down "$tmp/mesh.conf" "$tmp/a-xdp.local"
t "  the foreign program is still attached, nothing of ours left" bash -c "ip -n $gA link show lan0 | grep -q 'prog/xdp.*xdp_pass' && \
	! test -e $pin/a && tc_clean $gA lan0 && tc_clean $gA $wgA"

# --- what down leaves behind, checked before the cleanup removes anything ----------------
t "down on gateway b" N $gB "$DPCTL" down "$tmp/mesh.conf" "$tmp/b.local"
t "  nothing left: pins in $pin/a and $pin/b" nothing_left $pin/a $pin/b
# $pin itself is the parent of the test's PinPaths: the test's own to remove.
t "  and $pin is empty" rmdir $pin
tap_done
