#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Two gateways at one site, active/standby with keepalived (issue 15, README "Two
# gateways at one site"). Site b has two gateways, b1 and b2, with the same mesh file
# and site key, each running keepalived with examples/ha/keepalived-gwN.conf
# (addresses and interfaces substituted) and examples/ha/meshgw-ha-notify (its -p mode:
# it runs `meshgw run` itself). Site a has one gateway (meshgw run).
#
#                                        ┌─ up0 ─ gB1 ─ lan0 ─┐
#   hA ─ lan0 ─ gA ─ wan0 ── bridge bru ─┤                    ├─ bridge brl ─ eth0 ─ hB
#                            (in ns sw)  └─ up0 ─ gB2 ─ lan0 ─┘  (in ns sw)
#   hA 10.1.0.2, gA 10.1.0.1 and 203.0.113.1 (wan0), gBk 198.18.0.1k (up0) and
#   10.2.0.1k (lan0), hB 10.2.0.2
#   VRRP addresses (on the master only): 10.2.0.1/24 on lan0 (hB's default gateway)
#   and 203.0.113.2/24 on up0 (site b's Endpoint in the mesh file). The boxes' own
#   uplink addresses are in another range, so the master's WireGuard packets to gA
#   leave from the VRRP address and a standby has no route to gA at all.
#
# Checks, while hA and hB ping each other every 20 ms:
#   1. the pair comes up with one master (b1, the higher priority) running the tunnel
#   2. b1's links go down: keepalived on b1 says FAULT (its notify takes the tunnel
#      down), b2 becomes master and starts it; both directions answer again within
#      RESTORE_S (3 s); b2's `meshgw show` works and lists site a
#   3. b1's links come back: b1 stays standby (nopreempt), no gap over GAP_S (1 s)
#   4. b2's keepalived is stopped (SIGTERM, by its PID): STOP takes b2's tunnel
#      down, b1 takes over within RESTORE_S
#   throughout: never both boxes with the WireGuard device (sampled every ~50 ms), and
#   site a's WireGuard sees site b only at its VRRP address (no roaming to a box)
#   at the end: the notify's `meshgw down` left nothing (pins, state files)
# Times are printed as TAP comments. Setup waits are generous (make check runs two
# tests at a time on two cores); only the restorations are held to RESTORE_S.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/selftests/lib/tap.sh"
. "$SRC/selftests/lib/twosite.sh"
twosite_require userspace keepalived flock nsenter ping bc
RESTORE_S=${RESTORE_S:-3}
GAP_S=${GAP_S:-1}
twosite_init ha
gB1=hagb1$s gB2=hagb2$s sw=hasw$s
wb1=hawb1$s wb2=hawb2$s
ping_pids=() sampler='' daemon_a=''
declare -A ka_pid

le() { [[ $1 =~ ^[0-9.]+$ ]] && [ "$(echo "$1 <= $2" | bc)" = 1 ]; }

# ka_stop N: SIGTERM to box N's keepalived (it runs its notify with STOP, which takes
# the tunnel down), then wait for it.
ka_stop() {
	local p=${ka_pid[$1]:-}
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	unset "ka_pid[$1]"
}
before_cleanup() {
	local p k
	[ -n "$sampler" ] && kill "$sampler" 2>/dev/null && wait "$sampler" 2>/dev/null
	for p in "${ping_pids[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for k in 1 2; do ka_stop $k; done
	# The notify scripts keepalived ran last (STOP) run detached: the lock is free
	# once they are done.
	for k in 1 2; do [ -e "$tmp/b$k.pid.lock" ] && flock -w 15 "$tmp/b$k.pid.lock" true; done
	# Site a's daemon before the fixture's `meshgw down` there.
	[ -n "$daemon_a" ] && kill "$daemon_a" 2>/dev/null && wait "$daemon_a" 2>/dev/null
	# The daemons the notify script started (when its STOP did not come).
	for k in 1 2; do
		[ -s "$tmp/b$k.pid" ] || continue
		p=$(cat "$tmp/b$k.pid")
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = meshgw ] && kill "$p" && echo "# cleanup: meshgw run on b$k still ran"
		[ -e "/run/netns/hagb$k$s" ] && N "hagb$k$s" "$MESHGW" down -c "$tmp/mesh.conf" \
			-l "$tmp/b$k.local" >/dev/null 2>&1
	done
	for p in $wb1 $wb2; do
		remove_left "/run/meshgw/$p.state" "/run/wireguard/$p.sock"
		rm -f "/run/meshgw/$p.lock"
	done
	if [ "$failed" != 0 ]; then
		for p in ka1.log ka2.log b1.pid.log b2.pid.log a.log; do
			echo "# --- $p"
			tail -30 "$tmp/$p" 2>/dev/null | sed 's/^/#   /'
		done
	fi
}

