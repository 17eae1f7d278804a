#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's DHCP line for hosts (step 4 of "Installing on a gateway") must not
# break their internet: a client that gets option 121 (classless static routes)
# ignores option 3 (router), as RFC 3442 says and Windows, dhclient, systemd-networkd
# and Android do, so the default route must be in option 121 too. dnsmasq (the
# Debian package dnsmasq-base: the program, no service) hands out exactly the line
# the README prints, beside option 3; busybox udhcpc, with a script that applies
# what it got the RFC 3442 way, is the client; its routes must hold the remote
# ranges via the gateway and a default route via the router. The same with the
# line as the README had it before (no default route in option 121) shows what
# the check catches.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi
for c in dnsmasq busybox ip; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c not installed"; exit 0; }
done
. "$SRC/selftests/lib/tap.sh"

s=$$
srv=dhcps$s cli=dhcpc$s
tmp=$(mktemp -d /tmp/meshgw-dhcp.$s.XXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The line as the README prints it, and what it printed before this test existed.
line=$(grep -o 'dhcp-option=121,[^`]*' "$SRC/README.md" | head -n 1)
old_line=dhcp-option=121,192.168.1.0/24,192.168.0.2,192.168.2.0/24,192.168.0.2
t "the README has a dnsmasq option 121 line" test -n "$line"

# Server 192.168.0.3 (the router is .1, the gateway .2 in the README's example).
ip netns add "$srv" && ip netns add "$cli" &&
	ip link add d0 netns "$srv" type veth peer name c0 netns "$cli" &&
	ip -n "$srv" addr add 192.168.0.3/24 dev d0 && ip -n "$srv" link set d0 up &&
	ip -n "$cli" link set c0 up && ip -n "$cli" link set lo up
t "namespaces $srv and $cli" test $? = 0

# What a client does with the answer, RFC 3442 section 3.3: option 121 when present
# (option 3 ignored), else option 3.
cat >"$tmp/client.sh" <<'EOF'
#!/bin/sh
case $1 in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	if [ -n "${staticroutes:-}" ]; then
		set -- $staticroutes
		while [ $# -ge 2 ]; do
			if [ "$1" = 0.0.0.0/0 ]; then ip route add default via "$2" dev "$interface"
			else ip route add "$1" via "$2" dev "$interface"; fi
			shift 2
		done
	elif [ -n "${router:-}" ]; then
		ip route add default via "${router%% *}" dev "$interface"
	fi
	;;
esac
EOF
chmod +x "$tmp/client.sh"

# lease LINE: dnsmasq with option 3 and LINE; the client's routes after its lease.
lease() {
	local out p
	ip netns exec "$srv" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
		--interface=d0 --bind-interfaces --dhcp-range=192.168.0.100,192.168.0.150,255.255.255.0,1h \
		--dhcp-option=3,192.168.0.1 "--$1" --dhcp-leasefile="$tmp/leases" \
		--pid-file="$tmp/dnsmasq.pid" >"$tmp/dnsmasq.log" 2>&1 &
	p=$!	# ip netns exec execs dnsmasq
	pids+=("$p")
	ip -n "$cli" addr flush dev c0
	ip -n "$cli" route flush dev c0 2>/dev/null
	ip netns exec "$cli" busybox udhcpc -f -q -n -t 10 -T 1 -i c0 -O staticroutes \
		-s "$tmp/client.sh" >"$tmp/udhcpc.log" 2>&1
	out=$(ip -n "$cli" -4 route show dev c0 | awk '$2 == "via" { print $1, $3 }' | sort)
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	echo "$out"
}

routes=$(lease "$line")
t "the client got a lease" grep -Eq "192\.168\.0\.1([0-4][0-9]|50)/24" <(ip -n "$cli" -4 addr show dev c0)
t "  a route to 192.168.1.0/24 via the gateway" grep -qx "192.168.1.0/24 192.168.0.2" <<<"$routes"
t "  a route to 192.168.2.0/24 via the gateway" grep -qx "192.168.2.0/24 192.168.0.2" <<<"$routes"
t "  and a default route via the router (routes: $(echo $routes | tr '\n' ' '))" \
	grep -qx "default 192.168.0.1" <<<"$routes"

routes=$(lease "$old_line")
t "the line without 0.0.0.0/0 leaves the client no default route (what this test catches)" \
	bash -c '! grep -q "^default" <<<"$1"' _ "$routes"
t "  while the remote ranges are there (the lease itself worked)" \
	grep -qx "192.168.1.0/24 192.168.0.2" <<<"$routes"
tap_done
