#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Internet exit through another site (DESIGN.md): London (a) sends its LAN's internet
# traffic through Madrid (b, Exit = yes), Paris (c, Exit = yes) second. An "internet
# host" answers every datagram with the source address it saw:
#
#   hA ── lan0 ── gA ── wan0 .1 ─┐
#  10.1.0.2, .3   (ExitVia b, c)  │
#   hB ── lan0 ── gB ── wan0 .2 ─┤  inet: br0 203.0.113.254/24   198.51.100.1
#  10.2.0.2      (Exit = yes)     ├──── (a router: the internet) ── up0 ── eth0 ── ih .9
#   hC ── lan0 ── gC ── wan0 .3 ─┤                                 (UDP 7777: "who am I")
#  10.3.0.2      (Exit = yes)     │
#            laptop ── eth0 .4 ──┘  (wg-quick, 192.168.254.50, Exit = b)
# mesh 192.168.254.0/24: gA .1, gB .2, gC .3. gA masquerades its own LAN on wan0, as
# a site's router does: the local internet shows 203.0.113.1. The internet host is
# beyond a router, as on the internet (wg-quick's routing leaves on-link addresses
# out of the tunnel). Neighbours run no XDP.
#
# Checked: hA reaches ih as Madrid (203.0.113.2); mesh traffic (hA -> hB) and Madrid's
# own LAN are not translated; a source outside ExitSources and the gateway itself go
# out locally; a laptop (a client with Exit = b) brought up with wg-quick on its
# exported file reaches ih as Madrid; the per-exit counters move by exactly the
# traffic; with the daemon, Madrid cut off ->
# Paris, Paris cut off too -> the local internet, both back -> Madrid after the
# hold-down (times printed); `down` leaves no nftables table, state or pin.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/selftests/lib/tap.sh"
. "$SRC/selftests/lib/twosite.sh"
twosite_require "${1:-userspace}" wg nft ip python3 bpftool jq
twosite_init ex
gC=exgc$s hC=exhc$s ih=exih$s wgC=exwc$s wgc=$wgC laptop=exlp$s wgL=exwl$s daemon=
WHO="python3 $SRC/selftests/lib/udp_whoami.py"
HOLDDOWN_MS=2000
before_cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -e "/run/netns/$laptop" ] && ip netns exec "$laptop" wg-quick down "$tmp/$wgL.conf" >/dev/null 2>&1
	remove_left "/run/wireguard/$wgL.sock"
	[ -e "/run/netns/$gC" ] && N "$gC" "$MESHGW" down -l "$tmp/c.local" >/dev/null 2>&1
	remove_left "/run/meshgw/$wgC.state" "/run/meshgw/$wgC.lock" "/run/wireguard/$wgC.sock"
}
A() { N "$gA" "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/a.local"; }
B() { N "$gB" "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/b.local"; }
C() { N "$gC" "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/c.local"; }
IH=198.51.100.9
# ask NS [SRC]: the address ih saw for a question from NS (from SRC)
ask() { ip netns exec "$1" $WHO ask $IH 7777 ${2:-}; }

# --- topology ---------------------------------------------------------------------------
inet=exin$s
twosite_ns "$gA" "$gB" "$gC" "$hA" "$hB" "$hC" "$ih" "$inet" "$laptop"
# No IPv6 but on the laptop (wg-quick routes ::/0 into its tunnel): autoconfiguration
# would move counters the test checks exactly.
for ns in "$gA" "$gB" "$gC" "$hA" "$hB" "$hC" "$ih" "$inet"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
twosite_internet "$inet"
twosite_plug "$gA" wan0 1
twosite_plug "$gB" wan0 2
twosite_plug "$gC" wan0 3
twosite_plug "$laptop" eth0 4
ip -n "$inet" addr add 203.0.113.254/24 dev br0
ip link add up0 netns "$inet" type veth peer name eth0 netns "$ih"
ip -n "$inet" addr add 198.51.100.1/24 dev up0 && ip -n "$inet" link set up0 up
ip -n "$ih" addr add $IH/24 dev eth0 && ip -n "$ih" link set eth0 up
ip -n "$ih" route add default via 198.51.100.1
ip netns exec "$inet" sysctl -qw net.ipv4.ip_forward=1
for ns in "$gA" "$gB" "$gC" "$laptop"; do ip -n "$ns" route add default via 203.0.113.254; done
twosite_lan A
twosite_lan B
ip link add lan0 netns "$gC" type veth peer name eth0 netns "$hC"
ip -n "$gC" addr add 10.3.0.1/24 dev lan0 && ip -n "$gC" link set lan0 up
ip -n "$hC" addr add 10.3.0.2/24 dev eth0 && ip -n "$hC" link set eth0 up
ip -n "$hC" route add default via 10.3.0.1
ip -n "$hA" addr add 10.1.0.3/24 dev eth0	# a LAN host outside ExitSources
# London's router NAT (its own internet); Madrid's LAN is routed as it is.
N "$gA" nft -f - <<'EOF'
table ip sitenat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" ip saddr 10.1.0.0/24 masquerade
	}
}
EOF
ip -n "$inet" route add 10.2.0.0/24 via 203.0.113.2	# Madrid's LAN is routed, not NATed
for ns in "$gA" "$gB" "$gC"; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done
nsenter --net=/run/netns/"$ih" $WHO serve 0.0.0.0 7777 &
pids+=($!)
nsenter --net=/run/netns/"$hB" $WHO serve 10.2.0.2 7777 &
pids+=($!)