# --- The topology.
twosite_ns "$gA" "$hA" "$gB1" "$gB2" "$hB" "$sw"
for x in "$gA" "$hA" "$gB1" "$gB2" "$hB" "$sw"; do
	ip netns exec "$x" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
twosite_lan A
ip -n "$sw" link add bru type bridge forward_delay 0 stp_state 0
ip -n "$sw" link add brl type bridge forward_delay 0 stp_state 0
ip -n "$sw" link set bru up && ip -n "$sw" link set brl up
# plug NS IF PORT BRIDGE: NS's IF, its peer PORT a port of BRIDGE in sw.
plug() {
	ip link add "$2" netns "$1" type veth peer name "$3" netns "$sw"
	ip -n "$sw" link set "$3" master "$4" up
	ip -n "$1" link set "$2" up
}
plug "$gA" wan0 pa bru
ip -n "$gA" addr add 203.0.113.1/24 dev wan0
for k in 1 2; do
	g=hagb$k$s
	plug "$g" up0 pu$k bru
	plug "$g" lan0 pl$k brl
	ip -n "$g" addr add 198.18.0.1$k/24 dev up0
	ip -n "$g" addr add 10.2.0.1$k/24 dev lan0
done
plug "$hB" eth0 ph brl
ip -n "$hB" addr add 10.2.0.2/24 dev eth0
ip -n "$hB" route add default via 10.2.0.1

# --- meshgw: the same mesh file and key on b1 and b2, a local file each.
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
twosite_local a "Backend = userspace" "PinPath = $pin/a"
for k in 1 2; do
	# A WireGuardInterface and PinPath each only because both boxes share this host
	# (wireguard-go's socket and meshgw's state file are per host, not per netns).
	printf '[Local]\nSite = b\nPrivateKeyFile = %s\nLanInterface = lan0\nUplinkInterface = up0\nWireGuardInterface = %s\nBackend = userspace\nPinPath = %s\n' \
		"$tmp/b.key" "hawb$k$s" "$pin/b$k" >"$tmp/b$k.local"
	t "b$k's local file passes meshgw check" "$MESHGW" check -c "$tmp/mesh.conf" -l "$tmp/b$k.local"
done

# --- keepalived: the example files, for this lab's interfaces and addresses.
for k in 1 2; do
	sed -e "s|192\.168\.2\.1/24|10.2.0.1/24|; s|172\.16\.2\.10/24|203.0.113.2/24|" \
		-e "s/\beth0\b/lan0/g; s/\beth1\b/up0/g; s/madrid-gw$k/hab$k$s/" \
		-e "s|^\(\s*notify\) .*|\1 \"$tmp/meshgw-ha-notify -m $MESHGW -c $tmp/mesh.conf -l $tmp/b$k.local -p $tmp/b$k.pid\"|" \
		"$SRC/examples/ha/keepalived-gw$k.conf" >"$tmp/ka$k.conf"
done
# In $tmp (root's, mode 0700): enable_script_security refuses a script under a
# directory others can write.
install -m 0755 "$SRC/examples/ha/meshgw-ha-notify" "$tmp/meshgw-ha-notify"
for k in 1 2; do
	t "keepalived --config-test accepts box $k's file" N "hagb$k$s" keepalived --config-test -f "$tmp/ka$k.conf"
