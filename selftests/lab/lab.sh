# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The multi-ISP lab: three sites, each behind a router with two ISP uplinks, all in
# network namespaces. Source this file (it only defines functions and variables),
# then `lab_create`, ..., `lab_destroy`. Needs root, iproute2, nft, ethtool.
#
#                          +----------------- inet ------------------+
#                          |  "the internet": forwarding, rp_filter=1 |
#                          |  (strict: an ISP drops sources it does   |
#                          |   not route back to that link)           |
#                          +-----------------------------------------+
#              iA1 /  \ iA2          iB1 /  \ iB2          iC1 /  \ iC2
#     ISP1 198.51.100.8/29  |   198.51.100.16/29  |   198.51.100.24/29  |
#     ISP2 203.0.113.8/29   |   203.0.113.16/29   |   203.0.113.24/29   |
#               u1 \  / u2           u1 \  / u2            u1 \  / u2
#        +------ rA ------+    +------ rB ------+     +------ rC ------+
#        | router, br     |    | router         |     | router         |
#        | .0.1 on the LAN|    | l: 172.16.2.1  |     | l: 172.16.3.1  |
#        +--+---------+---+    +-------+--------+     +-------+--------+
#     pg |      ph |                   | up: 172.16.2.2       | up: 172.16.3.2
#   +----+--+ +----+--+        +-------+-------+      +-------+-------+
#   | gA    | | hA    |        | gB  gateway   |      | gC  gateway   |
#   | .0.2  | | .0.10 |        | lan 192.168.1.1      | lan 192.168.2.1
#   +-------+ +-------+        +-------+-------+      +-------+-------+
#   site A: ONE-ARMED                  |                      |
#   192.168.0.0/24: router, gateway    +-- hB 192.168.1.10    +-- hC 192.168.2.10
#   and host on one bridge (in rA);    site B: two-armed      site C: two-armed
#   hA's default route = gA,
#   gA's default route = rA.
#
# Routers (rX): masquerade on both uplinks; UDP $LAB_PORT arriving on either uplink is
# DNATed to the gateway; connmark policy routing (a flow that came in on ISP n gets
# ct mark n; LAN-side packets of it take mark n, table 100+n routes it out of ISP n);
# arp_announce=2, ignore_routes_with_linkdown=1, rp_filter=2; default routes via ISP1
# (metric 100) and ISP2 (metric 200), so a router whose ISP1 loses carrier fails over;
# the router's own packets from ISP n's address leave by ISP n (source rule).
# Router public addresses: ISP1 198.51.100.{10,20,30}, ISP2 203.0.113.{10,20,30} for
# A, B, C; the ISP's gateway on each link is the /29's first address.
#
# What plain WireGuard does here (measured, lab_plain_wg.t.sh): cutting B's ISP1 leaves
# A->B down indefinitely (router B's DNAT entry for A's flow has no output-interface
# binding, so B's replies leave by ISP2 with the dead ISP1 source and the internet's
# rp_filter drops them) until A's peer B is switched to B's ISP2 address (then both
# directions work within ~20 ms). Cutting A's ISP1 (A's router fails over to ISP2)
# recovered by itself after 5-6 s in one run: masquerade kills a conntrack entry whose output interface
# changed, so gA's next packet gets the ISP2 source and B and C roam to it.
#
# Gateways (gX) and hosts (hX) are plain: no forwarding, no WireGuard. Whoever runs a
# gateway configures it (forwarding, WireGuard, routes to the other LANs). Their
# neighbours run no XDP program and keep their offloads, as on a user's network.
# Mesh: 192.168.254.0/24 (.1 .2 .3 for A B C), WireGuard port 55555.
#
# Every name carries the suffix $LAB_SFX (default: the PID of the sourcing shell):
# namespaces are lab-ROLE-$LAB_SFX, interfaces end in it (the diagram omits it).
# Works on the host (wireguard-go) and inside selftests/vm/run.sh (kernel WireGuard;
# lab_create takes ~4.5 s there against ~0.15 s on the host).
#
# Functions:
#   lab_create                 build everything (fails and cleans up on any error)
#   lab_destroy                kill processes left in the lab's namespaces, delete them
#   lab_leaks                  print what is left of this run (namespaces, links); 1 if any
#   lab_isp_down SITE N        cut ISP N (1|2) of SITE (A|B|C) at the ISP side: the router
#   lab_isp_up SITE N          sees carrier loss, as with a dead ISP; lab_isp_up restores
#   lab_isp_readdress SITE N IP   the ISP gives the router a new public address on ISP N
#                              (LAB_ISP_ALT_IP[X,N] is a free one in the same /29);
#                              updates LAB_ISP_IP and LAB_ENDPOINTS
#   lab_exec ROLE CMD...       run CMD in namespace ROLE (inet rA gA hA rB gB hB rC gC hC)
#                              via nsenter --net (no /sys remount: bpffs stays visible)
#   lab_ns ROLE                print the namespace name of ROLE
#   lab_wg_up SITE [go|kernel] plain WireGuard (no meshgw) in gSITE, configured with wg:
#                              full mesh to the other sites at their first endpoint,
#                              keepalive 25, mesh address, routes, forwarding on.
#                              go = wireguard-go (default), kernel = wireguard.ko
#   lab_wg_endpoint SITE PEER N   point SITE's peer PEER at PEER's Nth endpoint (the
#                              manual failover meshgw automates)
#   lab_mesh_conf FILE         write a meshgw mesh file for the lab (sites A B C)
#   lab_local_conf SITE FILE [BACKEND]   and a local file for SITE's gateway
#   lab_ping FROM_SITE TO_SITE [TIMEOUT_S]
#                              one ping from host FROM to host TO (busybox ping), 0 if
#                              answered within TIMEOUT_S (default 1)
#
# Settings (before lab_create):
#   LAB_DNAT=one (default)     each router forwards $LAB_PORT from both ISPs to one
#                              gateway address: a router's reply tuple for a flow that
#                              came in by ISP2 is also the one a flow by ISP1 needs, so
#                              its entry sends the gateway's packets out of ISP2 for as
#                              long as they keep it alive (see failover.sh, ct_flush)
#   LAB_DNAT=per-isp           ISP n forwards to the gateway's nth address (a second
#                              address on its uplink): a flow's replies leave by the ISP
#                              it came in by, since WireGuard answers from the address
#                              a peer's packets came to
#
# Variables (indexed by site letter unless said otherwise):
#   LAB_SITES="A B C"  LAB_PORT=55555  LAB_MESH_NET=192.168.254.0/24
#   LAB_NS[ROLE]                 namespace names
#   LAB_LAN[X]                   the site's LAN (egress range), e.g. 192.168.0.0/24
#   LAB_HOST_IP[X]               the LAN host's address
#   LAB_GW_LAN_IP[X]             the gateway's LAN address (the hosts' route)
#   LAB_GW_LAN_IF[X]             the gateway's LAN interface
#   LAB_GW_UPLINK_IF[X]          the gateway's uplink interface ("" when one-armed)
#   LAB_GW_UPLINK_IP[X]          the address the router forwards $LAB_PORT to
#   LAB_GW_UPLINK_IP2[X]         with LAB_DNAT=per-isp, the address ISP2's forward goes
#                                to (ISP1's goes to LAB_GW_UPLINK_IP); else the same
#   LAB_MESH_IP[X]               the site's mesh address (192.168.254.N)
#   LAB_ENDPOINTS[X]             public endpoints in preference order, "ip1:port ip2:port"
#   LAB_ISP_IP[X,N]              the router's public address on ISP N
#   LAB_ISP_GW[X,N]              the ISP's address on that link
#   LAB_ISP_ALT_IP[X,N]          another free address on that link (readdressing)
#   LAB_ISP_IF[X,N]              the ISP-side interface (in inet)
#   LAB_UPLINK_IF[X,N]           the router-side interface (in rX)
#   LAB_ONE_ARMED[X]             1 for a one-armed site (A), else 0
#   LAB_WG_IF[X]                 WireGuard interface name for the site (unique per run:
#                                wireguard-go's sockets share one /run/wireguard)
#   LAB_KEY[X] LAB_PUB[X]        the site's private key file (0600) and public key
#   LAB_DIR                      this run's scratch directory (keys), removed by destroy

