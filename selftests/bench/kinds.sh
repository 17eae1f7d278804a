#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Per interface kind the gateway may sit on: the gateway with the kernel alone vs with
# meshgw attached (`meshgw up`, default settings), measured side by side on two copies
# of the same topology built at once (the kernel arm's and the meshgw arm's), fed in
# turn in short slices so that both arms see the same machine:
#
#  - forwarding rate: 60-byte frames LAN host a -> internet host ("out", the path
#    that does not enter the tunnel) and internet -> LAN host a ("in": a download, the
#    direction most of a site's traffic takes, entering by the uplink). One generator thread pinned to CPU 0 feeds the two copies
#    in turn, SLICE_MS each, in the order k m m k k m m k ... for FWD_SECONDS in all.
#    An arm's rate: the frames its sink received / the time spent feeding it (the
#    frames of a slice still in flight when it ends land during the next ones and
#    count for their own arm: each copy has its own sink). Each pair of consecutive
#    slices (one per arm) gives a ratio meshgw / kernel. The same per CPU second
#    that the generator's thread and ksoftirqd/0 got in the slices (the kernel has
#    no IRQ time accounting: the softirqs, the forwarding, are in these two) leaves
#    out what other processes took from CPU 0, and resolves finer on a busy machine;
#  - TCP throughput through the tunnel: iperf3 LAN host a -> LAN host b through
#    WireGuard (wireguard-go: the host kernel has none), runs of TCP_SECONDS
#    alternating between the copies in the order k m m k k m ..., PAIRS pairs.
#    Concurrent runs would measure how the scheduler shares the CPU among four
#    wireguard-go processes and two TCP flows, not what either path costs.
#
# The table gives per kind both arms' rates (the median of the slices or runs), the
# median of the pairs' ratios (meshgw / kernel) and its 95 % bootstrap interval (the
# pairs resampled); the detail lines the 10th-90th percentiles of the pairs' ratios and
# the ratio of the arms' totals. Medians, because the noise of a shared machine is a
# long tail: one stall of a second in one slice moves a total by 10 %.
#
#   ha 10.1.0.2 ── LAN ── gwa ── uplink 203.0.113.0/24 ──┐
#   (generator)                                           inet .254, 198.19.0.2 (sink)
#   hb 10.2.0.2 ── LAN ── gwb ── uplink 198.51.100.0/24 ─┘   routes between the uplinks
#   built twice per kind: the kernel arm's copy and the meshgw arm's copy
#
# Both sites are built alike; in the meshgw copy both gateways run `meshgw up`, in the
# kernel copy both run wireguard-go configured with `wg` (same keys, port, keepalive,
# MTU, routes). Kinds (KINDS, default all), one after another (each kind's copies
# are torn down before the next is built):
#
#   veth-gro       veth LAN and uplink; the neighbours' veths have GRO (so NAPI)
#   veth-xdp       the same with XDP programs on the neighbours (XDP_PASS on the
#                  hosts, the XDP sink on inet): a benchmark of the native fast
#                  path only, on a network no user has
#   veth-plain     veth LAN and uplink, neighbours with nothing (a container)
#   bridge-lan     LanInterface a Linux bridge, its port a veth to the host (plain);
#                  the uplink a veth whose peer has GRO
#   bridge-uplink  UplinkInterface a Linux bridge, its port a veth to inet (plain);
#                  the LAN a veth whose peer has GRO
#   l3-tun         UplinkInterface a layer-3 tun device (no Ethernet header), carried
#                  to inet's tun by a relay process (bench_kinds relay); the LAN a
#                  veth whose peer has GRO. (This kernel has no ipip/gre/ppp/netkit.)
#   macvlan        LAN and uplink macvlans (mode bridge) on parent veths (GRO on) in
#                  a container host's namespace: a gateway in a container on a
#                  Docker or LXC macvlan network
#
# The generator (bench_kinds alt): live frames (BPF_F_TEST_XDP_LIVE_FRAMES) returned
# XDP_PASS on a private veth of host a, so they enter host a's own stack, which routes
# them to the gateway like any host sends (dev_queue_xmit on its LAN interface).
# Nothing on the gateway's side needs NAPI for them, and the setup is the same in both
# arms. "in" feeds a private veth of the internet router the same way (frames to host
# a, which counts them with a TC sink on its NIC). Two consequences: the host's
# (router's) routing is a fixed cost per frame in both arms
# (everything runs on CPU 0), and the gateway's veth receives skbs from a stack, as
# from any container, so meshgw's XDP there pays the veth's skb-to-XDP conversion that
# a NIC driver does not: not comparable with bpf_forward.sh. The sink on inet counts
# the benchmark's frames and drops them (TC, or XDP for veth-xdp; everything else
# passes). On l3-tun the relay, a userspace process, caps the sink's rate in both arms
# (it reads a fraction of what the gateway writes into the tun; the rest is dropped at
# the tun's queue).
#
# Checks per arm (a case that fails one is reported apart and makes the exit status
# 1; slowness never fails):
#  - fwd, kernel arm: the gateway's ForwDatagrams (/proc/net/snmp) account for the
#    frames host a handed it; meshgw arm: mg_stats' fast path counters (xdp_forward_*,
#    tc_forward) or the kernel's ForwDatagrams do, none went to the tunnel (xdp_mesh,
#    tc_lan_redirect, tc_mesh), and with FASTPATH=tc no XDP fast path at all;
#  - fwd, both: what the gateway took arrived at the sink (less what the uplink device
#    itself counted as dropped for lack of room: a tun ring, a receiver's backlog);
#  - tcp, every run: iperf3 ran, the bytes went through the WireGuard device, and in
#    the meshgw arm tc_lan redirected them into it (mg_stats tc_lan_redirect) or, on a
#    LAN NIC meshgw leaves to the kernel (a veth), tc_wg counted them (tc_mesh). A pair
#    with a run that failed a check is left out of the ratio and counted apart.
#
# Each TCP run line also says what limits TCP: retransmitted segments, and the UDP
# RcvbufErrors of gateway b (wireguard-go not reading its socket fast enough; on a
# 2-core machine this is where the tunnel's packets are lost, in both arms).
#
# About 1.5 minutes per kind with the defaults.
# Environment: FWD_SECONDS (20) of alternating forwarding per direction, SLICE_MS (100),
# DIRS (out in: the forwarding directions), NAT (set: both gateways masquerade what
# leaves by their uplink, in both arms, as a site behind one ISP address does; netfilter
# then acts on forwarded traffic and meshgw's fast paths leave it to the kernel), RPF (1
# or 2: both gateways' net.ipv4.conf.all.rp_filter, in both arms; the fast paths then
# check each IPv4 packet's source as the kernel does, one more route lookup), PAIRS (20)
# of TCP runs of TCP_SECONDS (1, whole seconds: iperf3), KINDS, FASTPATH (auto|xdp|tc:
# written as `FastPath =` into the local files; only when set), SAVE (a directory: the
# slices of the forwarding runs and the TCP pairs are copied there), AA (set: the
# "meshgw" copy runs the kernel alone too, an A/A check of the bench itself: its
# ratios must come out 1 within their intervals), HOOKS (set: the "meshgw" copy runs
# `meshgw up`, notes the hooks it took (TC on which devices and directions, XDP on
# which NICs), runs `meshgw down`, and then runs the kernel alone with a program that
# does nothing (TCX_NEXT; XDP_PASS) on each of those hooks: what the hooks themselves
# cost, the floor under meshgw's ratios on this machine), HOLD (set: wait, each kind's copies
# up, until a file named on stderr is removed: to look at them by hand), TCP_MODE
# (alternate, or concurrent: both arms' iperf3 at once, competing for the CPUs).
set -eu
OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
MESHGW=${MESHGW:-$OUT/meshgw}
HELPER=$OUT/selftests/helpers/bench_kinds
TC_HOOKS=$OUT/selftests/helpers/tc_hooks
XDP_PASS_OBJ=$OUT/bpf/xdp_pass.bpf.o
FWD_SECONDS=${FWD_SECONDS:-20} SLICE_MS=${SLICE_MS:-100} PAIRS=${PAIRS:-20} TCP_SECONDS=${TCP_SECONDS:-1}
KINDS=${KINDS:-veth-gro veth-xdp veth-plain bridge-lan bridge-uplink l3-tun macvlan}
FASTPATH=${FASTPATH:-} SAVE=${SAVE:-} AA=${AA:-} HOOKS=${HOOKS:-} HOLD=${HOLD:-} TCP_MODE=${TCP_MODE:-alternate}
DIRS=${DIRS:-out in} NAT=${NAT:-} RPF=${RPF:-}
if [ "$(id -u)" != 0 ]; then echo "kinds: skipped (needs root)"; exit 0; fi
for t in wireguard-go wg iperf3 nsenter ethtool ${NAT:+nft}; do
	command -v $t >/dev/null || { echo "kinds: skipped ($t missing)"; exit 0; }
