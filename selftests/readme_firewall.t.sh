#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's nftables snippet for the gateway's own firewall (step 2 of
# "Installing on a gateway") must load as printed, and do what the text says:
# in a namespace with the names it uses (eth0 LAN, eth1 uplink, wg0 WireGuard,
# UDP 55555), loading it leaves an input chain that accepts the WireGuard port
# and a forward chain that passes LAN <-> wg0 and LAN -> uplink.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/selftests/lib/tap.sh"

if [ "$(id -u)" != 0 ] || ! command -v nft > /dev/null; then
	echo "1..0 # SKIP needs root and nft"
	exit 0
fi
ns=mgfw$$
tmp=$(mktemp -d /tmp/meshgw-fw.XXXXXX)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

awk '/^     table inet meshgw_fw \{/ { f = 1 } f { print } f && /^     \}$/ { exit }' "$SRC/README.md" |
	sed 's/^     //' > "$tmp/fw.nft"
t "the README has the firewall snippet" grep -q 'table inet meshgw_fw' "$tmp/fw.nft"
ip netns add "$ns"
t "it loads with nft -f, as printed" ip netns exec "$ns" nft -f "$tmp/fw.nft"
ip netns exec "$ns" nft list ruleset > "$tmp/rules" 2>&1
t "input: policy drop, the WireGuard port accepted" bash -c \
	"grep -q 'hook input priority filter; policy drop;' $tmp/rules && grep -q 'udp dport 55555 accept' $tmp/rules"
t "forward: LAN to wg0 and the uplink, wg0 to LAN" bash -c \
	"grep -q 'iifname \"eth0\" oifname { \"wg0\", \"eth1\" } accept' $tmp/rules && grep -q 'iifname \"wg0\" oifname \"eth0\" accept' $tmp/rules"
tap_done