LAB_SITES="A B C"
LAB_PORT=55555
LAB_DNAT=${LAB_DNAT:-one}
LAB_MESH_NET=192.168.254.0/24
declare -gA LAB_NS LAB_LAN LAB_HOST_IP LAB_GW_LAN_IP LAB_GW_LAN_IF LAB_GW_UPLINK_IF \
	LAB_GW_UPLINK_IP LAB_GW_UPLINK_IP2 LAB_MESH_IP LAB_ENDPOINTS LAB_ISP_IP LAB_ISP_GW LAB_ISP_ALT_IP LAB_ISP_IF \
	LAB_UPLINK_IF LAB_ONE_ARMED LAB_WG_IF LAB_KEY LAB_PUB
LAB_DIR=

# Fills the variables above for suffix $LAB_SFX. lab_create calls it; call it yourself
# to know the names before creating.
lab_vars() {
	local s=${LAB_SFX:=$$} x k n
	LAB_NS=([inet]=lab-inet-$s)
	k=0
	for x in $LAB_SITES; do
		k=$((k + 1))
		LAB_NS[r$x]=lab-r$x-$s
		LAB_NS[g$x]=lab-g$x-$s
		LAB_NS[h$x]=lab-h$x-$s
		LAB_LAN[$x]=192.168.$((k - 1)).0/24
		LAB_HOST_IP[$x]=192.168.$((k - 1)).10
		LAB_MESH_IP[$x]=192.168.254.$k
		LAB_GW_LAN_IF[$x]=lan$s
		LAB_WG_IF[$x]=wg$x$s
		for n in 1 2; do
			LAB_ISP_IF[$x,$n]=i$x$n$s
			LAB_UPLINK_IF[$x,$n]=u$n$s
		done
		LAB_ISP_IP[$x,1]=198.51.100.$((10 * k))
		LAB_ISP_GW[$x,1]=198.51.100.$((8 * k + 1))
		LAB_ISP_ALT_IP[$x,1]=198.51.100.$((8 * k + 5))
		LAB_ISP_IP[$x,2]=203.0.113.$((10 * k))
		LAB_ISP_GW[$x,2]=203.0.113.$((8 * k + 1))
		LAB_ISP_ALT_IP[$x,2]=203.0.113.$((8 * k + 5))
		LAB_ENDPOINTS[$x]="${LAB_ISP_IP[$x,1]}:$LAB_PORT ${LAB_ISP_IP[$x,2]}:$LAB_PORT"
		if [ "$k" = 1 ]; then
			LAB_ONE_ARMED[$x]=1
			LAB_GW_LAN_IP[$x]=192.168.0.2
			LAB_GW_UPLINK_IF[$x]=
			LAB_GW_UPLINK_IP[$x]=192.168.0.2
			LAB_GW_UPLINK_IP2[$x]=192.168.0.3
		else
			LAB_ONE_ARMED[$x]=0
			LAB_GW_LAN_IP[$x]=192.168.$((k - 1)).1
			LAB_GW_UPLINK_IF[$x]=up$s
			LAB_GW_UPLINK_IP[$x]=172.16.$k.2
			LAB_GW_UPLINK_IP2[$x]=172.16.$k.3
		fi
		[ "$LAB_DNAT" = per-isp ] || LAB_GW_UPLINK_IP2[$x]=${LAB_GW_UPLINK_IP[$x]}
	done
}

