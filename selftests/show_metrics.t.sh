#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meshgw show` and `meshgw metrics` on a real two-site gateway pair brought up
# by `meshgw up` (wireguard-go or kernel WireGuard) with the BPF data plane pinned, in namespaces:
#
#   hA ── lan0 ── gA ══ wan0 203.0.113.1/.2 ══ gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1     (mesh 192.168.254.0/24)      10.2.0.1   10.2.0.2
# (the two-site fixture, selftests/lib/twosite.sh, IPv6 off)
#
# Checks: nothing up -> show exits 1 and says so, metrics still valid; after up
# and a known number of pings, every metric equals what `bpftool map dump
# pinned` shows (per-CPU values summed, by show_metrics_cmp.py) and moved by
# exactly the pings; `promtool check metrics` passes; show -j parses with
# python3 -m json.tool and agrees with the metrics; keys never appear; then with
# `meshgw run` (failover daemon) the mg_failover record's probe counts, health
# and active endpoint are the metrics' and show says it runs, and its GET /metrics
# serves them, with meshgw_config_last_reload_* and every metric the monitoring kit
# (examples/prometheus, examples/grafana) uses; after it stops show says it is not running; a daemon whose uplink
# has no meshgw XDP gets its probe replies through its sockets; with the data plane
# down show and metrics still report WireGuard. What the daemon does when the
# gateway changes under it: daemon_events.t.sh.
# Gateways are entered with nsenter --net so the pins live on the host's bpffs.
# Arguments: the WireGuard backend, userspace (default, wireguard-go on this host)
# or kernel; then which checks, all (default) or backend: only those whose result
# depends on how meshgw reads and changes WireGuard (up, the WireGuard numbers and
# keys in show and metrics, the daemon on that backend, show without the data plane,
# down), as vm_show_metrics.t.sh runs them inside the Debian VM, where a check costs
# 5-10 times its host time. The rest reads only meshgw's own maps, its metrics text
# or its HTTP server, the same code on both backends, and runs on the host (make
# check's run of this script, wireguard-go): the metrics' format and promtool, every
# data-plane and failover value against bpftool, colour, the HTTP server's limits,
# the daemon's probe sockets. Each section below says which part it belongs to.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}
DPCTL=$OUT/selftests/helpers/dp_ctl
CMP=$SRC/selftests/show_metrics_cmp.py

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_require "${1:-}" wg bpftool nsenter python3 promtool
PART=${2:-all}
[ "$PART" = all ] || [ "$PART" = backend ] || { echo "usage: $0 [userspace|kernel] [all|backend]" >&2; exit 2; }
all_part() { [ "$PART" = all ]; }	# true where the backend-independent checks run too
twosite_init sm
daemon=
before_cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; }
A() { N $gA "$MESHGW" "$@" -c "$tmp/mesh.conf" -l "$tmp/a.local"; }

# No mount of bpffs here: on a fresh boot nothing has mounted it, and `meshgw up`
# (dataplane_pin_dir_make) must do it itself.

# --- topology (no IPv6: its autoconfiguration would move the counters) ----------------
twosite_topology no-ipv6
for g in $gA $gB; do N $g sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done

# --- configuration (no keepalive: idle counters must stand still) -----------------------
twosite_keys
twosite_mesh -k off -b "Endpoint = 203.0.113.2:51830" >"$tmp/mesh.conf"
# XDP on these veths although auto would not put it there (its peer's GSO): the
# metrics below count its verdicts. The neighbours run nothing, so it may not
# transmit: TC forwards and answers.
for x in a b; do
	twosite_local $x "UplinkInterface = wan0" "Backend = $BACKEND" "PinPath = $pin/$x" \
		"Metrics = 127.0.0.1:10586" "FastPath = xdp"
done
# Every key, in every encoding the program knows, must stay out of the output.
# The patterns are written once: in the VM every process costs ~30 ms, and this
# check runs five times.
for k in "$pubA" "$pubB" "$(cat "$tmp/a.key")" "$(cat "$tmp/b.key")" "$(cat "$tmp/secret")"; do
	echo "$k" >>"$tmp/keys.b64"
	printf %s "$k" | base64 -d | od -An -tx1 | tr -d ' \n' >>"$tmp/keys.hex"
	echo >>"$tmp/keys.hex"
