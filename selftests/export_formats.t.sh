#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# meshgw export -f openwrt and -f routeros as a router takes them, without root or a
# router (export.t.sh runs the wg-quick export for real, and needs both). Site2 of
# examples/three-sites, whose peers have two endpoints each:
# - openwrt: the script parses with busybox sh -n (OpenWrt's shell) and runs as it is
#   against a model of uci (selftests/uci_model.py) starting from OpenWrt's default
#   network and firewall; the interface, both peers, the firewall zone, its forwardings
#   to and from the default zone lan and the rule for the WireGuard port from wan come
#   out exactly; a second run changes nothing; the command its comment gives for a
#   peer's other endpoint moves that peer (the right section);
# - routeros: the interface list membership, the input-chain accept for the UDP port
#   (IPv4 and IPv6, placed first, or alone in an empty table), and the other endpoints
#   with the command that moves to one, exactly; brackets and quotes balanced on every
#   line (no RouterOS here to parse it).
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
. "$SRC/selftests/lib/tap.sh"
TMP=$(mktemp -d /tmp/meshgw-export-formats.$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cp -r "$SRC/examples/three-sites" "$TMP/"
chmod 600 "$TMP"/three-sites/*.key
M=$TMP/three-sites/mesh.conf
KEY=$TMP/three-sites/site2-EXAMPLE.key
# OpenWrt's /bin/sh is busybox ash: parse and run with it when the host has it.
SH=sh
command -v busybox >/dev/null && busybox sh -c : 2>/dev/null && SH="busybox sh"

# --- OpenWrt ---------------------------------------------------------------------------------
t "export -f openwrt -k site2" bash -c "'$MESHGW' export -f openwrt -c '$M' -k '$KEY' site2 >'$TMP/site2.sh'"
t "  parses ($SH -n)" $SH -n "$TMP/site2.sh"
t "  commits and reloads network and firewall, last" bash -c \
	"tail -n 4 '$TMP/site2.sh' | diff - <(printf 'uci commit network\nuci commit firewall\n/etc/init.d/network reload\n/etc/init.d/firewall reload\n')"
mkdir "$TMP/bin"
printf '#!/bin/sh\nexec python3 %s "$@"\n' "$SRC/selftests/uci_model.py" >"$TMP/bin/uci"
chmod +x "$TMP/bin/uci"
export UCI_STATE=$TMP/uci.json
# The reloads are the router's: left out here.
grep -v '^/etc/init.d/' "$TMP/site2.sh" >"$TMP/run.sh"
t "  runs against OpenWrt's default configuration (uci model)" env PATH="$TMP/bin:$PATH" $SH "$TMP/run.sh"
uci() { PATH="$TMP/bin:$PATH" command uci "$@"; }
uci show network >"$TMP/network"
uci show firewall >"$TMP/firewall"
sed 's/^/#   /' "$TMP/network" "$TMP/firewall"
want_network="network.meshgw=interface
network.meshgw.proto='wireguard'
network.meshgw.private_key='$(cat "$KEY")'
network.meshgw.listen_port='55555'
network.meshgw.mtu='1420'
network.meshgw.addresses='192.168.254.2/24'
network.@wireguard_meshgw[0]=wireguard_meshgw
network.@wireguard_meshgw[0].description='site1'
network.@wireguard_meshgw[0].public_key='vKvkxNPhWuOP/dqdASJMikzon5z6NrepfNuV4BtQmUg='
network.@wireguard_meshgw[0].endpoint_host='203.0.113.10'
network.@wireguard_meshgw[0].endpoint_port='55555'
network.@wireguard_meshgw[0].persistent_keepalive='25'
network.@wireguard_meshgw[0].route_allowed_ips='1'
network.@wireguard_meshgw[0].allowed_ips='192.168.254.1/32' '192.168.0.0/24'
network.@wireguard_meshgw[1]=wireguard_meshgw
network.@wireguard_meshgw[1].description='site3'
network.@wireguard_meshgw[1].public_key='mK7dd3vCHOs5Rs5i6hlaAPEFgVMzx8Y7i9uYoTXz3Qg='
network.@wireguard_meshgw[1].endpoint_host='198.51.100.30'
network.@wireguard_meshgw[1].endpoint_port='55555'
network.@wireguard_meshgw[1].persistent_keepalive='25'
network.@wireguard_meshgw[1].route_allowed_ips='1'
network.@wireguard_meshgw[1].allowed_ips='192.168.254.3/32' '192.168.2.0/24'"
want_firewall="firewall.meshgw=zone
firewall.meshgw.name='meshgw'
firewall.meshgw.input='ACCEPT'
firewall.meshgw.output='ACCEPT'
firewall.meshgw.forward='REJECT'
firewall.meshgw.network='meshgw'
firewall.meshgw_from_lan=forwarding
firewall.meshgw_from_lan.src='lan'
firewall.meshgw_from_lan.dest='meshgw'
firewall.meshgw_to_lan=forwarding
firewall.meshgw_to_lan.src='meshgw'
firewall.meshgw_to_lan.dest='lan'
firewall.meshgw_port=rule
firewall.meshgw_port.name='Allow-meshgw-WireGuard'
firewall.meshgw_port.src='wan'
firewall.meshgw_port.proto='udp'
firewall.meshgw_port.dest_port='55555'
firewall.meshgw_port.target='ACCEPT'"
is "  network: interface meshgw and its two peers, exactly (after the defaults)" \
	"$(grep -E '^network\.(meshgw|@wireguard_meshgw)' "$TMP/network")" "$want_network"
is "  firewall: zone, forwardings lan <-> meshgw, UDP 55555 from wan, exactly" \
	"$(grep -E '^firewall\.meshgw' "$TMP/firewall")" "$want_firewall"
t "  the default interfaces are untouched" grep -qx "network.lan.device='br-lan'" "$TMP/network"
t "  the zones it names exist: lan and wan (OpenWrt's defaults)" bash -c \
	"grep -qx \"firewall.@zone\[0\].name='lan'\" '$TMP/firewall' && grep -qx \"firewall.@zone\[1\].name='wan'\" '$TMP/firewall'"
t "  run again: the same configuration, nothing doubled" bash -c \
	"PATH='$TMP/bin':\$PATH; $SH '$TMP/run.sh' && diff <(uci show network; uci show firewall) <(cat '$TMP/network' '$TMP/firewall')"
# The comment under site1 names the command that moves it to its second endpoint.
move=$(grep -A1 '^# other endpoints of site1' "$TMP/site2.sh" | sed -n 's/^# (OpenWrt takes one endpoint per peer; to move: \(.*\))$/\1/p')
is "  site1's other endpoint listed, with the command that moves to it" "$move" \
	"uci set network.@wireguard_meshgw[0].endpoint_host=HOST; uci commit network; ifup meshgw"
# Run as given, HOST filled in (ifup is the router's).
cmd=${move//HOST/site1-isp2.example.net}
t "  ... and it moves site1 (its section), not site3" bash -c \
	"PATH='$TMP/bin':\$PATH; ${cmd%%; ifup*}; uci show network >'$TMP/moved'; \
	 grep -qx \"network.@wireguard_meshgw\[0\].description='site1'\" '$TMP/moved' &&
	 grep -qx \"network.@wireguard_meshgw\[0\].endpoint_host='site1-isp2.example.net'\" '$TMP/moved' &&
	 grep -qx \"network.@wireguard_meshgw\[1\].endpoint_host='198.51.100.30'\" '$TMP/moved'"
t "  site3's other endpoint listed too (peer index 1)" \
	grep -qxF "# (OpenWrt takes one endpoint per peer; to move: uci set network.@wireguard_meshgw[1].endpoint_host=HOST; uci commit network; ifup meshgw)" "$TMP/site2.sh"
t "  a name longer than a firewall zone takes (11) is refused" \
	bash -c "! '$MESHGW' export -f openwrt -i meshgw_site2 -c '$M' site2 2>/dev/null"

# --- RouterOS --------------------------------------------------------------------------------
t "export -f routeros -k site2" bash -c "'$MESHGW' export -f routeros -c '$M' -k '$KEY' site2 >'$TMP/site2.rsc'"
sed 's/^/#   /' "$TMP/site2.rsc"
R=$TMP/site2.rsc
t "  the tunnel joins the interface list LAN" \
	grep -qxF '/interface list member add list=LAN interface=meshgw comment="meshgw"' "$R"
for ip in ip ipv6; do
	rule="/$ip firewall filter add chain=input action=accept protocol=udp dst-port=55555 comment=\"meshgw: WireGuard from the mesh sites\""
	t "  /$ip input accept for UDP 55555, first (or alone in an empty table)" grep -qxF \
		":if ([:len [/$ip firewall filter find]] = 0) do={$rule} else={$rule place-before=[:pick [/$ip firewall filter find] 0]}" "$R"
done
t "  the port is accepted before the peers are added (the order of the file)" bash -c \
	"[ \$(grep -n 'dst-port=55555' '$R' | head -1 | cut -d: -f1) -lt \$(grep -n 'peers add' '$R' | head -1 | cut -d: -f1) ]"
t "  site1's other endpoint, with the command that moves to it" grep -qxF \
	'# (RouterOS takes one endpoint per peer; to move: /interface wireguard peers set [find comment="site1"] endpoint-address=HOST endpoint-port=PORT)' "$R"
t "  ... after its first endpoint" grep -qx '# other endpoints of site1, in preference order: site1-isp2.example.net:55555' "$R"
t "  quotes, brackets and braces balanced on every line" python3 - "$R" <<'PY'
import sys
for n, line in enumerate(open(sys.argv[1]), 1):
    if line.startswith("#"):
        continue
    depth, quoted = [], False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "[{":
            depth.append(c)
        elif not quoted and c in "]}":
            assert depth and depth.pop() == {"]": "[", "}": "{"}[c], (n, line)
    assert not quoted and not depth, (n, line)
PY
tap_done
