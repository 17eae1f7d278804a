#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Time `meshgw up` from nothing and a no-op `up` on that state (which must not
# rewrite anything), for meshes of 1,000 and 4,096 remote sites x 4 prefixes each
# (its mesh address + 3 egress ranges, so also 3 routes per site), side by side:
# RUNS rounds, each bringing every size up from nothing (after a `down`) and then
# NOOPS no-op ups; the table has medians, with the goals of issue 17 next to them.
# BASELINE=/path/to/an/older/meshgw adds its columns, measured in the same rounds
# (interleaved), so a change is judged against the same machine load. Runs with
# wireguard-go on this host, then with kernel WireGuard inside the VM
# (selftests/vm/run.sh) when that works (TCG: its times are reported, not
# judged). Not a pass/fail test: it prints the times, and stops only if an `up`
# fails, a no-op `up` changed something, or WireGuard does not hold the mesh.
#
#   up_scale.sh                  both backends
#   up_scale.sh --inner BACKEND  one backend (used inside the VM)
#   SIZES="1000 4096" RUNS=3 NOOPS=5 BASELINE=... PEERS=N (one size: N)
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
SIZES=${SIZES:-${PEERS:-1000 4096}}
RUNS=${RUNS:-3}
NOOPS=${NOOPS:-5}
BASELINE=${BASELINE:-}

if [ "$(id -u)" != 0 ]; then echo "up_scale: needs root (network namespaces); skipped"; exit 0; fi

# mesh_file PEERS SELFKEY: the mesh file; remote sites get random public keys
# (nobody handshakes in a benchmark).
mesh_file() {
	printf '[Mesh]\nNetwork = 10.250.0.0/16\nListenPort = 51820\nPersistentKeepalive = 0\n\n'
	printf '[Site self]\nAddress = 10.250.0.1\nPublicKey = %s\nEndpoint = 192.0.2.1:51820\nEgress = 172.16.0.0/24\n\n' \
		"$("$MESHGW" pubkey <"$2")"
	python3 - "$1" <<-'PY'
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
}