done
keys_in() { # keys_in FILE: succeeds when a key shows up, in base64 or in hex
	grep -qF -f "$tmp/keys.b64" -- "$1" || grep -qiF -f "$tmp/keys.hex" -- "$1"
}
no_key() { if keys_in "$1"; then echo "a key appears in $1"; return 1; fi; }

# --- nothing up (backend: both WireGuard devices looked for; the format and usage: host) --
if A show >"$tmp/show0" 2>"$tmp/err0"; then
	not_ok "show with nothing up exits 1"
else
	ok "show with nothing up exits 1"
fi
t "  and says the site is not up" grep -q "site a is not up: no data-plane maps pinned in $pin/a and no WireGuard device" "$tmp/err0"
A metrics >"$tmp/m0" 2>"$tmp/err0m" && ok "metrics with nothing up succeeds" || not_ok "metrics with nothing up succeeds"
t "  says so in its up gauges" grep -qx "meshgw_dataplane_up 0" "$tmp/m0"
if all_part; then
	t "  promtool check metrics passes" promtool check metrics <"$tmp/m0"
	t "bad usage: show extra argument exits 1" bash -c "! $MESHGW show extra 2>/dev/null"
	t "bad usage: metrics -j exits 1" bash -c "! $MESHGW metrics -j 2>/dev/null"
	t "missing configuration: show exits 1" bash -c "! $MESHGW show -c $tmp/nope -l $tmp/a.local 2>/dev/null"
fi

# --- up, with the data plane (backend) -----------------------------------------------------
started=$(date +%s)
t "meshgw up on gateway a" N $gA "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/a.local"; record_wg_pid $wgA
t "meshgw up on gateway b" N $gB "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/b.local"; record_wg_pid $wgB
for x in a b; do
	# Until `up` loads the data plane itself, the loader's test driver does.
	if [ ! -e $pin/$x/mg_peer_stats ]; then
		eval g=\$g$(echo $x | tr ab AB)
		N $g "$DPCTL" up "$tmp/mesh.conf" "$tmp/$x.local" 51821 >"$tmp/dp$x.log" 2>&1 ||
			{ echo "# dp_ctl up $x failed:"; sed 's/^/#   /' "$tmp/dp$x.log"; }
	fi
done
t "data plane maps pinned under $pin/a" test -e $pin/a/mg_peer_stats -a -e $pin/a/mg_stats
t "hA pings hB through the tunnel (handshake)" poll 20 ip netns exec $hA ping -c1 -W1 10.2.0.2

metric() { # metric FILE NAME{LABELS}: its value
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}
delta() { # delta NAME{LABELS}: m2 - m1
	echo $(( $(metric "$tmp/m2" "$1") - $(metric "$tmp/m1" "$1") ))
}
t0=$(date +%s%N); A metrics >"$tmp/m1"; t1=$(date +%s%N)
echo "# meshgw metrics took $(( (t1 - t0) / 1000000 )) ms (process start to exit)"
# Deltas against what ping itself counted (a loaded machine may lose one). Backend:
# tx and rx are counted by the TC programs on the WireGuard device, which is a
# wireguard device or wireguard-go's tun.
ip netns exec $hA ping -q -c 10 -i 0.05 -W 3 10.2.0.2 >"$tmp/ping" 2>&1 || true
read -r sent got < <(awk '/packets transmitted/ { print $1, $4 }' "$tmp/ping")
A metrics >"$tmp/m2"
t "10 pings hA -> hB ($got answered)" test "$sent" = 10 -a "$got" -gt 0
is "meshgw_peer_transmit_packets_total{site=\"b\"} moved by the $sent requests" \
	"$(delta 'meshgw_peer_transmit_packets_total{site="b"}')" "$sent"
is "meshgw_peer_lan_packets_total{site=\"b\"} moved by the $sent requests" \
	"$(delta 'meshgw_peer_lan_packets_total{site="b"}')" "$sent"
is "meshgw_peer_receive_packets_total{site=\"b\"} moved by the $got replies" \
	"$(delta 'meshgw_peer_receive_packets_total{site="b"}')" "$got"
is "transmit bytes moved by $sent x 84 (IPv4 + ICMP echo of 56 bytes)" \
	"$(delta 'meshgw_peer_transmit_bytes_total{site="b"}')" $((sent * 84))

