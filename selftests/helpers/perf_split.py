#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Where a BPF test run's time goes, from `perf script` of a `perf record -g`.

Reads perf script's output on stdin; keeps the samples taken inside
bpf_test_run (BPF_PROG_TEST_RUN's loop: the rest is the syscall, and the XDP
dispatcher swapped at each call) and sorts each by its innermost function:
  program   the program's own instructions (array map lookups are inlined)
  fib       bpf_fib_lookup: the kernel's FIB, route and device lookups
  helper    other helpers and map lookups the program calls
  harness   the test run loop itself
Prints each part's share and, given NS (the undisturbed ns per packet measured
apart: sampling slows the run itself), its ns per packet.
Usage: perf script ... | perf_split.py NS
"""
import collections
import re
import sys

FIB = ("fib", "bpf_ipv4_", "bpf_ipv6_", "dev_get_by_index", "ip_mtu_from", "find_exception",
       "ip6_mtu", "rt6_", "neigh", "__ipv6_neigh", "map_id_range_down", "__rcu_read")


def part(chain):
    """The part of one sample, its callchain innermost first; None outside the run."""
    try:
        run = next(i for i, s in enumerate(chain) if s == "bpf_test_run")
    except StopIteration:
        return None
    inner = chain[:run]
    prog = next((i for i, s in enumerate(inner) if s.startswith("bpf_prog_")), None)
    if prog is None:
        return "harness"
    if prog == 0:
        return "program"
    return "fib" if any(inner[0].startswith(f) for f in FIB) else "helper"


def main():
    ns = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    parts, top, chain = collections.Counter(), collections.Counter(), []
    for line in list(sys.stdin) + [""]:
        if line.strip():
            if line[:1] in " \t":
                f = line.split()
                if len(f) >= 2:
                    chain.append(re.sub(r"\+0x[0-9a-f]+$", "", f[1]))
            continue
        p = part(chain) if chain else None
        if p:
            parts[p] += 1
            top[re.sub(r"^bpf_prog_[0-9a-f]+_", "", chain[0])] += 1
        chain = []
    n = sum(parts.values())
    if not n:
        print("  no samples inside bpf_test_run")
        return 1
    for p in ("program", "fib", "helper", "harness"):
        print("  %-8s %5.1f %%  %5.1f ns" % (p, 100.0 * parts[p] / n, ns * parts[p] / n))
    print("  (%d samples; innermost functions: %s)" % (n, ", ".join(
        "%s %.0f %%" % (s, 100.0 * c / n) for s, c in top.most_common(5))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
