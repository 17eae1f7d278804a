#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 10's rule, "never worse than the kernel": with `meshgw run`, every path that
# worked before still works, on every kind of interface. One topology per kind
# (selftests/lib/kinds.sh: veth with and without NAPI on the peer, bridge as LAN,
# bridge as uplink, a tun uplink, one-armed, a gateway that masquerades (netfilter
# acting on forwarding), macvlan NICs (a container on a Docker or LXC macvlan
# network), MTU 9000, IPv6; VLAN and bond where the
# kernel has 8021q and bonding), neighbours that run NO XDP program, two sites running
# the real daemon (`meshgw run`) on wireguard-go (default, or argument "userspace") or
# kernel WireGuard (argument "kernel": in the VM, selftests/vm_kinds.t.sh).
# For each kind:
#   - the connectivity matrix (every machine pings every address) before meshgw;
#   - hA -> the internet host: pings, and TCP from a host behind a wire (full
#     checksums) and from one on the same machine (checksum offload, as a sibling
#     container or a VM sends it); hA <-> hB through the tunnel; hA -> its gateway;
#   - per-peer counters in `meshgw show -j` move by exactly the pings sent;
#   - what `show -j` says per NIC (dataplane.interfaces: xdp, xdp_target, reason) is
#     what this kind should get on this kernel (see ifaces_expected); on the veth
#     kind, where the kernel has xdp-features, the daemon follows it on a TC-only
#     NIC: GRO on the router's end makes a's uplink an XDP target, GRO off none
#     again, and show -j keeps saying why it has no XDP;
#   - probes answered both ways (`show -j`: probe_replies of the peer's endpoints);
#   - the matrix with meshgw running = the one before + the pairs the mesh joins,
#     hA -> gB's uplink address among them (b must not answer a connection from the
#     internet side into the tunnel: own_reply_ok); no neighbour runs XDP;
#   - `meshgw down`: the daemons stop and nothing is left (XDP, TC filters, tcx links, clsact,
#     pins under PinPath, /run/meshgw state, the WireGuard device, proto 109 routes),
#     checked before the cleanup removes anything;
#   - the matrix after down = the one before.
# Kinds run side by side, KINDS_JOBS (default 4) at a time, each in its own
# namespaces; the output comes in order, with a list of the failed checks at the
# end. KINDS="veth bridge-lan" runs a subset (KINDS="vlan bond": the kinds that need
# modules; skipped where the kernel cannot build them); KINDS_HOLD=SECONDS pauses each
# kind once the tunnel is up, to look around. KINDS_TIME_SCALE=N (default 1)
# stretches every wait and poll N times (the VM runs ~5-10x slower).
# KINDS_LAN_ONLY=1 (vm_kinds.t.sh, for vlan and bond, which change only site a's
# LAN) leaves out the checks that never cross that LAN: the probes both ways (the
# uplinks and site b are veth-napi's, which the host runs) and hA -> gB's uplink
# address (own_reply_ok). Gateways are
# entered with nsenter --net so the pins live on the host's bpffs. Pings: iputils'
# ping where there is one, else busybox's.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}
DPCTL=$OUT/selftests/helpers/dp_ctl
TCHOOKS=$OUT/selftests/helpers/tc_hooks	# tcx links too (Debian 12's tc does not show them)
# How meshgw attaches its TC programs on this kernel: tcx links (6.6+), else cls_bpf
if "$TCHOOKS" --tcx; then TC_KIND=tcx; else TC_KIND=cls_bpf; fi

BACKEND=${1:-userspace}
[ "$BACKEND" = kernel ] || [ "$BACKEND" = userspace ] || { echo "usage: $0 [userspace|kernel]" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, bpffs)"; exit 0; fi
for c in iperf3 nsenter ethtool python3 jq tc nft unshare genl fping $([ "$BACKEND" = userspace ] && echo wireguard-go); do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c missing"; exit 0; }
done
if [ "$BACKEND" = kernel ] && ! unshare -n ip link add w type wireguard 2>/dev/null; then
	echo "1..0 # SKIP this kernel has no WireGuard (selftests/vm_kinds.t.sh runs this in a VM)"; exit 0
fi
TS=${KINDS_TIME_SCALE:-1}
[[ $TS =~ ^[1-9][0-9]*$ ]] || { echo "KINDS_TIME_SCALE must be a whole number >= 1" >&2; exit 2; }
if ping -V >/dev/null 2>&1; then PING=ping; else PING="busybox ping"; fi
export PING
# How long a matrix ping waits for an answer: what the time to a reachable neighbour
# needs, also in the VM, and what each unreachable pair costs.
PW=$(((TS + 1) / 2))
tsleep() { sleep "$(awk -v s="$1" -v t="$TS" 'BEGIN { print s * t }')"; }	# tsleep SECONDS, scaled
# Does the kernel say which devices can take XDP frames (netdev xdp-features, 6.3+)?
# Where it cannot, meshgw trusts no virtual device as an XDP target.
if genl ctrl get name netdev >/dev/null 2>&1; then FEAT=1; else FEAT=0; fi
. "$SRC/selftests/lib/tap.sh"
. "$SRC/selftests/lib/kinds.sh"
KINDS=${KINDS:-$(kinds_all)}