lab_ns() { echo "${LAB_NS[$1]:?lab: unknown role $1}"; }

lab_exec() {
	local ns
	ns=$(lab_ns "$1") || return 1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# Writes sysctls in one namespace with one process: lab_sysctl ROLE key=value...
lab_sysctl() {
	local role=$1
	shift
	lab_exec "$role" sh -c '
		for kv; do
			k=${kv%%=*}
			echo "${kv#*=}" > "/proc/sys/$(echo "$k" | tr . /)" || exit 1
		done' lab-sysctl "$@"
}

_lab_fail() { echo "lab: $*" >&2; lab_destroy; return 1; }

lab_create() {
	local s x k n role links="" r g h lan gw_lan
	lab_vars
	s=$LAB_SFX
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/meshgw-lab.$s.XXXXXX") || return 1
	for x in $LAB_SITES; do
		LAB_KEY[$x]=$LAB_DIR/$x.key
		(umask 077 && wg genkey > "${LAB_KEY[$x]}") &&
			LAB_PUB[$x]=$(wg pubkey < "${LAB_KEY[$x]}") || { _lab_fail "wg genkey failed"; return 1; }
	done
	# Few processes: under TCG (selftests/vm) every exec costs ~30-60 ms, and module
	# autoloading one request at a time ~4 s; one modprobe -a takes 0.5 s (on a kernel
	# without modules it fails quietly and the features are built in).
	modprobe -q -a veth bridge nf_tables nft_ct nft_nat nft_masq nft_chain_nat 2>/dev/null || true
	for role in "${!LAB_NS[@]}"; do
		echo "netns add ${LAB_NS[$role]}"
	done | ip -b - || { _lab_fail "cannot create the namespaces"; return 1; }
	# Defaults first, so every interface created later inherits them.
	lab_sysctl inet net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=1 \
		net.ipv4.conf.default.rp_filter=1 || { _lab_fail "sysctl in inet"; return 1; }
	for x in $LAB_SITES; do
		lab_sysctl "r$x" net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=2 \
			net.ipv4.conf.default.rp_filter=2 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.default.arp_announce=2 \
			net.ipv4.conf.all.ignore_routes_with_linkdown=1 \
			net.ipv4.conf.default.ignore_routes_with_linkdown=1 ||
			{ _lab_fail "sysctl in r$x"; return 1; }
	done

	# All links, created directly in their namespaces (nothing passes through ours).
	k=0
	for x in $LAB_SITES; do
		k=$((k + 1))
		r=${LAB_NS[r$x]} g=${LAB_NS[g$x]} h=${LAB_NS[h$x]}
		for n in 1 2; do
			links+="link add u$n$s netns $r type veth peer name i$x$n$s netns ${LAB_NS[inet]}"$'\n'
		done
		if [ "${LAB_ONE_ARMED[$x]}" = 1 ]; then
			links+="link add br$s netns $r type bridge forward_delay 0 stp_state 0"$'\n'
			links+="link add pg$s netns $r type veth peer name lan$s netns $g"$'\n'
			links+="link add ph$s netns $r type veth peer name eth$s netns $h"$'\n'
		else
			links+="link add l$s netns $r type veth peer name up$s netns $g"$'\n'
			links+="link add lan$s netns $g type veth peer name eth$s netns $h"$'\n'
		fi
	done
	ip -b - <<< "$links" || { _lab_fail "cannot create the links"; return 1; }

	# The internet: one /29 per ISP link, nothing else to route.
	{
		echo "link set lo up"
		for x in $LAB_SITES; do
			for n in 1 2; do
				echo "addr add ${LAB_ISP_GW[$x,$n]}/29 dev i$x$n$s"
				echo "link set i$x$n$s up"
			done
		done
	} | ip -n "${LAB_NS[inet]}" -b - || { _lab_fail "cannot configure inet"; return 1; }

	k=0
	for x in $LAB_SITES; do
		k=$((k + 1))
		r=${LAB_NS[r$x]} g=${LAB_NS[g$x]} h=${LAB_NS[h$x]}
		lan=${LAB_LAN[$x]}
		gw_lan=${LAB_GW_LAN_IP[$x]}
		# Router: uplinks, per-ISP tables, LAN side.
		{
			echo "link set lo up"
			for n in 1 2; do
				echo "addr add ${LAB_ISP_IP[$x,$n]}/29 dev u$n$s"
				echo "link set u$n$s up"
				echo "route add default via ${LAB_ISP_GW[$x,$n]} dev u$n$s metric $((n * 100))"
				echo "route add default via ${LAB_ISP_GW[$x,$n]} dev u$n$s table $((100 + n))"
				echo "rule add fwmark $n lookup $((100 + n)) pref $((1000 + n))"
				# The router's own packets from an ISP's address leave by that ISP.
				echo "rule add from ${LAB_ISP_IP[$x,$n]} lookup $((100 + n)) pref $((900 + n))"
			done
			if [ "${LAB_ONE_ARMED[$x]}" = 1 ]; then
				echo "addr add ${lan%.*}.1/24 dev br$s"
				echo "link set br$s up"
				echo "link set pg$s master br$s up"
				echo "link set ph$s master br$s up"
			else
				echo "addr add 172.16.$k.1/24 dev l$s"
				echo "link set l$s up"
				echo "route add $lan via ${LAB_GW_UPLINK_IP[$x]} dev l$s"
			fi
		} | ip -n "$r" -b - || { _lab_fail "cannot configure r$x"; return 1; }
		# Gateway: LAN NIC (+ uplink NIC), default route to the router.
		{
			echo "link set lo up"
			echo "addr add $gw_lan/24 dev lan$s"
			echo "link set lan$s up"
			if [ "${LAB_ONE_ARMED[$x]}" = 1 ]; then
				echo "route add default via ${lan%.*}.1 dev lan$s"
				[ "$LAB_DNAT" != per-isp ] || echo "addr add ${LAB_GW_UPLINK_IP2[$x]}/24 dev lan$s"
			else
				echo "addr add ${LAB_GW_UPLINK_IP[$x]}/24 dev up$s"
				[ "$LAB_DNAT" != per-isp ] || echo "addr add ${LAB_GW_UPLINK_IP2[$x]}/24 dev up$s"
				echo "link set up$s up"
				echo "route add default via 172.16.$k.1 dev up$s"
			fi
		} | ip -n "$g" -b - || { _lab_fail "cannot configure g$x"; return 1; }
		# Host: its default route is the gateway.
		printf '%s\n' "link set lo up" "addr add ${LAB_HOST_IP[$x]}/24 dev eth$s" "link set eth$s up" \
			"route add default via $gw_lan dev eth$s" |
			ip -n "$h" -b - || { _lab_fail "cannot configure h$x"; return 1; }
		# NAT and connmark policy routing.
		lab_exec "r$x" nft -f - <<-EOF || { _lab_fail "nft in r$x"; return 1; }
		table ip lab {
			chain mangle_pre {
				type filter hook prerouting priority mangle; policy accept;
				iifname "u1$s" ct state new ct mark set 1
				iifname "u2$s" ct state new ct mark set 2
				iifname != { "u1$s", "u2$s" } meta mark set ct mark
			}
			chain nat_pre {
				type nat hook prerouting priority dstnat; policy accept;
				iifname "u1$s" udp dport $LAB_PORT dnat to ${LAB_GW_UPLINK_IP[$x]}
				iifname "u2$s" udp dport $LAB_PORT dnat to ${LAB_GW_UPLINK_IP2[$x]}
			}
			chain nat_post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname { "u1$s", "u2$s" } masquerade
			}
		}
		EOF
		# Nothing on the neighbours: no XDP program, no GRO, no offload
		# switched off. A user's switch, bridge or container host does none
		# of that, and meshgw must work with them as they are.
	done
}