twosite_keys c laptop
{
	twosite_mesh -b "Exit = yes"
	mesh_site c 192.168.254.3 "$pubC" "Endpoint = 203.0.113.3:51820" "Egress = 10.3.0.0/24" "Exit = yes"
	printf '\n[Client laptop]\nAddress = 192.168.254.50\nPublicKey = %s\nExit = b\n' "$pubLAPTOP"
} >"$tmp/mesh.conf"
# wan0 is each gateway's uplink: probes arrive there and are answered there.
twosite_local a "MeshSecretFile = $tmp/secret" "Backend = $BACKEND" "PinPath = $pin/a" "UplinkInterface = wan0" \
	"ExitVia = b" "ExitVia = c" "ExitSources = 10.1.0.2/32" \
	"FailureWindow = 300ms" "HoldDown = ${HOLDDOWN_MS}ms"
for x in b c; do
	twosite_local $x "MeshSecretFile = $tmp/secret" "Backend = $BACKEND" "PinPath = $pin/$x" "UplinkInterface = wan0"
done

t "meshgw check: London exits via Madrid, then Paris" A check
t "meshgw up on Madrid (exit site)" B up; record_wg_pid "$wgB"
t "meshgw up on Paris (exit site)" C up; record_wg_pid "$wgC"
t "meshgw up on London" A up; record_wg_pid "$wgA"
t "twosite_plain: the neighbours run no XDP program" twosite_plain "$hA" "$hB" "$hC" "$ih" "$inet"

# --- what up configured ---------------------------------------------------------------------
tbl() { echo "meshgw_exit_$(eval echo "\$wg$1")"; }
t "Madrid: nftables table inet $(tbl B)" N "$gB" nft list table inet "$(tbl B)"
t "  it masquerades sources of the other sites only, never to mesh ranges" bash -c \
	"nsenter --net=/run/netns/$gB nft list table inet $(tbl B) | tr -s ' \t\n' ' ' | grep -q 'ip saddr @exit_src4 ip daddr != @mesh4 masquerade' &&
	 nsenter --net=/run/netns/$gB nft list set inet $(tbl B) exit_src4 | grep -q '10.1.0.0/24' &&
	 ! nsenter --net=/run/netns/$gB nft list set inet $(tbl B) exit_src4 | grep -q '10.2.0.0/24'"
t "  show on Madrid: 'exit site'" bash -c "nsenter --net=/run/netns/$gB '$MESHGW' show -c '$tmp/mesh.conf' -l '$tmp/b.local' | grep -q '^  exit site: '"
# A failed `up` leaves the masquerade as it was: a new site d (its range a new exit
# source) refused late, when the state file cannot be written (state_full).
pubD=$("$MESHGW" genkey | "$MESHGW" pubkey)
{ cat "$tmp/mesh.conf"; mesh_site d 192.168.254.4 "$pubD" "Endpoint = 203.0.113.9:51820" "Egress = 10.4.0.0/24"; } >"$tmp/mesh_d.conf"
exit_before=$(N "$gB" nft list table inet "$(tbl B)")
t "Madrid: up with a new site d, the state file cannot be written: refused" \
	bash -c "! state_full $tmp $wgB $gB $MESHGW up -c $tmp/mesh_d.conf -l $tmp/b.local 2>$tmp/err"
