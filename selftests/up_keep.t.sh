#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meshgw up` keeps the BPF programs that are already what it would load
# (user/dataplane/dp_progs.c) and reloads exactly the objects that changed, on
# site a of the two-site fixture (selftests/lib/twosite.sh):
#
#   hA ── lan0 ── gA ══ wan0 203.0.113.1/.2 ══ gB ── lan0 ── hB
#  10.1.0.2   10.1.0.1     (mesh 192.168.254.0/24)      10.2.0.1   10.2.0.2
#
# Only gA runs meshgw (veths, FastPath = tc: tc_lan on lan0 and wan0, tc_wg on the
# WireGuard link; the default, which leaves a veth LAN to the kernel, is the last case).
# Programs are told apart by the ids the kernel gives for each hook (tc_hooks: tcx
# links where the kernel has tcx, cls_bpf filters where not): same id, not
# reloaded. Cases: a no-op up (nothing reloaded, counters and map contents as
# they were), a program detached by hand (re-attached; a kept program if another
# copy runs elsewhere), a changed constant (ListenPort: tc_lan only), FastPath
# (XDP and its tracepoint programs loaded, then gone, TC kept), a NIC re-created
# (new ifindex: tc_wg, which redirects to it, reloaded with it), and a meshgw
# binary whose tc_wg object differs by one byte (tc_wg only), FastPath = auto (tc_lan
# off lan0, tc_wg reloaded: it counts the LAN's mesh traffic now), and, where the
# kernel has tcx, TcHook = cls_bpf and back (each kind replaces the other: never
# both, nothing of the old kind left, the same programs, counters kept).
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd)
OUT=${OUT:-$SRC/build}
MESHGW=${MESHGW:-$OUT/meshgw}

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_require "${1:-}" wg tc nsenter bpftool python3
KIND=$(tc_kind)
twosite_init uk
twosite_topology no-ipv6
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
local_file() { twosite_local a "UplinkInterface = wan0" "Backend = $BACKEND" "PinPath = $pin/a" "FastPath = ${1:-tc}" \
	"TcHook = ${2:-auto}"; }
local_file
A() { N "$gA" "$@"; }
# up [MESHGW]: `meshgw -v up`, its messages in $tmp/up.log
up() { A "${1:-$MESHGW}" -v up -c "$tmp/mesh.conf" -l "$tmp/a.local" >"$tmp/up.log" 2>&1 ||
	{ cat "$tmp/up.log"; return 1; }; }
down() { A "$MESHGW" down -l "$tmp/a.local"; }

# id DEV DIR: the id of meshgw's program on that hook (none: empty; two if both
# kinds ran at once, which must never be)
id() { A "$TCHOOKS" "$1" | awk -v d="$2" '$2 == d && $5 ~ /^mg_/ { print $4 }' | xargs; }
# kinds: the kinds of meshgw's programs on every hook of lan0, wan0 and the WireGuard link
kinds() { A "$TCHOOKS" lan0 wan0 "$wgA" | awk '$5 ~ /^mg_/ { print $3 }' | sort -u | xargs; }
# detach DEV DIR PIN: take meshgw's program off that hook by hand, as a user could
detach() {
	if [ "$KIND" = tcx ]; then bpftool link detach pinned "$pin/a/$3"
	else A tc filter del dev "$1" "$2" pref $((0x4d47)); fi
}
ids() { echo "lan0=$(id lan0 ingress) wan0=$(id wan0 ingress) wg_in=$(id "$wgA" ingress) wg_eg=$(id "$wgA" egress)"; }
# field NAME IDS: one id of an ids line
field() { echo "$2" | sed -nE "s/.*\b$1=([0-9]*).*/\1/p"; }
# loaded OBJECT / kept OBJECT: what `up -v` said it did with the object
loaded() { grep -q "debug: $1: loaded$" "$tmp/up.log"; }
kept() { grep -q "debug: $1: .*: kept$" "$tmp/up.log"; }
# maps: the contents of the maps up fills (not the counters)
maps() {
	local m
	for m in mg_peer_info mg_routes4 mg_routes6 mg_route_filter mg_dir4_l1 mg_dir4_l2 mg_route_leaf \
		 mg_known_eps mg_mesh_tag mg_attach mg_ifaces; do
		echo "$m"; bpftool map dump pinned "$pin/a/$m"
	done
}
# counters: "tc_wg_tx packets, tc_lan_redirect packets, peer b's tx packets"
counters() {
	A "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/a.local" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = d["dataplane"]["verdicts"]
b = [p for p in d["peers"] if p["site"] == "b"][0]
print(v["tc_wg_tx"]["packets"], v["tc_lan_redirect"]["packets"], b["bpf"]["tx_packets"])'
}
# not_less BEFORE AFTER: no counter went down (a reset would)
not_less() { python3 -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); sys.exit(any(int(y) < int(x) for x, y in zip(a, b)) or len(a) != len(b))' "$1" "$2"; }
# rodata_of DEV DIR KEY: the load-time constant KEY in that program's .rodata
rodata_of() {
	local m
	for m in $(bpftool -j prog show id "$(id "$1" "$2")" | python3 -c 'import json, sys; print(*json.load(sys.stdin)["map_ids"])'); do
		bpftool -j map dump id "$m" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = d[0].get("formatted", {}).get("value") if d else None
for kv in v.get(".rodata", []) if isinstance(v, dict) else []:
    if sys.argv[1] in kv: print(kv[sys.argv[1]])' "$3"
	done
}

