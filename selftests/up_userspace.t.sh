#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `meshgw up`/`down` with the userspace backend (wireguard-go) on this host: the
# two-site case of selftests/up_twosite.sh.
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi
for c in wireguard-go wg ip; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c not installed"; exit 0; }
done
exec "$here/up_twosite.sh" userspace