t "  says why" grep -q "cannot write /run/meshgw/$wgB.state" "$tmp/err"
t "  the exit table as it was (10.4.0.0/24 not among its sources)" \
	test "$exit_before" = "$(N "$gB" nft list table inet "$(tbl B)")"
t "  no peer d in WireGuard" bash -c "! nsenter --net=/run/netns/$gB wg show $wgB peers | grep -qF '$pubD'"
# mg_own_addr (dp_own_addr.h): a site's own addresses whose replies leave by their
# uplink rather than the tunnel; none on an exit site, whose peers may accept any
# source from it (Madrid answering a London host that reached its public address
# through the exit must answer through the tunnel).
own_n() { bpftool -j map dump pinned "$pin/$1/mg_own_addr" | jq length; }
is "Madrid (exit): mg_own_addr empty" "$(own_n b)" 0
t "London: its uplink address in mg_own_addr" test "$(own_n a)" -ge 1
t "London: no exit table (not an exit site)" bash -c "! nsenter --net=/run/netns/$gA nft list tables | grep -q meshgw_exit"
allowed() { N "$gA" wg show "$wgA" allowed-ips | awk -v k="$1" '$1 == k' | cut -f2; }
t "London's WireGuard: Madrid's peer takes 0.0.0.0/0" bash -c "echo '$(allowed "$pubB")' | grep -qw '0.0.0.0/0'"
t "  Paris's does not" bash -c "! echo '$(allowed "$pubC")' | grep -qw '0.0.0.0/0'"
t "  and no default route into the tunnel (the gateway's own traffic stays local)" bash -c \
	"! nsenter --net=/run/netns/$gA ip route show default | grep -q $wgA"

# --- the data path ----------------------------------------------------------------------------
t "hA reaches the internet host through Madrid (a handshake first)" \
	poll 20 bash -c "[ \"\$(ip netns exec $hA $WHO ask $IH 7777)\" = 203.0.113.2 ]"
is "  the internet host sees Madrid's uplink address" "$(ask "$hA")" 203.0.113.2
# 1460 bytes of UDP: a 1488-byte packet, over the tunnel's MTU (1420). Steered all the
# same (the kernel's route would be the local internet); the outer datagram (1548
# bytes) is fragmented on the way to Madrid.
is "a packet larger than the tunnel's MTU takes the exit too" \
	"$(ip netns exec "$hA" $WHO ask $IH 7777 - 1460)" 203.0.113.2
is "mesh traffic is not translated: hB sees hA's own address" \
	"$(ip netns exec "$hA" $WHO ask 10.2.0.2 7777)" 10.1.0.2
is "Madrid's own LAN is not translated by the exit table" "$(ask "$hB")" 10.2.0.2
is "a London host outside ExitSources goes out locally (London's address)" "$(ask "$hA" 10.1.0.3)" 203.0.113.1
is "the gateway's own traffic is not steered" \
	"$(ip netns exec "$gA" $WHO ask $IH 7777)" 203.0.113.1

# --- a roaming client with Exit = b: its exported file, brought up with wg-quick ------------
t "export -f wg-quick laptop: Madrid's peer takes 0.0.0.0/0, ::/0" bash -c \
	"umask 077; '$MESHGW' export -f wg-quick -i $wgL -c '$tmp/mesh.conf' -k '$tmp/laptop.key' -s '$tmp/secret' laptop >'$tmp/$wgL.conf' &&
	 grep -qx 'AllowedIPs = 192.168.254.2/32, 10.2.0.0/24, 0.0.0.0/0, ::/0' '$tmp/$wgL.conf'"
t "wg-quick up on the laptop (wireguard-go)" \
	ip netns exec "$laptop" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
	WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wg-quick up "$tmp/$wgL.conf"
p=$(ip netns exec "$laptop" ss -xlpn 2>/dev/null | awk -v s="/wireguard/$wgL.sock" '$5 ~ s"$"' | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -1)
[ -n "$p" ] && wggo_pids+=("$p")
t "the laptop reaches the internet host as Madrid" \
	poll 20 bash -c "[ \"\$(ip netns exec $laptop $WHO ask $IH 7777)\" = 203.0.113.2 ]"
is "  and Madrid's LAN host sees its mesh address (mesh traffic, not translated)" \
	"$(ip netns exec "$laptop" $WHO ask 10.2.0.2 7777)" 192.168.254.50
