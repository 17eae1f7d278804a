# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# One two-site topology per "kind" of gateway interface (issue 10), in network
# namespaces, with neighbours that run NO XDP program: what a user's switches,
# bridges and container hosts are. Source this file, then `kind_create KIND`, use
# the K_* variables, `kind_destroy`.
#
#   hA ── LAN a ── gA ── uplink a ──┐                 ┌── ub ── gB ── lb ── hB
#  10.1.0.2   10.1.0.1   203.0.113.1│      "in"       │192.0.2.1  10.2.0.1  10.2.0.2
#  fd01::2    fd01::1  2001:db8:a::1└── router (fwd) ─┘2001:db8:b::1 fd02::1  fd02::2
#                                    .254 / ::fe on each link
#                                          │ ri
#                                          │ 198.51.100.254, 2001:db8:100::fe
#                                          ih: the internet host
#                                             198.51.100.1, 2001:db8:100::1
#
# The router "in" routes site a's LAN (10.1.0.0/24, fd01::/64) to gA and not site
# b's: a's hosts use the internet through gA; b's LAN is private, reachable from a
# only through the mesh. The KIND changes site a (and the MTU or family of both):
#
#   veth-napi      LAN and uplink are veths whose peers have NAPI (GRO on): a NIC
#                  that can receive XDP_TX / XDP_REDIRECT frames
#   veth           the same veths, peers left as they are (no NAPI): a gateway in
#                  an LXC / Proxmox / Docker container
#   bridge-lan     LanInterface = a bridge in gA (ba) with a veth port towards hA
#   bridge-uplink  UplinkInterface = a bridge in gA (bu) with a veth port to the router
#   l3-uplink      the uplink is a tun device (no Ethernet header; like ppp0 or
#                  wwan0 in raw-IP mode), 203.0.113.1 peer 203.0.113.254; a relay
#                  process moves packets between it and a tun in the router
#   one-armed      no uplink: hA, gA and the router (10.1.0.254) share one bridge
#                  in a switch namespace; gA's default route is the router, which
#                  forwards UDP 51820 of its public 203.0.113.1 to gA and
#                  masquerades the LAN (IPv4 only)
#   nat            bridge-lan whose gateway masquerades what leaves by its uplink
#                  (IPv4), as a site behind one ISP address does: netfilter acts
#                  on forwarded traffic, so meshgw's programs forward nothing
#                  (mesh traffic neither) and tc_wg counts the mesh traffic
#   macvlan        LAN and uplink are macvlan devices (mode bridge) on parent veths
#                  in a "container host" namespace (sw): a gateway in a container on
#                  a Docker or LXC macvlan network; the hosts and the router sit
#                  behind the parents
#   mtu9000        veth-napi with both LANs at MTU 9000
#   ipv6           veth-napi, everything in IPv6 (LANs, uplinks, internet)
#   vlan           LanInterface = a VLAN sub-interface (la.100, 8021q) of gA's veth;
#                  hA's side is tagged too (ea.100 holds its address)
#   bond           LanInterface = a bond in gA (bd, active-backup, miimon 100) with
#                  two veth slaves; their peers are ports of a bridge in a switch
#                  namespace (sw), with hA's port: a gateway with two links to its
#                  LAN switch. On the LAN, not the uplink: a bonded LAN is the common
#                  case (an uplink is one ISP hand-off), and the LAN is where XDP
#                  counts mesh-bound packets, which the exact-counter check sees.
#
# vlan and bond need the 8021q and bonding modules, which this host's kernel lacks:
# kinds_all leaves them out, KINDS="vlan bond" asks for them (in the VM, on Debian's
# kernel: selftests/vm_kinds.t.sh), and kind_supported says whether this kernel can.
#
# Site b is always veth-napi, a reference gateway on NICs that can take redirected
# frames, so a failing check points at site a's kind; except where b's own XDP_TX
# is involved (b answering a's probes), see the note below.
#
# NAPI and XDP_TX (measured on this host's 6.18): with GRO on the peer veth, frames
# XDP_REDIRECTed into the gateway's veth arrive. Frames the gateway's program sends
# back with XDP_TX do not: they are queued on the peer (ethtool -S counts them as
# xdp_tx, no error anywhere), but the peer's NAPI is scheduled only when the peer
# runs an XDP program of its own (veth_xdp_flush checks the peer queue's xdp_prog),
# so they wait for the next packet the kernel sends that way: probe replies arrive
# seconds late (RTTs of 0.7 to 11 s logged) or never, and so do a one-armed
# gateway's hairpinned frames. No XDP program is put on a neighbour to hide that. Why tun for l3-uplink: this kernel has no ipip, gre or sit
# (no modules); a tun device is what is left, and the relay (two tun fds, one per
# namespace, in one python process) stands in for the PPP or modem daemon.
#
# Every name ends in $K_SFX (set it before kind_create; default $$). Variables:
#   K_KIND K_FAM (4|6) K_MTU K_ONE_ARMED (0|1)
#   K_NS[role]        namespaces: hA gA in ih gB hB (+ sw when one-armed or bond)
#   K_ADDR[node]      hA gAl (gA's LAN) gAu (gA's uplink, none when one-armed) ih
#                     gBu gBl hB
#   K_OWNER[node]     the role whose address it is
#   K_LAN_IF[x] K_UP_IF[x] K_WG_IF[x] K_EP[x] K_EGRESS[x]   per site a, b
#   K_PIDS            processes the fixture started (the tun relay)
# Functions: kinds_all, kind_create KIND, kind_destroy, kx ROLE CMD... (nsenter --net:
# the host's bpffs stays visible), kind_napi_on ROLE IF, kind_offload hA|hB on|off,
# kind_supported KIND.