done
for f in "$MESHGW" "$HELPER" "$XDP_PASS_OBJ"; do
	[ -e "$f" ] || { echo "kinds: $f missing (make all)" >&2; exit 1; }
done
for K in $KINDS; do
	case $K in veth-gro | veth-xdp | veth-plain | bridge-lan | bridge-uplink | l3-tun | macvlan) ;;
	*) echo "kinds: unknown kind $K" >&2; exit 1 ;; esac
done
for D in $DIRS; do
	case $D in out | in) ;; *) echo "kinds: unknown direction $D (out, in)" >&2; exit 1 ;; esac
done
t_start=$(date +%s)
s=$$
tmp=$(mktemp -d /tmp/meshgw-kinds.$s.XXXX)
pin=/sys/fs/bpf/mgk$s	# the sinks' counters
. "$(dirname "${BASH_SOURCE[0]}")/../lib/leftovers.sh"
nss=() pids=() mgwgs=()
declare -A kpid	# wireguard-go started with `wg`, per copy and gateway: our children until reaped

N() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }
cleanup() {
	set +e
	local f p wg
	for f in "$tmp"/*.local; do
		[ -e "$f" ] || continue
		N "$(cat "${f%.local}.ns")" "$MESHGW" down -c "$tmp/mesh.conf" -l "$f" >/dev/null 2>&1
	done
	for p in "${kpid[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# wireguard-go that our `meshgw up` started and `down` did not stop: by the PID
	# its state recorded, and only if that process still runs our interface.
	for wg in "${mgwgs[@]}"; do
		p=$(cat "$tmp/$wg.mgpid" 2>/dev/null)
		[ -n "$p" ] && tr '\0' ' ' 2>/dev/null </proc/$p/cmdline | grep -q "wireguard-go -f $wg " && kill "$p"
		rm -f /run/meshgw/$wg.state /run/meshgw/$wg.lock
		# What `down` left in its default PinPath was reported when it happened.
		remove_left "/sys/fs/bpf/meshgw/$wg"
	done
	for ns in "${nss[@]}"; do ip netns del "$ns" 2>/dev/null; done
	# The sinks' pins are this script's own; anything else there is meshgw's.
	rm -f "$pin"/hook_*	# HOOKS: do-nothing programs' links
	rm -f "$pin"/sink*/sink_count "$pin"/sink*/sink_link
	rmdir "$pin"/sink* 2>/dev/null
	remove_pin_root "$pin"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$pin"
# Also called in $(...) subshells: the file is the count.
problem() { echo "PROBLEM: $*" | tee -a "$tmp/problems" >&2; }
touch "$tmp/problems"
broke() { echo "kinds: setup broke: $*" >&2; exit 1; }

# --- per kind: what sits on each side of the gateway ---------------------------------
lan_kind() { case $1 in veth-gro) echo gro ;; veth-xdp) echo xdp ;; veth-plain) echo plain ;;
	bridge-lan) echo bridge ;; macvlan) echo macvlan ;; *) echo gro ;; esac; }
up_kind() { case $1 in veth-gro | bridge-lan) echo gro ;; veth-xdp) echo xdp ;; veth-plain) echo plain ;;
	bridge-uplink) echo bridge ;; l3-tun) echo tun ;; macvlan) echo macvlan ;; esac; }
lan_if() { [ "$(lan_kind "$1")" = bridge ] && echo br0 || echo lan0; }
up_if() { [ "$(up_kind "$1")" = bridge ] && echo br1 || echo wan0; }
kind_text() { case $1 in veth-gro) echo "veth; neighbours' veths: GRO" ;;
	veth-xdp) echo "veth; neighbours: XDP grafted (native)" ;;
	veth-plain) echo "veth; neighbours: nothing (container)" ;;
	bridge-lan) echo "LAN bridge (veth port); uplink veth+GRO" ;;
	bridge-uplink) echo "uplink bridge (veth port); LAN veth+GRO" ;;
	l3-tun) echo "uplink L3 tun (relay); LAN veth+GRO" ;;
	macvlan) echo "LAN and uplink macvlan (parents veth+GRO)" ;; esac; }

# --- keys and the mesh file (the same for every copy: each has its own namespaces) -----
(umask 077; "$MESHGW" genkey >"$tmp/a.key"; "$MESHGW" genkey >"$tmp/b.key")
pubA=$("$MESHGW" pubkey <"$tmp/a.key") pubB=$("$MESHGW" pubkey <"$tmp/b.key")
cat >"$tmp/mesh.conf" <<EOF
[Mesh]
Network = 192.168.254.0/24
ListenPort = 51820

[Site a]
Address = 192.168.254.1
PublicKey = $pubA
Endpoint = 203.0.113.1:51820
Egress = 10.1.0.0/24

[Site b]
Address = 192.168.254.2
PublicKey = $pubB
Endpoint = 198.51.100.1:51820
Egress = 10.2.0.0/24
EOF

