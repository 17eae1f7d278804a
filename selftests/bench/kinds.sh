#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Per interface kind the gateway may sit on: the gateway with the kernel alone vs with
# meshgw attached (`meshgw up`, default settings), side by side in one run:
#
#  - forwarding rate: 60-byte frames LAN host a -> internet host (the path that does
#    not enter the tunnel), Mpps received at the sink (the round lines also give
#    what the gateway handed its uplink device, delivered or dropped there for lack
#    of room: counted as forwarded it would credit an arm for overrunning a veth
#    peer's backlog);
#  - TCP throughput through the tunnel: iperf3 LAN host a -> LAN host b through
#    WireGuard (wireguard-go: the host kernel has none).
#
#   ha 10.1.0.2 ── LAN ── gwa ── uplink 203.0.113.0/24 ──┐
#   (generator)                                           inet .254, 198.19.0.2 (sink)
#   hb 10.2.0.2 ── LAN ── gwb ── uplink 198.51.100.0/24 ─┘   routes between the uplinks
#
# Both sites are built alike; in the meshgw arm both gateways run `meshgw up`, in the
# kernel arm both run wireguard-go configured with `wg` (same keys, port, keepalive,
# MTU, routes). Kinds (KINDS, default all):
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
#
# The generator (bench_kinds gen, one thread pinned to CPU 0): live frames
# (BPF_F_TEST_XDP_LIVE_FRAMES) returned XDP_PASS on a private veth of host a, so they
# enter host a's own stack, which routes them to the gateway like any host sends
# (dev_queue_xmit on its LAN interface). Nothing on the gateway's side needs NAPI for
# them, and the setup is the same in both arms. Two consequences: the host's routing
# is a fixed cost per frame in both arms (everything runs on CPU 0), and the gateway's
# veth receives skbs from a stack, as from any container, so meshgw's XDP there pays
# the veth's skb-to-XDP conversion that a NIC driver does not: not comparable with
# bpf_forward.sh (XDP frames fed straight in, XDP_PASS grafted on the gateway's veth in
# its kernel arm). The sink on inet counts the benchmark's frames and drops them (TC,
# or XDP for veth-xdp; everything else passes). On l3-tun the relay, a userspace
# process, caps the sink's rate in both arms (it reads ~15 % of what the gateway
# writes into the tun; the rest is dropped at the tun's queue).
#
# Checks per measured case (reported apart, exit 1; slowness never fails):
#  - fwd, kernel arm: the gateway's ForwDatagrams (/proc/net/snmp) account for the
#    frames host a handed it; meshgw arm: mg_stats' fast path counters (xdp_forward_*) or
#    the kernel's ForwDatagrams do, none went to the tunnel (xdp_mesh, tc_lan_redirect),
#    and with FASTPATH=tc no XDP fast path at all;
#  - fwd, both: what the gateway took arrived at the sink (less what the uplink device
#    itself counted as dropped for lack of room: a tun ring, a receiver's backlog);
#  - tcp: iperf3 ran, the bytes went through the WireGuard device, and in the meshgw arm
#    tc_lan redirected the packets into it (mg_stats tc_lan_redirect).
#
# Each round line also says what limits TCP: retransmitted segments, and the UDP
# RcvbufErrors of gateway b (wireguard-go not reading its socket fast enough; on a
# 2-core machine this is where the tunnel's packets are lost, in both arms).
#
# About 5 minutes with the defaults on a busy 2-core machine.
# Environment: ROUNDS (3) interleaved rounds, SECONDS_PER (2) seconds per measurement,
# KINDS, FASTPATH (auto|xdp|tc: written as `FastPath =` into the local files; only when
# set, today's meshgw does not know the key).
set -eu
OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
MESHGW=${MESHGW:-$OUT/meshgw}
HELPER=$OUT/selftests/helpers/bench_kinds
XDP_PASS_OBJ=$OUT/bpf/xdp_pass.bpf.o
ROUNDS=${ROUNDS:-3} SECONDS_PER=${SECONDS_PER:-2}
KINDS=${KINDS:-veth-gro veth-xdp veth-plain bridge-lan bridge-uplink l3-tun}
FASTPATH=${FASTPATH:-}
if [ "$(id -u)" != 0 ]; then echo "kinds: skipped (needs root)"; exit 0; fi
for t in wireguard-go wg iperf3 nsenter ethtool; do
	command -v $t >/dev/null || { echo "kinds: skipped ($t missing)"; exit 0; }