_lab_isp_check() {
	case "$1,$2" in
	[ABC],[12]) [ -n "${LAB_ISP_IF[$1,$2]:-}" ] && return 0 ;;
	esac
	echo "lab: no ISP $2 at site $1 (sites: $LAB_SITES, ISPs 1 2)" >&2
	return 1
}

lab_isp_down() {
	_lab_isp_check "$1" "$2" || return 1
	ip -n "${LAB_NS[inet]}" link set "${LAB_ISP_IF[$1,$2]}" down
}

lab_isp_up() {
	_lab_isp_check "$1" "$2" || return 1
	ip -n "${LAB_NS[inet]}" link set "${LAB_ISP_IF[$1,$2]}" up
}

_lab_site_check() {
	case " $LAB_SITES " in *" $1 "*) [ -n "$1" ] && return 0 ;; esac
	echo "lab: no site '$1' (sites: $LAB_SITES)" >&2
	return 1
}

lab_wg_up() {
	local x=$1 impl=${2:-go} y wg i args
	_lab_site_check "$x" || return 1
	wg=${LAB_WG_IF[$x]}
	case $impl in
	kernel) ip -n "${LAB_NS[g$x]}" link add "$wg" type wireguard || return 1 ;;
	go)
		# nsenter execs wireguard-go: lab_destroy finds it in the namespace.
		nsenter --net="/run/netns/${LAB_NS[g$x]}" wireguard-go -f "$wg" \
			> "$LAB_DIR/wireguard-go.$x.log" 2>&1 &
		for i in $(seq 50); do
			[ -S "/run/wireguard/$wg.sock" ] && break
			sleep 0.1
		done
		[ -S "/run/wireguard/$wg.sock" ] ||
			{ echo "lab: wireguard-go $wg did not start" >&2; return 1; }
		;;
	*) echo "lab: lab_wg_up: unknown WireGuard '$impl' (go|kernel)" >&2; return 1 ;;
	esac
	args=(private-key "${LAB_KEY[$x]}" listen-port "$LAB_PORT")
	for y in $LAB_SITES; do
		[ "$x" = "$y" ] && continue
		args+=(peer "${LAB_PUB[$y]}" endpoint "${LAB_ENDPOINTS[$y]%% *}"
			allowed-ips "${LAB_MESH_IP[$y]}/32,${LAB_LAN[$y]}" persistent-keepalive 25)
	done
	lab_exec "g$x" wg set "$wg" "${args[@]}" || return 1
	lab_sysctl "g$x" net.ipv4.ip_forward=1 || return 1
	{
		echo "addr add ${LAB_MESH_IP[$x]}/24 dev $wg"
		echo "link set $wg up"
		for y in $LAB_SITES; do
			[ "$x" = "$y" ] || echo "route add ${LAB_LAN[$y]} dev $wg"
		done
	} | ip -n "${LAB_NS[g$x]}" -b -
}

