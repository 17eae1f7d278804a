#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian package, from the tree to a purge: `dpkg-buildpackage -us -uc -b` in a
# copy of the tracked files (it writes ../*.deb and debian/ build folders, so never in
# the checkout) builds meshgw_*.deb with the runtime libraries, wireguard-tools and
# wireguard-go as Depends/Recommends/Suggests; lintian finds no error or warning
# (debian/meshgw.lintian-overrides says why for each override); `dpkg -i` installs
# it: meshgw --version is the package's version, `meshgw check` passes on the
# installed examples, the unit is /usr/lib/systemd/system/meshgw.service pointing at
# /usr/sbin/meshgw, /etc/meshgw is 0700; `dpkg -r` keeps /etc/meshgw; `dpkg -P`
# removes it and leaves nothing of the package (every path `dpkg -L` listed, the
# unit's enablement); a purge with a file in /etc/meshgw keeps it and says so.
# Installs into the real /usr: it skips when meshgw is installed already (package,
# or a `make install` file where the package puts one) and removes what it installed
# even when it fails.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (dpkg -i into the system)"; exit 0; fi
for c in dpkg-buildpackage dh lintian dpkg-checkbuilddeps; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c missing (deps.sh test installs it)"; exit 0; }
done
if dpkg-query -W -f='${Status}' meshgw 2>/dev/null | grep -q 'installed\|config-files'; then
	echo "1..0 # SKIP the meshgw package is installed here already: not touching it"; exit 0
fi
if [ -e /etc/meshgw ]; then
	echo "1..0 # SKIP /etc/meshgw exists (a real installation's configuration): not touching it"; exit 0
fi

