#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `sudo make demo`: a three-site mesh, each site behind a router with two ISPs, all
# in network namespaces on this machine; meshgw runs on every gateway. It pings
# between all sites, shows one gateway's view, cuts an ISP, measures how long the
# other sites take to get through again, shows the metrics, and tears it all down
# (also on Ctrl-C). See selftests/lab/lab.sh for the topology.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MESHGW=${MESHGW:-$here/../../build/meshgw}
export OUT=${OUT:-$here/../../build}

if [ "$(id -u)" != 0 ]; then echo "demo: run as root (sudo make demo)" >&2; exit 1; fi
# shellcheck source=lab.sh
source "$here/lab.sh"
# shellcheck source=meshgw_lab.sh
source "$here/meshgw_lab.sh"
# shellcheck source=../lib/leftovers.sh
source "$here/../lib/leftovers.sh"
LAB_SFX=d$$
MLAB_DIR=$(mktemp -d /tmp/meshgw-demo.$$.XXXX)

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' Y=$'\e[33m' N=$'\e[0m'; else B= G= Y= N=; fi
say() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
now() { date +%s.%N; }

cleanup() {
	say "Tearing the lab down"
	mlab_cleanup
	for x in $LAB_SITES; do
		lab_exec "g$x" "$MESHGW" down -c "$MLAB_DIR/mesh.conf" -l "$MLAB_DIR/$x.local.conf" \
			> /dev/null 2>&1 || true
	done
	lab_destroy
	# `meshgw down` removes every pin of its site: say so if it did not, then clean up.
	remove_pin_root "/sys/fs/bpf/meshgw-lab-$LAB_SFX"
	rm -rf "$MLAB_DIR"
	echo "done."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Kernel WireGuard when this kernel has it, wireguard-go otherwise.
probe_ns=meshgw-demo-probe-$$
ip netns add "$probe_ns"
if ip -n "$probe_ns" link add wgprobe type wireguard 2> /dev/null; then
	MLAB_BACKEND=kernel why="this kernel has WireGuard"
else
	MLAB_BACKEND=userspace why="this kernel has no WireGuard module"
fi
ip netns del "$probe_ns"
say "Using ${MLAB_BACKEND} WireGuard ($why)"

say "Building the lab: an internet, three sites (A one-armed, B and C two-armed), two ISPs each"
lab_create || exit 1
mlab_configure "HoldDown = 3s"
for x in $LAB_SITES; do
	printf '  site %s: LAN %s, public endpoints %s\n' "$x" "${LAB_LAN[$x]}" "${LAB_ENDPOINTS[$x]}"
done
printf '  mesh %s, WireGuard port %s; the mesh file is %s\n' "$LAB_MESH_NET" "$LAB_PORT" \
	"$MLAB_DIR/mesh.conf"

say "Starting 'meshgw run' on the three gateways"
for x in $LAB_SITES; do mlab_start "$x"; done
start=$(now)
for i in $(seq 100); do mlab_all_pairs 1 > /dev/null && break; sleep 0.2; done
printf '  mesh up: every LAN host reaches every other one after %.1f s\n' \
	"$(echo "$(now) - $start" | bc)"

say "Pings between all sites (LAN host to LAN host, through the gateways)"
for x in $LAB_SITES; do
	for y in $LAB_SITES; do
		[ "$x" = "$y" ] && continue
		rtt=$(lab_exec "h$x" ping -c 3 -i 0.2 -q "${LAB_HOST_IP[$y]}" 2> /dev/null |
			awk -F/ '/rtt/ {print $5}')
		if [ -n "$rtt" ]; then res="${G}ok${N}, average rtt $rtt ms"; else res="${Y}no answer${N}"; fi
		printf '  %s %-13s -> %s %-13s %s\n' "$x" "${LAB_HOST_IP[$x]}" "$y" "${LAB_HOST_IP[$y]}" "$res"
	done
done
sleep 1

say "meshgw show, at site A's gateway"
lab_exec gA "$MESHGW" show -c "$MLAB_DIR/mesh.conf" -l "$MLAB_DIR/A.local.conf" | sed 's/^/  /'

say "Cutting site B's preferred ISP (ISP1) at the ISP, with A and C pinging B every 20 ms"
mlab_ping_start A B
mlab_ping_start C B
sleep 1
lab_isp_down B 1
cut=$(now)
for x in A C; do
	el=
	for i in $(seq 200); do
		el=$(mlab_first_reply_after "$x" B "$cut")
		[ -n "$el" ] && break
		sleep 0.05
	done
	if [ -n "$el" ]; then res="${G}$el s after the cut${N}"; else res="${Y}not within 10 s${N}"; fi
	printf '  %s -> B answered again %s\n' "$x" "$res"
done
mlab_ping_stop A B
mlab_ping_stop C B
echo "  (with plain WireGuard the same cut leaves A -> B down: selftests/lab_plain_wg.t.sh)"
echo "  site A's daemon logged:"
grep "peer B" "$MLAB_DIR/A.log" | sed 's/^/    /'

say "meshgw show at A after the cut"
lab_exec gA "$MESHGW" show -c "$MLAB_DIR/mesh.conf" -l "$MLAB_DIR/A.local.conf" | sed 's/^/  /'

say "Restoring B's ISP1: A and C move back after the 3 s hold-down"
lab_isp_up B 1
for i in $(seq 100); do
	[ "$(mlab_active A B)" = 0 ] && [ "$(mlab_active C B)" = 0 ] && break
	sleep 0.1
done
grep "peer B" "$MLAB_DIR/A.log" | tail -1 | sed 's/^/    /'

say "The Prometheus metrics of site A's gateway (meshgw metrics; 'Metrics =' serves them over HTTP)"
lab_exec gA "$MESHGW" metrics -c "$MLAB_DIR/mesh.conf" -l "$MLAB_DIR/A.local.conf" |
	grep -E '^meshgw_(peer_(receive|transmit)_packets_total|endpoint_up|endpoint_rtt_seconds|failovers_total|peer_active_endpoint)' |
	grep -v ' 0$' | sed 's/^/  /'