lab_wg_endpoint() {
	local x=$1 y=$2 n=$3 ep
	_lab_site_check "$x" && _lab_site_check "$y" || return 1
	read -r -a ep <<< "${LAB_ENDPOINTS[$y]}"
	[[ $n =~ ^[12]$ ]] || { echo "lab: no endpoint $n (1|2)" >&2; return 1; }
	lab_exec "g$x" wg set "${LAB_WG_IF[$x]}" peer "${LAB_PUB[$y]}" endpoint "${ep[$((n - 1))]}"
}

lab_mesh_conf() {
	local x e
	{
		echo "# The lab's mesh (selftests/lab/lab.sh, run $LAB_SFX)"
		echo "[Mesh]"
		echo "Network = $LAB_MESH_NET"
		echo "ListenPort = $LAB_PORT"
		echo "PersistentKeepalive = 25"
		for x in $LAB_SITES; do
			echo
			echo "[Site $x]"
			echo "Address = ${LAB_MESH_IP[$x]}"
			echo "PublicKey = ${LAB_PUB[$x]}"
			for e in ${LAB_ENDPOINTS[$x]}; do echo "Endpoint = $e"; done
			echo "Egress = ${LAB_LAN[$x]}"
		done
	} > "$1"
}

lab_local_conf() {
	local x=$1
	_lab_site_check "$x" || return 1
	{
		echo "[Local]"
		echo "Site = $x"
		echo "PrivateKeyFile = ${LAB_KEY[$x]}"
		echo "LanInterface = ${LAB_GW_LAN_IF[$x]}"
		if [ -n "${LAB_GW_UPLINK_IF[$x]}" ]; then
			echo "UplinkInterface = ${LAB_GW_UPLINK_IF[$x]}"
		fi
		echo "WireGuardInterface = ${LAB_WG_IF[$x]}"
		if [ -n "${3:-}" ]; then echo "Backend = $3"; fi
	} > "$2"
}

