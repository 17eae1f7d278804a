#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The monitoring kit: examples/prometheus/meshgw.rules.yml passes `promtool check
# rules`, and its unit tests (meshgw.rules.test.yml) pass `promtool test rules`, with
# every alert tested both firing and silent; every PromQL expression of the Grafana
# dashboard (examples/grafana/meshgw.json) and of the rules parses (promtool check
# rules on them wrapped as recording rules) and names only metrics `meshgw metrics`
# serves (the daemon-only meshgw_config_last_reload_* allowed here: show_metrics.t.sh
# checks every name against a real scrape of `meshgw run`). And the checks can fail: a
# misspelled metric and a broken expression are caught.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
command -v promtool >/dev/null || { echo "1..0 # SKIP promtool not installed (Debian package prometheus)"; exit 0; }
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
. "$SRC/selftests/lib/tap.sh"
TMP=$(mktemp -d /tmp/meshgw-monitoring.$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
RULES=$SRC/examples/prometheus/meshgw.rules.yml
RTEST=$SRC/examples/prometheus/meshgw.rules.test.yml
DASH=$SRC/examples/grafana/meshgw.json
NAMES=$SRC/selftests/monitoring_names.py
DAEMON_ONLY=(--allow meshgw_config_last_reload_successful
	--allow meshgw_config_last_reload_success_timestamp_seconds)

# --- the alert rules ------------------------------------------------------------------------
t "promtool check rules meshgw.rules.yml" promtool check rules "$RULES"
t "promtool test rules meshgw.rules.test.yml" promtool test rules "$RTEST"
# Each alert of the rules file has a test case where it fires (exp_labels) and one
# where it stays silent (exp_alerts: []).
t "every alert is tested firing and silent" python3 - "$RULES" "$RTEST" <<'PY'
import re, sys
alerts = re.findall(r"^\s*- alert:\s*(\S+)", open(sys.argv[1]).read(), re.M)
fires, silent = set(), set()
name = None
for line in open(sys.argv[2]):
    m = re.match(r"^\s*alertname:\s*(\S+)", line)
    if m:
        name = m.group(1)
    elif name and re.match(r"^\s*exp_alerts:\s*\[\]", line):
        silent.add(name)
    elif name and re.match(r"^\s*- exp_labels:", line):
        fires.add(name)
missing = [a for a in alerts if a not in fires or a not in silent]
print("alerts: %s" % " ".join(alerts))
sys.exit("not tested both ways: %s" % missing if missing or len(alerts) < 6 else 0)
PY

# --- every expression parses, and names only served metrics --------------------------------
t "the dashboard is JSON" python3 -m json.tool "$DASH"
cp -r "$SRC/examples/two-sites" "$TMP/"
chmod 600 "$TMP"/two-sites/*.key
# Nothing is up under this PinPath: every family is still listed (HELP, TYPE).
printf 'PinPath = %s/nopin\n' "$TMP" >>"$TMP/two-sites/london.local.conf"
t "meshgw metrics of the London example (nothing up)" \
	bash -c "'$MESHGW' metrics -c '$TMP/two-sites/mesh.conf' -l '$TMP/two-sites/london.local.conf' >'$TMP/scrape'"
t "every expression of the rules and the dashboard names only served metrics" \
	python3 "$NAMES" --promql-rules "$TMP/exprs.yml" --scrape "$TMP/scrape" "${DAEMON_ONLY[@]}" "$RULES" "$DASH"
n_expr=$(grep -c 'record:' "$TMP/exprs.yml" 2>/dev/null)
echo "# $n_expr expressions"
t "  ... and each parses (promtool check rules on them as recording rules)" \
	promtool check rules "$TMP/exprs.yml"
t "  the dashboard's are there (at least 25: panels and template variables)" \
	test "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))).count("\"expr\": "))' "$DASH")" -ge 25
want_panels=("Endpoints" "Active endpoint per peer" "Handshake age" "Traffic per peer (out +, in −)"
	"Failovers by reason" "Fast-path share" "Peer sites" "Data plane, WireGuard, failover loop")
for p in "${want_panels[@]}"; do
	t "  dashboard panel: $p" grep -qF "\"title\": \"$p\"" "$DASH"
done

# --- the checks can fail ------------------------------------------------------------------------
sed 's/meshgw_peer_active_endpoint/meshgw_peer_active_endpiont/' "$DASH" >"$TMP/typo.json"
t "a misspelled metric in the dashboard is caught" \
	bash -c "! python3 '$NAMES' --scrape '$TMP/scrape' ${DAEMON_ONLY[*]} '$RULES' '$TMP/typo.json' >'$TMP/typo.out'"
t "  and named" grep -q "MISSING meshgw_peer_active_endpiont" "$TMP/typo.out"
sed 's/sum by (instance, site, reason) (rate(meshgw_peer_drops_total/sum by (instance, site, reason) rate((meshgw_peer_drops_total/' \
	"$DASH" >"$TMP/broken.json"
python3 "$NAMES" --promql-rules "$TMP/broken.yml" "$RULES" "$TMP/broken.json" >/dev/null
t "a broken expression in the dashboard fails promtool" bash -c "! promtool check rules '$TMP/broken.yml' >/dev/null 2>&1"
sed 's/sum by (instance, site) (increase(meshgw_failovers_total\[30m\])) > 4/sum by (instance, site) (increase(meshgw_failovers_total[30m])) > 40/' \
	"$RULES" >"$TMP/meshgw.rules.yml"
sed "s|^  - meshgw.rules.yml|  - $TMP/meshgw.rules.yml|" "$RTEST" >"$TMP/rules.test.yml"
t "a changed alert threshold fails the rules' unit tests" \
	bash -c "! promtool test rules '$TMP/rules.test.yml' >/dev/null 2>&1"
tap_done