# timed CMD...: runs CMD; $wall is its wall time and $cpu the CPU time (user +
# system) of what it ran, in ms. The machine's other load stretches the first
# far more than the second. No process is started between the two readings
# (EPOCHREALTIME, and `times`, the shell's own count of its children's CPU).
timed() {
	local t0=${EPOCHREALTIME/./} rc=0
	times >"$tmp/times0"
	"$@" || rc=$?
	wall=$(((${EPOCHREALTIME/./} - t0) / 1000))
	times >"$tmp/times1"
	cpu=$(cat "$tmp/times0" "$tmp/times1" | awk 'function s(x) { split(x, p, "m"); return p[1] * 60 + p[2] }
		NR == 2 { c0 = s($1) + s($2) } NR == 4 { c1 = s($1) + s($2) } END { printf "%d", (c1 - c0) * 1000 + 0.5 }')
	return $rc
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

inner() {
	local backend=$1 s=$$ ns tmp wgif bins=("$MESHGW") b bi size out wall cpu
	declare -A full noop full_cpu noop_cpu
	[ -n "$BASELINE" ] && bins+=("$BASELINE")
	ns=mgbench$s wgif=mgb$s
	tmp=$(mktemp -d /tmp/meshgw-bench.$s.XXXX)
	# shellcheck disable=SC2064 # expanded now, on purpose
	trap "nsenter --net=/run/netns/$ns '$MESHGW' down -l '$tmp/local.conf' >/dev/null 2>&1
		ip netns del $ns 2>/dev/null; rm -f /run/meshgw/$wgif.lock; rm -rf '$tmp'" EXIT
	ip netns add "$ns"
	ip -n "$ns" link add lan$s type veth peer name lanp$s
	ip -n "$ns" link set lan$s up
	(umask 077; "$MESHGW" genkey >"$tmp/self.key")
	printf '[Local]\nSite = self\nPrivateKeyFile = %s/self.key\nLanInterface = lan%s\nWireGuardInterface = %s\nBackend = %s\n' \
		"$tmp" "$s" "$wgif" "$backend" >"$tmp/local.conf"
	for size in $SIZES; do mesh_file "$size" "$tmp/self.key" >"$tmp/mesh$size.conf"; done
	run() { nsenter --net=/run/netns/"$ns" "$@"; }
	for _ in $(seq "$RUNS"); do
		for size in $SIZES; do
			for bi in "${!bins[@]}"; do
				b=${bins[$bi]}
				run "$b" down -l "$tmp/local.conf" >/dev/null 2>&1
				timed run "$b" up -c "$tmp/mesh$size.conf" -l "$tmp/local.conf" 2>"$tmp/up" ||
					{ echo "up_scale: FAIL: up ($b, $size sites):"; cat "$tmp/up"; exit 1; }
				full[$size,$bi]+=" $wall" full_cpu[$size,$bi]+=" $cpu"
				for _ in $(seq "$NOOPS"); do
					timed run "$b" up -c "$tmp/mesh$size.conf" -l "$tmp/local.conf" 2>"$tmp/up" ||
						{ echo "up_scale: FAIL: second up ($b):"; cat "$tmp/up"; exit 1; }
					noop[$size,$bi]+=" $wall" noop_cpu[$size,$bi]+=" $cpu"
					if grep -Eq 'updated|added|created' "$tmp/up"; then
						echo "up_scale: FAIL: the no-op up changed something ($b, $size sites):"
						cat "$tmp/up"; exit 1
					fi
				done
				out=$(run wg show "$wgif" allowed-ips | awk '{ p++; n += NF - 1 } END { print p + 0, n + 0 }')
				[ "$out" = "$size $((size * 4))" ] ||
					{ echo "up_scale: FAIL: $b, $size sites: WireGuard holds $out (peers, allowed IPs)"; exit 1; }
			done
		done
	done
	run "${bins[-1]}" down -l "$tmp/local.conf" >/dev/null 2>&1 || true
	echo "up_scale [$backend WireGuard, $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)]:" \
		"medians of $RUNS rounds, $NOOPS no-op ups per round; wall ms (CPU ms of meshgw)"
	if [ -n "$BASELINE" ]; then
		echo "| sites x 4 prefixes | up from nothing | baseline | goal | no-op up | baseline | goal |"
		echo "|---|---|---|---|---|---|---|"
	else
		echo "| sites x 4 prefixes | up from nothing | goal | no-op up | goal |"
		echo "|---|---|---|---|---|"
	fi
	for size in $SIZES; do
		local gf gn
		# Issue 17: 1,000 sites < 1 s and < 50 ms; 4,096 sites < 2 s and < 100 ms.
		if [ "$size" -le 1000 ]; then gf='< 1000' gn='< 50'; else gf='< 2000' gn='< 100'; fi
		# shellcheck disable=SC2086 # word-split lists of numbers
		if [ -n "$BASELINE" ]; then
			echo "| $size | $(median ${full[$size,0]}) ($(median ${full_cpu[$size,0]}))" \
				"| $(median ${full[$size,1]}) ($(median ${full_cpu[$size,1]})) | $gf |" \
				"$(median ${noop[$size,0]}) ($(median ${noop_cpu[$size,0]}))" \
				"| $(median ${noop[$size,1]}) ($(median ${noop_cpu[$size,1]})) | $gn |"
		else
			echo "| $size | $(median ${full[$size,0]}) ($(median ${full_cpu[$size,0]})) | $gf |" \
				"$(median ${noop[$size,0]}) ($(median ${noop_cpu[$size,0]})) | $gn |"
		fi
	done
	for size in $SIZES; do
		echo "  $size sites, this build: from nothing${full[$size,0]}; no-op${noop[$size,0]}"
		[ -n "$BASELINE" ] && echo "  $size sites, baseline:   from nothing${full[$size,1]}; no-op${noop[$size,1]}"
	done
	return 0
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
	"$SRC/selftests/vm/run.sh" --timeout 600 "$SRC/selftests/bench/up_scale.sh" --inner kernel ||
		echo "up_scale: the kernel WireGuard run in the VM failed (exit $?)"
fi