lab_isp_readdress() {
	local x=$1 n=$2 ip=$3 r
	_lab_isp_check "$x" "$n" || return 1
	[[ $ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "lab: bad address '$ip'" >&2; return 1; }
	r=${LAB_NS[r$x]}
	# Removing the old address also flushes the masquerade entries that used it.
	# (Old one first: deleting a primary address deletes its secondaries too.)
	printf '%s\n' "addr del ${LAB_ISP_IP[$x,$n]}/29 dev ${LAB_UPLINK_IF[$x,$n]}" \
		"addr add $ip/29 dev ${LAB_UPLINK_IF[$x,$n]}" \
		"route replace default via ${LAB_ISP_GW[$x,$n]} dev ${LAB_UPLINK_IF[$x,$n]} metric $((n * 100))" \
		"route replace default via ${LAB_ISP_GW[$x,$n]} dev ${LAB_UPLINK_IF[$x,$n]} table $((100 + n))" \
		"rule del from ${LAB_ISP_IP[$x,$n]} lookup $((100 + n)) pref $((900 + n))" \
		"rule add from $ip lookup $((100 + n)) pref $((900 + n))" |
		ip -n "$r" -b - || return 1
	# The port forwards' (DNAT) entries to the old address stay: flushed as mwan3's
	# flush_conntrack does on the interface's events. Left, an entry of a peer that
	# talked to the old address keeps matching the gateway's own packets to that peer
	# (its reply direction, refreshed by them) and sends them out with the old
	# address: a plain WireGuard behind the router is cut off from that peer for as
	# long as it keeps sending (lab_failover scenario 7 failed on it 2 in ~10 runs;
	# a meshgw gateway gets out of it by moving to the peer's other endpoint).
	ip netns exec "$r" conntrack -D --orig-dst "${LAB_ISP_IP[$x,$n]}" >/dev/null 2>&1 || true
	LAB_ISP_IP[$x,$n]=$ip
	LAB_ENDPOINTS[$x]="${LAB_ISP_IP[$x,1]}:$LAB_PORT ${LAB_ISP_IP[$x,2]}:$LAB_PORT"
}

lab_ping() {
	local t=${3:-1}
	lab_exec "h$1" busybox ping -q -c 1 -W "$t" "${LAB_HOST_IP[$2]}" > /dev/null 2>&1
}

# PIDs of the processes in namespace NS (no exec: -ef compares the nsfs inodes).
_lab_ns_pids() {
	local p
	for p in /proc/[0-9]*; do
		[[ $p/ns/net -ef /run/netns/$1 ]] && echo "${p#/proc/}"
	done
	return 0
}

lab_destroy() {
	local role ns pid pids="" i dels=""
	# Only processes inside this run's private namespaces: the test started them.
	# TERM first (wireguard-go removes its socket), KILL what is left after 1 s.
	for role in "${!LAB_NS[@]}"; do
		ns=${LAB_NS[$role]}
		[ -e "/run/netns/$ns" ] || continue
		pids+=" $(_lab_ns_pids "$ns" | tr '\n' ' ')"
		dels+="netns del $ns"$'\n'
	done
	for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for pid in $pids; do kill -0 "$pid" 2>/dev/null && break; pid=; done
		[ -z "${pid:-}" ] && break
		sleep 0.1
	done
	for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
	[ -z "$dels" ] || ip -force -b - <<< "$dels" 2>/dev/null
	[ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	LAB_DIR=
	return 0
}

lab_leaks() {
	local s=${LAB_SFX:?lab: LAB_SFX unset} found=0 ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in lab-*-"$s") echo "lab leak: namespace $ns"; found=1 ;; esac
	done
	if ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep -E -- "$s(@|\$)"; then
		found=1
	fi
	return $found
}
