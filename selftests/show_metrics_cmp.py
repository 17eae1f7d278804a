#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Compares `meshgw metrics` with `bpftool -j map dump pinned` of the same maps.

usage: show_metrics_cmp.py METRICS_FILE PIN_DIR SITE ENDPOINT_IPV4 [failover]
Prints one line per compared value; exit 1 on any difference. The counters'
names and order come from the list meshgw itself is built from
(include/meshgw_stats.h), so this script has no copy of its own to drift.
"""
import json
import os
import re
import subprocess
import sys

LISTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include", "meshgw_stats.h")


def read_list(macro, fields):
    """The entries of `#define MACRO(X) X(...) X(...)` in LISTS, in order: the
    first `fields` arguments of each X(...), as tuples of identifiers."""
    text = open(LISTS).read()
    m = re.search(r"#define %s\(X\)((?:[^\n]*\\\n)*[^\n]*)" % macro, text)
    if not m:
        raise SystemExit("%s not found in %s" % (macro, LISTS))
    args = r",\s*".join([r"(\w+)"] * fields)
    return re.findall(r"\bX\(" + args + r"\s*[,)]", m.group(1))


STATS = ["%s/%s" % (prog, verdict) for _, prog, verdict in read_list("MG_STATS", 3)]
DROPS = [label for _, label in read_list("MG_DROPS", 2)]
PEER_COUNTERS = read_list("MG_PEER_COUNTERS", 2)
FO_REASONS = ["none", "probe_loss", "no_rx", "preferred_back", "address_changed"]


def parse_metrics(path):
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        m = line_re.match(line.rstrip("\n"))
        if not m:
            raise SystemExit("unparsable metrics line: %r" % line)
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def dump(pin, name):
    raw = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", "%s/%s" % (pin, name)],
                         check=True, capture_output=True, text=True).stdout
    return [e.get("formatted", e) for e in json.loads(raw)]


def cpu_sum(entry):
    """Sums a per-CPU entry's struct fields (arrays element-wise)."""
    total = {}
    for v in entry["values"]:
        for k, x in v["value"].items():
            if isinstance(x, list):
                total[k] = [a + b for a, b in zip(total.get(k, [0] * len(x)), x)]
            else:
                total[k] = total.get(k, 0) + x
    return total


def name_of(v):
    n = v["name"]
    if isinstance(n, list):
        n = bytes(int(c, 0) if isinstance(c, str) else c for c in n).split(b"\0")[0].decode()
    return n


def main():
    mfile, pin, site, ep_ip = sys.argv[1:5]
    want_fo = len(sys.argv) > 5
    m = parse_metrics(mfile)
    bad = 0

    def check(metric, labels, want):
        nonlocal bad
        key = (metric, tuple(sorted(labels.items())))
        got = m.get(key)
        same = got is not None and got == float(want)
        bad += not same
        print("%s %s%s = %s, bpftool %s" % ("same" if same else "DIFFERENT", metric,
              labels, got, want))

    info = dump(pin, "mg_peer_info")
    idx = [e["key"] for e in info if name_of(e["value"]) == site]
    if len(idx) != 1:
        raise SystemExit("site %s not in mg_peer_info" % site)
    peer = [cpu_sum(e) for e in dump(pin, "mg_peer_stats") if e["key"] == idx[0]][0]
    s = {"site": site}
    for field, metric in PEER_COUNTERS:
        check("meshgw_peer_%s_total" % metric, s, peer[field])
    for i, r in enumerate(DROPS):
        check("meshgw_peer_drops_total", {"site": site, "reason": r}, peer["drops"][i])

    stats = dump(pin, "mg_stats")
    if len(stats) != len(STATS):
        raise SystemExit("mg_stats has %d counters, %s lists %d" % (len(stats), LISTS, len(STATS)))
    for e in stats:
        prog, verdict = STATS[e["key"]].split("/")
        c = cpu_sum(e)
        check("meshgw_%s_packets_total" % prog, {"verdict": verdict}, c["packets"])
        check("meshgw_%s_bytes_total" % prog, {"verdict": verdict}, c["bytes"])

    want = [0] * 10 + [0xff, 0xff] + [int(x) for x in ep_ip.split(".")]
    for e in dump(pin, "mg_ep_stats"):
        addr = [int(a, 0) if isinstance(a, str) else a for a in e["key"]["addr"]]
        if addr == want:
            v = e["value"] if "value" in e else cpu_sum(e)
            check("meshgw_endpoint_receive_packets_total", {"site": site, "endpoint": "0"}, v["packets"])
            check("meshgw_endpoint_receive_bytes_total", {"site": site, "endpoint": "0"}, v["bytes"])
            break
    else:
        print("DIFFERENT: no mg_ep_stats entry for %s" % ep_ip)
        bad += 1

    if want_fo:
        rec = [e["value"] for e in dump(pin, "mg_failover") if name_of(e["key"]) == site]
        if len(rec) != 1:
            raise SystemExit("site %s not in mg_failover" % site)
        r = rec[0]
        check("meshgw_peer_active_endpoint", s, r["active"])
        for i, reason in enumerate(FO_REASONS[1:], 1):
            check("meshgw_failovers_total", {"site": site, "reason": reason}, r["failovers"][i])
        for i in range(r["n_endpoints"]):
            ep = r["endpoints"][i]
            lab = {"site": site, "endpoint": str(i)}
            check("meshgw_probes_sent_total", lab, ep["probes_sent"])
            check("meshgw_probe_replies_total", lab, ep["probe_replies"])
            check("meshgw_endpoint_up", lab, 1 if ep["health"] == 1 else 0)
            check("meshgw_endpoint_loss_ratio", lab, ep["loss_permille"] / 1000)
            if ep["probe_replies"]:
                check("meshgw_endpoint_rtt_seconds", lab, ep["rtt_ns"] / 1e9)
    sys.exit(1 if bad else 0)


main()