done
for f in "$MESHGW" "$HELPER" "$XDP_PASS_OBJ"; do
	[ -e "$f" ] || { echo "kinds: $f missing (make all)" >&2; exit 1; }
done
for K in $KINDS; do
	case $K in veth-gro | veth-xdp | veth-plain | bridge-lan | bridge-uplink | l3-tun) ;;
	*) echo "kinds: unknown kind $K" >&2; exit 1 ;; esac
done
t_start=$(date +%s)
s=$$
tmp=$(mktemp -d /tmp/meshgw-kinds.$s.XXXX)
pin=/sys/fs/bpf/mgk$s	# the sinks' counters
. "$(dirname "${BASH_SOURCE[0]}")/../lib/leftovers.sh"
nss=() pids=() mgwgs=()
declare -A kpid	# wireguard-go of the kernel arm, per gateway: our children until reaped

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
	bridge-lan) echo bridge ;; *) echo gro ;; esac; }
up_kind() { case $1 in veth-gro | bridge-lan) echo gro ;; veth-xdp) echo xdp ;; veth-plain) echo plain ;;
	bridge-uplink) echo bridge ;; l3-tun) echo tun ;; esac; }
lan_if() { [ "$(lan_kind "$1")" = bridge ] && echo br0 || echo lan0; }
up_if() { [ "$(up_kind "$1")" = bridge ] && echo br1 || echo wan0; }
kind_text() { case $1 in veth-gro) echo "veth; neighbours' veths: GRO" ;;
	veth-xdp) echo "veth; neighbours: XDP grafted (native)" ;;
	veth-plain) echo "veth; neighbours: nothing (container)" ;;
	bridge-lan) echo "LAN bridge (veth port); uplink veth+GRO" ;;
	bridge-uplink) echo "uplink bridge (veth port); LAN veth+GRO" ;;
	l3-tun) echo "uplink L3 tun (relay); LAN veth+GRO" ;; esac; }

# --- keys and the mesh file (the same for every kind: each kind has its own namespaces) -
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

# Names: namespaces k<kind#><role><site>$$; WireGuard interfaces must be unique on the
# host (wireguard-go's socket /run/wireguard/IF.sock is per mount namespace).
nsname() { echo "k$1$2$s"; }	# KIDX ROLE(h g i)[SITE]
newns() { ip netns add "$1"; nss+=("$1"); ip -n "$1" link set lo up; }
mgpin() { echo "/sys/fs/bpf/meshgw/mw$1$2$s"; }	# KIDX SITE: meshgw's default PinPath
pfx() { [ "$1" = a ] && echo 203.0.113 || echo 198.51.100; }
lannet() { [ "$1" = a ] && echo 1 || echo 2; }

build_site() { # KIDX KIND SITE
	local k=$1 K=$2 x=$3 L U h g i n p
	L=$(lan_kind "$K") U=$(up_kind "$K") h=$(nsname "$k" h$x) g=$(nsname "$k" g$x)
	i=$(nsname "$k" i) n=$(lannet $x) p=$(pfx $x)
	newns "$h"; newns "$g"
	N "$g" sysctl -qw net.ipv4.ip_forward=1
	if [ "$L" = bridge ]; then
		ip -n "$g" link add br0 type bridge
		ip link add eth0 netns "$h" type veth peer name lp0 netns "$g"
		ip -n "$g" link set lp0 master br0
		ip -n "$g" link set lp0 up
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
	if [ $x = a ]; then	# the generator's private veth: frames "arrive" on gin
		ip -n "$h" link add gin type veth peer name ginp
		ip -n "$h" addr add 198.18.0.1/24 dev gin
		ip -n "$h" link set gin up
		ip -n "$h" link set ginp up
		N "$h" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.gin.rp_filter=0
	fi
	# The local file: what a user writes, default settings (FastPath only when asked).
	{
		printf '[Local]\nSite = %s\nPrivateKeyFile = %s\nLanInterface = %s\nUplinkInterface = %s\n' \
			$x "$tmp/$x.key" "$(lan_if "$K")" "$(up_if "$K")"
		printf 'WireGuardInterface = mw%s%s%s\n' "$k" $x $s	# PinPath: the default
		[ -n "$FASTPATH" ] && printf 'FastPath = %s\n' "$FASTPATH"
	} >"$tmp/k$k$x.conf"
	return 0
}

