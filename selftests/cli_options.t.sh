#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The options every command shares: `--version` (the version meshgw_build_info
# reports and the Debian package carries), `--help` and `-h` of every command exit 0
# with the usage on stdout (and a bad option exits 1 with it on stderr), `-v` logs
# debug lines before the command or among its options, and export's usage lists
# -k, -s and -i in the command list, its --help and the README.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
tmp=$(mktemp -d /tmp/meshgw-cli.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"

# --- --version ---------------------------------------------------------------------
v=$(sed -n 's/^#define MESHGW_VERSION "\(.*\)"$/\1/p' "$SRC/user/observe/metrics.h")
t "the sources define MESHGW_VERSION (meshgw_build_info's label)" test -n "$v"
is "meshgw --version prints 'meshgw $v'" "$("$MESHGW" --version)" "meshgw $v"
if [ -f "$SRC/debian/changelog" ]; then
	# Native package: its version is the program's.
	is "debian/changelog's newest entry is version $v" \
		"$(sed -n '1s/^meshgw (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")" "$v"
fi

# --- --help and -h: exit 0, usage on stdout, nothing on stderr --------------------------
for c in genkey pubkey genpsk check up down run show metrics export; do
	for h in --help -h; do
		t "meshgw $c $h: exit 0, 'Usage: meshgw $c' on stdout, stderr empty" \
			bash -c "'$MESHGW' $c $h >'$tmp/o' 2>'$tmp/e' && grep -q '^Usage: meshgw $c' '$tmp/o' && ! [ -s '$tmp/e' ]"
	done
	t "meshgw $c --frobnicate: exit 1, usage on stderr" \
		bash -c "! '$MESHGW' $c --frobnicate >'$tmp/o' 2>'$tmp/e' </dev/null && grep -q 'Usage: meshgw $c' '$tmp/e'"
done
t "meshgw --help: exit 0, the command list" bash -c "'$MESHGW' --help | grep -q '^  export '"
t "meshgw --help mentions --version and -v" \
	bash -c "'$MESHGW' --help | grep -q -- '--version' && '$MESHGW' --help | grep -q -- '-v'"

# --- -v: debug lines ---------------------------------------------------------------------
ex=$tmp/ex
cp -r "$SRC/examples" "$ex"
chmod 600 "$ex"/*/*.key	# a checkout may carry them 0644; meshgw refuses those
args=(-c "$ex/three-sites/mesh.conf" -l "$ex/three-sites/site1.local.conf")
t "check without -v: no debug line" bash -c "'$MESHGW' check ${args[*]} 2>'$tmp/e' >/dev/null && ! grep -q debug: '$tmp/e'"
t "meshgw -v check: a debug line per site" \
	bash -c "'$MESHGW' -v check ${args[*]} 2>'$tmp/e' >/dev/null && [ \$(grep -c '^meshgw: debug: site ' '$tmp/e') = 3 ]"
t "meshgw check -v: the same" \
	bash -c "'$MESHGW' check -v ${args[*]} 2>'$tmp/e' >/dev/null && [ \$(grep -c '^meshgw: debug: site ' '$tmp/e') = 3 ]"
t "meshgw check --verbose: the same" \
	bash -c "'$MESHGW' check --verbose ${args[*]} 2>'$tmp/e' >/dev/null && grep -q '^meshgw: debug: site site1 (this gateway)' '$tmp/e'"
t "meshgw -v alone prints the usage" bash -c "'$MESHGW' -v | grep -q 'Usage: meshgw'"

# --- export's options, everywhere they are listed -------------------------------------------
for o in -k -s -i; do
	t "export $o in meshgw's command list" bash -c "'$MESHGW' --help | grep '^  export ' | grep -q -- '\\[$o '"
	t "export $o in meshgw export --help" bash -c "'$MESHGW' export --help | grep -q -- '^  $o '"
	t "export $o in the README's command list" grep -qE -- "^meshgw export .*\\[$o " "$SRC/README.md"
done

echo "1..$n"
[ "$failed" = 0 ]
