#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every source file names its licence in an SPDX line within its first three lines
# (see LICENSE): bpf/, include/ and selftests/bpf/ (code others may reuse, as libbpf's
# headers) "(GPL-2.0-only OR BSD-2-Clause)", everything else "GPL-2.0-only"; and the
# BPF objects declare the dual licence to the kernel. Not source: the README and
# other Markdown, .gitignore, example key files (a key and nothing else), the fuzz
# corpus (parser input), the Debian files whose format has no comments. Files from `git ls-files`, or from the tree without build/.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/selftests/lib/tap.sh"
cd "$SRC" || exit 1

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files)
else
	files=$(find . -path ./build -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||')
fi
missing="" wrong="" count=0
# Each file's SPDX line (within its first 3 lines), read by one awk for all files
# (a head and a grep per file cost 15 s under make check's load).
declare -A spdx=()
checked=()
while IFS= read -r f; do
	case $f in
	*.md | .gitignore | *.key | selftests/fuzz/corpus/* | LICENSE | LICENSES/*) continue ;;
	# Formats without comments; debian/copyright names every licence itself.
	debian/changelog | debian/copyright | debian/source/format | debian/meshgw.docs) continue ;;
	esac
	[ -f "$f" ] && checked+=("$f")
done <<<"$files"
while IFS=$'\t' read -r f line; do
	spdx[$f]=$line
done < <(awk 'FNR == 1 { seen = 0 } FNR <= 3 && !seen && /SPDX-License-Identifier:/ { print FILENAME "\t" $0; seen = 1 }' \
	"${checked[@]}")
for f in "${checked[@]}"; do
	case $f in
	bpf/* | include/* | selftests/bpf/*) want='(GPL-2.0-only OR BSD-2-Clause)' ;;
	*) want='GPL-2.0-only' ;;
	esac
	count=$((count + 1))
	line=${spdx[$f]:-}
	if [ -z "$line" ]; then
		missing+=" $f"
	elif [[ $line != *"SPDX-License-Identifier: $want"* ]]; then
		wrong+=" $f"
	fi
done
t "$count source files: each has an SPDX line${missing:+ (missing:$missing)}" test -z "$missing"
t "  with its folder's licence${wrong:+ (other licence:$wrong)}" test -z "$wrong"
t "the licence texts are there" test -s LICENSE -a -s LICENSES/GPL-2.0 -a -s LICENSES/BSD-2-Clause
bad=$(grep -L 'SEC("license") = "Dual BSD/GPL"' bpf/*.bpf.c selftests/bpf/*.bpf.c | xargs)
t "every BPF program declares \"Dual BSD/GPL\"${bad:+ (not: $bad)}" test -z "$bad"
tap_done
