#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Roaming clients (DESIGN.md "Roaming clients"): a laptop in the mesh file, both
# gateways up with meshgw (wireguard-go), the laptop brought up with `wg-quick up`
# on the file `meshgw export -f wg-quick` printed for it (wireguard-go too). The
# laptop pings both sites' LAN hosts directly; each gateway's per-client counters
# (BPF, through `meshgw metrics`) move by exactly its pings; the daemon leaves the
# client alone; a second `up` keeps its learnt endpoint and session; a mesh file
# without the client takes its peer off at `up`, `down`
# takes the rest; a bad client is refused with file:line; the QR code of
# `meshgw export -f qr` decodes (zbarimg) to the configuration.
#
#   hA ── lan0 ── gA ── wan0 .1 ─┐                 ┌─ wan0 .2 ── gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1           inet: br0 203.0.113.0/24          10.2.0.1   10.2.0.2
#                                      └── eth0 .3 ── laptop (wg-quick, 192.168.254.50)
# mesh 192.168.254.0/24: gA .1, gB .2. The two-site fixture (selftests/lib/twosite.sh)
# with its wan0 link replaced by an "internet" bridge the laptop also plugs into.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/selftests/lib/tap.sh"
. "$SRC/selftests/lib/twosite.sh"
twosite_require "${1:-userspace}" wg wg-quick ip ping python3
twosite_init cl
inet=clin$s laptop=cllp$s wgL=clwl$s daemon=
before_cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -e "/run/netns/$laptop" ] && ip netns exec "$laptop" wg-quick down "$tmp/$wgL.conf" >/dev/null 2>&1
	remove_left "/run/wireguard/$wgL.sock"
}
A() { N "$gA" "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/a.local"; }
B() { N "$gB" "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/b.local"; }
L() { ip netns exec "$laptop" "$@"; }

# --- topology: the fixture's namespaces and LANs, an internet bridge, the laptop ------
twosite_ns "$gA" "$gB" "$hA" "$hB" "$inet" "$laptop"
# No IPv6 anywhere: its autoconfiguration would move counters the test checks exactly.
for ns in "$gA" "$gB" "$hA" "$hB" "$inet" "$laptop"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
twosite_internet "$inet"
twosite_plug "$gA" wan0 1
twosite_plug "$gB" wan0 2
twosite_plug "$laptop" eth0 3
twosite_lan A
twosite_lan B

twosite_keys laptop
{ twosite_mesh; printf '\n[Client laptop]\nAddress = 192.168.254.50\nPublicKey = %s\n' "$pubLAPTOP"; } >"$tmp/mesh.conf"
for x in a b; do twosite_local $x "MeshSecretFile = $tmp/secret" "Backend = $BACKEND" "PinPath = $pin/$x"; done

t "meshgw up on gateway a" A up; record_wg_pid "$wgA"
t "meshgw up on gateway b" B up; record_wg_pid "$wgB"

# --- the client as a peer of each gateway ---------------------------------------------
wgpeer() { N "$1" wg show "$2" dump | awk -v k="$pubLAPTOP" '$1 == k'; }
for g in A B; do
	eval "ns=\$g$g wg=\$wg$g"
	d=$(wgpeer "$ns" "$wg")
	t "gateway ${g,}: the laptop is a peer" test -n "$d"
	is "  allowed IPs: its address" "$(echo "$d" | cut -f4)" 192.168.254.50/32
	is "  no endpoint (it roams)" "$(echo "$d" | cut -f3)" "(none)"
	is "  no keepalive" "$(echo "$d" | cut -f8)" off
	t "  a preshared key (MeshSecretFile)" test "$(echo "$d" | cut -f2)" != "(none)"
done