# A copy of a kind's topology is C = KIDX + arm letter: 1k (kernel), 1m (meshgw), ...
# Names: namespaces k<C><role><site>$$; WireGuard interfaces must be unique on the host
# (wireguard-go's socket /run/wireguard/IF.sock is per mount namespace): kw<KIDX><site>$$
# in the kernel copy, mw<KIDX><site>$$ (meshgw's) in the meshgw copy.
nsname() { echo "k$1$2$s"; }	# COPY ROLE(h g i)[SITE]
newns() { ip netns add "$1"; nss+=("$1"); ip -n "$1" link set lo up; }
mgpin() { echo "/sys/fs/bpf/meshgw/mw$1$2$s"; }	# KIDX SITE: meshgw's default PinPath
pfx() { [ "$1" = a ] && echo 203.0.113 || echo 198.51.100; }
lannet() { [ "$1" = a ] && echo 1 || echo 2; }
copy() { echo "$1${2:0:1}"; }	# KIDX ARM: the copy
wgif() { # KIDX ARM SITE
	if [ "$2" = kernel ]; then echo "kw$1$3$s"; elif [ -n "$AA" ]; then echo "aw$1$3$s"; else echo "mw$1$3$s"; fi
}
mg() { [ "$1" = meshgw ] && [ -z "$AA$HOOKS" ]; }	# ARM: the arm's copy runs meshgw

macvlan_into() { # COPY SITE PARENT NAME: a macvlan NAME on the container host's
	# veth PARENT (GRO on, as a physical NIC has), moved into the gateway
	local p
	p=$(nsname "$1" p$2)
	ip -n "$p" link set "$3" up
	N "$p" ethtool -K "$3" gro on >/dev/null
	ip -n "$p" link add "$4" link "$3" type macvlan mode bridge
	ip -n "$p" link set "$4" netns "$(nsname "$1" g$2)"
}

build_site() { # COPY KIND SITE
	local c=$1 K=$2 x=$3 L U h g i n p
	L=$(lan_kind "$K") U=$(up_kind "$K") h=$(nsname "$c" h$x) g=$(nsname "$c" g$x)
	i=$(nsname "$c" i) n=$(lannet $x) p=$(pfx $x)
	newns "$h"; newns "$g"
	N "$g" sysctl -qw net.ipv4.ip_forward=1
	if [ "$L" = bridge ]; then
		ip -n "$g" link add br0 type bridge
		ip link add eth0 netns "$h" type veth peer name lp0 netns "$g"
		ip -n "$g" link set lp0 master br0
		ip -n "$g" link set lp0 up
	elif [ "$L" = macvlan ]; then
		newns "$(nsname "$c" p$x)"	# the container host: the parents
		ip link add eth0 netns "$h" type veth peer name pl0 netns "$(nsname "$c" p$x)"
		macvlan_into "$c" $x pl0 lan0
	else
		ip link add eth0 netns "$h" type veth peer name lan0 netns "$g"
	fi
	case $L in
	gro) N "$h" ethtool -K eth0 gro on >/dev/null ;;
	xdp) ip -n "$h" link set eth0 xdpdrv obj "$XDP_PASS_OBJ" sec xdp ;;
	esac
	ip -n "$g" addr add 10.$n.0.1/24 dev "$(lan_if "$K")"
	ip -n "$g" link set "$(lan_if "$K")" up
	ip -n "$h" addr add 10.$n.0.2/24 dev eth0
	ip -n "$h" link set eth0 up
	ip -n "$h" route add default via 10.$n.0.1
	case $U in
	bridge)
		ip -n "$g" link add br1 type bridge
		ip link add wp0 netns "$g" type veth peer name i$x netns "$i"
		ip -n "$g" link set wp0 master br1
		ip -n "$g" link set wp0 up ;;
	tun) ;;	# the relay creates both ends
	macvlan)
		ip link add pu0 netns "$(nsname "$c" p$x)" type veth peer name i$x netns "$i"
		macvlan_into "$c" $x pu0 wan0 ;;
	*)	ip link add wan0 netns "$g" type veth peer name i$x netns "$i" ;;
	esac
	case $U in
	gro) N "$i" ethtool -K i$x gro on >/dev/null ;;
	xdp) [ $x = b ] && ip -n "$i" link set i$x xdpdrv obj "$XDP_PASS_OBJ" sec xdp ;;	# a: the XDP sink
	esac
	if [ "$U" != tun ]; then
		ip -n "$g" addr add $p.1/24 dev "$(up_if "$K")"
		ip -n "$i" addr add $p.254/24 dev i$x
		ip -n "$g" link set "$(up_if "$K")" up
		ip -n "$i" link set i$x up
		ip -n "$g" route add default via $p.254
		ip -n "$i" route add 10.$n.0.0/24 via $p.1
	fi
	# By name: the tun uplink is created later, by the relay.
	[ -z "$NAT" ] || N "$g" nft -f - <<-EOF
		table ip kinds_nat {
			chain post { type nat hook postrouting priority srcnat; oifname "$(up_if "$K")" masquerade; }
		}
	EOF
	[ -z "$RPF" ] || N "$g" sysctl -qw net.ipv4.conf.all.rp_filter="$RPF"
	if [ $x = a ]; then	# the generator's private veth: frames "arrive" on gin
		ip -n "$h" link add gin type veth peer name ginp
		ip -n "$h" addr add 198.18.0.1/24 dev gin
		ip -n "$h" link set gin up
		ip -n "$h" link set ginp up
		N "$h" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.gin.rp_filter=0
	fi
	# The local file of the meshgw copy: what a user writes, default settings
	# (FastPath only when asked).
	[ "${c: -1}" = m ] || return 0
	{
		printf '[Local]\nSite = %s\nPrivateKeyFile = %s\nLanInterface = %s\nUplinkInterface = %s\n' \
			$x "$tmp/$x.key" "$(lan_if "$K")" "$(up_if "$K")"
		printf 'WireGuardInterface = %s\n' "$(wgif "${c%m}" meshgw $x)"	# PinPath: the default
		[ -n "$FASTPATH" ] && printf 'FastPath = %s\n' "$FASTPATH"
	} >"$tmp/k$c$x.conf"
	return 0
}

