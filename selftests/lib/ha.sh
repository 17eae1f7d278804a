# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# shellcheck disable=SC2154 # $gA, $hA, $hB, $tmp, $pin, $s, $wgA: set by twosite_init
# Two gateways at one site, active/standby with keepalived: the topology, the files
# and the measurements selftests/ha.t.sh (checks) and selftests/bench/ha.sh (10 kills,
# numbers) share. Site b has two gateways, box 1 and box 2, with the same mesh file
# and site key, each running keepalived with examples/ha/keepalived-gwN.conf
# (addresses and interfaces substituted) and examples/ha/meshgw-ha-notify (its -p
# mode: it runs `meshgw run` itself; the lab has no systemd). Site a has one gateway
# (meshgw run).
#
#                                         ┌─ up0 ─ gb[1] ─ lan0 ─┐
#   hA ─ lan0 ─ gA ─ wan0 ── bridge bru ─┤                      ├─ bridge brl ─ eth0 ─ hB
#                            (in ns sw)   └─ up0 ─ gb[2] ─ lan0 ─┘  (in ns sw)
#   hA 10.1.0.2, gA 10.1.0.1 and 203.0.113.1 (wan0), box k 198.18.0.1k (up0) and
#   10.2.0.1k (lan0), hB 10.2.0.2
#   VRRP addresses (on the master only): 10.2.0.1/24 on lan0 (hB's default gateway)
#   and 203.0.113.2/24 on up0 (site b's Endpoint in the mesh file). Like boxes behind
#   a real router, each box reaches gA from its own address too (a route of metric
#   100, below the VRRP address's own): the master's WireGuard packets leave from the
#   VRRP address, but a box that lost it and still ran WireGuard would reach gA from
#   198.18.0.1k, and site a would roam to it: the harm ha_guard counts.
#
# Source after tap.sh (poll, now) and twosite.sh, then:
#   ha_init PREFIX       names (gb[k], wb[k] for k 1 2, $sw), $tmp, the EXIT trap
#   ha_topology          the picture above
#   ha_files             keys, mesh file, local files ($tmp/bK.local, with HaAddress),
#                        keepalived files ($tmp/kaK.conf), the notify script
#   ha_site_a            site a's `meshgw run`; ka_start K, ka_stop K: box K's keepalived
#   has_wg K, is_master K, only K, none_has_wg, hosts_talk, master
#   ha_pings             hA <-> hB every 20 ms ($tmp/ping-ab, $tmp/ping-ba)
#   ha_sampler           every ~50 ms: who runs WireGuard ($tmp/sampler); every ~0.25 s:
#                        where site a's WireGuard sends b's packets ($tmp/sampler-ep)
#   ha_guard, from_box   site a counts the WireGuard messages from each box's own address
#   ha_monitor, guard_delays, link_overlaps: each box's link and address events
#   max_gap, settled, outage: the measurements
# The cleanup (twosite's EXIT trap) calls ha_cleanup through before_cleanup.

# ha_init PREFIX: PREFIX (2 letters) keeps the test's and the bench's names apart.
ha_init() {
	twosite_init "$1"
	HA_P=$1
	gb=([1]=${1}gb1$s [2]=${1}gb2$s) wb=([1]=${1}wb1$s [2]=${1}wb2$s)
	sw=${1}sw$s
	ping_pids=() sampler='' sampler_ep='' daemon_a=''
	declare -gA ka_pid=()
}

# ka_stop K: SIGTERM to box K's keepalived (it runs its notify with STOP, which takes
# the tunnel down), then wait for it.
ka_stop() {
	local p=${ka_pid[$1]:-}
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	unset "ka_pid[$1]"
}
# ka_start K: keepalived in box K, VRRP only, in the foreground, its own PID files.
ka_start() {
	nsenter --net="/run/netns/${gb[$1]}" keepalived -n -P -l -D -G -f "$tmp/ka$1.conf" \
		-p "$tmp/ka$1.ka.pid" -r "$tmp/ka$1.vrrp.pid" >>"$tmp/ka$1.log" 2>&1 &
	ka_pid[$1]=$!
	pids+=($!)	# the fixture's cleanup, if ka_stop did not run
}
# ha_notify_idle K: no notify of box K runs (they hold the lock while they work).
ha_notify_idle() { flock -n "$tmp/b$1.pid.lock" true; }

ha_stop_sampler() {
	local p
	for p in $sampler $sampler_ep; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	sampler='' sampler_ep=''
}