# Every value against bpftool (retried: a stray packet may move a counter between reads).
cmp_ok() { # cmp_ok [failover]
	local i
	for i in 1 2 3; do
		A metrics >"$tmp/m" 2>/dev/null || return 1
		python3 "$CMP" "$tmp/m" "$pin/a" b 203.0.113.2 "$@" >"$tmp/cmp" 2>&1 && return 0
		sleep 0.3
	done
	cat "$tmp/cmp"; return 1
}
# The metrics text against bpftool, and its format: meshgw's maps and its metrics
# writer are the same on both backends (host part; the comparison alone costs the VM
# 20 s under TCG). The backend part reads the metrics once for what follows.
metrics_checks() {
	t "every data-plane metric equals bpftool map dump (per-CPU sums)" cmp_ok
	echo "# values compared: $(grep -c '^same' "$tmp/cmp")"
	t "promtool check metrics passes" promtool check metrics <"$tmp/m"
	t "HELP and TYPE for every family, all meshgw_" python3 -c '
import sys
fams = set(); helps = set(); types = set()
for l in open(sys.argv[1]):
    if l.startswith("# HELP "): helps.add(l.split()[2])
    elif l.startswith("# TYPE "): types.add(l.split()[2]); assert l.split()[3] in ("counter", "gauge")
    elif l.strip(): fams.add(l.split("{")[0].split()[0])
assert fams <= helps and helps == types, (fams - helps, helps ^ types)
assert all(f.startswith("meshgw_") for f in helps)
	' "$tmp/m"
	t "counters end in _total, and only counters" python3 -c '
import sys
for l in open(sys.argv[1]):
    if l.startswith("# TYPE "):
        _, _, name, typ = l.split()
        assert (typ == "counter") == name.endswith("_total"), l
	' "$tmp/m"
	t "labels are only site, endpoint, address, reason, verdict, version, interface" bash -c \
		"! grep -v '^#' $tmp/m | grep -o '[a-z_]*=\"' | sort -u | grep -vxE '(site|endpoint|address|reason|verdict|version|interface)=\"'"
	t "meshgw_endpoint_info: b's two endpoints as configured" bash -c \
		"grep -qx 'meshgw_endpoint_info{site=\"b\",endpoint=\"0\",address=\"203.0.113.2:51820\"} 1' $tmp/m &&
		 grep -qx 'meshgw_endpoint_info{site=\"b\",endpoint=\"1\",address=\"203.0.113.2:51830\"} 1' $tmp/m"
	v=$("$MESHGW" --version | sed -n 's/^meshgw //p')
	t "meshgw_build_info{version=\"$v\"} 1: the version meshgw --version prints" \
		grep -qx "meshgw_build_info{version=\"$v\"} 1" "$tmp/m"
	t "fast-path verdicts present" grep -q 'meshgw_xdp_packets_total{verdict="forward_tx"}' "$tmp/m"
	t "lan0: XDP on, no XDP target (its peer has no NAPI)" bash -c "grep -qx 'meshgw_interface_xdp{interface=\"lan0\"} 1' $tmp/m && grep -qx 'meshgw_interface_xdp_target{interface=\"lan0\"} 0' $tmp/m"
	t "fallback counters per interface and reason" grep -q 'meshgw_xdp_fallback_total{interface="wan0",reason="redirect"}' "$tmp/m"
}
if all_part; then metrics_checks; else A metrics >"$tmp/m"; fi
# Backend: the handshake time and the keys come from reading WireGuard.
hs=$(metric "$tmp/m" 'meshgw_peer_latest_handshake_timestamp_seconds{site="b"}')
# awk, not python3 (1-2.5 s to start in the VM, where this part runs too).
t "latest handshake timestamp is unix time, between the test's start and now ($hs)" \
	awk -v s="$started" -v h="$hs" -v now="$EPOCHSECONDS" 'BEGIN { exit !(h ~ /^[0-9.]+$/ && s - 1 <= h + 0 && h + 0 <= now + 1) }'
t "no key in the metrics" no_key "$tmp/m"

# --- show (backend: WireGuard's endpoints, handshake, transfer, keys; colour: host) ------------
A show >"$tmp/show" 2>&1 && ok "show succeeds" || not_ok "show succeeds"
sed 's/^/#   /' "$tmp/show"
t "  peer b with its two candidate endpoints, the first active" \
	grep -qE '^ +\* 0: 203.0.113.2:51820 +active' "$tmp/show"