declare -gA K_NS K_ADDR K_OWNER K_LAN_IF K_UP_IF K_WG_IF K_EP K_EGRESS
K_PIDS=()
PY=${PY:-$(command -v /usr/bin/python3 || command -v python3)}

kinds_all() { echo veth-napi veth bridge-lan bridge-uplink l3-uplink one-armed nat macvlan mtu9000 ipv6; }

# kind_supported KIND: 0 if this kernel can build KIND; else prints why, returns 1.
# Tried in a throwaway network namespace (a kernel without the module, or
# without module loading, says "Unknown device type").
kind_supported() {
	local t
	case $1 in
	vlan) t='ip link add name kp type veth peer name kq && ip link add link kp name kp.100 type vlan id 100' ;;
	bond) t='ip link add name kb type bond mode active-backup' ;;
	*) return 0 ;;
	esac
	unshare -n sh -c "$t" >/dev/null 2>&1 && return 0
	echo "this kernel cannot create a $1 device (no $([ "$1" = vlan ] && echo 8021q || echo bonding) module)"
	return 1
}

kx() { local ns=${K_NS[$1]:?kinds: unknown role $1}; shift; nsenter --net="/run/netns/$ns" -- "$@"; }

# NAPI on a veth (GRO on): XDP_REDIRECT into its peer is not dropped (XDP_TX from
# the peer still waits: see the note at the top).
kind_napi_on() { kx "$1" ethtool -K "$2" gro on >/dev/null; }

# kind_offload hA|hB on|off: checksum offload on the host's NIC. On (a veth's
# default), its TCP arrives at the gateway CHECKSUM_PARTIAL, as a sibling
# container's or a VM's on the same machine does; off, with full checksums, as from
# a machine behind a wire (what kind_create sets up).
kind_offload() {
	local h=${1,,}
	kx "$1" ethtool -K "e${h:1}$K_SFX" tx "$2" >/dev/null || return 1
	# vlan: hA's VLAN device follows its parent unless told otherwise; tell it too.
	if [ "$1" = hA ] && [ "$K_KIND" = vlan ]; then kx hA ethtool -K "ea$K_SFX.100" tx "$2" >/dev/null; fi
}

