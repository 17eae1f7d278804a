#!/bin/bash
# The multi-ISP lab (selftests/lab/lab.sh) with plain WireGuard (wireguard-go, configured
# with wg) as a full mesh and no meshgw: every LAN host reaches every other one; then
# site B's ISP1 is cut at the ISP side and A->B stays down (router B's stale conntrack
# entry keeps B's replies leaving with the dead address, see ../shared/NOTES.md), until
# A's peer B is pointed at B's ISP2 address by hand. This is the problem meshgw solves:
# the test proves the lab reproduces it. Times are printed as TAP comments.
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi

# shellcheck source=lab/lab.sh
source "$here/lab/lab.sh"
LAB_SFX=$$
DOWN_FOR=${DOWN_FOR:-8} # seconds A->B must stay down after the cut
# LAB_WG=kernel uses kernel WireGuard instead (inside selftests/vm/run.sh: the host has none).
LAB_WG=${LAB_WG:-${VM_ENV_LAB_WG:-go}}

n=0 failed=0
t() { # t DESCRIPTION COMMAND...: ok when COMMAND succeeds
	local d=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; failed=$((failed + 1)); fi
}
q() { "$@" > /dev/null 2>&1; } # q COMMAND...: quietly
now() { date +%s.%N; }
since() { printf '%.2f' "$(echo "$(now) - $1" | bc)"; }

umask 077 # private keys
tmp=$(mktemp -d /tmp/meshgw-labwg.$$.XXXX)
declare -A wgpid
cleanup() {
	local x
	for x in "${!wgpid[@]}"; do kill "${wgpid[$x]}" 2>/dev/null || true; done
	for x in "${!wgpid[@]}"; do wait "${wgpid[$x]}" 2>/dev/null || true; done
	lab_destroy
	rm -rf "$tmp"
}
trap cleanup EXIT

# Polls until COMMAND succeeds or SECONDS pass; prints the time it took.
wait_for() { # wait_for SECONDS COMMAND...
	local limit=$1 start
	shift
	start=$(now)
	while ! "$@"; do
		if [ "$(echo "$(now) - $start > $limit" | bc)" = 1 ]; then return 1; fi
		sleep 0.1
	done
	since "$start"
}

# --- the lab ---------------------------------------------------------------------------
start=$(now)
t "lab created" lab_create
echo "# lab build time: $(since "$start") s"
t "lab: router A reaches router B over ISP1" \
	q lab_exec rA busybox ping -q -c 1 -W 2 "${LAB_ISP_IP[B,1]}"
# Router B sends from its ISP1 address out of ISP2, untracked so masquerade cannot fix
# the source: the internet's strict rp_filter must drop it (while the ISP2 source
# passes). This is what black-holes B's replies after its ISP1 is cut.
from_b() { # from_b SOURCE: ping C's ISP2 side from router B via B's ISP2, no NAT
	local rc=0
	lab_exec rB ip route add "${LAB_ISP_GW[C,2]}" via "${LAB_ISP_GW[B,2]}" dev "${LAB_UPLINK_IF[B,2]}"
	lab_exec rB nft -f - <<-EOF
	table ip spoof$$ {
		chain out { type filter hook output priority raw; ip daddr ${LAB_ISP_GW[C,2]} notrack; }
	}
	EOF
	q lab_exec rB busybox ping -q -c 1 -W 1 -I "$1" "${LAB_ISP_GW[C,2]}" || rc=1
	lab_exec rB nft delete table ip spoof$$
	lab_exec rB ip route del "${LAB_ISP_GW[C,2]}"
	return $rc
}
t "lab: the internet's strict rp_filter drops B's ISP1 source arriving on ISP2" \
	eval '! from_b "${LAB_ISP_IP[B,1]}"'
t "lab: ... while B's ISP2 source on ISP2 passes" from_b "${LAB_ISP_IP[B,2]}"

# --- plain WireGuard full mesh (wireguard-go, unique interface names) -------------------
for x in $LAB_SITES; do
	wg genkey > "$tmp/$x.key"
	wg pubkey < "$tmp/$x.key" > "$tmp/$x.pub"
	lab_sysctl "g$x" net.ipv4.ip_forward=1
	if [ "$LAB_WG" = kernel ]; then
		ip -n "${LAB_NS[g$x]}" link add "wg$x$$" type wireguard
		continue
	fi
	# wireguard-go's UAPI socket lives in our mount namespace: wg$x$$ keeps them apart.
	# nsenter execs it: $! is wireguard-go's own PID.
	nsenter --net="/run/netns/${LAB_NS[g$x]}" wireguard-go -f "wg$x$$" > "$tmp/wg$x.log" 2>&1 &
	wgpid[$x]=$!
