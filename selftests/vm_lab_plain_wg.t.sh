#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# lab_plain_wg.t.sh with kernel WireGuard: the lab reproduces the stale-endpoint
# problem with wireguard.ko too, inside a VM on Debian's 6.1 kernel
# (selftests/vm/run.sh). make check runs it beside the host script, inside that test
# (LAB_VM_BESIDE=1: the host's run mostly waits). The lab's own checks, which do not
# involve WireGuard, run only in the host's run.
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces, QEMU's 9p export)"; exit 0; fi
if ! ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP no Debian kernel or QEMU for the VM"; exit 0
fi
# A 5 s down window instead of 8, as before: run time in the VM.
VM_ENV_LAB_WG=kernel VM_ENV_DOWN_FOR=5 exec "$here/vm/run.sh" --timeout 200 "$here/lab_plain_wg.t.sh"