t "wg-quick down on the laptop" ip netns exec "$laptop" wg-quick down "$tmp/$wgL.conf"

metric() { A metrics | awk -v m="$1{site=\"$2\"}" '$1 == m { print $2 }'; }
is "meshgw_exit_active{site=\"b\"} 1" "$(metric meshgw_exit_active b)" 1
is "meshgw_exit_active{site=\"c\"} 0" "$(metric meshgw_exit_active c)" 0
names="meshgw_exit_transmit_packets_total meshgw_exit_transmit_bytes_total meshgw_exit_receive_packets_total meshgw_exit_receive_bytes_total meshgw_peer_transmit_packets_total"
counters() { local m; for m in $names; do echo "$m $(metric $m b)"; done; }
before=$(counters)
COUNT=10
for _ in $(seq $COUNT); do r=$(ask "$hA"); [ "$r" = 203.0.113.2 ] || echo "# lost: $r"; done
after=$(counters)
delta() { echo $(( $(echo "$after" | awk -v k="$1" '$1 == k { print $2 }') - $(echo "$before" | awk -v k="$1" '$1 == k { print $2 }') )); }
# A question is 1 byte of UDP (29 bytes of IPv4), an answer "203.0.113.2" 11 (39).
is "exit counters (b): $COUNT questions steered" "$(delta meshgw_exit_transmit_packets_total)" $COUNT
is "  $COUNT x 29 bytes" "$(delta meshgw_exit_transmit_bytes_total)" $((COUNT * 29))
is "  $COUNT answers back" "$(delta meshgw_exit_receive_packets_total)" $COUNT
is "  $COUNT x 39 bytes" "$(delta meshgw_exit_receive_bytes_total)" $((COUNT * 39))
is "  Madrid's peer transmit counter took them too" "$(delta meshgw_peer_transmit_packets_total)" $COUNT
if command -v promtool >/dev/null; then
	t "promtool check metrics passes, the exit families included" bash -c \
		"nsenter --net=/run/netns/$gA '$MESHGW' metrics -c '$tmp/mesh.conf' -l '$tmp/a.local' | promtool check metrics"
else
	ok "# SKIP promtool missing"
fi
t "show -j: exit through b, its counters" python3 -c "
import json, subprocess, sys
j = json.loads(subprocess.run(sys.argv[1:], check=True, capture_output=True).stdout)
v = {x['site']: x for x in j['exit']['via']}
assert v['b']['active'] and not v['c']['active'], v
assert v['b']['transmit_packets'] >= $COUNT and v['b']['receive_packets'] >= $COUNT, v
" nsenter --net=/run/netns/"$gA" "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/a.local"
t "show: 'internet exit: through b'" bash -c "nsenter --net=/run/netns/$gA '$MESHGW' show -c '$tmp/mesh.conf' -l '$tmp/a.local' | grep -q 'internet exit: through b (ExitVia b, c)'"

# --- failover: Madrid cut off, then Paris, then both back -------------------------------------
nsenter --net=/run/netns/"$gA" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/run.log" 2>&1 &
daemon=$!
t "meshgw run on London" poll 20 grep -q "running: site a" "$tmp/run.log"
# The daemon has probed every candidate once before it judges: wait for both up.
t "  both exits answer probes" poll 20 bash -c "nsenter --net=/run/netns/$gA '$MESHGW' metrics -c '$tmp/mesh.conf' -l '$tmp/a.local' | grep -q 'meshgw_endpoint_up{site=\"c\",endpoint=\"0\"} 1'"
# wait_for ADDR SECONDS SINCE: until ih sees hA as ADDR; prints the seconds since SINCE
wait_for() { ip netns exec "$hA" $WHO wait $IH 7777 "$1" "$2" "$3"; }
t0=$EPOCHREALTIME
ip -n "$inet" link set p2 down
if dt=$(wait_for 203.0.113.3 15 "$t0"); then
	ok "Madrid cut off: hA's internet goes through Paris after $dt s"
else
	not_ok "Madrid cut off: hA's internet goes through Paris ($dt)"
