#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The options every command shares: `--version` (the version meshgw_build_info
# reports and the Debian package carries), `--help` and `-h` of every command exit 0
# with the usage on stdout (and a bad option exits 1 with it on stderr), `-v` logs
# debug lines before the command or among its options, export's usage lists
# -k, -s and -i in the command list, its --help and the README, and the help texts
# keep their columns.
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

# --- the layout of the help texts -----------------------------------------------------------
# The command list: every command's help starts in one column (genkey's), on its
# line or, after arguments too long for theirs, on the next; no line over 100.
# A help starts with a capitalised verb; arguments have no such word.
t "meshgw --help: every command's help in one column, lines of at most 100" bash -c \
	"'$MESHGW' --help | awk '
		/^Available commands:/ { on = 1; next }
		on && /^\$/ { on = 0 }
		!on { next }
		length(\$0) > 100 { bad = 1 }
		NR == 5 { match(\$0, /^  [a-z]+ +/); col = RLENGTH + 1 }
		want { if (match(\$0, /^ +/) && RLENGTH == col - 1 && substr(\$0, col, 1) ~ /[A-Z]/) want = 0; else bad = 1; next }
		/^  [a-z]/ { n++; p = match(\$0, / [A-Z][a-z]/); if (!p) want = 1; else if (p + 1 != col) bad = 1; next }
		{ if (!match(\$0, /^ +/) || RLENGTH != col - 1) bad = 1 }
		END { exit bad || want || n < 10 || col < 10 }'"
# The option lists of check and export: every description in the column of the
# first one, continuation lines too.
for c in check export; do
	t "meshgw $c --help: the option descriptions in one column" bash -c \
		"'$MESHGW' $c --help | awk '
			NR == 1 { next }
			/^  -/ { n++; match(\$0, /^  -[-a-z]*( [A-Z_.]+)? +/); if (!col) col = RLENGTH + 1; else if (RLENGTH + 1 != col) bad = 1; next }
			{ if (!match(\$0, /^ +/) || RLENGTH != col - 1) bad = 1 }
			END { exit bad || n < 3 }'"
done

echo "1..$n"
[ "$failed" = 0 ]