# --- the exported file, brought up with wg-quick on the laptop -------------------------
t "meshgw export -f wg-quick -k -s laptop" bash -c "umask 077; '$MESHGW' export -f wg-quick -i $wgL -c '$tmp/mesh.conf' -k '$tmp/laptop.key' -s '$tmp/secret' laptop >'$tmp/$wgL.conf'"
t "  one [Peer] per site" test "$(grep -c '^\[Peer\]' "$tmp/$wgL.conf")" = 2
t "  a's peer: its mesh address and LAN" grep -qx 'AllowedIPs = 192.168.254.1/32, 10.1.0.0/24' "$tmp/$wgL.conf"
t "  no DNS line (none configured: wg-quick would need resolvconf)" bash -c "! grep -q '^DNS' '$tmp/$wgL.conf'"
t "wg-quick up on the laptop (wireguard-go)" \
	L env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
	wg-quick up "$tmp/$wgL.conf"
p=$(L ss -xlpn 2>/dev/null | awk -v s="/wireguard/$wgL.sock" '$5 ~ s"$"' | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -1)
t "  wireguard-go serves $wgL (PID ${p:-none}, kept for the cleanup)" test -n "$p"
[ -n "$p" ] && wggo_pids+=("$p")
t "  the laptop's PSKs are its gateways' (first peer)" bash -c \
	"[ \"\$(ip netns exec $laptop wg show $wgL preshared-keys | grep $pubA | cut -f2)\" = \"\$(nsenter --net=/run/netns/$gA wg show $wgA preshared-keys | grep $pubLAPTOP | cut -f2)\" ]"

# Handshakes first (a ping each), so that the counted pings below are all there is.
t "laptop pings host A (handshake with gateway a)" poll 20 L ping -c1 -W1 10.1.0.2
t "laptop pings host B (handshake with gateway b, directly)" poll 20 L ping -c1 -W1 10.2.0.2

# metric NS-LETTER NAME: the laptop's value of meshgw_peer_NAME_total at that gateway
metric() { "$1" metrics | awk -v m="meshgw_peer_$2_total{site=\"laptop\"}" '$1 == m { print $2 }'; }
counters() { local g c; for g in A B; do for c in receive_packets receive_bytes transmit_packets transmit_bytes lan_packets; do
	echo "$g.$c $(metric "$g" $c)"; done; done; }
before=$(counters)
t "  the laptop has counters at both gateways (site=\"laptop\")" \
	test "$(echo "$before" | awk 'NF == 2' | wc -l)" = 10
COUNT=10
t "laptop pings host A $COUNT times, none lost" L ping -q -c $COUNT -i 0.1 -W 2 10.1.0.2
t "laptop pings host B $COUNT times, none lost" L ping -q -c $COUNT -i 0.1 -W 2 10.2.0.2
after=$(counters)
delta() { local b a; b=$(echo "$before" | awk -v k="$1" '$1 == k { print $2 }'); a=$(echo "$after" | awk -v k="$1" '$1 == k { print $2 }'); echo $((a - b)); }
# An echo request or reply of ping's default 56 bytes is 84 bytes of IPv4.
for g in A B; do
	is "gateway ${g,}: the laptop's received packets moved by exactly its $COUNT pings" "$(delta $g.receive_packets)" $COUNT
	is "  received bytes: $COUNT x 84" "$(delta $g.receive_bytes)" $((COUNT * 84))
	is "  transmitted packets: the $COUNT replies" "$(delta $g.transmit_packets)" $COUNT
	is "  transmitted bytes: $COUNT x 84" "$(delta $g.transmit_bytes)" $((COUNT * 84))
	is "  LAN packets steered to it: the $COUNT replies" "$(delta $g.lan_packets)" $COUNT
done
echo "# counters (gateway.metric before -> after):"
paste <(echo "$before") <(echo "$after" | cut -d' ' -f2) | sed 's/^/#   /'
t "show -j on a: the laptop is a client, roaming from 203.0.113.3" python3 -c "
import json, subprocess, sys
j = json.loads(subprocess.run(sys.argv[1:], check=True, capture_output=True).stdout)
p = [p for p in j['peers'] if p['site'] == 'laptop'][0]
assert p['client'] is True and p['endpoints'] == [], p
assert [q for q in j['peers'] if q['site'] == 'b'][0]['client'] is False
" nsenter --net=/run/netns/"$gA" "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/a.local"
t "show on a: 'client laptop', roaming from the laptop's address" bash -c \
	"nsenter --net=/run/netns/$gA '$MESHGW' show -c '$tmp/mesh.conf' -l '$tmp/a.local' | grep -A1 '^client laptop' | grep -q 'roaming: 203.0.113.3:'"