done
# ka_start N: keepalived in box N, VRRP only, in the foreground, its own PID files.
ka_start() {
	nsenter --net="/run/netns/hagb$1$s" keepalived -n -P -l -D -G -f "$tmp/ka$1.conf" \
		-p "$tmp/ka$1.ka.pid" -r "$tmp/ka$1.vrrp.pid" >>"$tmp/ka$1.log" 2>&1 &
	ka_pid[$1]=$!
	pids+=($!)	# the fixture's cleanup, if ka_stop did not run
}

# has_wg N: box N has its WireGuard device; is_master N: it holds both VRRP addresses.
has_wg() { ip -n "hagb$1$s" link show "hawb$1$s" >/dev/null 2>&1; }
is_master() {
	ip -n "hagb$1$s" -o addr show dev lan0 | grep -q ' 10\.2\.0\.1/24' &&
		ip -n "hagb$1$s" -o addr show dev up0 | grep -q ' 203\.0\.113\.2/24'
}
# only N: box N is master with the tunnel, the other has neither.
only() {
	local o=$((3 - $1))
	is_master "$1" && has_wg "$1" && ! is_master $o && ! has_wg $o
}
none_has_wg() { ! has_wg 1 && ! has_wg 2; }
hosts_talk() {
	N "$hA" ping -c 1 -W 1 10.2.0.2 && N "$hB" ping -c 1 -W 1 10.1.0.2
}

# --- Up: site a, then b1 (priority 110), then b2 once b1 is master.
nsenter --net=/run/netns/"$gA" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/a.log" 2>&1 &
daemon_a=$!
t "site a: meshgw run" poll 30 grep -q "running: site a" "$tmp/a.log"
record_wg_pid "$wgA"
ka_start 1
t "b1 becomes master and runs the tunnel" poll 30 only 1
ka_start 2
sleep 2	# b2 hears b1's adverts and stays backup
t "b2 starts as backup: b1 still the only one with the tunnel" only 1
start=$(now)
t "hA <-> hB through b1" poll 30 hosts_talk
echo "# hosts talk $(since "$start") s after b1 came up"

# --- Pings both ways every 20 ms, and the sampler of who has the tunnel.
nsenter --net=/run/netns/"$hA" ping -D -n -i 0.02 -W 1 10.2.0.2 >"$tmp/ping-ab" 2>&1 &
ping_pids+=($!)
nsenter --net=/run/netns/"$hB" ping -D -n -i 0.02 -W 1 10.1.0.2 >"$tmp/ping-ba" 2>&1 &
ping_pids+=($!)
(
	while :; do
		w=''
		has_wg 1 && w=1
		has_wg 2 && w=$w${w:+,}2
		echo "$(now) ${w:-none}"
		sleep 0.05
	done
) >"$tmp/sampler" 2>/dev/null &
sampler=$!
sleep 1

# max_gap FILE T: the longest gap between replies that ends after T (the one that
# spans T counts: it is where an outage starts).
max_gap() {
	awk -v t="$2" '/bytes from/ { gsub(/[\[\]]/, "", $1); v = $1 + 0; if (v > t + 0 && p && v - p > m) m = v - p; p = v }
		END { printf "%.3f\n", m + 0 }' "$1"
}
# last_reply FILE: the time of the last reply in FILE.
last_reply() { awk '/bytes from/ { t = $1 } END { gsub(/[\[\]]/, "", t); printf "%.6f\n", t + 0 }' "$1"; }
# settled FILE T: replies have flowed for a second after the longest gap since T.
settled() {
	local g
	g=$(max_gap "$1" "$2")
	[ "$(echo "$(last_reply "$1") - $2 > $g + 1" | bc)" = 1 ]
}
# restored LABEL T: the outage after T (the longest gap between replies, each way)
# is at most RESTORE_S. Waits up to 20 s so that a slow switch is reported with its time.
restored() {
	local ab ba worst
	poll 20 settled "$tmp/ping-ab" "$2"
	poll 5 settled "$tmp/ping-ba" "$2"
	ab=$(max_gap "$tmp/ping-ab" "$2") ba=$(max_gap "$tmp/ping-ba" "$2")
	worst=$(printf '%s\n%s\n' "$ab" "$ba" | sort -g | tail -1)
	echo "# $1: outage hA -> hB $ab s, hB -> hA $ba s"
	settled "$tmp/ping-ab" "$2" && settled "$tmp/ping-ba" "$2" || worst=never
	t "$1: LAN <-> LAN restored within $RESTORE_S s (${worst} s)" le "$worst" "$RESTORE_S"
}

