#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# BPF_PROG_TEST_RUN ns per packet of every meshgw program and path against an
# XDP_PASS program, IPv4/IPv6, 10 and 100,000 prefixes in the trie; best of 3
# interleaved rounds of 1e6 runs (goals: XDP mesh-bound path <= 25 ns, fast path
# <= 110 % of the bare program). Then IPv4 classification alone, every way side by
# side (selftests/bpf/bench_classify.bpf.c: the trie as before, meshgw's tables, a
# /16 bitmap before the trie, a /32 cache hit and miss). Prints, never fails on
# slowness. bpf_stats_enabled adds ~40 ns per run: off while timing.
set -eu
OUT=${OUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
if [ "$(id -u)" != 0 ]; then echo "bpf_testrun: skipped (needs root)"; exit 0; fi
stats=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
if [ "$stats" != 0 ]; then echo "note: kernel.bpf_stats_enabled=1 inflates every number by ~40 ns"; fi
"$OUT/selftests/helpers/bpf_bench" testrun