build_copy() { # COPY KIND
	local c=$1 K=$2 i x n p
	i=$(nsname "$c" i)
	newns "$i"
	N "$i" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0
	ip -n "$i" addr add 198.19.0.2/32 dev lo	# the internet host
	build_site "$c" "$K" a
	build_site "$c" "$K" b
	if [ "$(up_kind "$K")" = tun ]; then
		"$HELPER" relay "$(nsname "$c" ga)" wan0 "$i" ia "$(nsname "$c" gb)" wan0 "$i" ib \
			2>"$tmp/relay$c.log" &
		pids+=($!)
		for _ in $(seq 100); do
			ip -n "$i" link show ib >/dev/null 2>&1 && break
			sleep 0.05
		done
		for x in a b; do
			n=$(lannet $x) p=$(pfx $x)
			ip -n "$(nsname "$c" g$x)" addr add $p.1 peer $p.254 dev wan0
			ip -n "$(nsname "$c" g$x)" link set wan0 up
			ip -n "$i" addr add $p.254 peer $p.1 dev i$x
			ip -n "$i" link set i$x up
			ip -n "$(nsname "$c" g$x)" route add default via $p.254
			ip -n "$i" route add 10.$n.0.0/24 via $p.1
		done
	fi
	mkdir -p "$pin/sink$c"
	"$HELPER" sink "$i" ia "$([ "$(up_kind "$K")" = xdp ] && echo xdp || echo tc)" "$pin/sink$c"
	if [[ " $DIRS " == *" in "* ]]; then
		# "in": the generator's frames arrive on a private veth of the internet
		# router and go to host a, whose LAN NIC counts them (TC: no NAPI change).
		ip -n "$i" link add gin type veth peer name ginp
		ip -n "$i" addr add 198.18.1.1/24 dev gin
		ip -n "$i" link set gin up
		ip -n "$i" link set ginp up
		N "$i" sysctl -qw net.ipv4.conf.gin.rp_filter=0
		mkdir -p "$pin/sinkin$c"
		"$HELPER" sink "$(nsname "$c" ha)" eth0 tc "$pin/sinkin$c"
	fi
	# Not through N: a function run with & is a subshell, and killing $! would leave
	# iperf3 running. nsenter execs it.
	nsenter --net=/run/netns/"$(nsname "$c" hb)" iperf3 -s -B 10.2.0.2 >"$tmp/iperf$c.log" 2>&1 &
	pids+=($!)
}

# Tears a kind's two copies down once it is measured: its processes, namespaces, pins.
# meshgw's own leftovers were checked by meshgw_down.
teardown_kind() { # KIDX
	local k=$1 p ns keep=() c
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
	pids=()
	for ns in "${nss[@]}"; do
		case $ns in "k${k}k"* | "k${k}m"*) ip netns del "$ns" ;; *) keep+=("$ns") ;; esac
	done
	nss=("${keep[@]}")
	for c in "${k}k" "${k}m" "in${k}k" "in${k}m"; do
		[ -d "$pin/sink$c" ] || continue
		rm -f "$pin/sink$c/sink_count" "$pin/sink$c/sink_link"
		rmdir "$pin/sink$c"
	done
}

# --- the two arms: the kernel copy runs wireguard-go, the meshgw copy `meshgw up` ----
kernel_up() { # KIDX ARM (the copy set up as the kernel arm)
	local k=$1 arm=$2 c x g wg peer pp pn
	c=$(copy "$k" "$arm")
	for x in a b; do
		# setsid and nsenter exec wireguard-go: $! is wireguard-go itself. In its own
		# session, as `meshgw up` starts it: with the scheduler's autogroups (on by
		# default) a process sharing the session of this script and iperf3 is
		# scheduled differently; measured, that alone made the kernel arm's TCP
		# 1.3x faster (RTT 3-6 ms against 10-14 ms) with no BPF attached anywhere.
		WG_PROCESS_FOREGROUND=1 setsid nsenter --net=/run/netns/"$(nsname "$c" g$x)" \
			wireguard-go -f "$(wgif "$k" "$arm" $x)" >"$tmp/wg$c$x.log" 2>&1 &
		kpid[$c$x]=$!
	done
	for x in a b; do
		g=$(nsname "$c" g$x) wg=$(wgif "$k" "$arm" $x)
		if [ $x = a ]; then peer=$pubB pp=198.51.100.1 pn=2; else peer=$pubA pp=203.0.113.1 pn=1; fi
		for _ in $(seq 200); do [ -S /run/wireguard/$wg.sock ] && break; sleep 0.05; done
		N "$g" wg set "$wg" listen-port 51820 private-key "$tmp/$x.key" peer "$peer" \
			endpoint $pp:51820 allowed-ips 192.168.254.$pn/32,10.$pn.0.0/24 persistent-keepalive 25
		N "$g" ip addr add "192.168.254.$(lannet $x)/24" dev "$wg"
		N "$g" ip link set "$wg" mtu 1420 up
		N "$g" ip route add 10.$pn.0.0/24 dev "$wg"
	done
}
kernel_down() { # KIDX ARM
	local k=$1 arm=$2 c x
	c=$(copy "$k" "$arm")
	for x in a b; do ip -n "$(nsname "$c" g$x)" link del "$(wgif "$k" "$arm" $x)" 2>/dev/null || true; done
	for x in a b; do
		kill "${kpid[$c$x]}" 2>/dev/null || true
		wait "${kpid[$c$x]}" 2>/dev/null || true
		unset "kpid[$c$x]"
	done
}
meshgw_up() { # KIDX; returns non-zero when `meshgw up` fails on either gateway
	local k=$1 c x wg p fail=0
	local -A up
	c=$(copy "$k" meshgw)
	for x in a b; do
		echo "$(nsname "$c" g$x)" >"$tmp/k$c$x.ns"
		cp "$tmp/k$c$x.conf" "$tmp/k$c$x.local"	# from here cleanup runs `down` with it
		mgwgs+=("$(wgif "$k" meshgw $x)")
		nsenter --net=/run/netns/"$(nsname "$c" g$x)" "$MESHGW" up -c "$tmp/mesh.conf" \
			-l "$tmp/k$c$x.local" >"$tmp/up.k$c$x.log" 2>&1 &
		up[$x]=$!
	done
	for x in a b; do
		wait "${up[$x]}" || fail=1
		wg=$(wgif "$k" meshgw $x)
		p=$(awk '$1 == "wg_pid" { print $2 }' /run/meshgw/$wg.state 2>/dev/null || true)
		[ -n "$p" ] && echo "$p" >"$tmp/$wg.mgpid"
	done
	return $fail
}
# HOOKS: the hooks `meshgw up` took on the meshgw copy's gateways, one line each:
# "SITE DEV ingress|egress|xdp" (DEV: lan, up or wg, the copy's own names later).
hook_dev() { case $3 in lan) lan_if "$2" ;; up) up_if "$2" ;; wg) wgif "$1" meshgw "$4" ;; esac; }	# KIDX KIND ROLE SITE
hooks_note() { # KIDX KIND
	local k=$1 K=$2 c x g d role
	c=$(copy "$k" meshgw)
	for x in a b; do
		g=$(nsname "$c" g$x)
		for role in lan up wg; do
			d=$(hook_dev "$k" "$K" $role $x)
			N "$g" "$TC_HOOKS" "$d" | awk -v x=$x -v r=$role '{ print x, r, $2 }'
			if [ $role != wg ] && ip -n "$g" -d link show "$d" | grep -q 'prog/xdp'; then echo "$x $role xdp"; fi
		done
	done >"$tmp/hooks.$K"
}
# ... and a program that does nothing on each, the copy running the kernel alone.
hooks_take() { # KIDX KIND
	local k=$1 K=$2 c x role dir g d
	c=$(copy "$k" meshgw)
	while read -r x role dir; do
		g=$(nsname "$c" g$x) d=$(hook_dev "$k" "$K" "$role" "$x")
		if [ "$dir" = xdp ]; then
			ip -n "$g" link set dev "$d" xdpdrv obj "$XDP_PASS_OBJ" sec xdp
		else
			N "$g" "$TC_HOOKS" --stranger "$d" "$dir" "$pin/hook_$x${role}_$dir" ||
				broke "$K: a do-nothing TC program on $d $dir of site $x"
		fi
	done <"$tmp/hooks.$K"
	echo "  $K, hooks taken by do-nothing programs (site device hook): $(tr '\n' ',' <"$tmp/hooks.$K" | sed 's/,$//; s/,/, /g')"
}
hooks_drop() { rm -f "$pin"/hook_*; }	# the links' pins: their devices go with the copy
meshgw_down() { # KIDX KIND
	local k=$1 K=$2 c x
	local -A down
	c=$(copy "$k" meshgw)
	for x in a b; do
		[ -e "$tmp/k$c$x.local" ] || continue
		nsenter --net=/run/netns/"$(nsname "$c" g$x)" "$MESHGW" down -c "$tmp/mesh.conf" \
			-l "$tmp/k$c$x.local" >"$tmp/down.k$c$x.log" 2>&1 &
		down[$x]=$!
	done
	for x in "${!down[@]}"; do
		if ! wait "${down[$x]}"; then
			problem "$K: meshgw down failed on site $x: $(tail -1 "$tmp/down.k$c$x.log")"
		fi
		rm -f "$tmp/k$c$x.local"
		if [ -e "$(mgpin "$k" $x)" ]; then
			echo "note: meshgw down left $(mgpin "$k" $x) ($(ls -A "$(mgpin "$k" $x)" | tr '\n' ' ')) on site $x" >&2
		fi
	done
	return 0
}