# --- 2. b1's links go down.
cut=$(now)
# The LAN first: b1 must not get a last advert out (a FAULT on the uplink alone sends
# one with priority 0, and b2 would take over at once, not after 3 missed adverts).
ip -n "$gB1" link set lan0 down
ip -n "$gB1" link set up0 down
restored "b1's links down" "$cut"
# Where the time went (a slow machine): when the sampler (~0.1 s steps, late under
# load) first saw b2's WireGuard device.
echo "# b2's WireGuard device first seen $(awk -v t="$cut" '$1 > t && $2 ~ /2/ { printf "%.2f", $1 - t; exit }' "$tmp/sampler") s after the cut"
t "  b2 is master with the tunnel, b1 took its down (FAULT)" poll 10 only 2
t "  b1's notify said FAULT" grep -q "FAULT: taking the tunnel down" "$tmp/b1.pid.log" "$tmp/ka1.log"
t "  b2's meshgw show works and lists site a" bash -c \
	"nsenter --net=/run/netns/$gB2 $MESHGW show -c $tmp/mesh.conf -l $tmp/b2.local | tee /dev/stderr | grep -q '\ba\b'"

# --- 3. b1 comes back: standby, no second outage.
back=$(now)
ip -n "$gB1" link set up0 up
ip -n "$gB1" link set lan0 up
sleep 3
t "b1 back: b2 stays master (nopreempt)" only 2
gab=$(max_gap "$tmp/ping-ab" "$back") gba=$(max_gap "$tmp/ping-ba" "$back")
t "  no outage: longest gap between replies $gab s (hA -> hB), $gba s (hB -> hA)" \
	bash -c "[ \$(echo '$gab <= $GAP_S && $gba <= $GAP_S' | bc) = 1 ]"

# --- 4. b2's keepalived stops: b1 takes over.
cut=$(now)
ka_stop 2
restored "b2's keepalived stopped" "$cut"
t "  b1 is master with the tunnel, b2 took its down (STOP)" poll 10 only 1
t "  b1's meshgw show works" N "$gB1" "$MESHGW" show -c "$tmp/mesh.conf" -l "$tmp/b1.local"

# From the other site: its WireGuard never roamed to a box's own address.
b_at_vip() { N "$gA" wg show "$wgA" endpoints | grep -q $'\t203\\.0\\.113\\.2:51820$'; }
t "site a's WireGuard has b at the VRRP address 203.0.113.2:51820, as before" b_at_vip
kill "$sampler" && wait "$sampler" 2>/dev/null
sampler=''
both=$(grep -c ' 1,2$' "$tmp/sampler")
echo "# sampler: $(wc -l <"$tmp/sampler") samples"
t "never both boxes with the WireGuard device ($both of $(wc -l <"$tmp/sampler") samples)" test "$both" = 0

# --- The end: keepalived's STOP takes b1's tunnel down; nothing left.
ka_stop 1
t "b1's keepalived stopped: no box has the tunnel" poll 15 none_has_wg
poll 10 test ! -e "/run/meshgw/$wb1.state"
t "  nothing left by the notify's meshgw down (pins, state)" \
	nothing_left "$pin/b1" "$pin/b2" "/run/meshgw/$wb1.state" "/run/meshgw/$wb2.state"
tap_done
