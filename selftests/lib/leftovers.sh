# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# What the product's own `down` must have removed, checked before a cleanup removes
# anything, so a cleanup never hides what the product leaves behind. Sourced by
# tap.sh (tests) and by the benchmarks and the demo, which print no TAP.

# What the product's own `down` must have removed (pin directories, state files):
# check it with `t "... nothing left" nothing_left PATH...` before any cleanup
# removes anything, so a cleanup never hides what the product leaves behind.
# nothing_left PATH...: 0 when none of them exists; else lists what is there.
nothing_left() {
	local p rc=0
	for p; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			echo "left behind: $p"
			[ -d "$p" ] && ls -A "$p" | sed 's/^/  /'
			rc=1
		fi
	done
	return $rc
}

# remove_left PATH...: the last resort of a cleanup trap, after the check above (or
# when the test stopped before it): removes what is still there and says so, as a
# TAP comment, so a failed run leaves no debris and no silence either.
remove_left() {
	local p
	for p; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			echo "# cleanup: removing what was left behind: $p"
			rm -rf "$p"
		fi
	done
}

# remove_pin_root DIR: DIR is the script's own parent of the PinPaths it gave meshgw
# (or meshgw's default root). Whatever the product left inside it is named first,
# then DIR goes.
remove_pin_root() {
	local d=$1
	[ -d "$d" ] || return 0
	if [ -n "$(ls -A "$d" 2>/dev/null)" ]; then
		echo "# cleanup: meshgw left behind in $d:"
		find "$d" -mindepth 1 | sed 's/^/#   /'
	fi
	rm -rf "$d"
}
