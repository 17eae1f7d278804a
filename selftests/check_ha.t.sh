#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# meshgw check --ha OTHER_MESH (README "Two gateways at one site"): the mistakes of a
# pair, each reported with file:line and exit 1; the pair that is right passes and
# says what it cannot check (the site router's port forward). Runs in a namespace
# that stands for box 1 of site b: its own uplink address 198.18.0.11 and, as
# master, the VRRP address 203.0.113.2.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/selftests/lib/tap.sh"
. "$SRC/selftests/lib/twosite.sh"
twosite_require userspace ip
twosite_init ck
box=$gB
twosite_ns "$box"
# A veth (this kernel has no dummy module): up0 and its unused peer.
ip -n "$box" link add up0 type veth peer name up0p
ip -n "$box" link set up0 up
ip -n "$box" addr add 198.18.0.11/24 dev up0
ip -n "$box" addr add 203.0.113.2/24 dev up0
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
twosite_local b "UplinkInterface = up0" "HaAddress = 10.2.0.1, 203.0.113.2"
# check NAME...: box 1's `meshgw check` with these arguments; its output in $tmp/out.
check() { N "$box" "$MESHGW" check -c "$tmp/mesh.conf" -l "$tmp/b.local" "$@" >"$tmp/out" 2>&1; }
fails() { ! "$@"; }
said() { grep -qF -- "$1" "$tmp/out" || { cat "$tmp/out"; return 1; }; }

# The other box's copy: comments and spacing differ, nothing else.
{ echo "# box 2's copy"; sed 's/ = /   =   /' "$tmp/mesh.conf"; } >"$tmp/other.conf"
t "the same mesh file (comments, spacing aside): OK" check --ha "$tmp/other.conf"
t "  says what it cannot check: the router's forward to a VRRP address" \
	said "not checked (in no file meshgw reads): that the site router forwards UDP 51820 to a VRRP address (10.2.0.1, 203.0.113.2)"
t "  --ha=FILE works too" check --ha="$tmp/other.conf"

sed 's/^Egress = 10.2.0.0\/24$/Egress = 10.2.0.0\/23/' "$tmp/mesh.conf" >"$tmp/other.conf"
line=$(grep -n '^Egress = 10.2.0.0/24$' "$tmp/mesh.conf" | cut -d: -f1)
t "mesh files that differ: exit 1" fails check --ha "$tmp/other.conf"
t "  the first difference at both lines" \
	said "$tmp/mesh.conf:$line: 'egress = 10.2.0.0/24' here, 'egress = 10.2.0.0/23' in $tmp/other.conf:$line: the two boxes of a pair need the same mesh file"

# Site b's Endpoint on box 1's own address: the other sites would reach it alone.
twosite_mesh | sed 's/^Endpoint = 203.0.113.2:51820$/Endpoint = 198.18.0.11:51820/' >"$tmp/mesh.conf"
cp "$tmp/mesh.conf" "$tmp/other.conf"
line=$(grep -n '^Endpoint = 198.18.0.11:51820$' "$tmp/mesh.conf" | cut -d: -f1)
t "an Endpoint on the box's own address: exit 1" fails check --ha "$tmp/other.conf"
t "  said at the Endpoint's line, with the HaAddress line" \
	said "$tmp/mesh.conf:$line: Endpoint 198.18.0.11:51820 of site b is this box's own address (on up0), not a VRRP address (HaAddress, $tmp/b.local:7)"
t "  without --ha, the same files pass (one gateway may have its own address)" check

twosite_mesh >"$tmp/mesh.conf"
cp "$tmp/mesh.conf" "$tmp/other.conf"
twosite_local b "UplinkInterface = up0"
t "no HaAddress with --ha: exit 1" fails check --ha "$tmp/other.conf"
t "  said at [Local]" said "$tmp/b.local:1: --ha: [Local] has no HaAddress"
t "--ha without a file: usage, exit 1" bash -c "! $MESHGW check -c $tmp/mesh.conf -l $tmp/b.local --ha 2>$tmp/out"
t "  the usage names --ha" said "Usage: meshgw check [-c MESH] [-l LOCAL] [--ha OTHER_MESH]"
t "check --help names --ha" bash -c "$MESHGW check --help | grep -qF -- '--ha OTHER_MESH'"
t "an unreadable other file: exit 1, said" fails check --ha "$tmp/nope.conf"
t "  with its path" said "$tmp/nope.conf: cannot open"
tap_done