# --- up, traffic, a no-op up ----------------------------------------------------------------
t "meshgw up on gateway a ($BACKEND)" up
record_wg_pid "$wgA"
t "  every object loaded that TC needs, nothing of XDP (veths)" \
	eval 'loaded tc_lan && loaded tc_wg && ! grep -q "debug: xdp_" "$tmp/up.log"'
is "  attached as $KIND (this kernel's kind)" "$(kinds)" "$KIND"
# hA -> hB goes into the tunnel (gB runs no WireGuard: nothing comes back; the
# counters of a's side move all the same).
N "$hA" ping -c 3 -i 0.2 -W 1 10.2.0.2 >/dev/null 2>&1 || true
I1=$(ids) M1=$(maps) C1=$(counters)
t "  traffic counted: tc_wg_tx, tc_lan_redirect, b's tx ($C1)" \
	python3 -c 'import sys; sys.exit(min(map(int, sys.argv[1].split())) < 3)' "$C1"
t "up again" up
t "  says tc_lan and tc_wg are kept, loads nothing" eval 'kept tc_lan && kept tc_wg && ! grep -q ": loaded$" "$tmp/up.log"'
is "  no program reloaded (ids)" "$(ids)" "$I1"
t "  map contents as they were" test "$(maps)" = "$M1"
C2=$(counters)
t "  counters not reset ($C1 -> $C2)" not_less "$C1" "$C2"

# --- detached by hand ---------------------------------------------------------------------------
detach lan0 ingress tcx_lan
t "lan0's program detached by hand: up" up
is "  back, with the program still running on wan0 (nothing loaded)" "$(ids)" "$I1"
t "  nothing loaded" eval '! grep -q ": loaded$" "$tmp/up.log"'
detach "$wgA" egress tcx_wg_egress
t "$wgA's egress program detached by hand: up" up
I2=$(ids)
t "  tc_wg loaded again (no copy of its egress program left), tc_lan kept" eval 'loaded tc_wg && kept tc_lan'
t "  both of $wgA's filters run the new load, lan0 and wan0 as before ($I2)" eval \
	'[ "$(field lan0 "$I2") $(field wan0 "$I2")" = "$(field lan0 "$I1") $(field wan0 "$I1")" ] &&
	 [ "$(field wg_in "$I2")" != "$(field wg_in "$I1")" ] && [ -n "$(field wg_eg "$I2")" ]'
t "  counters not reset" not_less "$C2" "$(counters)"

# --- a constant changes: ListenPort is in tc_lan's .rodata, not in tc_wg's -----------------------
sed -i 's/^ListenPort = 51820/ListenPort = 51821/' "$tmp/mesh.conf"
t "ListenPort changed: up" up
I3=$(ids)
t "  tc_lan loaded again, tc_wg kept" eval 'loaded tc_lan && kept tc_wg'
t "  lan0 and wan0 run the new tc_lan, $wgA the same tc_wg ($I3)" eval \
	'[ "$(field lan0 "$I3")" != "$(field lan0 "$I2")" ] && [ "$(field lan0 "$I3")" = "$(field wan0 "$I3")" ] &&
	 [ "$(field wg_in "$I3") $(field wg_eg "$I3")" = "$(field wg_in "$I2") $(field wg_eg "$I2")" ]'
is "  tc_lan's wg_port is 51821" "$(rodata_of lan0 ingress wg_port)" 51821
t "  a second up keeps it" up
is "  (ids)" "$(ids)" "$I3"

# --- FastPath: XDP on lan0 and wan0, then back to TC only ---------------------------------------
local_file xdp
t "FastPath = xdp: up" up
t "  xdp_lan and the tracepoint programs loaded, TC kept" \
	eval 'loaded xdp_lan && loaded xdp_fallback && kept tc_lan && kept tc_wg'
t "  XDP on lan0" eval 'A ip -o link show dev lan0 | grep -q prog/xdp'
is "  TC ids as before" "$(ids)" "$I3"
X1=$(A ip -o link show dev lan0 | grep -o 'prog/xdp id [0-9]*')
t "  a second up keeps XDP too" up
t "  (all four objects kept)" eval 'kept xdp_lan && kept xdp_fallback && kept tc_lan && kept tc_wg'
is "  (the same XDP program)" "$(A ip -o link show dev lan0 | grep -o 'prog/xdp id [0-9]*')" "$X1"
local_file
t "FastPath back to tc: up" up
t "  no XDP left on lan0 or wan0, TC ids as before" \
	eval '! A ip -o link show | grep -q prog/xdp && [ "$(ids)" = "$I3" ]'

