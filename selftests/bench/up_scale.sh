#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Time `meshgw up` from nothing to 1,000 peers x 4 prefixes (each remote site: its
# mesh address + 3 egress ranges, so also 3,000 routes), then a no-op `up` on that
# state (median of 3), which must not rewrite the device. Runs with wireguard-go on
# this host, then with kernel WireGuard inside the VM (selftests/vm/run.sh) when
# that works. Not a pass/fail test: it prints the times.
#
#   up_scale.sh                  both backends
#   up_scale.sh --inner BACKEND  one measurement (used inside the VM)
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
PEERS=${PEERS:-1000}

if [ "$(id -u)" != 0 ]; then echo "up_scale: needs root (network namespaces); skipped"; exit 0; fi

inner() {
	local backend=$1 s=$$ ns tmp wgif t0 t1 full noop=() i
	ns=mgbench$s wgif=mgb$s
	tmp=$(mktemp -d /tmp/meshgw-bench.$s.XXXX)
	trap 'nsenter --net=/run/netns/'"$ns"' "'"$MESHGW"'" down -l "'"$tmp"'/local.conf" >/dev/null 2>&1; ip netns del '"$ns"' 2>/dev/null; rm -f /run/meshgw/'"$wgif"'.lock; rm -rf "'"$tmp"'"' EXIT
	ip netns add "$ns"
	ip -n "$ns" link add lan$s type veth peer name lanp$s
	ip -n "$ns" link set lan$s up
	(umask 077; "$MESHGW" genkey >"$tmp/self.key")
	{
		printf '[Mesh]\nNetwork = 10.250.0.0/16\nListenPort = 51820\nPersistentKeepalive = 0\n\n'
		printf '[Site self]\nAddress = 10.250.0.1\nPublicKey = %s\nEndpoint = 192.0.2.1:51820\nEgress = 172.16.0.0/24\n\n' \
			"$("$MESHGW" pubkey <"$tmp/self.key")"
		# Remote sites: random public keys (nobody handshakes in a benchmark).
		python3 - "$PEERS" <<-'PY'
		import base64, os, sys
		for i in range(int(sys.argv[1])):
		    n = i + 2
		    print(f"[Site s{i}]\nAddress = 10.250.{n >> 8}.{n & 255}")
		    print("PublicKey = " + base64.b64encode(os.urandom(32)).decode())
		    print(f"Endpoint = 198.18.{n >> 8}.{n & 255}:51820")
		    for j in range(3):
		        k = i * 3 + j
		        print(f"Egress = 100.{64 + (k >> 16)}.{(k >> 8) & 255}.{k & 255}/32")
		    print()
		PY
	} >"$tmp/mesh.conf"
	printf '[Local]\nSite = self\nPrivateKeyFile = %s/self.key\nLanInterface = lan%s\nWireGuardInterface = %s\nBackend = %s\n' \
		"$tmp" "$s" "$wgif" "$backend" >"$tmp/local.conf"
	up() { nsenter --net=/run/netns/$ns "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/local.conf"; }
	t0=$(date +%s%N); up 2>"$tmp/up1" || { echo "up_scale: FAIL: up:"; cat "$tmp/up1"; exit 1; }; t1=$(date +%s%N)
	full=$(((t1 - t0) / 1000000))
	for i in 1 2 3; do
		t0=$(date +%s%N); up 2>"$tmp/up2" || { echo "up_scale: FAIL: second up:"; cat "$tmp/up2"; exit 1; }; t1=$(date +%s%N)
		noop+=($(((t1 - t0) / 1000000)))
		if grep -Eq 'updated|added' "$tmp/up2"; then echo "up_scale: FAIL: the no-op up changed something:"; cat "$tmp/up2"; exit 1; fi
	done
	peers=$(nsenter --net=/run/netns/$ns wg show "$wgif" peers | wc -l)
	allowed=$(nsenter --net=/run/netns/$ns wg show "$wgif" allowed-ips | awk '{ n += NF - 1 } END { print n }')
	routes=$(ip -n "$ns" route show proto 109 | wc -l)
	[ "$peers" = "$PEERS" ] && [ "$allowed" = $((PEERS * 4)) ] ||
		{ echo "up_scale: FAIL: $peers peers, $allowed allowed IPs"; exit 1; }
	median=$(printf '%s\n' "${noop[@]}" | sort -n | sed -n 2p)
	echo "up_scale [$backend WireGuard, $(uname -r)]: $PEERS peers x 4 prefixes ($allowed allowed IPs, $routes routes):"
	echo "  up from nothing: ${full} ms; no-op up: ${median} ms (median of ${noop[*]} ms; device not rewritten)"
}

if [ "${1:-}" = --inner ]; then
	inner "$2"
	exit
fi
if command -v wireguard-go >/dev/null; then
	inner userspace
else
	echo "up_scale: wireguard-go not installed; userspace run skipped"
fi
if [ -x "$SRC/selftests/vm/run.sh" ]; then
	"$SRC/selftests/vm/run.sh" --timeout 300 "$SRC/selftests/bench/up_scale.sh" --inner kernel ||
		echo "up_scale: the kernel WireGuard run in the VM failed (exit $?)"
fi