tmp=$(mktemp -d /tmp/meshgw-deb.$$.XXXX)
installed=0
cleanup() {
	set +e
	# Only what this test installed: the package is purged if it is still there.
	if [ $installed = 1 ] && dpkg-query -W meshgw >/dev/null 2>&1; then
		echo "# cleanup: purging the meshgw package this test installed"
		rm -f /etc/meshgw/test.$$
		dpkg -P meshgw >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- build in a copy ----------------------------------------------------------------------
mkdir "$tmp/src"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# The tracked files as they are in the tree (uncommitted edits included).
	git -C "$SRC" ls-files -z | (cd "$SRC" && tar --null -T - -cf -) | tar -C "$tmp/src" -xf -
else
	(cd "$SRC" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$tmp/src" -xf -
fi
# make check runs this with OUT= exported; the package's `make clean` must not follow it.
had_out=$([ -n "${OUT:-}" ] && [ -d "$OUT" ] && echo 1 || true)
t "build dependencies installed (dpkg-checkbuilddeps)" bash -c "cd '$tmp/src' && dpkg-checkbuilddeps"
t "dpkg-buildpackage -us -uc -b" \
	bash -c "cd '$tmp/src' && env -u OUT nice -n 5 dpkg-buildpackage -us -uc -b >'$tmp/build.log' 2>&1 || { tail -30 '$tmp/build.log'; exit 1; }"
if [ -n "$had_out" ]; then
	t "the checkout's build folder ($OUT) survives the package build" test -d "$OUT"
fi
version=$(cd "$tmp/src" && dpkg-parsechangelog -S Version)
deb=$(ls "$tmp"/meshgw_"$version"_*.deb 2>/dev/null | head -1)
t "meshgw_${version}_*.deb built" test -n "$deb" -a -f "$deb"
t "  the BPF objects got no host flags (no -fstack-protector, -D_FORTIFY_SOURCE on clang's lines)" \
	bash -c "grep -q -- '-target bpf' '$tmp/build.log' && ! grep -- '-target bpf' '$tmp/build.log' | grep -qE 'fstack-protector|FORTIFY|ffile-prefix-map'"
t "  the program got the hardening flags" \
	bash -c "grep -E -- '-c user/cmd/main.c' '$tmp/build.log' | grep -q -- '-fstack-protector-strong' && grep -E -- '-o build/meshgw ' '$tmp/build.log' | grep -q -- '-z,now'"
t "  no test was run (no prove, no selftests/)" bash -c "! grep -qE 'prove|selftests/' '$tmp/build.log'"
field() { dpkg-deb -f "$deb" "$1"; }
t "Depends: libbpf, libsodium, libmnl, libc (the linked libraries), libnftables1 (opened when needed)" \
	bash -c "d='$(field Depends)'; for l in libbpf1 libsodium23 libmnl0 libc6 libnftables1; do [[ \$d == *\$l* ]] || { echo \"no \$l in: \$d\"; exit 1; }; done"
is "Recommends: wireguard-tools" "$(field Recommends)" wireguard-tools
is "Suggests: wireguard-go" "$(field Suggests)" wireguard-go
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/contents"
for f in /usr/sbin/meshgw /usr/lib/systemd/system/meshgw.service /usr/share/man/man8/meshgw.8.gz \
	/usr/share/bash-completion/completions/meshgw /usr/share/doc/meshgw/README.md.gz \
	/usr/share/doc/meshgw/copyright /usr/share/doc/meshgw/examples/three-sites/mesh.conf; do
	t "the package ships $f" grep -qx "$f" "$tmp/contents"
done
t "  and nothing in /etc, /lib or /usr/local" bash -c "! grep -E '^/(etc|lib|usr/local)/' '$tmp/contents'"
t "lintian: no error or warning (overrides justified in debian/meshgw.lintian-overrides)" \
	bash -c "lintian --fail-on error,warning '$tmp'/meshgw_${version}_*.changes 2>&1 | grep -v 'root privileges'; exit \${PIPESTATUS[0]}"

# --- install ------------------------------------------------------------------------------
# A file of the package already on disk (a `make install` with PREFIX=/usr, or an
# old one that put its unit in /lib/systemd/system) would be overwritten.
clash=$(while read -r f; do [ -f "$f" ] && echo "$f"; done <"$tmp/contents" | xargs)
if [ -n "$clash" ]; then
	ok "# SKIP installing: files the package ships exist already ($clash)"
	echo "1..$n"; [ "$failed" = 0 ]; exit
fi
# A `make install` in /usr/local must come through untouched.
local_sums() { find /usr/local -path '*meshgw*' -type f -exec md5sum {} + 2>/dev/null | sort; }
local_sums >"$tmp/local.before"
installed=1
t "dpkg -i" bash -c "dpkg -i '$deb' >'$tmp/dpkg.log' 2>&1 || { cat '$tmp/dpkg.log'; exit 1; }"
dpkg -L meshgw | grep meshgw >"$tmp/list"
t "dpkg -L lists the program and the unit" bash -c "grep -qx /usr/sbin/meshgw '$tmp/list' && grep -qx /usr/lib/systemd/system/meshgw.service '$tmp/list'"
is "meshgw --version: the package's version" "$(/usr/sbin/meshgw --version)" "meshgw $version"
ex=/usr/share/doc/meshgw/examples
t "meshgw check on the installed three-site example" \
	/usr/sbin/meshgw check -c $ex/three-sites/mesh.conf -l $ex/three-sites/site1.local.conf
t "meshgw check on the installed two-site example" \
	/usr/sbin/meshgw check -c $ex/two-sites/mesh.conf -l $ex/two-sites/london.local.conf
t "unit at /usr/lib/systemd/system/meshgw.service, ExecStart=/usr/sbin/meshgw run" \
	grep -qx 'ExecStart=/usr/sbin/meshgw run' /usr/lib/systemd/system/meshgw.service
t "  no /usr/local path left in it" bash -c "! grep -n /usr/local /usr/lib/systemd/system/meshgw.service"
if command -v systemd-analyze >/dev/null; then
	t "  systemd-analyze verify: no complaint" \
		bash -c "systemd-analyze verify /usr/lib/systemd/system/meshgw.service >'$tmp/v' 2>&1; rc=\$?; cat '$tmp/v'; [ \$rc = 0 ] && [ ! -s '$tmp/v' ]"
fi
t "  enabled for multi-user.target (dh_installsystemd)" \
	test -L /etc/systemd/system/multi-user.target.wants/meshgw.service
t "/etc/meshgw created by postinst, 0700, empty" \
	bash -c "[ \"\$(stat -c %a /etc/meshgw)\" = 700 ] && [ -z \"\$(ls -A /etc/meshgw)\" ]"
t "man meshgw finds the page" bash -c "man -w meshgw | grep -qx /usr/share/man/man8/meshgw.8.gz"

# --- remove, purge ------------------------------------------------------------------------
t "dpkg -r" bash -c "dpkg -r meshgw >'$tmp/dpkg.log' 2>&1 || { cat '$tmp/dpkg.log'; exit 1; }"
t "  keeps /etc/meshgw (0700)" test "$(stat -c %a /etc/meshgw 2>&1)" = 700
t "  the program and the unit are gone" test ! -e /usr/sbin/meshgw -a ! -e /usr/lib/systemd/system/meshgw.service
t "dpkg -P" bash -c "dpkg -P meshgw >'$tmp/dpkg.log' 2>&1 || { cat '$tmp/dpkg.log'; exit 1; }"
t "  removes /etc/meshgw" test ! -e /etc/meshgw
left=$(while read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done <"$tmp/list" | xargs)
t "  nothing dpkg -L listed is left${left:+ (left: $left)}" test -z "$left"
t "  no enablement link or deb-systemd-helper state left" \
	bash -c "[ -z \"\$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled -name 'meshgw*' 2>/dev/null)\" ]"
t "  dpkg forgot the package" bash -c "! dpkg-query -W meshgw >/dev/null 2>&1"

# A purge never deletes what the administrator put in /etc/meshgw (keys).
t "dpkg -i again, then a file in /etc/meshgw" \
	bash -c "dpkg -i '$deb' >'$tmp/dpkg.log' 2>&1 && echo mine >/etc/meshgw/test.$$"
t "dpkg -P keeps a non-empty /etc/meshgw and says so" \
	bash -c "dpkg -P meshgw >'$tmp/dpkg.log' 2>&1 && grep -q 'kept /etc/meshgw' '$tmp/dpkg.log' && [ \"\$(cat /etc/meshgw/test.$$)\" = mine ]"
rm -f /etc/meshgw/test.$$ && rmdir /etc/meshgw
installed=0
local_sums >"$tmp/local.after"
t "a make install's files in /usr/local untouched" cmp "$tmp/local.before" "$tmp/local.after"

echo "1..$n"
[ "$failed" = 0 ]
