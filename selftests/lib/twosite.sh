# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# shellcheck disable=SC2154 # $pubA, $pubB: set by twosite_keys through eval
# The two-site topology the host tests and the tunnel bench share, built in one place:
#
#   hA ── lan0 ── gA ══ wan0 203.0.113.1/.2 ══ gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1     (mesh 192.168.254.0/24)      10.2.0.1   10.2.0.2
#   eth0                   wgA 192.168.254.1  wgB .2                  eth0
#
# gA, gB are the gateways, hA, hB a host on each LAN. The neighbours run no XDP
# program, as on a user's network. Source it after tap.sh (tests) or on its own (the
# bench: it sources leftovers.sh itself), then:
#
#   twosite_require ARG TOOL...   $BACKEND from the script's argument (userspace,
#                           the default, or kernel), and a TAP SKIP (exit 0) unless
#                           root with every TOOL (and wireguard-go for userspace)
#   twosite_init PREFIX     names for this run (PREFIX + role + $$), $tmp, $pin,
#                           and the EXIT trap that runs twosite_cleanup
#   twosite_topology [ipv6|no-ipv6]   the picture above (or its pieces: twosite_ns,
#                           twosite_wan, twosite_lan)
#   twosite_internet NS, twosite_plug NS IF N   an "internet" bridge instead of wan0
#   twosite_keys [SITE...]  a.key, b.key (and SITE.key), secret; $pubA, $pubB, ...
#   twosite_mesh [...]      the mesh file on stdout; twosite_local SITE [LINE...]
#   wg_start NS IF, twosite_wg   plain WireGuard, kernel or wireguard-go ($BACKEND)
#   record_wg_pid IF        a wireguard-go that `meshgw up` started, for the cleanup
#   twosite_plain NS...     the namespaces' links carry no XDP program (the
#                           gateways' neighbours, as on a user's network); 1 if any
#   tc_progs NS DEV DIR     the names of the BPF programs on DEV's ingress or egress
#                           hook, tcx links and meshgw's cls_bpf filter alike
#                           (helpers/tc_hooks: Debian 12's tc does not show tcx)
#   tc_kind                 how meshgw attaches TC programs on this kernel (TcHook =
#                           auto): tcx (6.6+) or cls_bpf
#   tc_clean NS DEV         nothing on DEV's TC hooks: no clsact qdisc, no tcx link,
#                           no filter at meshgw's handle/priority
#
# Gateways are entered with nsenter --net (N NS CMD...), so that pins live on the
# host's bpffs (ip netns exec would give each command a private /sys).
. "$(dirname "${BASH_SOURCE[0]}")/leftovers.sh"

OUT=${OUT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
MESHGW=${MESHGW:-$OUT/meshgw}
BACKEND=${BACKEND:-userspace}

N() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }

TCHOOKS=${TCHOOKS:-$OUT/selftests/helpers/tc_hooks}
tc_progs() { N "$1" "$TCHOOKS" "$2" | awk -v d="$3" '$2 == d { print $5 }'; }
export TCHOOKS
tc_kind() {
	[ -x "$TCHOOKS" ] || { echo "Bail out! $TCHOOKS missing (make $TCHOOKS)" >&2; exit 1; }
	if "$TCHOOKS" --tcx; then echo tcx; else echo cls_bpf; fi
}
tc_clean() { ! N "$1" tc qdisc show dev "$2" | grep -q clsact && [ -z "$(N "$1" "$TCHOOKS" "$2")" ]; }
# mg_own_addr under pin directory PIN (dp_own_addr.h): "ADDR NEXTHOP" per entry,
# sorted; own_is PIN WANT compares them, space-joined, and says what it found;
# own_wait PIN WANT polls for it (a daemon follows the kernel's changes).
own_list() {
	bpftool -j map dump pinned "$1/mg_own_addr" | jq -r '.[] | .formatted // . |
		(.key.family) as $f | ($f == 2 | if . then 4 else 16 end) as $n |
		def ip(b; n): if n == 4 then (b[0:4] | map(tostring) | join("."))
			      else ([range(0; 16; 2) as $i | (b[$i] * 256 + b[$i + 1]) | tostring] | join(":")) end;
		"\(ip(.key.addr; $n)) \(ip(.value.nh; (if .value.nh_family == 2 then 4 else 16 end)))"' | sort
}
own_is() { local got; got=$(own_list "$1" | paste -sd' '); echo "mg_own_addr: ${got:-(empty)}"; [ "$got" = "$2" ]; }
own_wait() { poll 10 own_is "$1" "$2" || own_is "$1" "$2"; }	# (the second look says what it is)
# state_full DIR WG NS MESHGW ARG...: `MESHGW ARG...` in NS, in a mount namespace of
# its own where /run/meshgw is a full 64 KiB tmpfs holding copies of WG's state and
# lock (DIR/run keeps them meanwhile): a state file that cannot be written, a
# failure late in `up`. Its status is meshgw's.
state_full() {
	unshare -m bash -c 'set -e; dir=$1 wg=$2 ns=$3; shift 3
		mkdir -p "$dir/run"; cp "/run/meshgw/$wg.state" "/run/meshgw/$wg.lock" "$dir/run/"
		mount -t tmpfs -o size=64k mgtest /run/meshgw; cp "$dir"/run/* /run/meshgw/
		dd if=/dev/zero of=/run/meshgw/fill bs=4k 2>/dev/null || true
		exec nsenter --net="/run/netns/$ns" "$@"' state_full "$@"
}
export -f N tc_progs tc_clean state_full

# ipr ARGS (the root namespace) and ipn NS ARGS: `ip`, or, between twosite_batch and
# twosite_flush, a line queued for one `ip -b` per namespace (the root's first, then
# each namespace in the order first named). In the VM (TCG) every `ip` takes
# 0.15-0.4 s to start and the topology is ~30 of them; on the host it changes nothing.
declare -A _ipq=()
_ipns=() _ipb=0
ipr() { if [ "$_ipb" = 1 ]; then _ipq[.]+="$*"$'\n'; else ip "$@"; fi; }
ipn() {
	local ns=$1
	shift
	if [ "$_ipb" = 0 ]; then ip -n "$ns" "$@"; return; fi
	[ -n "${_ipq[$ns]+x}" ] || _ipns+=("$ns")
	_ipq[$ns]+="$*"$'\n'
}
twosite_batch() { _ipb=1 _ipq=() _ipns=(); }
# twosite_flush [root]: run what was queued (only the root's with "root"); 1 (and ip's
# message naming the line) at the first command that fails.
twosite_flush() {
	local ns
	if [ -n "${_ipq[.]:-}" ]; then
		ip -b - <<<"${_ipq[.]}" || { _ipb=0; return 1; }
		_ipq[.]=
	fi
	[ "${1:-}" = root ] && return 0
	_ipb=0
	for ns in "${_ipns[@]}"; do
		ip -n "$ns" -b - <<<"${_ipq[$ns]}" || return 1
	done
	_ipq=() _ipns=()
}

twosite_require() {
	BACKEND=${1:-userspace}
	shift
	[ "$BACKEND" = kernel ] || [ "$BACKEND" = userspace ] ||
		{ echo "usage: $0 [userspace|kernel]" >&2; exit 2; }
	if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, bpffs)"; exit 0; fi
	local c
	for c in "$@" $([ "$BACKEND" = userspace ] && echo wireguard-go); do
		command -v "$c" >/dev/null || { echo "1..0 # SKIP $c missing"; exit 0; }
	done
}

# twosite_init PREFIX: PREFIX (1-2 letters, unique per script) keeps names apart when
# tests run side by side; $$ keeps two runs of one script apart. WireGuard names must
# be unique on the host: /run/meshgw/IF.state and wireguard-go's socket are global.
twosite_init() {
	local p=$1
	s=$$
	gA=${p}ga$s gB=${p}gb$s hA=${p}ha$s hB=${p}hb$s
	wgA=${p}wa$s wgB=${p}wb$s
	pin=/sys/fs/bpf/mg$p$s	# parent of the PinPaths a script gives: $pin/a, $pin/b
	tmp=$(mktemp -d "/tmp/meshgw-$p.$s.XXXX")
	nss=() pids=() wggo_pids=()
	trap twosite_cleanup EXIT
}

# twosite_plain NS...: no link in the namespaces runs an XDP program; names any.
twosite_plain() {
	local ns bad=0
	for ns; do
		if ip -n "$ns" -o link show | grep -q 'prog/xdp'; then
			echo "$ns: $(ip -n "$ns" -o link show | grep 'prog/xdp' | cut -d: -f2 | xargs)"
			bad=1
		fi
	done
	return $bad
}

# twosite_ns NAME...: network namespaces with lo up, deleted by the cleanup.
twosite_ns() {
	local ns
	for ns; do
		ipr netns add "$ns"
		nss+=("$ns")
		ipn "$ns" link set lo up
	done
}

# twosite_wan: gA's and gB's wan0, one veth, 203.0.113.1 and .2.
twosite_wan() {
	ipr link add wan0 netns "$gA" type veth peer name wan0 netns "$gB"
	ipn "$gA" addr add 203.0.113.1/24 dev wan0 && ipn "$gA" link set wan0 up
	ipn "$gB" addr add 203.0.113.2/24 dev wan0 && ipn "$gB" link set wan0 up
}

# twosite_internet NS: NS is "the internet", a bridge br0 the gateways' uplinks plug
# into (203.0.113.0/24) with twosite_plug NS IF N: NS's IF on the bridge as
# 203.0.113.N, its bridge port pN (down it to cut that site off).
twosite_internet() {
	inet=$1
	ip -n "$inet" link add br0 type bridge && ip -n "$inet" link set br0 up
}
twosite_plug() {
	ip link add "$2" netns "$1" type veth peer name "p$3" netns "$inet"
	ip -n "$inet" link set "p$3" master br0 up
	ip -n "$1" addr add "203.0.113.$3/24" dev "$2" && ip -n "$1" link set "$2" up
}

# twosite_lan A|B [ipv6]: the gateway's lan0 and the host's eth0, 10.N.0.1 and .2
# (N 1 for A, 2 for B), the host routing through the gateway; with ipv6, fd0N::1
# and ::2 as well.
twosite_lan() {
	local g h n
	eval g=\$g$1 h=\$h$1
	n=$([ "$1" = A ] && echo 1 || echo 2)
	ipr link add lan0 netns "$g" type veth peer name eth0 netns "$h"
	ipn "$g" addr add 10.$n.0.1/24 dev lan0 && ipn "$g" link set lan0 up
	ipn "$h" addr add 10.$n.0.2/24 dev eth0 && ipn "$h" link set eth0 up
	ipn "$h" route add default via 10.$n.0.1
	if [ "${2:-}" = ipv6 ]; then
		ipn "$g" addr add fd0$n::1/64 dev lan0 nodad
		ipn "$h" addr add fd0$n::2/64 dev eth0 nodad
		ipn "$h" route add default via fd0$n::1	# IPv6: from the gateway's family
	fi
}

# twosite_topology [ipv6|no-ipv6]: the whole picture, in one `ip -b` per namespace.
# no-ipv6 turns IPv6 off in all four namespaces before any link is up (its
# autoconfiguration sends packets that would move counters).
twosite_topology() {
	local ns
	twosite_batch
	twosite_ns "$gA" "$gB" "$hA" "$hB"
	twosite_wan
	twosite_lan A "${1:-}"
	twosite_lan B "${1:-}"
	twosite_flush root || return 1
	if [ "${1:-}" = no-ipv6 ]; then
		for ns in "$gA" "$gB" "$hA" "$hB"; do
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
				net.ipv6.conf.default.disable_ipv6=1
		done
	fi
	twosite_flush
}

# twosite_keys [SITE...]: private keys of a, b (and each SITE) in $tmp/SITE.key, a mesh
# secret in $tmp/secret, and the public keys in $pubA, $pubB (and $pubSITE upper-case).
twosite_keys() {
	local x X
	for x in a b "$@"; do
		X=$(echo "$x" | tr '[:lower:]' '[:upper:]')
		(umask 077; "$MESHGW" genkey >"$tmp/$x.key")
		eval "pub$X=\$(\"\$MESHGW\" pubkey <\"\$tmp/\$x.key\")"
	done
	(umask 077; "$MESHGW" genpsk >"$tmp/secret")
}

# mesh_site NAME ADDRESS PUBKEY [LINE...]: one [Site] section, LINE as "Key = value".
mesh_site() {
	local l
	printf '\n[Site %s]\nAddress = %s\nPublicKey = %s\n' "$1" "$2" "$3"
	for l in "${@:4}"; do echo "$l"; done
}

# twosite_mesh [-k KEEPALIVE] [-6] [-a LINE]... [-b LINE]...: the mesh file of sites a
# and b on stdout, each with its wan0 address as its first endpoint and its LAN as
# egress. -k sets PersistentKeepalive, -6 adds the LANs' IPv6 ranges as egress, -a
# and -b add lines (another Endpoint or Egress) to a's or b's section.
twosite_mesh() {
	local keepalive='' v6='' a=() b=() o OPTIND=1
	while getopts k:6a:b: o; do
		case $o in
		k) keepalive=$OPTARG ;;
		6) v6=1 ;;
		a) a+=("$OPTARG") ;;
		b) b+=("$OPTARG") ;;
		*) return 2 ;;
		esac
	done
	printf '[Mesh]\nNetwork = 192.168.254.0/24\nListenPort = 51820\n'
	[ -n "$keepalive" ] && echo "PersistentKeepalive = $keepalive"
	mesh_site a 192.168.254.1 "$pubA" "Endpoint = 203.0.113.1:51820" "Egress = 10.1.0.0/24" \
		${v6:+"Egress = fd01::/64"} "${a[@]}"
	mesh_site b 192.168.254.2 "$pubB" "Endpoint = 203.0.113.2:51820" "Egress = 10.2.0.0/24" \
		${v6:+"Egress = fd02::/64"} "${b[@]}"
}

# twosite_local SITE [LINE...]: $tmp/SITE.local, site SITE's local file: its key, lan0,
# its WireGuard interface ($wgA or $wgB), then each LINE ("Key = value").
twosite_local() {
	local x=$1 wg l
	eval "wg=\$wg$(echo "$x" | tr ab AB)"
	shift
	{
		printf '[Local]\nSite = %s\nPrivateKeyFile = %s\nLanInterface = lan0\nWireGuardInterface = %s\n' \
			"$x" "$tmp/$x.key" "$wg"
		for l; do echo "$l"; done
	} >"$tmp/$x.local"
}

# wg_start NS IF: a WireGuard link IF in NS that meshgw did not create: kernel WireGuard
# with BACKEND=kernel, else a wireguard-go the test runs (its PID kept in $pids for the
# cleanup). Returns once wireguard-go answers on its socket.
wg_start() {
	if [ "$BACKEND" = kernel ]; then
		ip -n "$1" link add "$2" type wireguard
		return
	fi
	# Not through N: a function run in the background is a subshell, and killing $!
	# would leave wireguard-go running. nsenter execs it.
	WG_PROCESS_FOREGROUND=1 nsenter --net=/run/netns/"$1" wireguard-go -f "$2" >"$tmp/$2.log" 2>&1 &
	pids+=($!)
	local _
	for _ in $(seq 100); do [ -S "/run/wireguard/$2.sock" ] && return 0; sleep 0.05; done
	echo "wireguard-go did not start for $2:" >&2
	cat "$tmp/$2.log" >&2
	return 1
}

# wg_link NS IF KEY ADDR PEERPUB PEERENDPOINT PEERNETS ROUTE: IF started and set up by
# hand, with one peer and a route to its LAN (what meshgw would do, without meshgw).
wg_link() {
	wg_start "$1" "$2"
	N "$1" wg set "$2" listen-port 51820 private-key "$3" peer "$5" endpoint "$6" allowed-ips "$7"
	N "$1" ip addr add "$4" dev "$2"
	N "$1" ip link set "$2" up
	N "$1" ip route add "$8" dev "$2"
}

# twosite_wg: plain WireGuard between the gateways ($wgA, $wgB), no meshgw: for the
# tests that attach the data plane alone (dp_ctl), and the bench.
twosite_wg() {
	wg_link "$gA" "$wgA" "$tmp/a.key" 192.168.254.1/24 "$pubB" 203.0.113.2:51820 \
		192.168.254.2/32,10.2.0.0/24 10.2.0.0/24
	wg_link "$gB" "$wgB" "$tmp/b.key" 192.168.254.2/24 "$pubA" 203.0.113.1:51820 \
		192.168.254.1/32,10.1.0.0/24 10.1.0.0/24
}

# record_wg_pid IF: the wireguard-go that `meshgw up` started for IF (from its state
# file), so that the cleanup can name it if `down` did not stop it. $wggo_pids holds
# the wireguard-go processes the test did not start itself (meshgw's, wg-quick's).
record_wg_pid() {
	local p
	p=$(awk '$1 == "wg_pid" { print $2 }' "/run/meshgw/$1.state" 2>/dev/null || true)
	[ -n "$p" ] && [ "$p" != 0 ] && wggo_pids+=("$p")
	return 0
}

# twosite_cleanup (the EXIT trap): the script's before_cleanup first if it defines one
# (a daemon to stop), then `meshgw down` on each site that has a local file, the
# processes the test started, the namespaces. What meshgw should have removed and
# did not (state and lock, pins, wireguard-go and its socket) is named as it goes: a full run
# checked it gone already (nothing_left), so only a failed or cut-short run has any.
twosite_cleanup() {
	set +e
	local x g wg p
	declare -F before_cleanup >/dev/null && before_cleanup
	for x in a b; do
		[ -e "$tmp/$x.local" ] || continue
		eval "g=\$g$(echo "$x" | tr ab AB)"
		[ -e "/run/netns/$g" ] && N "$g" "$MESHGW" down -l "$tmp/$x.local" >/dev/null 2>&1
	done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for p in "${wggo_pids[@]}"; do
		if [ "$(cat /proc/$p/comm 2>/dev/null)" = wireguard-go ]; then
			echo "# cleanup: wireguard-go $p still runs after down: killing it"
			kill "$p"
		fi
	done
	for x in "${nss[@]}"; do ip netns del "$x" 2>/dev/null; done
	for wg in "$wgA" "$wgB"; do
		remove_left "/run/meshgw/$wg.state" "/run/meshgw/$wg.lock" "/sys/fs/bpf/meshgw/$wg" \
			"/run/wireguard/$wg.sock"
	done
	remove_pin_root "$pin"
	rm -rf "$tmp"
}