build_kind() { # KIDX KIND
	local k=$1 K=$2 i x n p
	i=$(nsname "$k" i)
	newns "$i"
	N "$i" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0
	ip -n "$i" addr add 198.19.0.2/32 dev lo	# the internet host
	build_site "$k" "$K" a
	build_site "$k" "$K" b
	if [ "$(up_kind "$K")" = tun ]; then
		"$HELPER" relay "$(nsname "$k" ga)" wan0 "$i" ia "$(nsname "$k" gb)" wan0 "$i" ib \
			2>"$tmp/relay$k.log" &
		pids+=($!)
		for _ in $(seq 100); do
			ip -n "$i" link show ib >/dev/null 2>&1 && break
			sleep 0.05
		done
		for x in a b; do
			n=$(lannet $x) p=$(pfx $x)
			ip -n "$(nsname "$k" g$x)" addr add $p.1 peer $p.254 dev wan0
			ip -n "$(nsname "$k" g$x)" link set wan0 up
			ip -n "$i" addr add $p.254 peer $p.1 dev i$x
			ip -n "$i" link set i$x up
			ip -n "$(nsname "$k" g$x)" route add default via $p.254
			ip -n "$i" route add 10.$n.0.0/24 via $p.1
		done
	fi
	mkdir -p "$pin/sink$k"
	"$HELPER" sink "$i" ia "$([ "$(up_kind "$K")" = xdp ] && echo xdp || echo tc)" "$pin/sink$k"
	# Not through N: a function run with & is a subshell, and killing $! would leave
	# iperf3 running. nsenter execs it.
	nsenter --net=/run/netns/"$(nsname "$k" hb)" iperf3 -s -B 10.2.0.2 >"$tmp/iperf$k.log" 2>&1 &
	pids+=($!)
}