t "  second candidate listed" grep -qE '^ +1: 203.0.113.2:51830' "$tmp/show"
t "  latest handshake age" grep -qE 'latest handshake: [0-9.]+ s ago' "$tmp/show"
t "  BPF and WireGuard transfer both shown" bash -c "grep -q 'transfer (BPF' $tmp/show && grep -q 'transfer (WireGuard' $tmp/show"
t "  says the failover daemon is not running" grep -q 'failover daemon: not running' "$tmp/show"
t "  no colour when not a tty" bash -c "! grep -q $'\e' $tmp/show"
t "  no key" no_key "$tmp/show"
if all_part && command -v script >/dev/null; then
	t "  colour on a tty" bash -c "script -qec 'nsenter --net=/run/netns/$gA $MESHGW show -c $tmp/mesh.conf -l $tmp/a.local' /dev/null | grep -q $'\e\\['"
fi
A show -j >"$tmp/show.json" && ok "show -j succeeds" || not_ok "show -j succeeds"
all_part && t "  parses with python3 -m json.tool" python3 -m json.tool "$tmp/show.json"
A metrics >"$tmp/m3"
t "  raw numbers agree with the metrics" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
m = dict(l.split() for l in open(sys.argv[2]) if not l.startswith("#"))
p = [p for p in j["peers"] if p["site"] == "b"][0]
assert p["bpf"]["rx_packets"] == int(m["meshgw_peer_receive_packets_total{site=\"b\"}"]), "rx"
assert p["bpf"]["tx_bytes"] == int(m["meshgw_peer_transmit_bytes_total{site=\"b\"}"]), "tx"
assert p["wireguard"]["rx_bytes"] == int(m["meshgw_wireguard_receive_bytes_total{site=\"b\"}"]), "wg"
assert p["active_endpoint"] == 0 and p["endpoints"][0]["wireguard_endpoint"]
assert j["dataplane"]["up"] and j["wireguard"]["up"] and not j["failover_daemon"]["running"]
assert p["failover"] is None
' "$tmp/show.json" "$tmp/m3"
t "  no key" no_key "$tmp/show.json"