ha_cleanup() {
	local p k
	ha_stop_sampler
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
		[ -e "/run/netns/${gb[$k]}" ] && N "${gb[$k]}" "$MESHGW" down -c "$tmp/mesh.conf" \
			-l "$tmp/b$k.local" >/dev/null 2>&1
	done
	for p in "${wb[1]}" "${wb[2]}"; do
		remove_left "/run/meshgw/$p.state" "/run/meshgw/$p.lock" "/run/wireguard/$p.sock"
	done
	if [ "${failed:-0}" != 0 ] || [ -n "${HA_LOGS:-}" ]; then
		for p in ka1.log ka2.log b1.pid.log b2.pid.log a.log; do
			echo "# --- $p"
			tail -30 "$tmp/$p" 2>/dev/null | sed 's/^/#   /'
		done
	fi
}
before_cleanup() { ha_cleanup; }

ha_topology() {
	local x k g
	twosite_ns "$gA" "$hA" "${gb[1]}" "${gb[2]}" "$hB" "$sw"
	for x in "$gA" "$hA" "${gb[1]}" "${gb[2]}" "$hB" "$sw"; do
		ip netns exec "$x" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	twosite_lan A
	ip -n "$sw" link add bru type bridge forward_delay 0 stp_state 0
	ip -n "$sw" link add brl type bridge forward_delay 0 stp_state 0
	ip -n "$sw" link set bru up && ip -n "$sw" link set brl up
	ha_plug "$gA" wan0 pa bru
	ip -n "$gA" addr add 203.0.113.1/24 dev wan0
	for k in 1 2; do
		g=${gb[$k]}
		ha_plug "$g" up0 pu$k bru
		ha_plug "$g" lan0 pl$k brl
		ip -n "$g" addr add 198.18.0.1$k/24 dev up0
		ip -n "$g" addr add 10.2.0.1$k/24 dev lan0
		ip -n "$g" route add 203.0.113.0/24 dev up0 src 198.18.0.1$k metric 100
	done
	ip -n "$gA" route add 198.18.0.0/24 dev wan0
	ha_plug "$hB" eth0 ph brl
	ip -n "$hB" addr add 10.2.0.2/24 dev eth0
	ip -n "$hB" route add default via 10.2.0.1
}
# ha_plug NS IF PORT BRIDGE: NS's IF, its peer PORT a port of BRIDGE in sw.
ha_plug() {
	ip link add "$2" netns "$1" type veth peer name "$3" netns "$sw"
	ip -n "$sw" link set "$3" master "$4" up
	ip -n "$1" link set "$2" up
}

# ha_files: the same mesh file and key on both boxes, a local file each; keepalived's
# files from the examples, for this lab's interfaces and addresses; the notify script.
ha_files() {
	local k
	twosite_keys
	twosite_mesh >"$tmp/mesh.conf"
	twosite_local a "Backend = userspace" "PinPath = $pin/a"
	for k in 1 2; do
		# A WireGuardInterface and PinPath each only because both boxes share this
		# host (wireguard-go's socket and meshgw's state file are per host, not per
		# netns). HaAddress: the VRRP addresses, for `show` and `check --ha`.
		printf '[Local]\nSite = b\nPrivateKeyFile = %s\nLanInterface = lan0\nUplinkInterface = up0\nWireGuardInterface = %s\nBackend = userspace\nPinPath = %s\nHaAddress = 10.2.0.1, 203.0.113.2\n' \
			"$tmp/b.key" "${wb[$k]}" "$pin/b$k" >"$tmp/b$k.local"
		sed -e "s|192\.168\.2\.1/24|10.2.0.1/24|; s|172\.16\.2\.10/24|203.0.113.2/24|" \
			-e "s/\beth0\b/lan0/g; s/\beth1\b/up0/g; s/madrid-gw$k/${HA_P}b$k$s/" \
			-e "s|^\(\s*notify\) .*|\1 \"$tmp/meshgw-ha-notify -m $MESHGW -c $tmp/mesh.conf -l $tmp/b$k.local -p $tmp/b$k.pid\"|" \
			"$SRC/examples/ha/keepalived-gw$k.conf" >"$tmp/ka$k.conf"
	done
	# In $tmp (root's, mode 0700): enable_script_security refuses a script under a
	# directory others can write.
	install -m 0755 "$SRC/examples/ha/meshgw-ha-notify" "$tmp/meshgw-ha-notify"
}

# ha_site_a: site a's `meshgw run`; returns once it runs.
ha_site_a() {
	nsenter --net=/run/netns/"$gA" "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/a.log" 2>&1 &
	daemon_a=$!
	poll 30 grep -q "running: site a" "$tmp/a.log" || return 1
	record_wg_pid "$wgA"
}

