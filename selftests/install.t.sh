#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make install into a scratch DESTDIR: every file lands with a sane mode, the unit
# points at the installed program and passes systemd-analyze verify, the man page
# renders without groff warnings, the bash completion completes, the installed
# program runs and checks the installed examples, /etc/meshgw is created 0700 once
# and never overwritten; make uninstall removes every file install wrote and nothing
# else, keeping /etc/meshgw.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$SRC/build}
tmp=$(mktemp -d /tmp/meshgw-install.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
mode() { stat -c %a "$1"; }
is_mode() { # is_mode FILE MODE [regular|dir]
	[ "$(mode "$1")" = "$2" ] || { echo "$1: mode $(mode "$1"), want $2"; return 1; }
	[ "${3:-regular}" = dir ] && [ -d "$1" ] && return 0
	[ "${3:-regular}" = regular ] && [ -f "$1" ] && return 0
	echo "$1: not a ${3:-regular} file"; return 1
}

d=$tmp/root
t "make install DESTDIR=… PREFIX=/usr" \
	bash -c "make -C '$SRC' --no-print-directory OUT='$OUT' install DESTDIR='$d' PREFIX=/usr >'$tmp/make.log' 2>&1 || { cat '$tmp/make.log'; exit 1; }"
t "program: /usr/sbin/meshgw 0755" is_mode "$d/usr/sbin/meshgw" 755
t "unit: /usr/lib/systemd/system/meshgw.service 0644" is_mode "$d/usr/lib/systemd/system/meshgw.service" 644
t "  ExecStart is the installed program" grep -qx 'ExecStart=/usr/sbin/meshgw run' "$d/usr/lib/systemd/system/meshgw.service"
t "  no /usr/local path left in it" bash -c "! grep -n /usr/local '$d/usr/lib/systemd/system/meshgw.service'"
t "  no temporary file left" bash -c "[ \"\$(ls '$d/usr/lib/systemd/system')\" = meshgw.service ]"
t "man page: /usr/share/man/man8/meshgw.8 0644" is_mode "$d/usr/share/man/man8/meshgw.8" 644
t "bash completion: /usr/share/bash-completion/completions/meshgw 0644" \
	is_mode "$d/usr/share/bash-completion/completions/meshgw" 644
ex=$d/usr/share/doc/meshgw/examples
t "examples: README.md 0644" is_mode "$ex/README.md" 644
nfiles=$(cd "$SRC/examples" && find . -type f | wc -l)
t "examples: all $nfiles files of examples/ installed" test "$(cd "$ex" && find . -type f | wc -l)" = "$nfiles"
t "examples: every .conf 0644" bash -c "[ -z \"\$(find '$ex' -name '*.conf' ! -perm 0644)\" ]"
t "examples: every .key 0600 (meshgw refuses others)" \
	bash -c "[ -n \"\$(find '$ex' -name '*.key')\" ] && [ -z \"\$(find '$ex' -name '*.key' ! -perm 0600)\" ]"
t "examples: directories 0755" bash -c "[ -z \"\$(find '$ex' -type d ! -perm 0755)\" ]"
t "/etc/meshgw created, 0700, empty" bash -c "[ \"\$(stat -c %a '$d/etc/meshgw')\" = 700 ] && [ -z \"\$(ls -A '$d/etc/meshgw')\" ]"
t "nothing else installed" test "$(cd "$d" && find . -type f | grep -v '^./usr/share/doc/meshgw/examples/' | sort | xargs)" = \
	"./usr/lib/systemd/system/meshgw.service ./usr/sbin/meshgw ./usr/share/bash-completion/completions/meshgw ./usr/share/man/man8/meshgw.8"

# --- the installed program runs --------------------------------------------------------
t "installed meshgw prints its usage" bash -c "'$d/usr/sbin/meshgw' | grep -q 'Usage: meshgw'"
t "installed meshgw knows export" bash -c "'$d/usr/sbin/meshgw' | grep -q '^  export '"
t "installed meshgw checks the installed three-site example" \
	"$d/usr/sbin/meshgw" check -c "$ex/three-sites/mesh.conf" -l "$ex/three-sites/site1.local.conf"
t "installed meshgw exports from it" bash -c "'$d/usr/sbin/meshgw' export -f wg-quick -c '$ex/two-sites/mesh.conf' madrid | grep -q '^\[Peer\]'"

# --- existing configuration is never touched -------------------------------------------
chmod 0750 "$d/etc/meshgw"
echo "# mine" >"$d/etc/meshgw/mesh.conf"
t "second make install" \
	bash -c "make -C '$SRC' --no-print-directory OUT='$OUT' install DESTDIR='$d' PREFIX=/usr >'$tmp/make.log' 2>&1 || { cat '$tmp/make.log'; exit 1; }"
t "  leaves an existing /etc/meshgw's mode alone" test "$(mode "$d/etc/meshgw")" = 750
t "  and its files" test "$(cat "$d/etc/meshgw/mesh.conf")" = "# mine"

d2=$tmp/root2
t "make install with the default PREFIX" \
	bash -c "make -C '$SRC' --no-print-directory OUT='$OUT' install DESTDIR='$d2' >'$tmp/make.log' 2>&1 || { cat '$tmp/make.log'; exit 1; }"
t "  /usr/local/sbin/meshgw, unit in /usr/local/lib/systemd/system runs it" bash -c "[ -x '$d2/usr/local/sbin/meshgw' ] && grep -qx 'ExecStart=/usr/local/sbin/meshgw run' '$d2/usr/local/lib/systemd/system/meshgw.service'"
t "  nothing outside /usr/local but /etc/meshgw" test "$(cd "$d2" && find . -mindepth 1 -maxdepth 2 | sort | xargs)" = "./etc ./etc/meshgw ./usr ./usr/local"
t "  man page and completion under /usr/local/share" \
	test -f "$d2/usr/local/share/man/man8/meshgw.8" -a -f "$d2/usr/local/share/bash-completion/completions/meshgw"

# --- the unit ------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# verify wants the programs and the man page where the unit says: point it at DESTDIR.
	sed "s|/usr/sbin/meshgw|$d/usr/sbin/meshgw|g" "$d/usr/lib/systemd/system/meshgw.service" >"$tmp/meshgw.service"
	t "systemd-analyze verify meshgw.service: no complaint" \
		bash -c "MANPATH='$d/usr/share/man' systemd-analyze verify '$tmp/meshgw.service' >'$tmp/v' 2>&1; rc=\$?; cat '$tmp/v'; [ \$rc = 0 ] && [ ! -s '$tmp/v' ]"
else
	ok "# SKIP systemd-analyze not installed"
fi
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$d/usr/lib/systemd/system/meshgw.service")
t "capabilities: exactly NET_ADMIN BPF PERFMON SYS_ADMIN" test "$caps" = "CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_SYS_ADMIN"
for k in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'RuntimeDirectoryPreserve=yes' \
	'LimitMEMLOCK=infinity' 'ReadWritePaths=/sys/fs/bpf /run/meshgw /run/wireguard'; do
	t "unit has $k" grep -qxF "$k" "$d/usr/lib/systemd/system/meshgw.service"
done

# --- the man page ----------------------------------------------------------------------------
man8=$d/usr/share/man/man8/meshgw.8
if command -v groff >/dev/null; then
	t "man page renders without groff warnings (-ww)" \
		bash -c "groff -ww -man -Tutf8 '$man8' 2>'$tmp/w' >'$tmp/man.sgr'; rc=\$?; cat '$tmp/w'; [ \$rc = 0 ] && [ ! -s '$tmp/w' ]"
	sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g' "$tmp/man.sgr" >"$tmp/man.txt"	# plain text: no SGR or overstrike
	for c in genkey pubkey genpsk check up down run show metrics export; do
		t "man page documents meshgw $c" grep -qE "^       $c( |\$)" "$tmp/man.txt"
	done
	# every key the parsers accept (from the sources) appears in the man page
	keys=$(grep -ohE 'strcasecmp\(k, "[A-Za-z]+"\)' "$SRC/user/config/config.c" | cut -d'"' -f2
	       sed -n '/local_keys\[.*\] = {/,/};/p' "$SRC/user/config/config_local.c" | grep -oE '"[A-Za-z]+"' | tr -d '"')
	sed -n '/^CONFIGURATION/,/^SIGNALS/p' "$tmp/man.txt" >"$tmp/man.conf.txt"
	t "the sources list at least 15 keys" test "$(echo "$keys" | wc -w)" -ge 15
	for k in $keys; do
		t "man page documents $k (CONFIGURATION)" grep -qE "^ +$k = " "$tmp/man.conf.txt"
	done
	t "man page: SIGHUP and SIGTERM" bash -c "grep -q SIGHUP '$tmp/man.txt' && grep -q SIGTERM '$tmp/man.txt'"
else
	ok "# SKIP groff not installed"
fi

# --- bash completion ---------------------------------------------------------------------------
# Minimal stand-ins for bash-completion's helpers when that package is absent.
complete_words() { # complete_words WORD...: prints COMPREPLY for the last word
	bash -c '
		if [ -r /usr/share/bash-completion/bash_completion ]; then
			. /usr/share/bash-completion/bash_completion
		else
			_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]};
				words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
			_filedir() { COMPREPLY=($(compgen -f -- "$cur")); }
		fi
		. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_meshgw
		printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' \
		"$d/usr/share/bash-completion/completions/meshgw" "$@"
}
t "completion: subcommands" test "$(complete_words meshgw '')" = "check down export genkey genpsk help metrics pubkey run show up"
t "completion: 'ex' -> export" test "$(complete_words meshgw ex)" = export
t "completion: export -f formats" test "$(complete_words meshgw export -f '')" = "openwrt qr routeros wg-quick"
t "completion: export site names from -c MESH" \
	test "$(complete_words meshgw export -f wg-quick -c "$ex/three-sites/mesh.conf" '')" = "site1 site2 site3"