# --- the two arms (both gateways at once: they are independent) ----------------------
kernel_up() { # KIDX
	local k=$1 x g wg peer pp pn
	for x in a b; do
		# setsid and nsenter exec wireguard-go: $! is wireguard-go itself. In its own
		# session, as `meshgw up` starts it: with the scheduler's autogroups (on by
		# default) a process sharing the session of this script and iperf3 is
		# scheduled differently; measured, that alone made the kernel arm's TCP
		# 1.3x faster (RTT 3-6 ms against 10-14 ms) with no BPF attached anywhere.
		WG_PROCESS_FOREGROUND=1 setsid nsenter --net=/run/netns/"$(nsname "$k" g$x)" wireguard-go -f kw$k$x$s \
			>"$tmp/kw$k$x.log" 2>&1 &
		kpid[$k$x]=$!
	done
	for x in a b; do
		g=$(nsname "$k" g$x) wg=kw$k$x$s
		if [ $x = a ]; then peer=$pubB pp=198.51.100.1 pn=2; else peer=$pubA pp=203.0.113.1 pn=1; fi
		for _ in $(seq 200); do [ -S /run/wireguard/$wg.sock ] && break; sleep 0.05; done
		N "$g" wg set "$wg" listen-port 51820 private-key "$tmp/$x.key" peer "$peer" \
			endpoint $pp:51820 allowed-ips 192.168.254.$pn/32,10.$pn.0.0/24 persistent-keepalive 25
		N "$g" ip addr add "192.168.254.$(lannet $x)/24" dev "$wg"
		N "$g" ip link set "$wg" mtu 1420 up
		N "$g" ip route add 10.$pn.0.0/24 dev "$wg"
	done
}
kernel_down() { # KIDX
	local k=$1 x
	for x in a b; do ip -n "$(nsname "$k" g$x)" link del kw$k$x$s 2>/dev/null || true; done
	for x in a b; do
		kill "${kpid[$k$x]}" 2>/dev/null || true
		wait "${kpid[$k$x]}" 2>/dev/null || true
		unset "kpid[$k$x]"
	done
}
meshgw_up() { # KIDX; returns non-zero when `meshgw up` fails on either gateway
	local k=$1 x wg p fail=0
	local -A up
	for x in a b; do
		echo "$(nsname "$k" g$x)" >"$tmp/k$k$x.ns"
		cp "$tmp/k$k$x.conf" "$tmp/k$k$x.local"	# from here cleanup runs `down` with it
		mgwgs+=("mw$k$x$s")
		nsenter --net=/run/netns/"$(nsname "$k" g$x)" "$MESHGW" up -c "$tmp/mesh.conf" \
			-l "$tmp/k$k$x.local" >"$tmp/up.k$k$x.log" 2>&1 &
		up[$x]=$!
	done
	for x in a b; do
		wait "${up[$x]}" || fail=1
		wg=mw$k$x$s
		p=$(awk '$1 == "wg_pid" { print $2 }' /run/meshgw/$wg.state 2>/dev/null || true)
		[ -n "$p" ] && echo "$p" >"$tmp/$wg.mgpid"
	done
	return $fail
}
meshgw_down() { # KIDX
	local k=$1 x
	local -A down
	for x in a b; do
		nsenter --net=/run/netns/"$(nsname "$k" g$x)" "$MESHGW" down -c "$tmp/mesh.conf" \
			-l "$tmp/k$k$x.local" >"$tmp/down.k$k$x.log" 2>&1 &
		down[$x]=$!
	done
	for x in a b; do
		if ! wait "${down[$x]}"; then
			problem "$(kname "$k"): meshgw down failed on site $x: $(tail -1 "$tmp/down.k$k$x.log")"
		fi
		rm -f "$tmp/k$k$x.local"
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

# One forwarding measurement; prints Mpps and records the path taken.
measure_fwd() { # KIDX KIND ARM
	local k=$1 K=$2 arm=$3 h g mp out fr secs rx hf0 hf1 gf0 gf1 dr0 dr1 hf gf dr
	local fast0=0 fast1=0 mesh0=0 mesh1=0 tcf0=0 tcf1=0 fast mesh path ok=1 st0='' st1='' other
	h=$(nsname "$k" ha) g=$(nsname "$k" ga) mp=$(mgpin "$k" a)
	hf0=$(fwd_datagrams "$h") gf0=$(fwd_datagrams "$g") dr0=$(devstat "$g" "$(up_if "$K")" $TX_DROP)
	if [ "$arm" = meshgw ]; then
		st0=$("$HELPER" stats "$mp")
		fast0=$(mgget "$st0" xdp_forward_tx xdp_forward_redirect) mesh0=$(mgget "$st0" xdp_mesh tc_lan_redirect)
		tcf0=$(mgget "$st0" tc_forward)
	fi
	out=$("$HELPER" gen "$h" gin 10.1.0.77 198.19.0.2 "$SECONDS_PER" "$pin/sink$k/sink_count") ||
		broke "generator failed"
	hf1=$(fwd_datagrams "$h") gf1=$(fwd_datagrams "$g") dr1=$(devstat "$g" "$(up_if "$K")" $TX_DROP)
	if [ "$arm" = meshgw ]; then
		st1=$("$HELPER" stats "$mp")
		fast1=$(mgget "$st1" xdp_forward_tx xdp_forward_redirect) mesh1=$(mgget "$st1" xdp_mesh tc_lan_redirect)
		tcf1=$(mgget "$st1" tc_forward)
	fi
	set -- $out
	fr=$2 secs=$4 rx=$6
	hf=$((hf1 - hf0)) gf=$((gf1 - gf0)) dr=$((dr1 - dr0)) fast=$((fast1 - fast0)) mesh=$((mesh1 - mesh0))
	[ "$hf" -gt 0 ] || broke "$K: host a forwarded none of the generator's $fr frames"
	if [ "$arm" = kernel ]; then
		path=kernel
		ge90 "$gf" "$hf" || { path="other (ForwDatagrams $(pct $gf $hf)%)"; ok=0; }
	elif ge90 "$fast" "$hf"; then
		path="XDP fast path"
		[ "$FASTPATH" = tc ] && { path="XDP fast path despite FastPath = tc"; ok=0; }
	elif ge90 $((tcf1 - tcf0)) "$hf"; then
		path="TC fast path"
	elif ge90 "$gf" "$hf"; then
		path="kernel (meshgw passed)"
	elif other=$(join <(sort <<<"$st0") <(sort <<<"$st1") |
		awk -v hf="$hf" '$1 !~ /^(xdp_pass|xdp_slow_path|xdp_malformed|tc_lan_pass|tc_wg_pass)$/ &&
			$3 - $2 >= 0.9 * hf { print $1; exit }') && [ -n "$other" ]; then
		path="meshgw $other"	# a forwarding verdict this script does not know yet
	else
		path="other (XDP fast $(pct $fast $hf)%, kernel $(pct $gf $hf)%)"; ok=0
	fi
	if [ "$arm" = meshgw ] && [ "$FASTPATH" = tc ] && ip -n "$g" -d link show | grep -q 'prog/xdp'; then
		path="$path, an XDP program attached despite FastPath = tc"; ok=0
	fi
	if [ "$mesh" -gt $((hf / 100)) ]; then path="$path, $(pct $mesh $hf)% to the tunnel"; ok=0; fi
	if ! ge90 $((rx + dr)) "$hf"; then
		path="$path, $(pct $rx $hf)% delivered"; ok=0
	elif [ "$dr" -gt 0 ]; then
		path="$path, partly dropped by the uplink device"
	fi
	awk -v r=$((rx + dr)) -v t="$secs" -v d="$(pct $dr $hf)" \
		'BEGIN { printf "uplink device dropped %s%%, handed to it %.2f Mpps\n", d, r / t / 1e6 }' >"$tmp/fwdinfo"
	[ $ok = 1 ] || problem "$K fwd $arm: took another path: $path (gateway took $hf frames," \
		"ForwDatagrams +$gf, uplink drops +$dr, sink got $rx${st0:+; mg_stats $(mgdelta "$st0" "$st1")})"
	echo "$path" >>"$tmp/path.$K.fwd.$arm"
	awk -v r="$rx" -v t="$secs" 'BEGIN { printf "%.2f\n", r / t / 1e6 }' | tee -a "$tmp/fwd.$K.$arm"
}

# One iperf3 run; prints Mbit/s and records the path taken.
measure_tcp() { # KIDX KIND ARM
	local k=$1 K=$2 arm=$3 g wg mp j mbit bytes b0 b1 p0 p1 u0 u1 r0=0 r1=0 path ok=1 st0='' st1=''
	g=$(nsname "$k" ga) mp=$(mgpin "$k" a)
	if [ "$arm" = kernel ]; then wg=kw${k}a$s; else wg=mw${k}a$s; fi
	b0=$(devstat "$g" "$wg" $TX_BYTES) p0=$(devstat "$g" "$wg" $TX_PACKETS) u0=$(udp_rcvbuf_errors "$(nsname "$k" gb)")
	[ "$arm" = meshgw ] && st0=$("$HELPER" stats "$mp") && r0=$(mgbytes "$st0" tc_lan_redirect)
	j=$(N "$(nsname "$k" ha)" iperf3 -c 10.2.0.2 -t "$SECONDS_PER" -J --connect-timeout 3000 2>&1 || true)
	b1=$(devstat "$g" "$wg" $TX_BYTES) p1=$(devstat "$g" "$wg" $TX_PACKETS) u1=$(udp_rcvbuf_errors "$(nsname "$k" gb)")
	[ "$arm" = meshgw ] && st1=$("$HELPER" stats "$mp") && r1=$(mgbytes "$st1" tc_lan_redirect)
	# What limits TCP here: segments lost (retransmitted), mostly where wireguard-go on
	# gateway b does not read its UDP socket fast enough (RcvbufErrors).
	awk -F'[:,]' -v u=$((u1 - u0)) '/"sum_sent"/ { f = 1 } f && /"retransmits"/ { r = $2 + 0; exit }
		END { printf "retr %d, gwb UDP RcvbufErrors %d\n", r, u }' <<<"$j" >"$tmp/tcpinfo"
	mbit=$(awk -F'[:,]' '/"sum_received"/ { f = 1 } f && /"bits_per_second"/ { printf "%.0f\n", $2 / 1e6; exit }' <<<"$j")
	bytes=$(awk -F'[:,]' '/"sum_sent"/ { f = 1 } f && /"bytes"/ { printf "%.0f\n", $2; exit }' <<<"$j")
	if [ -z "$mbit" ] || [ -z "$bytes" ]; then
		problem "$K tcp $arm: iperf3 failed: $(grep -m1 '"error"' <<<"$j" || echo "no result")"
		echo "iperf3 failed" >>"$tmp/path.$K.tcp.$arm"
		echo 0 | tee -a "$tmp/tcp.$K.$arm"
		return
	fi
	path="through WireGuard"
	ge90 $((b1 - b0)) "$bytes" || { path="not through WireGuard ($(pct $((b1 - b0)) $bytes)% of the bytes)"; ok=0; }
	if [ "$arm" = meshgw ]; then
		# Bytes, not packets: a GSO skb steered by tc_lan is many packets on wg.
		if ge90 $((r1 - r0)) $((b1 - b0)); then path="$path, steered by tc_lan"
		else path="$path, tc_lan steered $(pct $((r1 - r0)) $((b1 - b0)))% of the bytes"; ok=0; fi
	fi
	[ $ok = 1 ] || problem "$K tcp $arm: took another path: $path (wg tx +$((p1 - p0)) packets" \
		"+$((b1 - b0)) bytes, iperf3 $bytes bytes${st0:+; mg_stats $(mgdelta "$st0" "$st1")})"
	echo "$path" >>"$tmp/path.$K.tcp.$arm"
	echo "$mbit" | tee -a "$tmp/tcp.$K.$arm"
}

reach() { # KIDX: host a -> host b through the tunnel, and -> the internet host (warms ARP)
	local k=$1 t
	for t in $(seq 40); do
		N "$(nsname "$k" ha)" ping -c1 -W1 -q 10.2.0.2 >/dev/null 2>&1 && break
	done
	N "$(nsname "$k" ha)" ping -c1 -W1 -q 10.2.0.2 >/dev/null 2>&1 || return 1
	N "$(nsname "$k" ha)" ping -c1 -W1 -q 198.19.0.2 >/dev/null 2>&1 || true
	return 0
}

run_arm() { # KIDX KIND ARM ROUND
	local k=$1 K=$2 arm=$3 r=$4 f t
	if [ "$arm" = kernel ]; then
		kernel_up "$k"
		reach "$k" || broke "$K kernel arm: host a cannot reach host b through wireguard-go"
		N "$(nsname "$k" ha)" ping -c1 -W1 -q 198.19.0.2 >/dev/null 2>&1 ||
			broke "$K kernel arm: host a cannot reach the internet host"
	else
		if ! meshgw_up "$k"; then
			problem "$K: meshgw up failed: $(cat "$tmp"/up.k$k?.log | grep -v '^$' | tail -1)"
			meshgw_down "$k"
			echo "up failed" >>"$tmp/path.$K.fwd.$arm"
			echo "up failed" >>"$tmp/path.$K.tcp.$arm"
			printf 'round %d  %-14s %-7s meshgw up failed\n' "$r" "$K" "$arm"
			return
		fi
		reach "$k" || problem "$K meshgw arm: host a cannot reach host b through the tunnel"
	fi
	f=$(measure_fwd "$k" "$K" "$arm") || exit 1
	t=$(measure_tcp "$k" "$K" "$arm") || exit 1
	printf 'round %d  %-14s %-7s %5s Mpps (%s)  %4s Mbit/s (%s)\n       paths: %s; %s\n' \
		"$r" "$K" "$arm" "$f" "$(cat "$tmp/fwdinfo" 2>/dev/null)" "$t" "$(cat "$tmp/tcpinfo" 2>/dev/null)" \
		"$(tail -1 "$tmp/path.$K.fwd.$arm")" "$(tail -1 "$tmp/path.$K.tcp.$arm")"
	rm -f "$tmp/fwdinfo" "$tmp/tcpinfo"
	if [ "$arm" = kernel ]; then kernel_down "$k"; else meshgw_down "$k"; fi
}

kname() { local k=0 K; for K in $KINDS; do k=$((k + 1)); [ $k = "$1" ] && echo "$K"; done; }

# --- run ------------------------------------------------------------------------------
echo "kinds: $KINDS"
echo "rounds: $ROUNDS interleaved, $SECONDS_PER s per measurement; generator pinned to CPU 0;" \
	"meshgw $MESHGW (source $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo '?'))${FASTPATH:+, FastPath = $FASTPATH}"
echo "generator: live frames handed to host a's own stack (XDP_PASS on a private veth), which"
echo "  routes them to the gateway: nothing on the gateway's path needs NAPI for them, same in both arms"
case " $KINDS " in *" veth-xdp "*)
	echo "veth-xdp grafts XDP programs on the gateway's neighbours: it measures the native fast path" \
		"on a network no user has" ;;
esac
k=0
for K in $KINDS; do k=$((k + 1)); build_kind $k "$K"; done
# A local file this build of meshgw refuses (FASTPATH on a build without the key)
# breaks the setup of every meshgw arm: say so once, up front.
if ! N "$(nsname 1 ga)" "$MESHGW" check -c "$tmp/mesh.conf" -l "$tmp/k1a.conf" >"$tmp/check.log" 2>&1; then
	cat "$tmp/check.log" >&2
	broke "meshgw check rejects the local file${FASTPATH:+ (FastPath = $FASTPATH: a key this build does not know?)}"
fi
for r in $(seq "$ROUNDS"); do
	k=0
	for K in $KINDS; do
		k=$((k + 1))
		# Alternate which arm goes first, so a drift of the machine favours neither.
		if [ $((r % 2)) = 1 ]; then arms="kernel meshgw"; else arms="meshgw kernel"; fi
		for arm in $arms; do run_arm $k "$K" $arm "$r"; done
	done
done

median() { [ -s "$1" ] && sort -g "$1" | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }' || echo -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }
echo
echo "medians of $ROUNDS rounds (Mpps: 60-byte frames LAN host -> internet host, at the sink; Mbit/s: iperf3 TCP LAN a -> LAN b through WireGuard)"
printf '%-14s %-40s %7s %7s %6s %8s %8s %6s\n' kind "" "kernel" "meshgw" "ratio" "kernel" "meshgw" "ratio"
printf '%-14s %-40s %7s %7s %6s %8s %8s %6s\n' "" "" Mpps Mpps "" Mbit/s Mbit/s ""
for K in $KINDS; do
	fk=$(median "$tmp/fwd.$K.kernel") fm=$(median "$tmp/fwd.$K.meshgw")
	tk=$(median "$tmp/tcp.$K.kernel") tm=$(median "$tmp/tcp.$K.meshgw")
	printf '%-14s %-40s %7s %7s %6s %8s %8s %6s\n' "$K" "$(kind_text "$K")" "$fk" "$fm" "$(ratio "$fm" "$fk")" \
		"$tk" "$tm" "$(ratio "$tm" "$tk")"
done
echo
echo "paths taken (rounds per path):"
for K in $KINDS; do
	for c in fwd tcp; do
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
	echo "$problems case(s) took another path than the one they name (or broke):"
	sort "$tmp/problems" | uniq -c | sed 's/^/ /'
	exit 1
fi