# --- counters -------------------------------------------------------------------------
fwd_datagrams() { N "$1" awk '/^Ip:/ { n++ } n == 2 && /^Ip:/ { print $7; exit }' /proc/net/snmp; }
devstat() { # NS IF FIELD (rx_bytes rx_packets ... of /proc/net/dev: 1-based after the name)
	N "$1" sed 's/:/ /' /proc/net/dev | awk -v i="$2" -v f="$3" '$1 == i { print $(f + 1) }'
}
TX_BYTES=9 TX_PACKETS=10 TX_DROP=12
udp_rcvbuf_errors() { N "$1" awk '/^Udp:/ { n++ } n == 2 && /^Udp:/ { print $6; exit }' /proc/net/snmp; }
mgget() { # STATS NAME...: the sum of those verdicts' packets in a `bench_kinds stats` output
	awk -v want=" ${*:2} " 'index(want, " " $1 " ") { t += $2 } END { print t + 0 }' <<<"$1"
}
mgbytes() { # STATS NAME...: the same in bytes
	awk -v want=" ${*:2} " 'index(want, " " $1 " ") { t += $3 } END { print t + 0 }' <<<"$1"
}
mgdelta() { # BEFORE AFTER (two `bench_kinds stats` outputs): the verdicts that moved (packets)
	join <(cut -d' ' -f1,2 <<<"$1" | sort) <(cut -d' ' -f1,2 <<<"$2" | sort) |
		awk '$3 != $2 { printf "%s%s +%d", s, $1, $3 - $2; s = ", " }'
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }
ge90() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= 0.9 * b) }'; }

# --- forwarding: both copies fed in turn by one generator ------------------------------
# Per direction: the node whose stack routes the generator's frames to the gateway
# (host a out, the internet router in), its device towards the gateway, and the
# gateway's device they leave by.
gen_role() { [ "$1" = out ] && echo ha || echo i; }	# DIR
gen_dev() { [ "$1" = out ] && echo eth0 || echo ia; }	# DIR
out_dev() { [ "$1" = out ] && up_if "$2" || lan_if "$2"; }	# DIR KIND
fwd_snap() { # KIDX KIND ARM TAG DIR: the generator host's ForwDatagrams less what its device to
	local c h	#   the gateway dropped, the gateway's ForwDatagrams and drops on the way out, mg_stats
	c=$(copy "$1" "$3") h=$(nsname "$(copy "$1" "$3")" "$(gen_role "$5")")
	echo "$(($(fwd_datagrams "$h") - $(devstat "$h" "$(gen_dev "$5")" $TX_DROP)))" \
		"$(fwd_datagrams "$(nsname "$c" ga)") $(devstat "$(nsname "$c" ga)" "$(out_dev "$5" "$2")" $TX_DROP)" \
		>"$tmp/snap.$3.$4"
	if mg "$3"; then "$HELPER" stats "$(mgpin "$1" a)" >"$tmp/st.$4"; fi
}