printf '[Client laptop]\nAddress = 192.168.254.50\n' | cat "$ex/three-sites/mesh.conf" - >"$tmp/clients.conf"
t "completion: export client names too" \
	test "$(complete_words meshgw export -f qr -c "$tmp/clients.conf" '')" = "laptop site1 site2 site3"
t "completion: -c completes files" \
	test "$(complete_words meshgw check -c "$ex/two-sites/mesh.c")" = "$ex/two-sites/mesh.conf"
t "completion: show options" test "$(complete_words meshgw show -)" = "--help -c -j -l -v"
t "completion: options before the command" test "$(complete_words meshgw -)" = "--help --verbose --version -v"
t "completion: 'meshgw -v ex' -> export" test "$(complete_words meshgw -v ex)" = export
t "completion: export site names after -v" \
	test "$(complete_words meshgw -v export -c "$ex/three-sites/mesh.conf" -f wg-quick '')" = "site1 site2 site3"

# --- make uninstall: exactly what install wrote; /etc/meshgw kept ------------------------
uninstall() { # uninstall DESTDIR [make args...]: output in $tmp/uninst.log
	local dest=$1
	shift
	make -C "$SRC" --no-print-directory OUT="$OUT" uninstall DESTDIR="$dest" "$@" >"$tmp/uninst.log" 2>&1 ||
		{ cat "$tmp/uninst.log"; return 1; }
}
t "make uninstall DESTDIR=… PREFIX=/usr" uninstall "$d" PREFIX=/usr
t "  says it kept /etc/meshgw" grep -q "kept $d/etc/meshgw" "$tmp/uninst.log"
t "  no file left but the user's /etc/meshgw/mesh.conf" \
	test "$(cd "$d" && find . ! -type d | xargs)" = "./etc/meshgw/mesh.conf"
t "  /usr/share/doc/meshgw is gone" test ! -e "$d/usr/share/doc/meshgw"
t "  /etc/meshgw and its file untouched" \
	bash -c "[ \"\$(stat -c %a '$d/etc/meshgw')\" = 750 ] && [ \"\$(cat '$d/etc/meshgw/mesh.conf')\" = '# mine' ]"
t "make uninstall again: nothing to do, no error" uninstall "$d" PREFIX=/usr
echo "# a file of the user's in the documentation folder" >"$d2/usr/local/share/doc/meshgw/notes"
t "make uninstall with the default PREFIX" uninstall "$d2"
t "  no file left but one the user put in the doc folder" \
	test "$(cd "$d2" && find . ! -type d | xargs)" = "./usr/local/share/doc/meshgw/notes"
t "  the empty /etc/meshgw kept" test -d "$d2/etc/meshgw"

echo "1..$n"
[ "$failed" = 0 ]