# --- with the failover daemon (backend: it runs on that backend; its HTTP server: host) ----
# nsenter execs meshgw: $! is the daemon itself.
nsenter --net=/run/netns/$gA "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/run.log" 2>&1 &
daemon=$!
t "meshgw run publishes its records (mg_failover pinned)" poll 20 test -e $pin/a/mg_failover
shows_running() { A show 2>/dev/null | grep -q 'failover daemon: running'; }
t "  show says the failover daemon is running" poll 10 shows_running
# Polled like show's: the gauge is 1 while a record is under 1 s old, and a loaded
# machine (the VM under TCG beside other tests) can hold back a 250 ms publish.
daemon_up() { A metrics | grep -qx 'meshgw_failover_daemon_up 1'; }
t "  metrics: meshgw_failover_daemon_up 1" poll 10 daemon_up
probes_sent() { [ "$(A metrics | awk '$1 == "meshgw_probes_sent_total{site=\"b\",endpoint=\"0\"}" { print $2 }')" -gt 1 ]; }
t "  probes are being sent" poll 10 probes_sent
# GET /metrics from the daemon, once `meshgw run` serves it (Metrics = in the local file).
scrape() { # scrape [gzip]: status, content type, encoding, then the (inflated) body
	N $gA python3 -c '
import gzip, sys, urllib.request
req = urllib.request.Request("http://127.0.0.1:10586/metrics")
if len(sys.argv) > 1: req.add_header("Accept-Encoding", "gzip")
r = urllib.request.urlopen(req, timeout=3)
body = r.read()
if r.headers.get("Content-Encoding") == "gzip": body = gzip.decompress(body)
print(r.status, r.headers.get("Content-Type"), r.headers.get("Content-Encoding"))
sys.stdout.write(body.decode())
' "$@"
}
if ! all_part; then
	:	# the HTTP server is meshgw's own, the same on both backends
elif scrape >"$tmp/http" 2>/dev/null; then
	t "GET /metrics from the daemon: 200, text format 0.0.4" \
		grep -qx "200 text/plain; version=0.0.4; charset=utf-8 None" <(head -1 "$tmp/http")
	t "  promtool check metrics passes" bash -c "tail -n +2 $tmp/http | promtool check metrics"
	t "  the daemon's start counts as a successful load" \
		grep -qx 'meshgw_config_last_reload_successful 1' "$tmp/http"
	reload_ts=$(awk '$1 == "meshgw_config_last_reload_success_timestamp_seconds" { print $2 }' "$tmp/http")
	t "  ... at a unix time between the test's start and now ($reload_ts)" \
		python3 -c "import time,sys; sys.exit(not ($started - 1 <= float('${reload_ts:-0}') <= time.time() + 1))"
	# The monitoring kit (examples/prometheus, examples/grafana) against this real
	# scrape: every metric its rules and dashboard name is served.
	t "  every metric the alert rules and the dashboard use is in this scrape" \
		python3 "$SRC/selftests/monitoring_names.py" --scrape "$tmp/http" \
		"$SRC/examples/prometheus/meshgw.rules.yml" "$SRC/examples/grafana/meshgw.json"
	gz_ok() { scrape gzip | head -1 | grep -q ' gzip$'; }
	t "  gzip when asked" gz_ok
	t "  404 for another path" N $gA python3 -c '
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen("http://127.0.0.1:10586/", timeout=3)
except urllib.error.HTTPError as e:
    sys.exit(e.code != 404)
sys.exit(1)'
	# 20 clients that connect and say nothing: 4 refused at once, 16 dropped after
	# the 2 s limit, and the daemon keeps working meanwhile. Judged by order, not by
	# speed (a loaded machine may be late by seconds): the 503s come before the first
	# idle client is dropped (a daemon that waited on an idle client would send them
	# after), no idle client is dropped before 2 s, and the records keep moving (read
	# from the moment python says all are connected).
	hog() {
		local ready=$tmp/hog.ready u0 u1
		rm -f "$ready"
		N $gA python3 -c '
import socket, sys, time
t0 = time.time()
socks = [socket.create_connection(("127.0.0.1", 10586), timeout=10) for _ in range(20)]
open(sys.argv[1], "w").close()
refused, t503 = 0, 0.0
for s in socks[16:]:
    s.settimeout(10)
    refused += s.recv(100).startswith(b"HTTP/1.1 503")
    t503 = time.time() - t0
first_drop = None
for s in socks[:16]:
    s.settimeout(15)
    if s.recv(100) != b"":
        sys.exit("an idle client got an answer")
    if first_drop is None:
        first_drop = time.time() - t0
print("503s by %.2f s, first idle client dropped at %.2f s, last at %.2f s" % (t503, first_drop, time.time() - t0))
if refused != 4:
    sys.exit("%d of the 4 clients over the limit got a 503" % refused)
if first_drop < 1.9:
    sys.exit("an idle client was dropped before the 2 s limit")
if t503 >= first_drop:
    sys.exit("the 503s came only after an idle client was dropped: the daemon waited on it")
' "$ready" &
		local hogpid=$!
		local i
		for i in $(seq 100); do [ -e "$ready" ] && break; sleep 0.1; done
		records_newest() { bpftool -j map dump pinned $pin/a/mg_failover | python3 -c 'import json,sys; print(max(e["formatted"]["value"]["updated_ns"] for e in json.load(sys.stdin)))'; }
		u0=$(records_newest)
		for i in $(seq 20); do
			sleep 0.25
			u1=$(records_newest)
			[ "$u1" -gt "$u0" ] && break
		done
		wait $hogpid || return 1
		[ -e "$ready" ] || { echo "the clients never connected"; return 1; }
		[ "$u1" -gt "$u0" ] || { echo "daemon did not publish while clients idled"; return 1; }
	}
	t "  20 idle clients: 4 refused, 16 dropped after 2 s, daemon not stalled" hog
	t "  served again afterwards" scrape
else
	ok "# SKIP GET /metrics: meshgw run does not serve Metrics = yet"
fi
kill "$daemon"; wait "$daemon" || true; daemon=
sed 's/^/#   run: /' "$tmp/run.log" | head -40

# --- the daemon's records and its probe sockets (host: meshgw's own maps and sockets) ---
records_checks() {
	t "after the daemon stopped: failover metrics equal bpftool's mg_failover record" cmp_ok failover
	echo "# values compared: $(grep -c '^same' "$tmp/cmp")"
	t "  promtool check metrics passes" promtool check metrics <"$tmp/m"
	stopped_shown() { A show >"$tmp/show2" 2>&1; grep -q 'failover daemon: not running (records last updated' "$tmp/show2"; }
	t "  show: daemon not running (within 1 s of its last record), with the records' age" poll 5 stopped_shown
	sed 's/^/#   /' "$tmp/show2"
	t "  show: endpoint health, rtt and loss from the records" grep -qE '0: 203.0.113.2:51820 +active +(up|down|unknown) +rtt' "$tmp/show2"
	t "  show: failover count" grep -qE 'failovers: [0-9]+' "$tmp/show2"
	A show -j >"$tmp/show2.json" 2>/dev/null || true
	t "  show -j parses and carries the records" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
p = j["peers"][0]
assert p["failover"] is not None and "probe_loss" in p["failover"]["by_reason"]
assert p["endpoints"][0]["probes_sent"] > 0 and p["endpoints"][0]["health"] in ("up", "down", "unknown")
	' "$tmp/show2.json"
}

# --- an uplink without meshgw's XDP (a PPPoE link is not Ethernet): the daemon's --------
# probe sockets take the replies that no XDP program records.
socket_checks() {
	grep -v '^UplinkInterface' "$tmp/a.local" >"$tmp/a-nouplink.local"
	nsenter --net=/run/netns/$gA "$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a-nouplink.local" >"$tmp/run2.log" 2>&1 &
	daemon=$!
	t "meshgw run without UplinkInterface: XDP taken off wan0" poll 20 bash -c "! ip -n $gA link show wan0 | grep -q prog/xdp"
	metric_now() { A metrics | awk -v m="$1" '$1 == m { print $2 }'; }	# metric_now NAME{LABELS}
	# gw b answers from TC (XDP_TX into a veth whose peer has no NAPI would be lost).
	socket_replies() { # replies counted while gw a's XDP recorded none
		local replies='meshgw_probe_replies_total{site="b",endpoint="0"}'
		local xdp='meshgw_xdp_packets_total{verdict="probe_reply"}' r0 x0
		r0=$(metric_now "$replies") x0=$(metric_now "$xdp")
		# Until a reply is counted (a probe every 2 s): had XDP taken it, its count moved.
		reply_counted() { [ "$(metric_now "$replies")" -gt "${r0:-0}" ]; }
		poll 10 reply_counted && [ "$(metric_now "$xdp")" = "$x0" ]
	}
	t "  probe replies still counted, none by XDP: the socket path" poll 20 socket_replies
	t "  endpoint 0 stays up" test "$(metric_now 'meshgw_endpoint_up{site="b",endpoint="0"}')" = 1
	kill "$daemon"; wait "$daemon" || true; daemon=
	uplink_xdp_back() { A up && ip -n $gA link show wan0 | grep -q prog/xdp; }
	t "up with the uplink again puts XDP back on wan0" uplink_xdp_back
}
if all_part; then records_checks; socket_checks; fi

# --- WireGuard up, data plane taken down (backend: WireGuard read without the maps) --------------
t "data plane of gateway a taken down (dataplane_down)" N $gA "$DPCTL" down "$tmp/mesh.conf" "$tmp/a.local"
A show >"$tmp/show_nodp" 2>&1 && ok "show with WireGuard but no data plane succeeds" ||
	not_ok "show with WireGuard but no data plane succeeds"
sed 's/^/#   /' "$tmp/show_nodp"
t "  says the data plane is not up and the BPF counters are missing" \
	bash -c "grep -q 'data plane: not up' $tmp/show_nodp && grep -q 'transfer (BPF): missing (data plane not up)' $tmp/show_nodp"
t "  still shows WireGuard's own counters" grep -q 'transfer (WireGuard' "$tmp/show_nodp"
A metrics >"$tmp/m_nodp"
t "  metrics: meshgw_dataplane_up 0, WireGuard counters still there" \
	bash -c "grep -qx 'meshgw_dataplane_up 0' $tmp/m_nodp && grep -q '^meshgw_wireguard_receive_bytes_total{site=\"b\"} [1-9]' $tmp/m_nodp"
all_part && t "  promtool check metrics passes" promtool check metrics <"$tmp/m_nodp"

# --- what down leaves behind (backend), checked before the cleanup removes anything ------
# (`meshgw down` under a running daemon: daemon_events.t.sh)
t "meshgw down on gateway a" A down
t "  nothing left: pins in $pin/a (mg_failover too), /run/meshgw/$wgA.state" \
	nothing_left $pin/a /run/meshgw/$wgA.state
t "meshgw down on gateway b" N $gB "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/b.local"
t "  nothing left: pins in $pin/b, /run/meshgw/$wgB.state" nothing_left $pin/b /run/meshgw/$wgB.state
# $pin itself is the parent of the test's PinPaths: the test's own to remove.
t "  and $pin is empty" rmdir $pin

echo "1..$n"
[ "$failed" = 0 ]