done
for x in $LAB_SITES; do
	[ "$LAB_WG" = kernel ] && t "kernel WireGuard wg$x$$ in g$x" q lab_exec "g$x" wg show "wg$x$$" ||
		t "wireguard-go up in g$x" q wait_for 10 test -S "/run/wireguard/wg$x$$.sock"
	args=(private-key "$tmp/$x.key" listen-port "$LAB_PORT")
	for y in $LAB_SITES; do
		[ "$x" = "$y" ] && continue
		args+=(peer "$(cat "$tmp/$y.pub")" endpoint "${LAB_ENDPOINTS[$y]%% *}"
			allowed-ips "${LAB_MESH_IP[$y]}/32,${LAB_LAN[$y]}" persistent-keepalive 25)
	done
	lab_exec "g$x" wg set "wg$x$$" "${args[@]}"
	{
		echo "addr add ${LAB_MESH_IP[$x]}/24 dev wg$x$$"
		echo "link set wg$x$$ up"
		for y in $LAB_SITES; do
			[ "$x" = "$y" ] || echo "route add ${LAB_LAN[$y]} dev wg$x$$"
		done
	} | ip -n "${LAB_NS[g$x]}" -b -
done

start=$(now)
for x in $LAB_SITES; do
	for y in $LAB_SITES; do
		[ "$x" = "$y" ] && continue
		el=$(wait_for 15 lab_ping "$x" "$y") || el=
		t "LAN host $x -> LAN host $y through the mesh${el:+ (${el} s)}" test -n "$el"
	done
done
echo "# full mesh up, all pairs answered: $(since "$start") s"

# --- cut B's ISP1: plain WireGuard does not recover --------------------------------------
lab_isp_down B 1
cut=$(now)
answered=0
while [ "$(echo "$(now) - $cut < $DOWN_FOR" | bc)" = 1 ]; do
	if lab_ping A B 1; then answered=1; break; fi
done
t "after cutting B's ISP1, A -> B stays down for ${DOWN_FOR} s (the known plain-WireGuard failure)" \
	test $answered = 0
echo "# A -> B down for $(since "$cut") s after the cut, endpoint still ${LAB_ENDPOINTS[B]%% *}"
lab_ping B A 1 && echo "# B -> A answered after the cut" || echo "# B -> A down too after the cut"

# The manual fix meshgw automates: A's peer B to B's next endpoint.
lab_exec gA wg set "wgA$$" peer "$(cat "$tmp/B.pub")" endpoint "${LAB_ENDPOINTS[B]##* }"
fix=$(now)
el=$(wait_for 10 lab_ping A B 1) || el=
t "wg set endpoint ${LAB_ENDPOINTS[B]##* } on A restores A -> B${el:+ (${el} s)}" test -n "$el"
el=$(wait_for 10 lab_ping B A 1) || el=
t "  ... and B -> A${el:+ (${el} s after the switch)}" test -n "$el"
echo "# recovery after the endpoint switch: $(since "$fix") s for both directions"
lab_ping C B 1 && echo "# C -> B answers at the end ($(since "$cut") s after the cut)" ||
	echo "# C -> B still down $(since "$cut") s after the cut (C's endpoint for B unchanged)"

# --- restore, tear down, no leaks --------------------------------------------------------
t "lab_isp_up B 1 restores the link" lab_isp_up B 1
bad_isp() { ! lab_isp_down D 1 2>/dev/null && ! lab_isp_down B 3 2>/dev/null && ! lab_isp_up B 0 2>/dev/null; }
t "lab_isp_down/up reject a bad site or ISP number" bad_isp
for x in "${!wgpid[@]}"; do kill "${wgpid[$x]}" 2>/dev/null || true; done
for x in "${!wgpid[@]}"; do wait "${wgpid[$x]}" 2>/dev/null || true; done
wgpid=()
lab_destroy
t "nothing of this run is left (namespaces, links)" lab_leaks
t "no wireguard-go socket left" bash -c "! ls /run/wireguard/wg[ABC]$$.sock 2>/dev/null"

echo "1..$n"
[ $failed = 0 ]