# has_wg K: box K has its WireGuard device; is_master K: it holds both VRRP addresses.
has_wg() { ip -n "${gb[$1]}" link show "${wb[$1]}" >/dev/null 2>&1; }
is_master() {
	ip -n "${gb[$1]}" -o addr show dev lan0 | grep -q ' 10\.2\.0\.1/24' &&
		ip -n "${gb[$1]}" -o addr show dev up0 | grep -q ' 203\.0\.113\.2/24'
}
# only K: box K is master with the tunnel, the other has neither.
only() {
	local o=$((3 - $1))
	is_master "$1" && has_wg "$1" && ! is_master $o && ! has_wg $o
}
none_has_wg() { ! has_wg 1 && ! has_wg 2; }
# master: prints K when only K (and fails when neither box is alone master).
master() { if only 1; then echo 1; elif only 2; then echo 2; else return 1; fi; }
hosts_talk() {
	N "$hA" ping -c 1 -W 1 10.2.0.2 && N "$hB" ping -c 1 -W 1 10.1.0.2
}
# b_at_vip: site a's WireGuard sends site b's packets to the VRRP address.
b_at_vip() { N "$gA" wg show "$wgA" endpoints | grep -q $'\t203\\.0\\.113\\.2:51820$'; }

# ha_guard: in gA, nftables counts the WireGuard messages (first payload word: type
# 1-4, three zero bytes; meshgw's probes to the same port have other first bytes)
# that reach site a's WireGuard port from each box's own address, before anything
# else sees them (raw priority): a box that went on running WireGuard after it lost
# the VRRP address; site a roams to it on any one of them. from_box K: box K's count
# (from_box vip: from the VRRP address, what the master sends: proof that the match
# counts WireGuard's messages).
# Exact where the samplers are not: a sampler misses a roam that the new master's
# next handshake undoes within 0.1 s.
ha_guard() {
	N "$gA" nft -f - <<-EOF
	table ip ha_guard {
		counter from_b1 { }
		counter from_b2 { }
		counter from_vip { }
		chain pre {
			type filter hook prerouting priority raw - 10;
			ip saddr 198.18.0.11 udp dport 51820 @th,64,32 { 0x01000000, 0x02000000, 0x03000000, 0x04000000 } counter name from_b1
			ip saddr 198.18.0.12 udp dport 51820 @th,64,32 { 0x01000000, 0x02000000, 0x03000000, 0x04000000 } counter name from_b2
			ip saddr 203.0.113.2 udp dport 51820 @th,64,32 { 0x01000000, 0x02000000, 0x03000000, 0x04000000 } counter name from_vip
		}
	}
	EOF
}
from_box() {
	N "$gA" nft list counter ip ha_guard "from_${1/#[12]/b$1}" | awk '/packets/ { print $2; f = 1 } END { exit !f }'
}

# ha_monitor: each box's link and address events as the kernel sends them (ip
# monitor, stamped when read): $tmp/mon-bK. Both events of one box are read by one
# process in order: a slow machine delays both, and the time between them is not
# made longer (only, if anything, shorter).
ha_monitor() {
	local k
	for k in 1 2; do
		nsenter --net=/run/netns/"${gb[$k]}" ip -ts -o monitor link address >"$tmp/mon-b$k" 2>&1 &
		pids+=($!)
	done
}
# The awk below: mon_sec, seconds of the day from ip -ts's "[YYYY-MM-DDTHH:MM:SS.ffffff]";
# a line of box K's link (WG = wb[K]) sets lup (up: the flags hold UP; a Deleted
# link is down).
# shellcheck disable=SC2016 # awk's own $1, $0
HA_MON_AWK='
function mon_sec(s) { return substr(s, 13, 2) * 3600 + substr(s, 16, 2) * 60 + substr(s, 19, 9) }
function is_link(   n) { n = del ? $4 : $3; return n == wg ":" || index(n, wg "@") == 1 }
function link_up() { return !del && $0 ~ /[<,]UP[,>]/ }
{ ts = mon_sec($1); del = $2 == "Deleted" }
'
# guard_delays K: one line per VRRP address that left box K while its WireGuard
# link was up: the ms until the link was down or gone ("never": still up at the end).
guard_delays() {
	awk -v wg="${wb[$1]}" "$HA_MON_AWK"'
	is_link() { up = link_up(); if (pend != "" && !up) { d = ts - pend; printf "%.0f\n", (d < 0 ? d + 86400 : d) * 1000; pend = "" } lup = up; next }
	del && lup && pend == "" && / inet (10\.2\.0\.1|203\.0\.113\.2)\/24 / { pend = ts }
	END { if (pend != "") print "never" }' "$tmp/mon-b$1"
}
# link_overlaps: "DURATION_MS" per stretch in which both boxes had their WireGuard
# link up (the two monitors' stamps merged: an upper bound on a slow machine).
link_overlaps() {
	{
		awk -v wg="${wb[1]}" -v k=1 "$HA_MON_AWK"'is_link() { print ts, k, link_up() }' "$tmp/mon-b1"
		awk -v wg="${wb[2]}" -v k=2 "$HA_MON_AWK"'is_link() { print ts, k, link_up() }' "$tmp/mon-b2"
	} | sort -n -k1,1 | awk '{ u[$2] = $3; both = u[1] && u[2]
		if (both && s == "") s = $1; else if (!both && s != "") { printf "%.0f\n", ($1 - s) * 1000; s = "" } }
		END { if (s != "") print "open" }'
}