s=$$
pin=/sys/fs/bpf/mgkm$s
tmp=$(mktemp -d /tmp/meshgw-kmatrix.$s.XXXX)
declare -A daemon wgpid
iperf_srv=

G() { # G a|b CMD [ARGS]: meshgw CMD on gateway a or b
	local x=$1 c=$2
	shift 2
	kx "g${x^^}" "$MESHGW" "$c" -c "$tmp/mesh.conf" -l "$tmp/$x.local" "$@"
}

# What a kind left: daemons, wireguard-go, iperf3 (all started by this test), then
# the namespaces. The leftovers check ran before this.
cleanup_kind() {
	local x p
	for x in a b; do
		p=${daemon[$x]:-}
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
		daemon[$x]=
		[ -n "${K_NS[g${x^^}]:-}" ] && G $x down >/dev/null 2>&1
		p=${wgpid[$x]:-}	# only if it still is our wireguard-go
		[ -n "$p" ] && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q "^wireguard-go -f ${K_WG_IF[$x]} " &&
			kill "$p"
		wgpid[$x]=
		[ -n "${K_WG_IF[$x]:-}" ] && remove_left "/run/meshgw/${K_WG_IF[$x]}.state" "/run/meshgw/${K_WG_IF[$x]}.lock"
	done
	[ -n "$iperf_srv" ] && kill "$iperf_srv" 2>/dev/null && wait "$iperf_srv" 2>/dev/null
	iperf_srv=
	kind_destroy
}
trap 'exit 1' INT TERM

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# --- configuration, written per kind (family, endpoints, interfaces) --------------------
keys=$tmp	# one pair of keys for every kind
(umask 077; "$MESHGW" genkey >"$keys/a.key"; "$MESHGW" genkey >"$keys/b.key")
pubA=$("$MESHGW" pubkey <"$keys/a.key") pubB=$("$MESHGW" pubkey <"$keys/b.key")
configure() {
	local x net m
	if [ "$K_FAM" = 6 ]; then net=fd00:254::/64 m=fd00:254:: ; else net=192.168.254.0/24 m=192.168.254. ; fi
	# No keepalive: idle counters must stand still for the exact-count check.
	cat >"$tmp/mesh.conf" <<-EOF
	[Mesh]
	Network = $net
	ListenPort = 51820
	PersistentKeepalive = off

	[Site a]
	Address = ${m}1
	PublicKey = $pubA
	Endpoint = ${K_EP[a]}
	Egress = ${K_EGRESS[a]}

	[Site b]
	Address = ${m}2
	PublicKey = $pubB
	Endpoint = ${K_EP[b]}
	Egress = ${K_EGRESS[b]}
	EOF
	for x in a b; do
		{
			printf '[Local]\nSite = %s\nPrivateKeyFile = %s\nLanInterface = %s\n' $x "$keys/$x.key" "${K_LAN_IF[$x]}"
			[ -n "${K_UP_IF[$x]}" ] && echo "UplinkInterface = ${K_UP_IF[$x]}"
			printf 'WireGuardInterface = %s\nBackend = %s\nPinPath = %s\n' "${K_WG_IF[$x]}" "$BACKEND" "$pin/$K_SFX/$x"
		} >"$tmp/$x.local"
	done
}