# The topology is built with few processes (each costs 0.1-0.3 s in the VM, and a
# kind is ~80 commands): between _kbatch and _kflush, _kipr ARGS (the root
# namespace) and _kip ROLE ARGS queue their `ip` lines, run by _kflush as one
# `ip -b` for the root and one per namespace, in the order first named; outside,
# they run at once. _kflush: 1 (ip names the line) at the first command that fails.
declare -gA _kq
_kqns=() _kb=0
_kbatch() { _kb=1 _kq=() _kqns=(); }
_kipr() { if [ "$_kb" = 1 ]; then _kq[.]+="$*"$'\n'; else ip "$@"; fi; }
_kip() {
	local ns=${K_NS[$1]:?kinds: unknown role $1}
	shift
	if [ "$_kb" = 0 ]; then ip -n "$ns" "$@"; return; fi
	[ -n "${_kq[$ns]+x}" ] || _kqns+=("$ns")
	_kq[$ns]+="$*"$'\n'
}
_kflush() {
	local ns
	_kb=0
	if [ -n "${_kq[.]:-}" ]; then ip -b - <<<"${_kq[.]}" || return 1; fi
	for ns in "${_kqns[@]}"; do ip -n "$ns" -b - <<<"${_kq[$ns]}" || return 1; done
	_kq=() _kqns=()
}

# veth ROLE1 IF1 ROLE2 IF2: a veth pair between two namespaces, both ends up
_kveth() {
	_kipr link add "$2" netns "${K_NS[$1]}" type veth peer name "$4" netns "${K_NS[$3]}"
	_kip "$1" link set "$2" up
	_kip "$3" link set "$4" up
}

# _kaddr ROLE IF V4/LEN V6/LEN: the address of the kind's family
_kaddr() {
	if [ "$K_FAM" = 6 ]; then _kip "$1" addr add "$4" dev "$2" nodad
	else _kip "$1" addr add "$3" dev "$2"; fi
}
_kroute() { # _kroute ROLE DST4 VIA4 DST6 VIA6 (the family from the gateway's address)
	if [ "$K_FAM" = 6 ]; then _kip "$1" route add "$4" via "$5"
	else _kip "$1" route add "$2" via "$3"; fi
}
_ka() { [ "$K_FAM" = 6 ] && echo "$2" || echo "$1"; }	# _ka V4 V6: the kind's one

# _kmacvlan NAME PARENT ROLE PEER: gA's NIC NAME, a macvlan (mode bridge, Docker's)
# on PARENT, a veth in the container host's namespace (sw) whose other end is PEER
# in ROLE; made in sw and moved into gA, as a container runtime does. Flushed at
# once: gA's own lines (queued in any order) may name NAME.
_kmacvlan() {
	_kveth sw "$2" "$3" "$4"
	_kip sw link add "$1" link "$2" type macvlan mode bridge
	_kip sw link set "$1" netns "${K_NS[gA]}"
	_kflush || return 1
	_kbatch
	_kip gA link set "$1" up
}

# The tun relay (helpers/tun_relay.py): a layer-3 link between two namespaces.
_KRELAY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../helpers" && pwd)/tun_relay.py

