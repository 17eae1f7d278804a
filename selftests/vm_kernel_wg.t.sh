#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meshgw up`/`down` against the real kernel WireGuard: the two-site case of
# selftests/up_twosite.sh (ping LAN to LAN, wg showconf agrees with the mesh file,
# idempotence, diff, a failure midway, 65,536 allowed IPs on one peer, 1,000 peers,
# down) run inside a VM on Debian's kernel, which has wireguard.ko (this host's has
# not). Only its backend part: refused mesh files, the lock and foreign XDP/TC
# programs do not touch WireGuard and run on the host (up_userspace.t.sh).
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (QEMU exports / over 9p)"; exit 0; fi
for c in wg ip; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c not installed"; exit 0; }
done
start=$(date +%s)
rc=0
"$here/vm/run.sh" --timeout 500 "$here/up_twosite.sh" kernel backend || rc=$?
echo "# VM boot + two-site kernel WireGuard test: $(($(date +%s) - start)) s, exit $rc"
exit $rc
