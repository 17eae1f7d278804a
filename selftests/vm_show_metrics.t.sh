#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# show_metrics.t.sh with kernel WireGuard: run inside a VM on Debian's 6.1 kernel
# (selftests/vm/run.sh), so `show` and `metrics` read WireGuard over generic
# netlink as well as through wireguard-go's UAPI. Only the script's backend part:
# what reads only meshgw's own maps, metrics text and HTTP server runs on the host
# (show_metrics.t.sh says which check runs where).
# make check runs it in vm_suite.t.sh's boot (selftests/lib/vm_jobs.sh).
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/tap.sh"
. "$here/lib/vm_jobs.sh"
vm_need_vm
# 900 s: the whole script once took 482 s on this 2-core host with three VMs and
# other suites running; its backend part takes 45 s alone.
vm_job vm_show_metrics 900 -- "$here/show_metrics.t.sh" kernel backend
vm_jobs_main
