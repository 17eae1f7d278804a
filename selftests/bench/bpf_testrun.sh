#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# BPF_PROG_TEST_RUN ns per packet of every meshgw program and path against an
# XDP_PASS program, IPv4/IPv6, 10 and 100,000 prefixes in the trie; best of 3
# interleaved rounds of 1e6 runs (goals: XDP mesh-bound path <= 25 ns, fast path
# <= 110 % of the bare program). Then IPv4 classification alone, every way side by
# side (selftests/bpf/bench_classify.bpf.c: the trie as before, meshgw's tables, a
# /16 bitmap before the trie, a /32 cache hit and miss). Prints, never fails on
# slowness. bpf_stats_enabled adds ~40 ns per run: off while timing.
#
# Then, where perf is installed, where the fast path's time goes, against the bare
# program's: `perf record -g` (cpu-clock: this host has no hardware counters) of
# each run over and over (bpf_bench profile), the samples inside the test run split
# by innermost function into the program's own instructions, bpf_fib_lookup (the
# kernel's FIB), other helpers and the test harness (helpers/perf_split.py), scaled
# to the ns per packet measured above without the profiler. PROFILE_SECONDS (10) each.
set -eu
OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PROFILE_SECONDS=${PROFILE_SECONDS:-10}
if [ "$(id -u)" != 0 ]; then echo "bpf_testrun: skipped (needs root)"; exit 0; fi
stats=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
if [ "$stats" != 0 ]; then echo "note: kernel.bpf_stats_enabled=1 inflates every number by ~40 ns"; fi
tmp=$(mktemp -d /tmp/meshgw-testrun.XXXX)
trap 'rm -rf "$tmp"' EXIT
"$OUT/selftests/helpers/bpf_bench" testrun | tee "$tmp/testrun"

if ! command -v perf >/dev/null; then
	echo "bpf_testrun: perf not installed (Debian: linux-perf): no profile"
	exit 0
fi
ns_of() { awk -v p="$1" '$(NF - 2) == 10 && index($0, p) { print $(NF - 1); exit }' "$tmp/testrun"; }
echo "where the time goes, 10 prefixes (perf record -g, cpu-clock; ns: the shares of the runs above):"
for c in fast bare; do
	if [ $c = fast ]; then path="v4 fast path"; else path="bare fib+TTL+redirect"; fi
	if ! perf record -q -e cpu-clock -F 10000 -a -g -o "$tmp/$c.data" -- \
		"$OUT/selftests/helpers/bpf_bench" profile "$path" "$PROFILE_SECONDS" >"$tmp/$c.out" 2>&1; then
		echo "bpf_testrun: perf record failed: $(tail -1 "$tmp/$c.out")"
		exit 0
	fi
	echo "$path ($(ns_of "$path") ns; under the profiler: $(sed -n 's/.*: \([0-9.]* ns\) per packet.*/\1/p' "$tmp/$c.out"))"
	perf script -i "$tmp/$c.data" --comm bpf_bench 2>/dev/null | python3 "$SRC/selftests/helpers/perf_split.py" "$(ns_of "$path")"
done
