#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meshgw up`/`down` against the real kernel WireGuard: the two-site case of
# selftests/up_twosite.sh (ping LAN to LAN, wg showconf agrees with the mesh file,
# idempotence, diff, a failure midway, 65,536 allowed IPs on one peer, 1,000 peers,
# down) run inside a VM on Debian's kernel, which has wireguard.ko (this host's has
# not). Only its backend part: refused mesh files, the lock and foreign XDP/TC
# programs do not touch WireGuard and run on the host (up_userspace.t.sh).
# make check runs it in vm_suite.t.sh's boot (selftests/lib/vm_jobs.sh).
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/vm_jobs.sh"
vm_need_vm
for c in wg ip; do
	command -v $c >/dev/null || vm_skip "$c not installed"
done
vm_job vm_kernel_wg 500 -- "$here/up_twosite.sh" kernel backend
vm_jobs_main