# --- the connectivity matrix -----------------------------------------------------------
SOURCES="hA gA ih gB hB"
DESTS="hA gAl gAu ih gBu gBl hB"
# matrix FILE: "SRC DST 0|1" for every source and every address not its own, all
# pinged at once (two pings, one answer is enough): one fping per source, all sources
# at once (a ping per pair was ~35 processes per matrix, 0.1-0.3 s each in the VM).
matrix() {
	local src dst pids=() addrs names
	for src in $SOURCES; do
		addrs=() names=()
		for dst in $DESTS; do
			[ -n "${K_ADDR[$dst]:-}" ] && [ "${K_OWNER[$dst]}" != "$src" ] &&
				addrs+=("${K_ADDR[$dst]}") names+=("$dst=${K_ADDR[$dst]}")
		done
		# "ADDR : xmt/rcv/%loss = 2/1/50%, ..." per address on stderr; an address that
		# cannot be sent to at all (no route) has a line too, rcv 0.
		kx "$src" fping -q -c 2 -p 200 -t $((PW * 1000)) "${addrs[@]}" 2>&1 |
			awk -v src="$src" -v names="${names[*]}" '
				/ : xmt\/rcv/ { split($5, v, "/"); got[$1] = v[2] > 0 }
				END { n = split(names, a, " ")
				      for (i = 1; i <= n; i++) { split(a[i], d, "=")
					      print src, d[1], (d[2] in got && got[d[2]]) ? 1 : 0 } }' >"$tmp/mx.$src" &
		pids+=($!)
	done
	wait "${pids[@]}"
	sort "$tmp"/mx.* >"$1"
	rm -f "$tmp"/mx.*
}
# The pairs the mesh joins: a machine of one site to an address in the other's LAN.
mesh_pair() {
	case "$1 $2" in
	"hA hB" | "hA gBl" | "gA hB" | "gA gBl" | "hB hA" | "hB gAl" | "gB hA" | "gB gAl") return 0 ;;
	esac
	return 1
}
# hA -> gB's uplink address (no NAT on the way, as with IPv6): gB's reply goes
# from an address outside its allowed IPs to a mesh host, so meshgw's route would
# take it into the tunnel and a's WireGuard would drop it (a routed VPN does that:
# wg-quick too). tc_wg's egress sends it out of the uplink instead (mg_own_addr):
# the pair is in the matrix like any other, and checked on its own line with gB's
# counter of such replies. (Policy rules in front of a table of meshgw's own did
# it too, and cost every forwarded packet: any IPv4 rule unmerges the kernel's
# local and main tables; kinds.sh measured forwarding on a veth LAN at 0.71 of the
# kernel's.)
own_replies() { "$DPCTL" stats "$pin/$K_SFX/b" | awk '$1 == "tc_wg_own_reply" { print $2 }'; }
# (one-armed: a's router masquerades the LAN, so gB answers a public address and
# its counter stays.)
own_reply_ok() {
	local n0 n1 d
	n0=$(own_replies)
	pings hA gBu 3 || return 1
	n1=$(own_replies)
	d=$((${n1:-0} - ${n0:-0}))
	echo "gB's tc_wg_own_reply: ${n0:-none} -> ${n1:-none}"
	# Behind NAT (one-armed: the site's router; nat: gateway a itself) hA's pings
	# reach gB from a's public address, which gB answers by its own route.
	if [ -n "${K_UP_IF[a]}" ] && [ "$K_KIND" != nat ]; then [ "$d" -ge 3 ]; else [ "$d" = 0 ]; fi
}
# recheck SRC:DST...: a second, slower look at pairs (a loaded machine may have
# been late), all at once; prints "SRC DST 0|1"
recheck() {
	local p pids=()
	for p; do
		{ if kx "${p%:*}" $PING -q -c 3 -i 0.3 -W $((2 * PW)) "${K_ADDR[${p#*:}]}" >/dev/null 2>&1
		  then echo "${p%:*} ${p#*:} 1"; else echo "${p%:*} ${p#*:} 0"; fi; } >"$tmp/rc.$p" &
		pids+=($!)
	done
	[ ${#pids[@]} = 0 ] || wait "${pids[@]}"
	cat "$tmp"/rc.* 2>/dev/null
	rm -f "$tmp"/rc.*
}
# compare_matrix BEFORE NOW [mesh]: NOW must equal BEFORE; with "mesh", the mesh
# pairs must be reachable too and other gains are only reported. A pair that looks
# wrong is looked at again before it counts.
compare_matrix() {
	local src dst r0 r1 bad=0 sus=()
	declare -A want
	while read -r src dst r0 && read -r _ _ r1 <&3; do
		if [ "${3:-}" = mesh ]; then
			if mesh_pair "$src" "$dst"; then want[$src:$dst]=1
			elif [ "$r0" = 1 ]; then want[$src:$dst]=1
			else [ "$r1" = 0 ] || echo "# $src -> $dst (${K_ADDR[$dst]}): gained"; continue
			fi
		else
			want[$src:$dst]=$r0
		fi
		[ "$r1" = "${want[$src:$dst]}" ] || sus+=("$src:$dst")
	done <"$1" 3<"$2"
	while read -r src dst r1; do
		[ "$r1" = "${want[$src:$dst]}" ] && continue
		bad=1
		if mesh_pair "$src" "$dst" && [ "${3:-}" = mesh ]; then
			echo "$src -> $dst (${K_ADDR[$dst]}): mesh pair not reachable"
		elif [ "$r1" = 0 ]; then
			echo "$src -> $dst (${K_ADDR[$dst]}): reachable before, not now"
		else
			echo "$src -> $dst (${K_ADDR[$dst]}): unreachable before, reachable now"
		fi
	done < <(recheck "${sus[@]}")
	return $bad
}

# --- checks ------------------------------------------------------------------------------
# pings FROM TO N [ping options]: N pings, every one answered
pings() {
	local from=$1 to=$2 n=$3
	shift 3
	kx "$from" $PING -q -c "$n" -i 0.05 -W "$TS" "$@" "${K_ADDR[$to]}" >"$tmp/ping" 2>&1
	cat "$tmp/ping"
	grep -qE " $n (packets )?received" "$tmp/ping"
}

tcp_to_internet() { # 1 MB hA -> ih with iperf3
	local rc
	# nsenter execs iperf3: $! is the server itself, ours to stop.
	nsenter --net="/run/netns/${K_NS[ih]}" iperf3 -s -1 -B "${K_ADDR[ih]}" >"$tmp/iperf-s.log" 2>&1 &
	iperf_srv=$!
	poll $((5 * TS)) bash -c "nsenter --net=/run/netns/${K_NS[ih]} ss -ltnH | grep -q ':5201 '"
	kx hA timeout $((10 * TS)) iperf3 -c "${K_ADDR[ih]}" -n 1M --connect-timeout $((2000 * TS)) >"$tmp/iperf.log" 2>&1
	rc=$?
	tail -3 "$tmp/iperf.log"
	kill "$iperf_srv" 2>/dev/null	# still waiting when the transfer failed
	wait "$iperf_srv" 2>/dev/null
	iperf_srv=
	return $rc
}
tcp_from_sibling() { # the same with checksum offload on hA's NIC
	local rc
	kind_offload hA on
	tcp_to_internet
	rc=$?
	kind_offload hA off
	return $rc
}

# SHOWS: python that runs `meshgw show -j` on both gateways at once (a slow VM
# pays for one) and leaves show["a"], show["b"] (None if it failed): ifaces_ok's.
SHOWS='
import json, subprocess, sys
meshgw, tmp, nsa, nsb = sys.argv[1:5]
procs = {x: subprocess.Popen(["nsenter", "--net=/run/netns/" + ns, meshgw, "show", "-j", "-c", tmp + "/mesh.conf",
                              "-l", "%s/%s.local" % (tmp, x)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
         for x, ns in (("a", nsa), ("b", nsb))}
show = {}
for x, p in procs.items():
    out = p.communicate()[0]
    try:
        show[x] = json.loads(out) if p.returncode == 0 else None
    except ValueError:
        show[x] = None
'
# nums: gateway a's numbers for peer b, then b's for a, from `meshgw show -j` on both
# gateways at once (a slow VM pays for one): lan_packets tx_packets rx_packets
# tx_bytes probe_replies probes_sent (the last two summed over the peer's
# endpoints); zeros for a gateway whose output is unreadable. One jq for both, not
# python3: probe_window polls it, and each start costs the VM 0.2 s (jq) to 1-2.5 s
# (python3).
NUMS='
def row($text; $p):
	($text | try fromjson catch null) as $j
	| if ($j | type) != "object" then "0 0 0 0 0 0" else
		[$j.peers[]? | select(.site == $p)][0] | (.bpf // {}) as $b
		| [$b.lan_packets // 0, $b.tx_packets // 0, $b.rx_packets // 0, $b.tx_bytes // 0,
		   ([.endpoints[]? | .probe_replies // 0] | add // 0),
		   ([.endpoints[]? | .probes_sent // 0] | add // 0)] | @sh
	  end;
row($a; "b"), row($b; "a")'
nums() {
	local x out pids=()
	for x in a b; do
		{ G $x show -j >"$tmp/nums.$x" 2>/dev/null || : >"$tmp/nums.$x"; } &
		pids+=($!)
	done
	wait "${pids[@]}"
	out=$(jq -rn --rawfile a "$tmp/nums.a" --rawfile b "$tmp/nums.b" "$NUMS" 2>/dev/null)
	[ "$(wc -w <<<"$out")" = 12 ] || out="0 0 0 0 0 0 0 0 0 0 0 0"
	echo $out
}

# 10 pings hA -> hB: gateway a counts them as LAN packets and tunnel tx for peer b,
# gateway b as rx from a; the replies the other way round.
counters_once() {
	local n0 n1 sent got size bad=0
	size=$([ "$K_FAM" = 6 ] && echo 104 || echo 84)	# IP header + ICMP echo of 56 bytes
	read -r -a n0 <<<"$(nums)"
	kx hA $PING -q -c 10 -i 0.05 -W "$TS" "${K_ADDR[hB]}" >"$tmp/ping" 2>&1
	read -r sent got < <(awk '/packets transmitted/ { print $1, $4 }' "$tmp/ping")
	read -r -a n1 <<<"$(nums)"
	echo "pings: $sent sent, $got answered"
	[ "${got:-0}" -gt 0 ] || bad=1
	cnt() { # cnt NAME INDEX WANT
		local d=$((n1[$2] - n0[$2]))
		[ "$d" = "$3" ] || { echo "$1: moved by $d, want $3"; bad=1; }
	}
	cnt "a: lan_packets for b" 0 "$sent"
	cnt "a: tx_packets to b" 1 "$sent"
	cnt "a: tx_bytes to b" 3 $((sent * size))
	cnt "a: rx_packets from b" 2 "$got"
	cnt "b: lan_packets for a" 6 "$got"
	cnt "b: tx_packets to a" 7 "$got"
	cnt "b: rx_packets from a" 8 "$sent"
	return $bad
}
# nat: while netfilter acts, tc_lan steers none of hA's pings to hB (the kernel
# forwards them through the rules) and tc_wg counts them as they enter the tunnel.
nat_path_ok() {
	local v0 v1 q='.dataplane.verdicts | "\(.tc_lan_redirect.packets) \(.tc_mesh.packets)"'
	v0=$(G a show -j | jq -r "$q")
	kx hA $PING -q -c 5 -i 0.05 -W "$TS" "${K_ADDR[hB]}" >/dev/null 2>&1
	v1=$(G a show -j | jq -r "$q")
	echo "gateway a's tc_lan_redirect, tc_mesh: $v0 -> $v1"
	[ -n "$v0" ] && [ "${v0% *}" = "${v1% *}" ] && [ $((${v1#* } - ${v0#* })) -ge 5 ]
}
counters_exact() { # a stray packet may move a counter: up to 3 rounds
	local i
	for i in 1 2 3; do counters_once && { echo "(round $i)"; return 0; }; done
	return 1
}

# ifaces_expected: per NIC that meshgw runs its programs on, "SITE NAME XDP TARGET
# REASON TC TC_HOOK" as `show -j` should say it (dataplane.interfaces; "-": not checked). Site b
# is always veth-napi. The rules (user/dataplane/dp_iface.c): no XDP on a veth (it would take
# GSO from its peer), none on a layer-3 device, none where the driver has no native
# XDP (bridge, VLAN); an XDP target only where the kernel says so (xdp-features,
# 6.3+: a veth while its peer has NAPI, which GRO on gives it), nowhere on a kernel
# that cannot say (6.1). No XDP on a bond either, though one with veth slaves takes
# native XDP: the program would run on the slaves and count nothing. (Whether a bond
# is a target where xdp-features exist follows its slaves: not checked there.)
# TC false: no program at all, the kernel forwards (dp_iface_lan_kernel): a veth LAN,
# or any LAN NIC while netfilter acts (the nat kind's bridge), on a gateway
# with an uplink of its own; a one-armed gateway's LAN keeps tc_lan. Where TC is
# true, its program is attached as this kernel's kind ($TC_KIND: tc_hook), else null.
ifaces_expected() { ifaces_rules | awk -v k="$TC_KIND" '{ print $0, ($6 == "true" ? k : "null") }'; }
ifaces_rules() {
	local napi=1 tf=(false true)
	[ "$K_KIND" = veth ] && napi=0
	echo "b ${K_LAN_IF[b]} false ${tf[FEAT]} veth false"
	echo "b ${K_UP_IF[b]} false ${tf[FEAT]} veth true"
	case $K_KIND in
	# a gateway that masquerades: netfilter acts, tc_lan could only hand packets on
	nat) echo "a ${K_LAN_IF[a]} false false no_native_xdp false" ;;
	bridge-lan | vlan | macvlan) echo "a ${K_LAN_IF[a]} false false no_native_xdp true" ;;
	bond) echo "a ${K_LAN_IF[a]} false $([ "$FEAT" = 1 ] && echo - || echo false) bond true" ;;
	one-armed) echo "a ${K_LAN_IF[a]} false ${tf[FEAT && napi]} veth true" ;;
	*) echo "a ${K_LAN_IF[a]} false ${tf[FEAT && napi]} veth false" ;;
	esac
	case $K_KIND in
	one-armed) ;;
	bridge-uplink | macvlan) echo "a ${K_UP_IF[a]} false false no_native_xdp true" ;;
	l3-uplink) echo "a ${K_UP_IF[a]} false false layer3 true" ;;
	*) echo "a ${K_UP_IF[a]} false ${tf[FEAT && napi]} veth true" ;;
	esac
}
# hA_reaches ROLE...: one ping from hA to each, answered
hA_reaches() {
	local r
	for r; do kx hA $PING -c 1 -W "$TS" "${K_ADDR[$r]}" >/dev/null || return 1; done
}
# lan_tc_is true|false: does show -j on gateway a say its LAN NIC runs tc_lan?
lan_tc_is() {
	[ "$(G a show -j | jq -r --arg n "${K_LAN_IF[a]}" \
		'.dataplane.interfaces[] | select(.name == $n) | .tc')" = "$1" ]
}
# uplink_is "XDP TARGET REASON": what show -j on gateway a says of its uplink.
uplink_is() {
	[ "$(G a show -j | jq -r --arg n "${K_UP_IF[a]}" \
		'.dataplane.interfaces[] | select(.name == $n) | "\(.xdp) \(.xdp_target) \(.reason)"')" = "$1" ]
}
# ifaces_ok: show -j on both gateways against ifaces_expected; prints what they say.
ifaces_ok() {
	ifaces_expected >"$tmp/ifaces.want"
	"$PY" -S -c "$SHOWS"'
got, bad = {}, 0
for x in "ab":
    if show[x] is None:
        print("%s: meshgw show -j failed" % x); bad = 1; continue
    for i in (show[x].get("dataplane") or {}).get("interfaces") or []:
        got[(x, i["name"])] = i
        i["tc_hook"] = i.get("tc_hook") or "null"
        print("%s %s: %s (%s), xdp_target %s, reason %s (%s)" % (x, i["name"],
              "XDP + TC" if i["xdp"] else "TC only" if i.get("tc", True) else "no program",
              i["tc_hook"], str(i["xdp_target"]).lower(), i["reason"], i["reason_text"]))
for line in open(sys.argv[5]):
    x, name, xdp, target, reason, tc, tc_hook = line.split()
    i = got.get((x, name))
    if i is None:
        print("%s %s: not in dataplane.interfaces of show -j" % (x, name)); bad = 1; continue
    for k, want in (("xdp", xdp), ("xdp_target", target), ("reason", reason), ("tc", tc),
                    ("tc_hook", tc_hook)):
        have = str(i[k]).lower() if isinstance(i[k], bool) else i[k]
        if want != "-" and have != want:
            print("%s %s: %s is %s, want %s" % (x, name, k, have, want)); bad = 1
sys.exit(bad)
' "$MESHGW" "$tmp" "${K_NS[gA]}" "${K_NS[gB]}" "$tmp/ifaces.want" | tee "$tmp/ifaces.got"
	return "${PIPESTATUS[0]}"
}

# Probes over a window in which each daemon sent at least one (every 2 s when all is
# well, every 50 ms while a peer is in trouble): answered if at least one reply came
# and at most one probe (in flight) did not. Sets probe_a and probe_b to 0 or 1 and
# prints the counts.
probe_verdict() { # from n0, n1
	sa=$((n1[5] - n0[5])) ra=$((n1[4] - n0[4])) sb=$((n1[11] - n0[11])) rb=$((n1[10] - n0[10]))
	probe_a=0 probe_b=0
	[ "$ra" -ge 1 ] && [ "$ra" -ge $((sa - 1)) ] && probe_a=1
	[ "$rb" -ge 1 ] && [ "$rb" -ge $((sb - 1)) ] && probe_b=1
}
probe_window() {
	local n0 n1 end=$((SECONDS + 8 * TS)) sa sb ra rb
	read -r -a n0 <<<"$(nums)"
	while :; do
		sleep 0.5
		read -r -a n1 <<<"$(nums)"
		sa=$((n1[5] - n0[5])) sb=$((n1[11] - n0[11]))
		[ "$sa" -ge 1 ] && [ "$sb" -ge 1 ] && break
		[ $SECONDS -lt $end ] || break
	done
	probe_verdict
	if [ "$probe_a$probe_b" != 11 ]; then	# the last replies may be on their way
		tsleep 0.3
		read -r -a n1 <<<"$(nums)"
		probe_verdict
	fi
	probe_msg_a="a sent $sa probes to b, $ra replies (since start: ${n1[5]} sent, ${n1[4]} replies)"
	probe_msg_b="b sent $sb probes to a, $rb replies (since start: ${n1[11]} sent, ${n1[10]} replies)"
}

# wg_gone PID: no wireguard-go runs with that PID (a zombie has exited: the daemon
# that started it reaps it when it stops).
wg_gone() {
	[ -z "$1" ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" != wireguard-go ] ||
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# leftovers X: what gateway X still has of meshgw after `meshgw down`; 1 if anything.
# Few processes (each costs 0.1-0.3 s in the VM): one `ip` for the links, one
# `tc -b` for the qdiscs and every device's filters (a device is named only when
# there is something to show), one `ip` for the routes of both families.
leftovers() {
	local x=$1 ns=${K_NS[g${1^^}]} wg=${K_WG_IF[$1]} dev dir f=0 links devs=() tcout hooks
	links=$(ip -n "$ns" -d -o link show 2>/dev/null)
	if grep -E 'prog/xdp|xdpgeneric|xdpdrv' <<<"$links"; then f=1; fi
	while read -r dev; do devs+=("$dev"); done < <(awk -F': ' '{ sub("@.*", "", $2); print $2 }' <<<"$links")
	tcout=$({ echo "qdisc show"; for dev in "${devs[@]}"; do
		echo "filter show dev $dev ingress"; echo "filter show dev $dev egress"; done; } |
		tc -n "$ns" -force -b - 2>/dev/null)
	if grep clsact <<<"$tcout"; then f=1; fi
	hooks=$(ip netns exec "$ns" "$TCHOOKS" "${devs[@]}" 2>&1)
	if [ -n "$hooks" ]; then echo "on the TC hooks:"; echo "$hooks"; f=1; fi
	if grep -q '^filter' <<<"$tcout"; then
		for dev in "${devs[@]}"; do
			for dir in ingress egress; do
				if [ -n "$(tc -n "$ns" filter show dev "$dev" $dir 2>/dev/null)" ]; then
					echo "$dev: a TC filter on $dir:"; tc -n "$ns" filter show dev "$dev" $dir
				fi
			done
		done
		f=1
	fi
	if [ -e "$pin/$K_SFX/$x" ]; then echo "PinPath $pin/$K_SFX/$x still there:"; find "$pin/$K_SFX/$x"; f=1; fi
	[ -e "/run/meshgw/$wg.state" ] && { echo "/run/meshgw/$wg.state"; f=1; }
	[ -e "/run/meshgw/$wg.lock" ] && { echo "/run/meshgw/$wg.lock"; f=1; }
	if printf '%s\n' "${devs[@]}" | grep -qxF "$wg"; then echo "$wg still there"; f=1; fi
	# "table all" without a family: both IPv4 and IPv6, every table.
	if [ -n "$(ip -n "$ns" route show table all proto 109)" ]; then
		echo "routes of proto 109:"; ip -n "$ns" route show table all proto 109; f=1
	fi
	if ! poll 3 wg_gone "${wgpid[$x]:-}"; then echo "wireguard-go ${wgpid[$x]} still running"; f=1; fi
	return $f
}

# Both at once: each `down` waits up to 2 s for a wireguard-go that the daemon
# started (a zombie until the daemon reaps it).
down_both() {
	local pa pb
	G a down >"$tmp/down.a" 2>&1 & pa=$!
	G b down >"$tmp/down.b" 2>&1 & pb=$!
	wait $pa; local ra=$?
	wait $pb; local rb=$?
	cat "$tmp/down.a" "$tmp/down.b"
	[ $ra = 0 ] && [ $rb = 0 ]
}
plain_neighbours() {
	local r
	for r in "${!K_NS[@]}"; do
		[ "$r" = gA ] || [ "$r" = gB ] && continue
		if ip -n "${K_NS[$r]}" -d link show | grep -E 'prog/xdp|xdpgeneric|xdpdrv'; then echo "in $r"; return 1; fi
	done
}
both_up() { grep -q "^meshgw: running: site a" "$tmp/a.log" && grep -q "^meshgw: running: site b" "$tmp/b.log"; }
daemons_stopped() { ! kill -0 "${daemon[a]}" 2>/dev/null && ! kill -0 "${daemon[b]}" 2>/dev/null; }
both_running() { kill -0 "${daemon[a]}" && kill -0 "${daemon[b]}"; }

# --- one kind ------------------------------------------------------------------------------
# run_kind KIND SUFFIX: its TAP lines, numbered from 1. Runs in a subshell of its own
# (kinds run side by side), which cleans up after itself.
run_kind() {
	local k=$1 x big of start=$SECONDS
	K_SFX=$2 n=0 failed=0
	if ! x=$(kind_supported "$k"); then ok "$k # SKIP $x"; return; fi
	trap cleanup_kind EXIT
	trap 'exit 1' INT TERM
	if ! kind_create "$k" >"$tmp/create.$k" 2>&1; then
		not_ok "$k: topology"; sed 's/^/#   /' "$tmp/create.$k"; return
	fi
	tmp=$tmp/$k.$2	# this kind's files
	mkdir "$tmp"
	configure
	matrix "$tmp/before"
	t "$k: before meshgw, hA reaches the internet host and hB its gateway" \
		bash -c "grep -qx 'hA ih 1' $tmp/before && grep -qx 'hB gBl 1' $tmp/before"
	# Jumbo pings in the MTU 9000 kind (IPv4: fragmented where the MTU is smaller).
	big=()
	[ "$K_MTU" = 9000 ] && big=(-s 8000 $([ "$PING" = ping ] && echo -M dont))
	of=${big:+ of 8000 bytes}

	for x in a b; do
		# nsenter execs meshgw: $! is the daemon itself.
		nsenter --net="/run/netns/${K_NS[g${x^^}]}" "$MESHGW" run -c "$tmp/mesh.conf" \
			-l "$tmp/$x.local" >"$tmp/$x.log" 2>&1 &
		daemon[$x]=$!
	done
	# "running:" comes after `up` attached the data plane; the tunnel alone works
	# earlier (WireGuard and routes come first), with no XDP program on the NICs yet.
	t "$k: meshgw run on both gateways (up done, data plane attached)" \
		poll $((20 * TS)) both_up
	t "$k: hA reaches hB through the tunnel" poll $((20 * TS)) kx hA $PING -c 1 -W "$TS" "${K_ADDR[hB]}"
	t "$k: the neighbours run no XDP program (only the gateways do)" plain_neighbours
	for x in a b; do	# wireguard-go started by our daemons, for the cleanup
		wgpid[$x]=$(awk '$1 == "wg_pid" { print $2 }' "/run/meshgw/${K_WG_IF[$x]}.state" 2>/dev/null)
	done
	if [ -n "${KINDS_HOLD:-}" ]; then
		echo "# holding $KINDS_HOLD s: namespaces ${K_NS[*]}, files in $tmp"; sleep "$KINDS_HOLD"
	fi
	t "$k: hA -> internet host, 10 pings$of" pings hA ih 10 "${big[@]}"
	t "$k: hA -> internet host, TCP 1 MB, from a host behind a wire" tcp_to_internet
	t "$k: hA -> internet host, TCP 1 MB, checksum offload on (a sibling container or VM)" tcp_from_sibling
	t "$k: hA -> hB, 10 pings$of" pings hA hB 10 "${big[@]}"
	t "$k: hB -> hA, 10 pings$of" pings hB hA 10 "${big[@]}"
	t "$k: hA -> its gateway's LAN address, 10 pings$of" pings hA gAl 10 "${big[@]}"
	t "$k: per-peer counters in show -j moved by exactly the pings hA -> hB" counters_exact
	[ "$K_KIND" = nat ] &&
		t "$k: the mesh traffic took the kernel's path (netfilter acts), tc_wg counted it" nat_path_ok
	x=$failed
	t "$k: show -j: per NIC, XDP or TC only and why, as expected for this kind" ifaces_ok
	[ "$failed" = "$x" ] && sed 's/^/#   /' "$tmp/ifaces.got"	# (t showed it on failure)
	if [ "$K_KIND" = bridge-lan ]; then
		# Netfilter starts acting on forwarded traffic (a rule in a forward chain):
		# the daemon leaves the bridge LAN to the kernel (tc_lan could only hand
		# packets on); the rule gone, tc_lan is back.
		t "$k: a rule in a forward chain of gateway a" kx gA nft -f - <<-EOF
		table inet mgk$K_SFX {
			chain forward { type filter hook forward priority 0; policy accept; counter; }
		}
		EOF
		t "$k:   the daemon leaves the LAN to the kernel" poll $((5 * TS)) lan_tc_is false
		t "$k:   hA -> hB and -> the internet host still" hA_reaches hB ih
		kx gA nft delete table inet "mgk$K_SFX"
		t "$k: the rule gone: tc_lan on the LAN again" poll $((5 * TS)) lan_tc_is true
	fi
	if [ "$K_KIND" = veth ] && [ "$FEAT" = 1 ]; then
		# The daemon follows what the kernel says of a NIC that runs TC only: the
		# router's end of a's uplink gets GRO (so NAPI), and the uplink can take
		# XDP frames; GRO off again, it cannot.
		kind_napi_on in "ra$K_SFX"
		t "$k: GRO on the router's end: the daemon makes a's uplink an XDP target (TC only still)" \
			poll $((5 * TS)) uplink_is "false true veth"
		kx in ethtool -K "ra$K_SFX" gro off >/dev/null
		t "$k: GRO off again: no XDP target" poll $((5 * TS)) uplink_is "false false veth"
		t "$k: the daemon said both" bash -c "grep -q '${K_UP_IF[a]}: fast path on again' '$tmp/a.log' &&
			grep -q '${K_UP_IF[a]}: fast path off' '$tmp/a.log'"
	fi
	if [ -z "${KINDS_LAN_ONLY:-}" ]; then
		probe_window
		t "$k: a's probes to b answered" eval "echo '$probe_msg_a'; [ $probe_a = 1 ]"
		t "$k: b's probes to a answered" eval "echo '$probe_msg_b'; [ $probe_b = 1 ]"
	fi
	matrix "$tmp/running"
	t "$k: matrix with meshgw running = before + the mesh pairs, nothing lost" \
		compare_matrix "$tmp/before" "$tmp/running" mesh
	[ -n "${KINDS_LAN_ONLY:-}" ] ||
		t "$k: hA -> gB's uplink address: gB's replies leave by its uplink, not the tunnel" own_reply_ok
	t "$k: daemons still running" both_running

	t "$k: meshgw down on both gateways" down_both
	t "$k: the daemons stop by themselves" poll $((10 * TS)) daemons_stopped
	for x in a b; do	# reaped: their PIDs are not ours any more
		if ! kill -0 "${daemon[$x]}" 2>/dev/null; then wait "${daemon[$x]}" 2>/dev/null; daemon[$x]=; fi
	done
	t "$k: nothing left in gateway a (XDP, TC, pins, state and lock, device, routes)" leftovers a
	t "$k: nothing left in gateway b" leftovers b
	matrix "$tmp/after"
	t "$k: matrix after down = before" compare_matrix "$tmp/before" "$tmp/after"
	if [ "$failed" != 0 ]; then
		for x in a b; do echo "# daemon $x:"; sed 's/^/#   /' "$tmp/$x.log" | tail -12; done
	fi
	cleanup_kind
	remove_pin_root "${pin:?}/$K_SFX"	# after the nothing-left check above
	echo "# kind $k took $((SECONDS - start)) s"
}

# --- all kinds, KINDS_JOBS (default 4) at a time; output in order, renumbered --------------
kpid=()
read -r -a kinds <<<"$KINDS"
next=0	# the next kind whose output is printed
summary=()
print_done() { # prints the outputs of the finished kinds, in order
	local line kind
	while [ "$next" -lt "${#kinds[@]}" ] && [ -n "${kpid[$next]:-}" ] && ! kill -0 "${kpid[$next]}" 2>/dev/null; do
		wait "${kpid[$next]}"
		kpid[$next]=
		kind=${kinds[$next]}
		echo "# --- kind $kind"
		while IFS= read -r line; do
			if [[ $line =~ ^ok\ [0-9]+\ -\ (.*) ]]; then
				ok "${BASH_REMATCH[1]}"
			elif [[ $line =~ ^not\ ok\ [0-9]+\ -\ (.*) ]]; then
				not_ok "${BASH_REMATCH[1]}"
				[[ ${BASH_REMATCH[1]} == *"# TODO"* ]] || summary+=("${BASH_REMATCH[1]}")
			else
				echo "$line"
			fi
		done <"$tmp/tap.$next"
		next=$((next + 1))
	done
}
stop_kinds() {
	local p
	for p in "${kpid[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${kpid[@]}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
}
trap 'stop_kinds; remove_pin_root "$pin"; rm -rf "$tmp"' EXIT
t0=$SECONDS
for j in "${!kinds[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "${KINDS_JOBS:-4}" ]; do
		wait -n
		print_done
	done
	( run_kind "${kinds[$j]}" "$s$j" ) >"$tmp/tap.$j" 2>&1 &
	kpid[$j]=$!
done
while [ "$next" -lt "${#kinds[@]}" ]; do
	wait -n
	print_done
done
rmdir "$pin" 2>/dev/null
echo "# all kinds: $((SECONDS - t0)) s"
if [ ${#summary[@]} -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${summary[@]}"
fi
tap_done