# The path one arm's frames took over the whole run: recorded, and a case that took
# another one reported apart (its ratio is marked in the table).
check_fwd() { # KIDX KIND ARM RECEIVED (warm-up included) RECEIVED (measured slices) SECONDS DIR
	local k=$1 K=$2 arm=$3 rx=$4 rxm=$5 secs=$6 D=$7 g hf0 gf0 dr0 hf1 gf1 dr1 hf gf dr st0='' st1=''
	local fast=0 mesh=0 tcf=0 lanok=0 path ok=1 other
	g=$(nsname "$(copy "$k" "$arm")" ga)
	read -r hf0 gf0 dr0 <"$tmp/snap.$arm.0"
	read -r hf1 gf1 dr1 <"$tmp/snap.$arm.1"
	hf=$((hf1 - hf0)) gf=$((gf1 - gf0)) dr=$((dr1 - dr0))
	if mg "$arm"; then
		st0=$(cat "$tmp/st.0") st1=$(cat "$tmp/st.1")
		fast=$(($(mgget "$st1" xdp_forward_tx xdp_forward_redirect) - $(mgget "$st0" xdp_forward_tx xdp_forward_redirect)))
		mesh=$(($(mgget "$st1" xdp_mesh tc_lan_redirect tc_mesh) - $(mgget "$st0" xdp_mesh tc_lan_redirect tc_mesh)))
		lanok=$(($(mgget "$st1" tc_lan_pass) - $(mgget "$st0" tc_lan_pass)))
		tcf=$(($(mgget "$st1" tc_forward) - $(mgget "$st0" tc_forward)))
	fi
	[ "$hf" -gt 0 ] || broke "$K $arm copy ($D): $(gen_role "$D") forwarded none of the generator's frames"
	if ! mg "$arm"; then
		path=kernel
		ge90 "$gf" "$hf" || { path="other (ForwDatagrams $(pct $gf $hf)%)"; ok=0; }
	elif ge90 "$fast" "$hf"; then
		path="XDP fast path"
		[ "$FASTPATH" = tc ] && { path="XDP fast path despite FastPath = tc"; ok=0; }
	elif ge90 "$tcf" "$hf"; then
		path="TC fast path"
	elif ge90 "$gf" "$hf" && ge90 "$lanok" "$hf"; then
		path="kernel (tc_lan passed)"
	elif ge90 "$gf" "$hf"; then
		path="kernel (no program on the LAN NIC)"
	elif other=$(join <(sort <<<"$st0") <(sort <<<"$st1") |
		awk -v hf="$hf" '$1 !~ /^(xdp_pass|xdp_slow_path|xdp_malformed|tc_lan_pass|tc_wg_pass)$/ &&
			$3 - $2 >= 0.9 * hf { print $1; exit }') && [ -n "$other" ]; then
		path="meshgw $other"	# a forwarding verdict this script does not know yet
	else
		path="other (XDP fast $(pct $fast $hf)%, TC fast $(pct $tcf $hf)%, kernel $(pct $gf $hf)%)"; ok=0
	fi
	if mg "$arm" && [ "$FASTPATH" = tc ] && ip -n "$g" -d link show | grep -q 'prog/xdp'; then
		path="$path, an XDP program attached despite FastPath = tc"; ok=0
	fi
	if [ "$mesh" -gt $((hf / 100)) ]; then path="$path, $(pct $mesh $hf)% to the tunnel"; ok=0; fi
	if ! ge90 $((rx + dr)) "$hf"; then
		path="$path, $(pct $rx $hf)% delivered"; ok=0
	elif [ "$dr" -gt 0 ]; then
		path="$path, partly dropped by $(out_dev "$D" "$K")"
	fi
	# The device's drops are counted over the warm-up too: scaled to the measured slices.
	awk -v r="$rxm" -v d="$dr" -v all="$rx" -v t="$secs" -v p="$(pct $dr $hf)" -v dev="$(out_dev "$D" "$K")" \
		'BEGIN { printf "handed to %s %.2f Mpps, %s%% dropped there\n", dev, (r + (all > 0 ? d * r / all : 0)) / t / 1e6, p }' \
		>"$tmp/fwdinfo.$arm"
	[ $ok = 1 ] || problem "$K fwd $D $arm: took another path: $path (gateway took $hf frames," \
		"ForwDatagrams +$gf, drops on $(out_dev "$D" "$K") +$dr, sink got $rx${st0:+; mg_stats $(mgdelta "$st0" "$st1")})"
	echo "$path" >"$tmp/path.$K.fwd-$D.$arm"
	echo $ok >"$tmp/fwdok.$K.$D.$arm"
}

measure_fwd() { # KIDX KIND DIR
	local k=$1 K=$2 D=$3 arm i sent secs rx rxall src dst sink
	if [ "$D" = out ]; then src=10.1.0.77 dst=198.19.0.2 sink=sink; else src=198.18.1.77 dst=10.1.0.2 sink=sinkin; fi
	for arm in kernel meshgw; do fwd_snap "$k" "$K" $arm 0 "$D"; done
	"$HELPER" alt "$FWD_SECONDS" "$SLICE_MS" $src $dst \
		"$(nsname "$(copy "$k" kernel)" "$(gen_role "$D")")" gin "$pin/$sink$(copy "$k" kernel)/sink_count" \
		"$(nsname "$(copy "$k" meshgw)" "$(gen_role "$D")")" gin "$pin/$sink$(copy "$k" meshgw)/sink_count" \
		>"$tmp/alt.$K.$D" || broke "generator failed"
	for arm in kernel meshgw; do fwd_snap "$k" "$K" $arm 1 "$D"; done
	i=0
	for arm in kernel meshgw; do
		# The checks count the warm-up slice too: the generator host's counters do.
		read -r sent secs rx rxall < <(awk -v a=$i '$1 == "arm" && $2 == a { print $4, $6, $8, $12 }' "$tmp/alt.$K.$D")
		check_fwd "$k" "$K" $arm "$rxall" "$rx" "$secs" "$D"
		awk -v r="$rx" -v t="$secs" -v s="$sent" -v arm=$arm -v K="$K" -v D="$D" -v info="$(cat "$tmp/fwdinfo.$arm")" \
			-v path="$(cat "$tmp/path.$K.fwd-$D.$arm")" 'BEGIN {
			printf "  %-14s fwd %-3s %-7s %5.2f Mpps at the sink (%.1f s fed, %.2f Mpps sent; %s)\n", K, D, arm,
				r / t / 1e6, t, s / t / 1e6, info
			printf "  %-14s     path: %s\n", "", path }'
		i=$((i + 1))
	done
	[ -z "$SAVE" ] || cp "$tmp/alt.$K.$D" "$SAVE/fwd-slices.$K.$D"
	# Slices 2j and 2j+1 are one of each arm: a pair.
	awk '$1 == "slice" { r[$3] = $6; t[$3] = $4; if ($2 % 2) print r[0], t[0], r[1], t[1] }' "$tmp/alt.$K.$D" |
		"$HELPER" ratio >"$tmp/fwdres.$K.$D"
	# The same per CPU second the generator's thread and ksoftirqd/0 got: what other
	# processes took from CPU 0 is not in it, so it resolves finer on a busy machine.
	awk '$1 == "slice" { r[$3] = $6; t[$3] = $7; if ($2 % 2) print r[0], t[0], r[1], t[1] }' "$tmp/alt.$K.$D" |
		"$HELPER" ratio >"$tmp/fwdcpu.$K.$D"
}

