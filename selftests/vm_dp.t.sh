#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# dp_netns.t.sh with kernel WireGuard: run inside a VM on Debian's 6.1 kernel
# (selftests/vm/run.sh), which also checks the programs load and attach on 6.1
# (CO-RE against its BTF, bpf_tc_* without tcx). Its backend part: what is meshgw's
# userspace alone (ip netns exec, map differences) runs on the host (dp_netns.t.sh).
# make check runs it in vm_suite.t.sh's boot (selftests/lib/vm_jobs.sh).
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/vm_jobs.sh"
vm_need_vm
vm_job vm_dp 400 -- "$here/dp_netns.t.sh" kernel backend
vm_jobs_main
