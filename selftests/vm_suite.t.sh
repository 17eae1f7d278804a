#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The VM tests that run on their own (not beside a host test) in one boot of the VM
# (selftests/vm/run.sh): each wrapper below names its job (selftests/lib/vm_jobs.sh)
# and the jobs run one after the other in the same guest (selftests/vm/jobs.sh). One
# boot instead of four saves the boots (3 s each on a quiet host, 12-15 s on a loaded
# one) and the guest's cold page cache after the first (python3's first start
# 2.3 s, later ones 0.9 s). The jobs' results are this test's, each prefixed with its
# wrapper's name; a job that fails, times out or never ran fails here under its name.
# make check runs this instead of the four wrappers; each still runs alone.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/vm_jobs.sh"
vm_need_vm
VM_JOBS_FILE=$(mktemp /tmp/meshgw-vmsuite.$$.XXXX)
export VM_JOBS_FILE
trap 'rm -f "$VM_JOBS_FILE"' EXIT
for w in vm_dp vm_kernel_wg vm_show_metrics vm_kinds; do
	bash "$here/$w.t.sh" || not_ok "$w: names its job"
done
[ -s "$VM_JOBS_FILE" ] || { echo "1..0 # SKIP no job to run"; exit 0; }
vm_jobs_run "$VM_JOBS_FILE"
