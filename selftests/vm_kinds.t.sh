#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# kinds.t.sh (issue 10's matrix of interface kinds) with kernel WireGuard, inside a VM
# on Debian's 6.1 kernel (selftests/vm/run.sh): the kinds that need modules this
# host's kernel lacks, VLAN (8021q) and bond (bonding). Both also check the 6.1 rule
# that without netdev xdp-features meshgw trusts no virtual device as an XDP target:
# site b's veths and a's uplink have NAPI peers (targets on the host's kernel) and
# must say xdp_target false here, so the veth kind needs no run of its own (the host
# runs it). KINDS overrides the list. The VM is slow (TCG, 1 vCPU): every wait is
# stretched (KINDS_TIME_SCALE, default 4 here); both kinds run at once
# (VM_KINDS_JOBS, default 2), so one's waits are the other's CPU time. Only the checks
# that cross site a's LAN run here (KINDS_LAN_ONLY): the probes are the same code on
# the same veths in the host's kinds. The inner TAP passes
# through; a VM that dies or times out before the inner plan adds one failing line.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/vm_tap.sh"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, QEMU's 9p export)"; exit 0; fi
if ! ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP no Debian kernel or QEMU for the VM"; exit 0
fi

out=$(mktemp /tmp/meshgw-vmkinds.$$.XXXX)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
# One modprobe -a for all the kinds need (autoloading one at a time costs seconds
# under TCG): the devices, kernel WireGuard, the TC hooks, and nf_tables, which
# meshgw asks whether anything filters forwarded traffic.
VM_MODULES="wireguard veth bridge 8021q bonding sch_ingress cls_bpf nf_tables" \
KINDS=${KINDS:-vlan bond} KINDS_JOBS=${VM_KINDS_JOBS:-2} KINDS_TIME_SCALE=${KINDS_TIME_SCALE:-4} KINDS_LAN_ONLY=1 \
	"$here/vm/run.sh" --timeout "${VM_KINDS_TIMEOUT:-720}" \
	--env KINDS --env KINDS_JOBS --env KINDS_TIME_SCALE --env KINDS_LAN_ONLY \
	"$here/kinds.t.sh" kernel >"$out" 2>&1
rc=$?
vm_tap_report "$out" "$rc" "$start"
[ "$rc" = 0 ]