# --- TCP through the tunnel: short runs alternating between the copies --------------
# One iperf3 run; prints Mbit/s, records the path taken, "1" or "0" in $tmp/tcpok.ARM.
measure_tcp() { # KIDX KIND ARM
	local k=$1 K=$2 arm=$3 c g wg mp j mbit bytes b0 b1 p0 p1 u0 u1 r0=0 r1=0 m0=0 m1=0 path ok=1 st0='' st1=''
	c=$(copy "$k" "$arm") mp=$(mgpin "$k" a) wg=$(wgif "$k" "$arm" a)
	g=$(nsname "$c" ga)
	b0=$(devstat "$g" "$wg" $TX_BYTES) p0=$(devstat "$g" "$wg" $TX_PACKETS) u0=$(udp_rcvbuf_errors "$(nsname "$c" gb)")
	mg "$arm" && st0=$("$HELPER" stats "$mp") && r0=$(mgbytes "$st0" tc_lan_redirect) && m0=$(mgbytes "$st0" tc_mesh)
	j=$(N "$(nsname "$c" ha)" iperf3 -c 10.2.0.2 -t "$TCP_SECONDS" -J --connect-timeout 3000 2>&1 || true)
	b1=$(devstat "$g" "$wg" $TX_BYTES) p1=$(devstat "$g" "$wg" $TX_PACKETS) u1=$(udp_rcvbuf_errors "$(nsname "$c" gb)")
	mg "$arm" && st1=$("$HELPER" stats "$mp") && r1=$(mgbytes "$st1" tc_lan_redirect) && m1=$(mgbytes "$st1" tc_mesh)
	# What limits TCP here: segments lost (retransmitted), mostly where wireguard-go on
	# gateway b does not read its UDP socket fast enough (RcvbufErrors).
	awk -F'[:,]' -v u=$((u1 - u0)) '/"sum_sent"/ { f = 1 } f && /"retransmits"/ { r = $2 + 0; exit }
		END { printf "retr %d, gwb rcvbuf err %d\n", r, u }' <<<"$j" >"$tmp/tcpinfo.$arm"
	mbit=$(awk -F'[:,]' '/"sum_received"/ { f = 1 } f && /"bits_per_second"/ { printf "%.0f\n", $2 / 1e6; exit }' <<<"$j")
	# What host b received (what was sent includes what was still in host a's socket
	# buffer when a 1 s run ended: 10 % of it at times).
	bytes=$(awk -F'[:,]' '/"sum_received"/ { f = 1 } f && /"bytes"/ { printf "%.0f\n", $2; exit }' <<<"$j")
	if [ -z "$mbit" ] || [ -z "$bytes" ]; then
		problem "$K tcp $arm: iperf3 failed: $(grep -m1 '"error"' <<<"$j" || echo "no result")"
		echo "iperf3 failed" >>"$tmp/path.$K.tcp.$arm"
		echo 0 >"$tmp/tcpok.$arm"
		echo 0
		return
	fi
	path="through WireGuard"
	ge90 $((b1 - b0)) "$bytes" || { path="not through WireGuard ($(pct $((b1 - b0)) $bytes)% of the bytes)"; ok=0; }
	if mg "$arm"; then
		# Bytes, not packets: a GSO skb steered by tc_lan is many packets on wg.
		# A LAN NIC without tc_lan (a veth: the kernel routes): tc_wg counts
		# what came from it as tc_mesh.
		if ge90 $((r1 - r0)) $((b1 - b0)); then path="$path, steered by tc_lan"
		elif ge90 $((m1 - m0)) $((b1 - b0)); then path="$path, routed by the kernel, counted by tc_wg"
		else path="$path, tc_lan steered $(pct $((r1 - r0)) $((b1 - b0)))%, tc_wg counted $(pct $((m1 - m0)) $((b1 - b0)))% of the bytes"; ok=0; fi
	fi
	[ $ok = 1 ] || problem "$K tcp $arm: took another path: $path (wg tx +$((p1 - p0)) packets" \
		"+$((b1 - b0)) bytes, iperf3 received $bytes bytes${st0:+; mg_stats $(mgdelta "$st0" "$st1")})"
	echo "$path" >>"$tmp/path.$K.tcp.$arm"
	echo $ok >"$tmp/tcpok.$arm"
	echo "$mbit"
}

measure_tcp_pairs() { # KIDX KIND
	local k=$1 K=$2 p arm arms bad=0
	local -A v ok info
	: >"$tmp/tcppairs.$K"
	for p in $(seq "$PAIRS"); do
		if [ $((p % 2)) = 1 ]; then arms="kernel meshgw"; else arms="meshgw kernel"; fi
		if [ "$TCP_MODE" = concurrent ]; then
			# Wait for these two only: the iperf3 servers and wireguard-go are
			# this script's children too.
			local -a tp=()
			for arm in $arms; do measure_tcp "$k" "$K" $arm >"$tmp/tcpv.$arm" & tp+=($!); done
			wait "${tp[@]}"
		else
			for arm in $arms; do measure_tcp "$k" "$K" $arm >"$tmp/tcpv.$arm" || exit 1; done
		fi
		for arm in $arms; do
			v[$arm]=$(cat "$tmp/tcpv.$arm") ok[$arm]=$(cat "$tmp/tcpok.$arm") info[$arm]=$(cat "$tmp/tcpinfo.$arm")
		done
		printf '  %-14s tcp pair %2d: kernel %4s Mbit/s (%s), meshgw %4s Mbit/s (%s)%s\n' "$K" "$p" \
			"${v[kernel]}" "${info[kernel]}" "${v[meshgw]}" "${info[meshgw]}" \
			"$([ "${ok[kernel]}${ok[meshgw]}" = 11 ] || echo ', left out: another path')"
		if [ "${ok[kernel]}${ok[meshgw]}" = 11 ]; then
			echo "${v[kernel]} 1 ${v[meshgw]} 1" >>"$tmp/tcppairs.$K"
		else
			bad=$((bad + 1))
		fi
	done
	echo $bad >"$tmp/tcpbad.$K"
	[ -z "$SAVE" ] || cp "$tmp/tcppairs.$K" "$SAVE/tcp-pairs.$K"
	"$HELPER" ratio <"$tmp/tcppairs.$K" >"$tmp/tcpres.$K"
}

reach() { # COPY: host a -> host b through the tunnel, and -> the internet host (warms ARP)
	local c=$1 t
	for t in $(seq 40); do
		N "$(nsname "$c" ha)" ping -c1 -W1 -q 10.2.0.2 >/dev/null 2>&1 && break
	done
	N "$(nsname "$c" ha)" ping -c1 -W1 -q 10.2.0.2 >/dev/null 2>&1 || return 1
	N "$(nsname "$c" ha)" ping -c1 -W1 -q 198.19.0.2 >/dev/null 2>&1 || true
	return 0
}

run_kind() { # KIDX KIND
	local k=$1 K=$2 ck cm
	ck=$(copy "$k" kernel) cm=$(copy "$k" meshgw)
	build_copy "$ck" "$K"
	build_copy "$cm" "$K"
	# A local file this build of meshgw refuses (FASTPATH on a build without the key)
	# breaks every meshgw arm: say so once, up front.
	if [ "$k" = 1 ] && ! N "$(nsname "$cm" ga)" "$MESHGW" check -c "$tmp/mesh.conf" -l "$tmp/k${cm}a.conf" \
		>"$tmp/check.log" 2>&1; then
		cat "$tmp/check.log" >&2
		broke "meshgw check rejects the local file${FASTPATH:+ (FastPath = $FASTPATH: a key this build does not know?)}"
	fi
	kernel_up "$k" kernel
	if [ -n "$AA" ]; then
		kernel_up "$k" meshgw
	elif [ -n "$HOOKS" ]; then
		meshgw_up "$k" || broke "$K: meshgw up failed: $(cat "$tmp"/up.k${cm}?.log | grep -v '^$' | tail -1)"
		hooks_note "$k" "$K"
		meshgw_down "$k" "$K"
		kernel_up "$k" meshgw
		hooks_take "$k" "$K"
	elif ! meshgw_up "$k"; then
		problem "$K: meshgw up failed: $(cat "$tmp"/up.k${cm}?.log | grep -v '^$' | tail -1)"
		echo "up failed" >"$tmp/upfailed.$K"
	fi
	if [ ! -e "$tmp/upfailed.$K" ]; then
		reach "$ck" || broke "$K kernel copy: host a cannot reach host b through wireguard-go"
		N "$(nsname "$ck" ha)" ping -c1 -W1 -q 198.19.0.2 >/dev/null 2>&1 ||
			broke "$K kernel copy: host a cannot reach the internet host"
		reach "$cm" || problem "$K meshgw copy: host a cannot reach host b through the tunnel"
		if [ -n "$HOLD" ]; then	# to look at both copies by hand (perf, bpftool)
			touch "$tmp/hold"
			echo "  holding, both copies up (namespaces k${ck}ROLE$s and k${cm}ROLE$s, ROLE ha ga i gb hb);" \
				"go on: rm $tmp/hold" >&2
			while [ -e "$tmp/hold" ]; do sleep 1; done
		fi
		for D in $DIRS; do measure_fwd "$k" "$K" "$D"; done
		measure_tcp_pairs "$k" "$K"
	fi
	kernel_down "$k" kernel
	if [ -n "$AA$HOOKS" ]; then kernel_down "$k" meshgw; hooks_drop; else meshgw_down "$k" "$K"; fi
	teardown_kind "$k"
}

