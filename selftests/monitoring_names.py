#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The PromQL of the monitoring kit (alert rules YAML, Grafana dashboard JSON),
checked against what meshgw serves.

usage: monitoring_names.py [--promql-rules OUT] [--scrape FILE] [--allow NAME]...
                           RULES.yml DASHBOARD.json

--promql-rules OUT  writes every expression (the dashboard's with Grafana's
                    variables replaced by plain values, label_values(Q, l) as Q) as a
                    recording rule, for `promtool check rules OUT` to parse.
--scrape FILE       a Prometheus text exposition (`meshgw metrics`, or the daemon's
                    GET /metrics): every meshgw_* metric the expressions name must be a
                    family there (a HELP/TYPE line or a sample); --allow names one that
                    may be absent (served only by the daemon).
Prints the names it checked; exit 1 on a missing name or an expression it cannot
read. Reads the YAML line by line (no PyYAML in the test set): an `expr:` is one
line, or a `|`/`>` block under it.
"""
import json
import re
import sys

NAME = re.compile(r"\bmeshgw_[a-zA-Z0-9_]+\b")
# Grafana's built-in intervals, then any other $var / ${var} (template variables
# sit inside label matchers, where any string parses).
GRAFANA_INTERVALS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def unquote(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        if v[0] == '"':
            return json.loads(v)
        return v[1:-1].replace("''", "'")
    return v


def rules_exprs(path):
    lines = open(path).read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:- )?expr:\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        indent, value = len(m.group(1)), m.group(2).strip()
        if value in ("|", "|-", ">", ">-"):
            block = []
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                i += 1
            value = (" " if value.startswith(">") else "\n").join(block).strip()
        else:
            value = unquote(value)
        if not value:
            raise SystemExit("%s: an empty or unreadable expr near line %d" % (path, i))
        out.append(value)
    return out


def dashboard_exprs(path):
    out = []

    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("expr"), str):
                out.append(o["expr"])
            q = o.get("query")
            if isinstance(q, dict):
                q = q.get("query")
            if isinstance(q, str) and q.startswith("label_values("):
                m = re.match(r"^label_values\((.*),\s*[a-zA-Z_]+\s*\)$", q)
                if not m:
                    raise SystemExit("%s: cannot read template query %r" % (path, q))
                out.append(m.group(1))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.load(open(path)))
    return out


def plain(expr):
    for k, v in GRAFANA_INTERVALS.items():
        expr = expr.replace(k, v)
    return re.sub(r"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?", "x", expr)


def families(path):
    names = set()
    for line in open(path):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line.strip() and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, 1)[0])
    return names


def main(argv):
    out_rules = scrape = None
    allow = set()
    files = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--promql-rules", "--scrape", "--allow"):
            if i + 1 >= len(argv):
                raise SystemExit(__doc__)
            v = argv[i + 1]
            if a == "--promql-rules":
                out_rules = v
            elif a == "--scrape":
                scrape = v
            else:
                allow.add(v)
            i += 2
        else:
            files.append(a)
            i += 1
    if len(files) != 2:
        raise SystemExit(__doc__)
    rules, dash = rules_exprs(files[0]), dashboard_exprs(files[1])
    if not rules or not dash:
        raise SystemExit("no expressions found (%d in %s, %d in %s)" %
                         (len(rules), files[0], len(dash), files[1]))
    exprs = [(files[0], e) for e in rules] + [(files[1], plain(e)) for e in dash]
    print("# %d expressions: %d in %s, %d in %s" % (len(exprs), len(rules), files[0],
                                                    len(dash), files[1]))
    if out_rules:
        with open(out_rules, "w") as f:
            f.write("groups:\n  - name: monitoring_kit_expressions\n    rules:\n")
            for n, (_, e) in enumerate(exprs):
                # a JSON string is a YAML double-quoted scalar
                f.write("      - record: meshgw_kit:expr%d\n        expr: %s\n" % (n, json.dumps(e)))
    bad = 0
    if scrape:
        served = families(scrape)
        used = {}
        for src, e in exprs:
            for name in NAME.findall(e):
                used.setdefault(name, src)
        for name in sorted(used):
            if name in served:
                print("served  %s" % name)
            elif name in allow:
                print("allowed %s (not in %s: daemon only)" % (name, scrape))
            else:
                print("MISSING %s (used in %s, not in %s)" % (name, used[name], scrape))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
