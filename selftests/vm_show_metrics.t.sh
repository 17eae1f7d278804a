#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# show_metrics.t.sh with kernel WireGuard: run inside a VM on Debian's 6.1 kernel
# (selftests/vm/run.sh), so `show` and `metrics` read WireGuard over generic
# netlink as well as through wireguard-go's UAPI. Only the script's backend part:
# what reads only meshgw's own maps, metrics text and HTTP server runs on the host
# (show_metrics.t.sh says which check runs where).
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
if ! ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP no Debian kernel or QEMU for the VM"; exit 0
fi
# 900 s: the whole script once took 482 s on this 2-core host with three VMs and
# other suites running; its backend part takes 45 s alone.
exec "$here/vm/run.sh" --timeout 900 "$here/show_metrics.t.sh" kernel backend
