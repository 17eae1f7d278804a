#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The capabilities in packaging/meshgw.service are enough and each one listed is
# needed: `meshgw up` (twice: the second adopts what the first attached), `show` and
# `down` run with exactly the unit's CapabilityBoundingSet, as root, the way systemd
# starts the service; then with one capability less, up fails. Userspace backend
# (wireguard-go), data plane on a veth LAN, in a private network namespace.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
UNIT=$SRC/packaging/meshgw.service
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (network namespaces)"; exit 0; fi
for c in wireguard-go setpriv ip; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c not installed"; exit 0; }
done
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
BACKEND=userspace
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_init c
# Site a of the fixture's mesh file, alone in a namespace each scenario makes afresh.
ns=$gA lan=lan0 wg=$wgA
nss+=("$ns")	# the cleanup deletes it if a scenario was cut short
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
twosite_local a "Backend = userspace"

# The unit's set, "CAP_NET_ADMIN CAP_BPF ..." -> "+net_admin,+bpf,...".
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
t "the unit lists a capability bounding set" test -n "$unit_caps"
setpriv_caps() { # setpriv_caps CAP...: setpriv syntax
	local c out=
	for c in "$@"; do c=${c#CAP_}; out+=",+${c,,}"; done
	echo "${out#,}"
}
ambient=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")
t "AmbientCapabilities equals the bounding set" test "$ambient" = "$unit_caps"

# One scenario in a fresh namespace, one `ip netns exec` (one mount namespace) so the
# pins made by up are there for the second up, show and down. Prints what failed.
scenario() { # scenario SETPRIV_CAPS [first]: "first" = bpffs mounted beforehand, first up only
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add "$lan" type veth peer name "${lan}p"
	ip -n "$ns" link set "$lan" up && ip -n "$ns" link set "${lan}p" up
	ip -n "$ns" addr add 10.1.0.1/24 dev "$lan"
	ip netns exec "$ns" bash -c '
		caps=$1 m=$2 c=$3 l=$4 mode=$5
		run() { setpriv --bounding-set=-all,$caps --inh-caps=-all --ambient-caps=-all "$m" "$@" -c "$c" -l "$l"; }
		[ "$mode" = first ] && mount -t bpf bpf /sys/fs/bpf
		run up || { echo "FAILED: up"; exit 1; }
		[ "$mode" = first ] && exit 0
		run up || { echo "FAILED: second up"; exit 1; }
		run show >/tmp/show.$$ 2>&1 || { cat /tmp/show.$$; rm -f /tmp/show.$$; echo "FAILED: show"; exit 1; }
		grep -q "data plane: pinned" /tmp/show.$$ || { cat /tmp/show.$$; rm -f /tmp/show.$$; echo "FAILED: data plane not up"; exit 1; }
		rm -f /tmp/show.$$
		run down || { echo "FAILED: down"; exit 1; }
	' scenario "$1" "$MESHGW" "$tmp/mesh.conf" "$tmp/a.local" "${2:-}" >"$tmp/scenario.out" 2>&1
	local rc=$?
	# leave nothing behind for the next scenario
	ip netns exec "$ns" "$MESHGW" down -c "$tmp/mesh.conf" -l "$tmp/a.local" >/dev/null 2>&1 || true
	ip netns del "$ns"
	return $rc
}

# shellcheck disable=SC2086
all=$(setpriv_caps $unit_caps)
t "up, up again, show (data plane pinned) and down with exactly the unit's capabilities ($all)" \
	bash -c "$(declare -f scenario); ns=$ns lan=$lan MESHGW=$MESHGW tmp=$tmp; scenario '$all' || { cat '$tmp/scenario.out'; exit 1; }"
t "  wireguard-go of $wg exited with its link" bash -c "! [ -S /run/wireguard/$wg.sock ] || sleep 1; ! [ -S /run/wireguard/$wg.sock ]"
# CAP_SYS_ADMIN implies CAP_BPF and CAP_PERFMON for bpf(); those two are shown
# needed with CAP_SYS_ADMIN gone too, for a first `up` on a mounted bpffs (the one
# case that works without CAP_SYS_ADMIN).
t "without CAP_SYS_ADMIN but bpffs mounted, a first up works" \
	bash -c "$(declare -f scenario); ns=$ns lan=$lan MESHGW=$MESHGW tmp=$tmp; scenario '$(setpriv_caps $(echo $unit_caps | sed 's/CAP_SYS_ADMIN//'))' first || { cat '$tmp/scenario.out'; exit 1; }"
for drop in $unit_caps; do
	rest=() mode=
	for c in $unit_caps; do
		[ "$c" = "$drop" ] && continue
		[ "$c" = CAP_SYS_ADMIN ] && [ "$drop" = CAP_BPF -o "$drop" = CAP_PERFMON ] && continue
		rest+=("$c")
	done
	[ "$drop" = CAP_BPF -o "$drop" = CAP_PERFMON ] && mode=first
	set +e
	( ns=$ns lan=$lan; scenario "$(setpriv_caps "${rest[@]}")" $mode )
	rc=$?
	set -e
	if [ $rc != 0 ]; then
		ok "with only ${rest[*]} meshgw fails: $drop is needed ($(grep -m1 -E 'FAILED|prohibited' "$tmp/scenario.out"))"
	else
		not_ok "with only ${rest[*]} meshgw still works: the unit need not grant $drop"
	fi
done

# --- what down leaves behind, checked before the cleanup removes anything ----------------
# Every scenario ended with `meshgw down` (all capabilities). Under ip netns exec the
# pins are on the host's bpffs when it has one: /sys/fs/bpf/meshgw/$wg here.
poll 5 nothing_left /run/wireguard/$wg.sock || true	# wireguard-go removes it as it exits
t "nothing left after down: state, pins, wireguard-go's socket" \
	nothing_left /run/meshgw/$wg.state /sys/fs/bpf/meshgw/$wg /run/wireguard/$wg.sock

echo "1..$n"
[ "$failed" = 0 ]
