#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The multi-ISP lab (selftests/lab/lab.sh) with plain WireGuard (wireguard-go, configured
# with wg) as a full mesh and no meshgw: every LAN host reaches every other one; then
# site B's ISP1 is cut at the ISP side and A->B stays down (router B's stale conntrack
# entry keeps B's replies leaving with the dead address, see ../shared/NOTES.md), until
# A's peer B is pointed at B's ISP2 address by hand. This is the problem meshgw solves:
# the test proves the lab reproduces it. Times are printed as TAP comments.
# LAB_VM_BESIDE=1 (make check) runs vm_lab_plain_wg.t.sh, the same with kernel
# WireGuard in the VM, beside this one (lib/beside.sh): this run mostly waits, the
# VM's keeps a core busy; its results are counted here as "vm: ...".
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi

# shellcheck source=lab/lab.sh
source "$here/lab/lab.sh"
LAB_SFX=$$
DOWN_FOR=${DOWN_FOR:-${VM_ENV_DOWN_FOR:-8}} # seconds A->B must stay down after the cut
# LAB_WG=kernel uses kernel WireGuard instead (inside selftests/vm/run.sh: the host has none).
LAB_WG=${LAB_WG:-${VM_ENV_LAB_WG:-go}}
# The lab's own checks (the internet's rp_filter, readdressing, bad arguments, its
# meshgw configuration) do not depend on WireGuard: they run once, with wireguard-go
# on the host; the VM's run (vm_lab_plain_wg.t.sh, every process 5-10x slower) only
# what WireGuard does.
lab_checks() { [ "$LAB_WG" = go ]; }

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/beside.sh"

tmp=$(mktemp -d /tmp/meshgw-labwg.$$.XXXX)
cleanup() {
	beside_stop
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
if lab_checks && [ -n "${LAB_VM_BESIDE:-}" ]; then beside_start "$here/vm_lab_plain_wg.t.sh"; fi
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
	lab_exec rB ip rule add to "${LAB_ISP_GW[C,2]}" lookup 102 pref 800 # out of ISP2
	lab_exec rB nft -f - <<-EOF
	table ip spoof$$ {
		chain out { type filter hook output priority raw; ip daddr ${LAB_ISP_GW[C,2]} notrack; }
	}
	EOF
	q lab_exec rB busybox ping -q -c 1 -W 1 -I "$1" "${LAB_ISP_GW[C,2]}" || rc=1
	lab_exec rB nft delete table ip spoof$$
	lab_exec rB ip rule del pref 800
	return $rc
}
if lab_checks; then
	t "lab: the internet's strict rp_filter drops B's ISP1 source arriving on ISP2" \
		eval '! from_b "${LAB_ISP_IP[B,1]}"'
	t "lab: ... while B's ISP2 source on ISP2 passes" from_b "${LAB_ISP_IP[B,2]}"
fi

# --- plain WireGuard full mesh, each peer at its site's ISP1 address ------------------
for x in $LAB_SITES; do
	t "plain WireGuard ($LAB_WG) in g$x as a full mesh" lab_wg_up "$x" "$LAB_WG"
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
lab_wg_endpoint A B 2
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
if lab_checks; then
	old=${LAB_ISP_IP[C,2]}
	t "lab_isp_readdress C 2: router C answers at ${LAB_ISP_ALT_IP[C,2]} over ISP2" \
		eval 'lab_isp_readdress C 2 "${LAB_ISP_ALT_IP[C,2]}" &&
			[ "${LAB_ENDPOINTS[C]##* }" = "${LAB_ISP_ALT_IP[C,2]}:$LAB_PORT" ] &&
			q lab_exec rA busybox ping -q -c 1 -W 2 "${LAB_ISP_ALT_IP[C,2]}" &&
			! q lab_exec rA busybox ping -q -c 1 -W 1 "$old"'
	t "  ... and back" lab_isp_readdress C 2 "$old"
	bad_input() {
		! lab_isp_readdress C 2 1.2.3 2>/dev/null && ! lab_isp_down D 1 2>/dev/null && ! lab_isp_down B 3 2>/dev/null &&
			! lab_isp_up B 0 2>/dev/null && ! lab_wg_endpoint A D 1 2>/dev/null &&
			! lab_wg_endpoint A B 3 2>/dev/null && ! lab_wg_up B nosuch 2>/dev/null
	}
	t "lab functions reject a bad site, ISP or endpoint number" bad_input

	# The lab's meshgw configuration, when this checkout's meshgw can check it.
	lab_mesh_conf "$tmp/mesh.conf"
	for x in $LAB_SITES; do lab_local_conf "$x" "$tmp/$x.local.conf" userspace; done
	MESHGW=${MESHGW:-$here/../build/meshgw}
	if [ -x "$MESHGW" ]; then
		for x in $LAB_SITES; do
			t "meshgw check accepts lab_mesh_conf + lab_local_conf $x" \
				q "$MESHGW" check -c "$tmp/mesh.conf" -l "$tmp/$x.local.conf"
		done
	else
		echo "# no meshgw binary at $MESHGW: lab configs not checked"
	fi
fi
lab_destroy # TERM to wireguard-go first: it removes its socket
t "nothing of this run is left (namespaces, links)" lab_leaks
t "no wireguard-go socket left" bash -c "! ls /run/wireguard/wg[ABC]$$.sock 2>/dev/null"
t "the lab's scratch directory is gone" test -z "$(ls -d /tmp/meshgw-lab.$$.* 2>/dev/null)"

# --- the same with kernel WireGuard, in the VM on Debian's kernel ----------------------
# (skipped inside the VM itself, with LAB_NO_VM=1, and when it ran beside this one)
beside_report vm
if [ "$LAB_WG" = go ] && [ -z "${LAB_NO_VM:-}" ] && [ -z "${LAB_VM_BESIDE:-}" ]; then
	start=$(now)
	VM_ENV_LAB_WG=kernel VM_ENV_DOWN_FOR=5 "$here/vm/run.sh" --timeout 200 "$0" > "$tmp/vm.out" 2>&1 && rc=0 || rc=$?
	sed 's/^/# vm: /' "$tmp/vm.out"
	oks=$(grep -c '^ok ' "$tmp/vm.out" || true)	# 18 when all of the VM's checks ran
	t "the same with kernel WireGuard in the VM: run.sh exit $rc, $oks ok, plan $(grep -o '^1\.\.[0-9]*' "$tmp/vm.out")" \
		bash -c "[ $rc = 0 ] && [ $oks -ge 18 ] && ! grep -q '^not ok' '$tmp/vm.out'"
	echo "# VM run: $(since "$start") s"
fi

echo "1..$n"
[ $failed = 0 ]
