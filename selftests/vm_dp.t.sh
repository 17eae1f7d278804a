#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# dp_netns.t.sh with kernel WireGuard: run inside a VM on Debian's 6.1 kernel
# (selftests/vm/run.sh), which also checks the programs load and attach on 6.1
# (CO-RE against its BTF, bpf_tc_* without tcx). Its backend part: what is meshgw's
# userspace alone (ip netns exec, map differences) runs on the host (dp_netns.t.sh).
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
if ! ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP no Debian kernel or QEMU for the VM"; exit 0
fi
exec "$here/vm/run.sh" --timeout 400 "$here/dp_netns.t.sh" kernel backend