# --- a second up: the client's learnt endpoint and session stay -----------------------------
ep=$(wgpeer "$gA" "$wgA" | cut -f3)
t "up again on a: WireGuard already as wanted" bash -c "nsenter --net=/run/netns/$gA '$MESHGW' -v up -c '$tmp/mesh.conf' -l '$tmp/a.local' 2>&1 | grep -q 'WireGuard configuration already as wanted'"
is "  the laptop's endpoint as WireGuard learnt it ($ep)" "$(wgpeer "$gA" "$wgA" | cut -f3)" "$ep"
t "  the laptop reaches host A at once (same session)" L ping -c1 -W1 10.1.0.2

# --- the failover daemon: sites only ------------------------------------------------------
nsenter --net=/run/netns/"$gA" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/run.log" 2>&1 &
daemon=$!
t "meshgw run on gateway a" poll 20 grep -q "running: site a" "$tmp/run.log"
t "  publishes its records" poll 5 test -e "$pin/a/mg_failover"
sleep 1
t "  a record for site b, none for the laptop (nothing to probe)" python3 -c "
import json, subprocess, sys
j = json.loads(subprocess.run(sys.argv[1:], check=True, capture_output=True).stdout)
p = {p['site']: p for p in j['peers']}
assert p['b']['failover'] is not None, p['b']
assert p['laptop']['failover'] is None, p['laptop']
" nsenter --net=/run/netns/"$gA" "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/a.local"
t "  the laptop still reaches host A" L ping -c1 -W2 10.1.0.2
t "  the daemon never names the laptop" bash -c "! grep -q laptop '$tmp/run.log'"
kill "$daemon" && wait "$daemon" 2>/dev/null || true
daemon=

# --- reconcile: the client leaves the mesh file, then down ---------------------------------
cp "$tmp/mesh.conf" "$tmp/mesh.with-laptop"
sed -i '/^\[Client laptop\]/,$d' "$tmp/mesh.conf"
t "up on a with the laptop gone from the mesh file" A up
t "  its WireGuard peer is removed" test -z "$(wgpeer "$gA" "$wgA")"
t "  site b's peer stays" bash -c "nsenter --net=/run/netns/$gA wg show $wgA peers | grep -qx '$pubB'"
t "  its counters are gone from the metrics" bash -c "! nsenter --net=/run/netns/$gA '$MESHGW' metrics -c '$tmp/mesh.conf' -l '$tmp/a.local' | grep -q 'site=\"laptop\"'"
t "  the laptop no longer reaches host A" bash -c "! ip netns exec $laptop ping -c1 -W1 10.1.0.2"
cp "$tmp/mesh.with-laptop" "$tmp/mesh.conf"
t "up on a with the laptop back: its peer again" bash -c \
	"nsenter --net=/run/netns/$gA '$MESHGW' up -c '$tmp/mesh.conf' -l '$tmp/a.local' && nsenter --net=/run/netns/$gA wg show $wgA peers | grep -qx '$pubLAPTOP'"
# The gateway lost the session with the peer: the laptop's packets are dropped until
# it handshakes again, which WireGuard does after 15 s of sending without replies.
t0=$(now)
t "  the laptop reaches host A again (a new handshake)" poll 30 L ping -c1 -W1 10.1.0.2
echo "#   after $(since "$t0") s (WireGuard: a new handshake after 15 s without replies)"