# --- the LAN NIC re-created: a new ifindex --------------------------------------------------------
ifindex() { A ip -o link show dev "$1" | cut -d: -f1; }
old=$(ifindex lan0)
A ip link del lan0
twosite_lan A
new=$(ifindex lan0)
t "lan0 re-created (ifindex $old -> $new): up" up
I4=$(ids)
t "  tc_wg loaded again (it redirects to lan0), tc_lan kept" eval 'loaded tc_wg && kept tc_lan'
is "  tc_wg's lan_ifindex is the new lan0's" "$(rodata_of "$wgA" ingress lan_ifindex)" "$new"
t "  lan0 has tc_lan again: the program still on wan0 ($I4)" eval \
	'[ "$(field lan0 "$I4")" = "$(field wan0 "$I3")" ] && [ "$(field wan0 "$I4")" = "$(field wan0 "$I3")" ]'
t "  traffic from hA counted again" eval 'N "$hA" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null 2>&1; C=$(counters); [ "${C%% *}" -gt "${C2%% *}" ]'

# --- a meshgw whose tc_wg object differs (one byte of a source line in its BTF) -------------------
cp "$MESHGW" "$tmp/meshgw2"
marker='l3_off & 0xff);	/* IP bytes */'
t "a copy of meshgw with one byte of tc_wg changed" python3 -c '
import sys
path, marker = sys.argv[1], sys.argv[2].encode()
data = open(path, "rb").read()
if data.count(marker) != 1:
    sys.exit("tc_wg line info %r found %d times: pick another marker" % (marker, data.count(marker)))
open(path, "wb").write(data.replace(marker, marker.replace(b"bytes", b"bytez")))' "$tmp/meshgw2" "$marker"
t "up with it" up "$tmp/meshgw2"
t "  tc_wg loaded again, tc_lan kept" eval 'loaded tc_wg && kept tc_lan'
I5=$(ids)
t "  back to the installed meshgw: tc_wg loaded again, tc_lan kept" eval 'up && loaded tc_wg && kept tc_lan'
t "  (the new ids differ)" test "$(ids)" != "$I5"

# --- FastPath = auto: a veth LAN is left to the kernel (dp_iface_lan_kernel) -----------------------
local_file auto
t "FastPath = auto: up" up
I6=$(ids)
# Which NIC's traffic tc_wg counts is in mg_ifaces (MG_IF_KERNEL), not in the program.
t "  tc_wg and tc_lan kept" eval 'kept tc_wg && kept tc_lan'
t "  no filter on lan0, tc_lan still on wan0 ($I6)" eval \
	'[ -z "$(field lan0 "$I6")" ] && [ "$(field wan0 "$I6")" = "$(field wan0 "$I5")" ]'
lanp() {
	A "$MESHGW" show -j -c "$tmp/mesh.conf" -l "$tmp/a.local" |
		python3 -c 'import json, sys; print([p for p in json.load(sys.stdin)["peers"] if p["site"] == "b"][0]["bpf"]["lan_packets"])'
}
C3=$(counters) L3=$(lanp)
N "$hA" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null 2>&1 || true
C4=$(counters) L4=$(lanp)
is "  tc_wg counted them as b's LAN traffic" $((L4 - L3)) 2
is "  hA's 2 pings: tc_wg_tx +2, tc_lan_redirect +0, b's tx +2" \
	"$(python3 -c 'import sys; print(*(int(y) - int(x) for x, y in zip(sys.argv[1].split(), sys.argv[2].split())))' "$C3" "$C4")" "2 0 2"
t "  a second up keeps everything" eval 'up && kept tc_wg && kept tc_lan && [ "$(ids)" = "$I6" ]'

# --- TcHook: cls_bpf filters, then tcx links again -------------------------------------------------
if [ "$KIND" = tcx ]; then
	C5=$(counters)
	local_file auto cls_bpf
	t "TcHook = cls_bpf: up" up
	is "  every program a cls_bpf filter now" "$(kinds)" cls_bpf
	is "  the same programs (nothing loaded)" "$(ids)" "$I6"
	t "  no tcx link pinned" eval '! ls "$pin/a" | grep -q "^tcx_"'
	t "  clsact qdiscs on wan0 and $wgA" eval 'A tc qdisc show dev wan0 | grep -q clsact && A tc qdisc show dev "$wgA" | grep -q clsact'
	local_file auto
	t "TcHook = auto: up" up
	is "  every program a tcx link again" "$(kinds)" tcx
	is "  the same programs (nothing loaded)" "$(ids)" "$I6"
	t "  no filter, no clsact qdisc left (meshgw made them)" eval \
		'! A tc qdisc show | grep -q clsact && [ -z "$(A tc filter show dev wan0 ingress)" ]'
	t "  traffic counted, counters kept" eval 'N "$hA" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null 2>&1; C=$(counters); [ "${C%% *}" -ge "$(( ${C5%% *} + 2 ))" ]'
else
	ok "# SKIP TcHook = cls_bpf against tcx: this kernel has no tcx"
fi

t "meshgw down" down
t "  nothing left: pins, state" nothing_left "$pin/a" "/run/meshgw/$wgA.state"
rmdir "$pin"
tap_done