kind_create() {
	local s=${K_SFX:=$$} r i napi=1 lanmode=veth upmode=veth sys nap=()
	K_KIND=$1 K_FAM=4 K_MTU=1500 K_ONE_ARMED=0 K_PIDS=()
	case $1 in
	veth-napi) ;;
	veth) napi=0 ;;
	bridge-lan) lanmode=bridge ;;
	nat) lanmode=bridge ;;
	bridge-uplink) upmode=bridge ;;
	l3-uplink) upmode=tun ;;
	macvlan) lanmode=macvlan upmode=macvlan ;;
	one-armed) upmode=none K_ONE_ARMED=1 ;;
	mtu9000) K_MTU=9000 ;;
	ipv6) K_FAM=6 ;;
	vlan) lanmode=vlan ;;
	bond) lanmode=bond ;;
	*) echo "kinds: unknown kind '$1' (kinds: $(kinds_all))" >&2; return 1 ;;
	esac
	K_NS=()
	for r in hA gA in ih gB hB $([ "$upmode" = none ] || [ "$lanmode" = bond ] ||
					[ "$lanmode" = macvlan ] && echo sw); do
		K_NS[$r]=mk-$r-$s
	done
	printf 'netns add %s\n' "${K_NS[@]}" | ip -b - || return 1
	for r in "${!K_NS[@]}"; do	# one process per namespace, before any link is up
		sys=()
		# One family per kind: no stray IPv6 autoconfiguration in an IPv4 kind
		# (it would move the counters the test checks exactly).
		[ "$K_FAM" = 4 ] && sys+=(net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1)
		case $r in gA | gB | in) sys+=(net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1) ;; esac	# routers before meshgw comes
		[ ${#sys[@]} = 0 ] || kx "$r" sysctl -qw "${sys[@]}" || return 1
	done
	_kbatch
	for r in "${!K_NS[@]}"; do _kip "$r" link set lo up; done
	K_WG_IF=([a]=wa$s [b]=wb$s)
	K_EGRESS=([a]=$(_ka 10.1.0.0/24 fd01::/64) [b]=$(_ka 10.2.0.0/24 fd02::/64))

	# --- the internet host behind the router
	_kveth in ri$s ih ei$s
	_kaddr in ri$s 198.51.100.254/24 2001:db8:100::fe/64
	_kaddr ih ei$s 198.51.100.1/24 2001:db8:100::1/64
	_kroute ih default 198.51.100.254 default 2001:db8:100::fe

	# --- site b: always veth, peers with NAPI
	_kveth gB ub$s in rb$s
	_kveth gB lb$s hB eb$s
	_kaddr gB ub$s 192.0.2.1/24 2001:db8:b::1/64
	_kaddr in rb$s 192.0.2.254/24 2001:db8:b::fe/64
	_kaddr gB lb$s 10.2.0.1/24 fd02::1/64
	_kaddr hB eb$s 10.2.0.2/24 fd02::2/64
	_kroute gB default 192.0.2.254 default 2001:db8:b::fe
	_kroute hB default 10.2.0.1 default fd02::1
	nap+=("in rb$s" "hB eb$s")	# NAPI (ethtool) once the links exist: after _kflush
	K_LAN_IF[b]=lb$s K_UP_IF[b]=ub$s K_EP[b]=$(_ka 192.0.2.1:51820 '[2001:db8:b::1]:51820')

	# --- site a's LAN
	K_LAN_IF[a]=la$s
	if [ "$upmode" = none ]; then
		# One segment: a bridge in the switch namespace, a port per machine.
		_kip sw link add bs$s type bridge forward_delay 0 stp_state 0
		_kip sw link set bs$s up
		for i in "gA la$s sa$s" "hA ea$s sh$s" "in ra$s si$s"; do
			set -- $i
			_kveth "$1" "$2" sw "$3"
			_kip sw link set "$3" master bs$s
		done
		[ "$napi" = 1 ] && nap+=("sw sa$s")
		_kaddr in ra$s 10.1.0.254/24 fd01::fe/64
	elif [ "$lanmode" = bridge ]; then
		K_LAN_IF[a]=ba$s
		_kip gA link add ba$s type bridge forward_delay 0 stp_state 0
		_kveth gA pa$s hA ea$s
		_kip gA link set pa$s master ba$s
		_kip gA link set ba$s up
		[ "$napi" = 1 ] && nap+=("hA ea$s")
	elif [ "$lanmode" = vlan ]; then
		# Tagged on both sides: VLAN 100 over the veth pair, addresses on the
		# sub-interfaces, the parents carry no address.
		K_LAN_IF[a]=la$s.100
		_kveth gA la$s hA ea$s
		_kip gA link add link la$s name la$s.100 type vlan id 100
		_kip hA link add link ea$s name ea$s.100 type vlan id 100
		_kip gA link set la$s.100 up
		_kip hA link set ea$s.100 up
		[ "$napi" = 1 ] && nap+=("hA ea$s")
	elif [ "$lanmode" = bond ]; then
		# Two slaves (la, lc) into a switch (bridge bs in sw), hA on a third port.
		K_LAN_IF[a]=bd$s
		_kip gA link add name bd$s type bond mode active-backup miimon 100
		_kip sw link add bs$s type bridge forward_delay 0 stp_state 0
		_kip sw link set bs$s up
		for i in "gA la$s sa$s" "gA lc$s sc$s" "hA ea$s sh$s"; do
			set -- $i
			_kveth "$1" "$2" sw "$3"
			_kip sw link set "$3" master bs$s
			[ "$1" = gA ] || continue
			# A slave must be down to be enslaved; the bond brings it up.
			_kip gA link set "$2" down
			_kip gA link set "$2" master bd$s
			[ "$napi" = 1 ] && nap+=("sw $3")
		done
		_kip gA link set bd$s up
	elif [ "$lanmode" = macvlan ]; then
		_kmacvlan la$s pl$s hA ea$s
		[ "$napi" = 1 ] && nap+=("hA ea$s")
	else
		_kveth gA la$s hA ea$s
		[ "$napi" = 1 ] && nap+=("hA ea$s")
	fi
	_kaddr gA "${K_LAN_IF[a]}" 10.1.0.1/24 fd01::1/64
	_kaddr hA "ea$s$([ "$lanmode" = vlan ] && echo .100)" 10.1.0.2/24 fd01::2/64
	_kroute hA default 10.1.0.1 default fd01::1

	# --- site a's uplink
	K_UP_IF[a]=ua$s K_EP[a]=$(_ka 203.0.113.1:51820 '[2001:db8:a::1]:51820')
	case $upmode in
	none)
		# The site's router forwards the WireGuard port of its public address
		# (203.0.113.1) to gA and masquerades the LAN, as a home router does.
		# (gA's LAN address is inside site a's egress range: as an endpoint, b
		# would route its WireGuard packets to it into the tunnel itself.)
		K_UP_IF[a]= K_EP[a]=203.0.113.1:51820
		_kroute gA default 10.1.0.254 default fd01::fe
		_kip in addr add 203.0.113.1/32 dev lo
		kx in nft -f - <<-EOF || return 1
		table ip mk$s {
			chain pre {
				type nat hook prerouting priority dstnat; policy accept;
				iifname != "ra$s" ip daddr 203.0.113.1 udp dport 51820 dnat to 10.1.0.1
			}
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname != "ra$s" ip saddr 10.1.0.0/24 snat to 203.0.113.1
			}
		}
		EOF
		;;
	veth | bridge | macvlan)
		if [ "$upmode" = macvlan ]; then
			_kmacvlan ua$s pu$s in ra$s
		elif [ "$upmode" = bridge ]; then
			K_UP_IF[a]=bu$s
			_kip gA link add bu$s type bridge forward_delay 0 stp_state 0
			_kveth gA pu$s in ra$s
			_kip gA link set pu$s master bu$s
			_kip gA link set bu$s up
		else
			_kveth gA ua$s in ra$s
		fi
		[ "$napi" = 1 ] && nap+=("in ra$s")
		_kaddr gA "${K_UP_IF[a]}" 203.0.113.1/24 2001:db8:a::1/64
		_kaddr in ra$s 203.0.113.254/24 2001:db8:a::fe/64
		_kroute gA default 203.0.113.254 default 2001:db8:a::fe
		_kroute in "${K_EGRESS[a]}" 203.0.113.1 "${K_EGRESS[a]}" 2001:db8:a::1
		;;
	tun)
		_kflush || return 1	# the namespaces' links first; the relay's devices come later
		# nsenter execs python: $! is the relay itself.
		nsenter --net="/run/netns/${K_NS[gA]}" -- "$PY" "$_KRELAY" ua$s ra$s \
			"/run/netns/${K_NS[in]}" >/dev/null 2>&1 &
		K_PIDS+=($!)
		for i in $(seq 50); do
			ip -n "${K_NS[in]}" link show ra$s >/dev/null 2>&1 && break
			sleep 0.1
		done
		ip -n "${K_NS[gA]}" link set ua$s up && ip -n "${K_NS[in]}" link set ra$s up || return 1
		ip -n "${K_NS[gA]}" addr add 203.0.113.1 peer 203.0.113.254/32 dev ua$s
		ip -n "${K_NS[in]}" addr add 203.0.113.254 peer 203.0.113.1/32 dev ra$s
		ip -n "${K_NS[gA]}" route add default via 203.0.113.254
		ip -n "${K_NS[in]}" route add "${K_EGRESS[a]}" via 203.0.113.1
		;;
	esac

	if [ "$K_KIND" = nat ]; then
		kx gA nft -f - <<-EOF || return 1
		table ip mk$s {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "${K_UP_IF[a]}" masquerade
			}
		}
		EOF
	fi
	if [ "$K_MTU" != 1500 ]; then
		_kip hA link set ea$s mtu "$K_MTU"
		_kip gA link set la$s mtu "$K_MTU"
		_kip hB link set eb$s mtu "$K_MTU"
		_kip gB link set lb$s mtu "$K_MTU"
	fi
	_kflush || return 1
	for i in "${nap[@]}"; do kind_napi_on $i || return 1; done

	# The hosts stand for machines behind a wire: their packets arrive with full
	# checksums, never CHECKSUM_PARTIAL as a veth passes on a local sender's
	# (kind_offload hA on: the default back, for the container-sibling case).
	kind_offload hA off && kx hB ethtool -K eb$s tx off >/dev/null &&
		kx ih ethtool -K ei$s tx off >/dev/null || return 1
	# A one-armed gateway sends its hosts ICMP redirects to the router: off, as an
	# admin does (meshgw turns them off too; the matrix must not depend on it).
	# (Slashes: a VLAN device's name has a dot.)
	kx gA sysctl -qw net/ipv4/conf/all/send_redirects=0 "net/ipv4/conf/${K_LAN_IF[a]}/send_redirects=0"

	K_ADDR=([hA]=$(_ka 10.1.0.2 fd01::2) [gAl]=$(_ka 10.1.0.1 fd01::1) [ih]=$(_ka 198.51.100.1 2001:db8:100::1)
		[gBu]=$(_ka 192.0.2.1 2001:db8:b::1) [gBl]=$(_ka 10.2.0.1 fd02::1) [hB]=$(_ka 10.2.0.2 fd02::2))
	K_OWNER=([hA]=hA [gAl]=gA [ih]=ih [gBu]=gB [gBl]=gB [hB]=hB)
	if [ "$K_ONE_ARMED" = 0 ]; then
		K_ADDR[gAu]=$(_ka 203.0.113.1 2001:db8:a::1) K_OWNER[gAu]=gA
	fi
	# IPv6: the link-local addresses' DAD must be done, or the first packets that
	# need a neighbour resolved are lost.
	if [ "$K_FAM" = 6 ]; then
		for i in $(seq 50); do
			_ktentative || break
			sleep 0.1
		done
	fi
}

_ktentative() { # any IPv6 address still in DAD
	local r
	for r in "${!K_NS[@]}"; do
		[ -z "$(ip -n "${K_NS[$r]}" -6 addr show tentative)" ] || return 0
	done
	return 1
}

kind_destroy() {
	local p r
	for p in "${K_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	K_PIDS=()
	for r in "${!K_NS[@]}"; do ip netns del "${K_NS[$r]}" 2>/dev/null; done
	K_NS=()
	return 0
}
