#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Failover through the gateway's own uplinks: selftests/uplinks.t.sh (site A's
# gateway is its router, two ISPs with BCP 38 filters; B with two uplinks; pings
# every 20 ms) run ROUNDS times (default 5), each scenario's longest gap in
# replies collected: prints the median and p95 (nearest rank) per scenario
# against the goal (0.5 s p95 for a failover; a fail-back should cost nothing).
# wireguard-go on this host; the VM (kernel WireGuard) is too slow under TCG to
# time. Never fails on slowness; fails when a round fails.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$here/../build}
MESHGW=${MESHGW:-$OUT/meshgw}
ROUNDS=${ROUNDS:-5}
if [ "$(id -u)" != 0 ]; then echo "uplinks: skipped (needs root)"; exit 0; fi
log=$(mktemp /tmp/meshgw-bench-uplinks.XXXXXX)
trap 'rm -f "$log"' EXIT
for r in $(seq "$ROUNDS"); do
	# UL_LOGS: the round's output ends with the tail of each daemon's log.
	if ! UL_LOGS=1 MESHGW=$MESHGW OUT=$OUT bash "$here/uplinks.t.sh" >"$log.round" 2>&1; then
		echo "uplinks: round $r failed:"
		grep '^not ok' "$log.round"
		rm -f "$log.round"
		exit 1
	fi
	grep -E '^# [0-9]: .*longest gap in replies [0-9.]+ s' "$log.round" >>"$log"
	# A round with a failover over the goal keeps its whole output, to be looked at
	# (one of five rounds of scenario 5 took 0.83-0.88 s in two runs, never alone).
	if awk '/^# [0-9]: .*longest gap in replies/ && !/back/ {
			for (i = 1; i < NF; i++) if ($i == "replies" && $(i + 1) > 0.5) slow = 1
		} END { exit !slow }' "$log.round"; then
		kept=/tmp/meshgw-bench-uplinks-round$r.$$.log
		mv "$log.round" "$kept"
		echo "uplinks: round $r: a failover took over 0.5 s; its output kept in $kept"
	fi
	rm -f "$log.round"
done
python3 - "$log" "$ROUNDS" <<'PY'
import math, re, sys
gaps = {}
for line in open(sys.argv[1]):
    m = re.match(r'# (\d): (.*): longest gap in replies ([0-9.]+) s', line)
    if m:
        gaps.setdefault((int(m.group(1)), m.group(2)), []).append(float(m.group(3)))
print("uplinks: longest gap in replies per scenario, %s rounds (wireguard-go)" % sys.argv[2])
for (n, label), v in sorted(gaps.items()):
    v.sort()
    p95 = v[max(0, math.ceil(0.95 * len(v)) - 1)]
    back = "fail-back" in label or "back:" in label
    goal = "" if back else ("  (goal 0.5 s p95: %s)" % ("met" if p95 <= 0.5 else "NOT met"))
    print("  %d. %-48s median %.3f s  p95 %.3f s  max %.3f s%s" % (n, label, v[len(v) // 2], p95, v[-1], goal))
PY