fi
t "  logged with the reason" grep -q "exit: site b unreachable (no endpoint answers probes): internet traffic now exits through site c" "$tmp/run.log"
is "  meshgw_exit_active{site=\"c\"} 1" "$(metric meshgw_exit_active c)" 1
# A reload runs up, which configures the first ExitVia (Madrid) again: the daemon
# puts Paris back at once.
t0=$EPOCHREALTIME
kill -HUP "$daemon"
t "SIGHUP while on Paris: reloaded" poll 10 grep -q "reload: done" "$tmp/run.log"
if dt=$(wait_for 203.0.113.3 10 "$t0"); then
	ok "  still through Paris ($dt s after the signal)"
else
	not_ok "  still through Paris ($dt)"
fi
t "  logged" grep -q "exit: the data plane was reset (by \`meshgw up\`?): exit through c again" "$tmp/run.log"
t0=$EPOCHREALTIME
ip -n "$inet" link set p3 down
if dt=$(wait_for 203.0.113.1 15 "$t0"); then
	ok "Paris cut off too: hA's internet leaves by London's own uplink after $dt s"
else
	not_ok "Paris cut off too: hA's internet leaves by London's own uplink ($dt)"
fi
t "  logged" grep -q "exit: site c unreachable (no endpoint answers probes) and no other ExitVia site answers" "$tmp/run.log"
t "  show: 'internet exit: local internet'" bash -c "nsenter --net=/run/netns/$gA '$MESHGW' show -c '$tmp/mesh.conf' -l '$tmp/a.local' | grep -q 'internet exit: local internet'"
t "  no peer takes 0.0.0.0/0 any more" bash -c "! nsenter --net=/run/netns/$gA wg show $wgA allowed-ips | grep -qw '0.0.0.0/0'"
t0=$EPOCHREALTIME
ip -n "$inet" link set p2 up
ip -n "$inet" link set p3 up
if dt=$(wait_for 203.0.113.2 20 "$t0"); then
	ok "Madrid and Paris back: hA's internet goes through Madrid again after $dt s"
	t "  not before the hold-down (${HOLDDOWN_MS} ms)" test "$(echo "$dt * 1000 >= $HOLDDOWN_MS" | bc)" = 1
else
	not_ok "Madrid and Paris back: hA's internet goes through Madrid again ($dt)"
fi
t "  logged" grep -q "exit: site b reachable again for the hold-down" "$tmp/run.log"
moves() { A metrics | awk -v m="meshgw_exit_moves_total{reason=\"$1\"}" '$1 == m { print $2 }'; }
is "  meshgw_exit_moves_total{reason=\"unreachable\"}: Madrid, then Paris (kept across the reload)" "$(moves unreachable)" 2
back=$(moves preferred_back)
t "  meshgw_exit_moves_total{reason=\"preferred_back\"}: 1 or 2 (straight to Madrid, or by Paris) ($back)" \
	test "$back" = 1 -o "$back" = 2
is "  meshgw_exit_active{site=\"b\"} 1" "$(metric meshgw_exit_active b)" 1
grep "exit:" "$tmp/run.log" | sed "s/^/#   /"
kill "$daemon" && wait "$daemon" 2>/dev/null || true
daemon=

# --- down ----------------------------------------------------------------------------------------
t "down on London" A down
t "down on Madrid" B down
t "  its exit table is gone" bash -c "! nsenter --net=/run/netns/$gB nft list tables | grep -q meshgw_exit"
t "  and nothing else was in nftables" test -z "$(N "$gB" nft list ruleset)"
t "down on Paris" C down
t "  its exit table is gone" bash -c "! nsenter --net=/run/netns/$gC nft list tables | grep -q meshgw_exit"
t "  London's own NAT table is untouched" N "$gA" nft list table ip sitenat
t "  no route left into a WireGuard device" bash -c \
	"! nsenter --net=/run/netns/$gA ip route | grep -q $wgA && ! nsenter --net=/run/netns/$gB ip route | grep -q $wgB"
poll 5 nothing_left "/run/wireguard/$wgA.sock" "/run/wireguard/$wgB.sock" "/run/wireguard/$wgC.sock" || true
t "  nothing left: state, locks, pins, wireguard-go sockets" \
	nothing_left "/run/meshgw/$wgA.state" "/run/meshgw/$wgB.state" "/run/meshgw/$wgC.state" \
	"/run/meshgw/$wgA.lock" "/run/meshgw/$wgB.lock" "/run/meshgw/$wgC.lock" \
	"$pin/a" "$pin/b" "$pin/c" "/run/wireguard/$wgA.sock" "/run/wireguard/$wgB.sock" "/run/wireguard/$wgC.sock"
tap_done
