#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# kinds.t.sh (issue 10's matrix of interface kinds) with kernel WireGuard, inside a VM
# on Debian's 6.1 kernel (selftests/vm/run.sh): the kinds that need modules this
# host's kernel lacks, VLAN (8021q) and bond (bonding). Both also check the 6.1 rule
# that without netdev xdp-features meshgw trusts no virtual device as an XDP target:
# site b's veths and a's uplink have NAPI peers (targets on the host's kernel) and
# must say xdp_target false here, so the veth kind needs no run of its own (the host
# runs it). KINDS overrides the list. The VM is slow (TCG, 1 vCPU): every wait is
# stretched (VM_KINDS_TIME_SCALE, default 4: the kinds.t.sh it runs gets it as KINDS_TIME_SCALE); both kinds run at once
# (VM_KINDS_JOBS, default 2), so one's waits are the other's CPU time. Only the checks
# that cross site a's LAN run here (KINDS_LAN_ONLY): the probes and the uplink TODO
# are the same code on the same veths in the host's kinds. The inner TAP passes
# through, each line prefixed "vm_kinds: "; a VM that dies or times out before the inner
# plan adds one failing line.
# make check runs it in vm_suite.t.sh's boot (selftests/lib/vm_jobs.sh).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/vm_jobs.sh"
vm_need_vm
# One modprobe -a for all the kinds need (autoloading one at a time costs seconds
# under TCG): the devices, kernel WireGuard, the TC hooks, and nf_tables, which
# meshgw asks whether anything filters forwarded traffic.
vm_job vm_kinds "${VM_KINDS_TIMEOUT:-720}" \
	VM_MODULES="wireguard veth bridge 8021q bonding sch_ingress cls_bpf nf_tables" \
	KINDS="${KINDS:-vlan bond}" KINDS_JOBS="${VM_KINDS_JOBS:-2}" KINDS_TIME_SCALE="${VM_KINDS_TIME_SCALE:-4}" \
	KINDS_LAN_ONLY=1 -- "$here/kinds.t.sh" kernel
vm_jobs_main