# --- a bad client: refused with file:line, nothing changed ------------------------------
sed 's/^Address = 192.168.254.50$/Address = 192.168.254.2/' "$tmp/mesh.with-laptop" >"$tmp/mesh.conf"
line=$(grep -n '^Address = 192.168.254.2$' "$tmp/mesh.conf" | tail -1 | cut -d: -f1)
rc=0
A up >/dev/null 2>"$tmp/err" || rc=$?
is "up with the laptop on site b's address: refused (exit 1)" "$rc" 1
t "  file:line naming site b's Address" grep -qF "$tmp/mesh.conf:$line: Address 192.168.254.2 of client laptop is also the Address of site b ($tmp/mesh.conf:$(grep -n '^Address = 192.168.254.2$' "$tmp/mesh.conf" | head -1 | cut -d: -f1))" "$tmp/err"
t "  the laptop's peer is still there (nothing changed)" test -n "$(wgpeer "$gA" "$wgA")"
cp "$tmp/mesh.with-laptop" "$tmp/mesh.conf"

# --- the QR code for the phone: it decodes to the configuration -------------------------
if command -v zbarimg >/dev/null; then
	strip() { grep -v '^#' "$1" | sed '/./,$!d'; }	# comment lines and leading blank lines out
	# QR codes only: zbar's 1-D decoders now and then read a QR code's modules as a
	# second symbol (a run of 300 random keys saw one "318494" after the text).
	qrread() { zbarimg -q --raw -Sdisable -Sqrcode.enable "$1" 2>/dev/null; }
	t "export -f qr -o laptop.png" "$MESHGW" export -f qr -c "$tmp/mesh.conf" -k "$tmp/laptop.key" -s "$tmp/secret" -o "$tmp/laptop.png" laptop
	is "  the PNG is mode 0600 (it holds the private key)" "$(stat -c %a "$tmp/laptop.png")" 600
	qrread "$tmp/laptop.png" >"$tmp/qr.png.txt" || true
	t "  zbarimg decodes the PNG to the wg-quick file, comments left out" \
		diff <(strip "$tmp/$wgL.conf") <(sed '${/^$/d}' "$tmp/qr.png.txt")
	# The terminal rendering, read back: each character is two modules stacked.
	"$MESHGW" export -f qr -c "$tmp/mesh.conf" -k "$tmp/laptop.key" -s "$tmp/secret" laptop >"$tmp/qr.term"
	python3 - "$tmp/qr.term" "$tmp/qr.pgm" <<'PY'
import sys
rows = []
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    top = [c in "\u2588\u2580" for c in line]	# light modules are drawn
    bottom = [c in "\u2588\u2584" for c in line]
    rows += [top, bottom]
scale, w = 6, len(rows[0])
with open(sys.argv[2], "wb") as f:
    f.write(b"P5 %d %d 255\n" % (w * scale, len(rows) * scale))
    for r in rows:
        line = bytes(255 if light else 0 for light in r for _ in range(scale))
        f.write(line * scale)
PY
	qrread "$tmp/qr.pgm" >"$tmp/qr.term.txt" || true
	t "  the terminal's half blocks decode to the same text" \
		diff <(strip "$tmp/$wgL.conf") <(sed '${/^$/d}' "$tmp/qr.term.txt")
else
	ok "# SKIP zbarimg missing (zbar-tools): QR codes not decoded"
fi

# --- down: the client peers go with the rest ---------------------------------------------
t "wg-quick down on the laptop" L wg-quick down "$tmp/$wgL.conf"
[ -n "$p" ] && t "  its wireguard-go exits" poll 5 test ! -e "/proc/$p"
t "down on a" A down
t "down on b" B down
t "  no WireGuard device left on either gateway (its peers with it)" bash -c \
	"! nsenter --net=/run/netns/$gA ip link show $wgA 2>/dev/null && ! nsenter --net=/run/netns/$gB ip link show $wgB 2>/dev/null"
poll 5 nothing_left "/run/wireguard/$wgA.sock" "/run/wireguard/$wgB.sock" || true
t "  nothing left: state, pins, wireguard-go sockets" \
	nothing_left "/run/meshgw/$wgA.state" "/run/meshgw/$wgB.state" "$pin/a" "$pin/b" \
	"/run/wireguard/$wgA.sock" "/run/wireguard/$wgB.sock"

echo "1..$n"
[ "$failed" = 0 ]