# ha_pings: hA and hB ping each other every 20 ms, replies timestamped (-D).
ha_pings() {
	nsenter --net=/run/netns/"$hA" ping -D -n -i 0.02 -W 1 10.2.0.2 >"$tmp/ping-ab" 2>&1 &
	ping_pids+=($!)
	nsenter --net=/run/netns/"$hB" ping -D -n -i 0.02 -W 1 10.1.0.2 >"$tmp/ping-ba" 2>&1 &
	ping_pids+=($!)
}
# ha_sampler: a line "TIME WHO" every 20 ms plus a fork (~50 ms here), WHO the boxes
# running WireGuard (1, 2, 1,2 or none): wireguard-go's socket, tested without a
# fork (an `ip link` per box made the samples 0.25 s apart under load); and a line
# "TIME ep EP" every 0.1 s plus an nsenter and a wg (~0.25 s), EP where site a's
# WireGuard sends site b's packets (what the other site sees of site b: a box's own
# address there would mean it roamed to a box).
ha_sampler() {
	(
		while :; do
			w=''
			[ -S "/run/wireguard/${wb[1]}.sock" ] && w=1
			[ -S "/run/wireguard/${wb[2]}.sock" ] && w=$w${w:+,}2
			echo "$EPOCHREALTIME ${w:-none}"
			sleep 0.02
		done
	) >"$tmp/sampler" 2>/dev/null &
	sampler=$!
	(
		while :; do
			ep=$(N "$gA" wg show "$wgA" endpoints 2>/dev/null | awk '{ print $2 }')
			echo "$EPOCHREALTIME ep ${ep:-none}"
			sleep 0.1
		done
	) >"$tmp/sampler-ep" 2>/dev/null &
	sampler_ep=$!
}
# sampled_both: samples in which both boxes ran WireGuard; sampled_roamed: samples
# in which site a sent b's packets elsewhere than the VRRP address (none: no
# endpoint yet, not counted). overlaps: one line per stretch of samples in which
# both ran it, "START DURATION" (seconds since the first sample; from the first such
# sample to the next one without: an upper bound). A stretch is the old master's
# wireguard-go still there (its notify's `meshgw down` removes it) while the new one
# has started its own; the old one's link went down when its VRRP addresses left
# (link_overlaps, guard_delays: what can send).
# longest_overlap: the longest DURATION, 0 when none.
sampled_both() { grep -c ' 1,2$' "$tmp/sampler"; }
sampled_roamed() { awk '$3 != "none" && $3 != "203.0.113.2:51820"' "$tmp/sampler-ep" | wc -l; }
samples() { wc -l <"$tmp/sampler"; }
overlaps() {
	awk 'NR == 1 { t0 = $1 } $2 == "1,2" { if (!o) { o = 1; s = $1 } next }
		o { printf "%.2f %.3f\n", s - t0, $1 - s; o = 0 }
		END { if (o) printf "%.2f %.3f\n", s - t0, $1 - s }' "$tmp/sampler"
}
# step FILE: the mean time between FILE's samples (s), as they came (later under load).
step() { awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f\n", (NR > 1 ? (b - a) / (NR - 1) : 0) }' "$1"; }
longest_overlap() { overlaps | awk '$2 > m { m = $2 } END { printf "%.3f\n", m + 0 }'; }
samples_ep() { wc -l <"$tmp/sampler-ep"; }

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
# outage T [WAIT]: waits up to WAIT s (default 20) for both directions to settle after
# T, then prints "AB BA WORST": the longest gap each way and the worse, WORST
# "never" when a direction did not settle.
outage() {
	local ab ba worst
	poll "${2:-20}" settled "$tmp/ping-ab" "$1"
	poll 5 settled "$tmp/ping-ba" "$1"
	ab=$(max_gap "$tmp/ping-ab" "$1") ba=$(max_gap "$tmp/ping-ba" "$1")
	worst=$(printf '%s\n%s\n' "$ab" "$ba" | sort -g | tail -1)
	settled "$tmp/ping-ab" "$1" && settled "$tmp/ping-ba" "$1" || worst=never
	echo "$ab $ba $worst"
}
# le A B: A <= B, A a number.
le() { [[ $1 =~ ^[0-9.]+$ ]] && [ "$(echo "$1 <= $2" | bc)" = 1 ]; }
