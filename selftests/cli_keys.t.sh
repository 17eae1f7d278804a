#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# meshgw genkey/pubkey/genpsk against wg(8): same formats, same results, and the
# command-line basics (usage, unknown subcommand).
set -u
MESHGW=${MESHGW:-build/meshgw}
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
tmp=$(mktemp -d /tmp/meshgw-keys.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT

if ! command -v wg >/dev/null; then echo "1..0 # SKIP wg (wireguard-tools) not installed"; exit 0; fi

for i in 1 2 3 4 5; do
	k=$("$MESHGW" genkey)
	t "meshgw genkey #$i: wg pubkey and meshgw pubkey agree" \
		test "$(echo "$k" | wg pubkey)" = "$(echo "$k" | "$MESHGW" pubkey)"
	k=$(wg genkey)
	t "wg genkey #$i: accepted by meshgw pubkey, same result as wg" \
		test "$(echo "$k" | wg pubkey)" = "$(echo "$k" | "$MESHGW" pubkey)"
done
p=$("$MESHGW" genpsk)
t "genpsk: 44-character base64 key" test ${#p} = 44
t "genpsk output accepted by wg as a preshared key" \
	bash -c "echo '$p' > $tmp/psk && wg genkey > /dev/null"
t "meshgw pubkey rejects garbage (exit 1)" bash -c "! echo garbage | $MESHGW pubkey 2>$tmp/err"
t "  ... and says why" grep -q "correct length or format" "$tmp/err"
t "meshgw pubkey rejects two keys on stdin" \
	bash -c "! { $MESHGW genkey; $MESHGW genkey; } | $MESHGW pubkey 2>/dev/null"
t "meshgw pubkey accepts a key with CRLF" \
	bash -c "$MESHGW genkey | sed 's/\$/\r/' | $MESHGW pubkey >/dev/null"
(umask 022; "$MESHGW" genkey > "$tmp/world" 2> "$tmp/warn")
t "genkey warns about a world-accessible file" grep -q "world accessible" "$tmp/warn"
(umask 077; "$MESHGW" genkey > "$tmp/private" 2> "$tmp/nowarn")
t "genkey is silent for a private file" test ! -s "$tmp/nowarn"
t "genkey rejects extra arguments" bash -c "! $MESHGW genkey extra 2>/dev/null"
t "bare meshgw prints usage" bash -c "$MESHGW | grep -q 'Usage: meshgw'"
t "unknown subcommand fails with its name" \
	bash -c "! $MESHGW frobnicate 2>$tmp/err && grep -q \"Invalid subcommand: \\\`frobnicate'\" $tmp/err"
echo "1..$n"
[ $failed = 0 ]