# --- run ------------------------------------------------------------------------------
echo "kinds: $KINDS"
echo "forwarding: $FWD_SECONDS s per kind in slices of $SLICE_MS ms alternating between the two copies" \
	"(k m m k ...), one generator thread pinned to CPU 0; TCP: $PAIRS pairs of $TCP_SECONDS s iperf3 runs (k m m k ...);" \
	"meshgw $MESHGW (source $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo '?'))${FASTPATH:+, FastPath = $FASTPATH}"
echo "generator: live frames handed to host a's own stack (out) or the internet router's (in) (XDP_PASS"
echo "  on a private veth), which routes them to the gateway: nothing on the gateway's path needs NAPI"
echo "  for them, same in both arms${NAT:+; NAT=1: both gateways masquerade what leaves by their uplink}${RPF:+; rp_filter $RPF on both gateways}"
case " $KINDS " in *" veth-xdp "*)
	echo "veth-xdp grafts XDP programs on the gateway's neighbours: it measures the native fast path" \
		"on a network no user has" ;;
esac
k=0
for K in $KINDS; do
	k=$((k + 1))
	echo "$K ($(kind_text "$K")):"
	run_kind $k "$K"
done

cell() { # RESULT SCALE: "kernel meshgw ratio [95% CI]" from a `bench_kinds ratio` line
	awk -v d="$2" '$NF + 0 == 0 { printf "%7s %7s %-18s", "-", "-", "-"; exit }
		{ f = d > 1 ? "%7.2f %7.2f" : "%7.0f %7.0f"
		  printf f " %4.2f [%4.2f-%4.2f]  ", $2 / d, $4 / d, $6, $8, $9 }' "$1"
}
rcell() { # RESULT: "ratio [95% CI]" alone
	awk '$NF + 0 == 0 { printf "%-18s", "-"; exit } { printf "%4.2f [%4.2f-%4.2f]  ", $6, $8, $9 }' "$1"
}
spread() { # RESULT: the pairs' 10th-90th percentiles, the ratio of the totals
	awk '$NF + 0 == 0 { printf "no pairs"; exit }
		{ printf "%d pairs, p10-p90 %.2f-%.2f, ratio of the totals %.2f", $NF, $13, $15, $11 }' "$1"
}
echo
echo "meshgw / kernel, both copies fed in turn (fwd: 60-byte frames, out LAN host -> internet host,"
echo "in internet -> LAN host; Mpps at the sink per second fed, median of the slices; TCP: iperf3 LAN a"
echo "-> LAN b through WireGuard, Mbit/s, median of the runs). ratio: median of the pairs' ratios [its"
echo "95 % bootstrap interval]; per CPU second: frames per second of CPU the generator's thread and"
echo "ksoftirqd/0 got (what other processes took from CPU 0 left out)${NAT:+. NAT: both gateways masquerade}"
[ -z "$AA" ] || echo "AA set: the \"meshgw\" copy runs the kernel alone too (an A/A check: the ratios should be 1)"
[ -z "$HOOKS" ] || echo "HOOKS set: the \"meshgw\" copy runs the kernel alone with a do-nothing program on each hook \`meshgw up\` took there: the hooks' own cost"
printf '%-14s %-3s %7s %7s %-18s %-18s\n' kind dir "kernel" "meshgw" "fwd ratio" "fwd ratio"
printf '%-14s %-3s %7s %7s %-18s %-18s\n' "" "" Mpps Mpps "" "per CPU second"
for K in $KINDS; do
	if [ -e "$tmp/upfailed.$K" ]; then printf '%-14s meshgw up failed\n' "$K"; continue; fi
	for D in $DIRS; do
		mark=
		[ "$(cat "$tmp/fwdok.$K.$D.kernel")$(cat "$tmp/fwdok.$K.$D.meshgw")" = 11 ] || mark=" (another path, below)"
		printf '%-14s %-3s %s %s%s\n' "$K" "$D" "$(cell "$tmp/fwdres.$K.$D" 1e6)" "$(rcell "$tmp/fwdcpu.$K.$D")" "$mark"
	done
done
echo
printf '%-14s %7s %7s %-18s\n' kind "kernel" "meshgw" "TCP ratio"
printf '%-14s %7s %7s %-18s\n' "" Mbit/s Mbit/s ""
for K in $KINDS; do
	[ -e "$tmp/upfailed.$K" ] && continue
	printf '%-14s %s\n' "$K" "$(cell "$tmp/tcpres.$K" 1)"
done
echo
echo "spread of the pairs' own ratios (fwd: pairs of $SLICE_MS ms slices; TCP: pairs of $TCP_SECONDS s runs):"
for K in $KINDS; do
	[ -e "$tmp/upfailed.$K" ] && continue
	for D in $DIRS; do
		printf '  %-14s fwd %-3s %s\n  %-14s fwd %-3s per CPU second of the generator: %s\n' \
			"$K" "$D" "$(spread "$tmp/fwdres.$K.$D")" "" "$D" "$(cell "$tmp/fwdcpu.$K.$D" 1e6)"
	done
	printf '  %-14s TCP %s%s\n' "$K" "$(spread "$tmp/tcpres.$K")" \
		"$([ "$(cat "$tmp/tcpbad.$K")" = 0 ] || echo "; $(cat "$tmp/tcpbad.$K") TCP pair(s) left out: another path")"
done
echo
echo "paths taken (runs per path):"
for K in $KINDS; do
	for c in $(printf 'fwd-%s ' $DIRS) tcp; do
		for arm in kernel meshgw; do
			[ -e "$tmp/path.$K.$c.$arm" ] || continue
			printf '  %-14s %s %-7s %s\n' "$K" $c $arm \
				"$(sort "$tmp/path.$K.$c.$arm" | uniq -c | awk '{ n = $1; $1 = ""; printf "%s%s x%d", s, substr($0, 2), n; s = "; " }')"
		done
	done
done
echo "run time: $(($(date +%s) - t_start)) s"
problems=$(wc -l <"$tmp/problems")
if [ "$problems" -gt 0 ]; then
	echo
	echo "$problems case(s) took another path than the one they name (or broke), reported apart:"
	sort "$tmp/problems" | uniq -c | sed 's/^/ /'
	exit 1
fi
