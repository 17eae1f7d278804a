#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Failover scenarios 1-3 of lab_failover.t.sh (cut B's preferred ISP, cut A's, restore)
# with kernel WireGuard: run inside a VM on Debian's 6.1 kernel (selftests/vm/run.sh),
# since the host kernel has no WireGuard. The VM is slow (TCG, 1 vCPU): recovery is
# allowed VM_RECOVER_S (default 15 s) per pair, and the measured times are repeated as
# TAP comments at the end. The inner test's TAP passes through unchanged; a VM that
# dies or times out before the inner plan adds one failing line. make check runs it
# beside lab_failover.t.sh, inside that test (LAB_VM_BESIDE=1: the host's run mostly
# waits on timers).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/vm_tap.sh"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, QEMU's 9p export)"; exit 0; fi
if ! ls /boot/vmlinuz-*-amd64 > /dev/null 2>&1 || ! command -v qemu-system-x86_64 > /dev/null; then
	echo "1..0 # SKIP no Debian kernel or QEMU for the VM"; exit 0
fi

out=$(mktemp /tmp/meshgw-vmlabfo.$$.XXXX)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
# One modprobe -a for everything the lab, kernel WireGuard and the TC programs need
# (autoloading them one by one costs seconds under TCG).
# Under TCG beside make check's other lane, a move back's longest gap was 0.54 s once:
# the VM allows 1 s, the host keeps 0.5 s. (These comment lines once sat after the
# line continuation of VM_MODULES, which ended the command there: the modules were
# autoloaded one by one.)
VM_MODULES="wireguard veth bridge nf_tables nft_ct nft_nat nft_masq nft_chain_nat sch_ingress cls_bpf" \
MLAB_BACKEND=kernel SCENARIOS="1 2 3" RECOVER_S=${VM_RECOVER_S:-15} GAP_S=${VM_GAP_S:-1} \
	"$here/vm/run.sh" --timeout "${VM_LAB_TIMEOUT:-900}" \
	--env MLAB_BACKEND --env SCENARIOS --env RECOVER_S --env GAP_S \
	"$here/lab_failover.t.sh" > "$out" 2>&1
rc=$?
vm_tap_report "$out" "$rc" "$start" "recovery times inside the VM:" \
	'^ok .*(recovers after|after [0-9.]+ s|longest gap)'
[ "$rc" = 0 ]
