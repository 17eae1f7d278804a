#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# meshgw check on files: the example meshes pass (exit 0); broken files, endpoints
# inside mesh ranges, a missing file and a private key readable by others fail
# (exit 1) with file:line on stderr. A site with 65,536 Egress /32s passes (timed);
# one over the data plane's route capacity gets one line with a count.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
MESHGW=${MESHGW:-$SRC/build/meshgw}
TMP=$(mktemp -d /tmp/meshgw-check.$$.XXXXXX)
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
failed=0

# check NAME WANT_RC [GREP_STDERR...]: runs "$MESHGW check" with $ARGS
check() {
	local name=$1 want=$2 rc=0 pat
	shift 2
	"$MESHGW" check $ARGS >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" != "$want" ]; then
		not_ok "$name (exit $rc, want $want)"
		return
	fi
	for pat in "$@"; do
		if ! grep -qF -- "$pat" "$TMP/err"; then
			not_ok "$name: stderr lacks '$pat'"
			return
		fi
	done
	ok "$name"
}

cp -r "$SRC/examples/three-sites" "$SRC/examples/two-sites" "$TMP/"
chmod 600 "$TMP"/*/*.key

for s in site1 site2 site3; do
	ARGS="-c $TMP/three-sites/mesh.conf -l $TMP/three-sites/$s.local.conf"
	check "three-site example passes for $s" 0
done
for s in london madrid; do
	ARGS="-c $TMP/two-sites/mesh.conf -l $TMP/two-sites/$s.local.conf"
	check "London/Madrid example passes for $s" 0
done
grep -q "OK: site madrid, 2 sites" "$TMP/out" && ok "success is reported on stdout" ||
	not_ok "success is reported on stdout"

line_of() { grep -n -- "$1" "$M" | head -1 | cut -d: -f1; }

# Roaming clients (a laptop, a phone): one passes and is counted; a bad one is
# refused with file:line, naming the site or client it collides with.
M=$TMP/clients.conf
{ cat "$TMP/two-sites/mesh.conf"
  printf '\n[Client laptop]\nAddress = 10.0.0.50\nPublicKey = %s\n' "$("$MESHGW" genkey | "$MESHGW" pubkey)"; } >"$M"
ARGS="-c $M -l $TMP/two-sites/london.local.conf"
check "a client in the London/Madrid mesh passes" 0
grep -q "OK: site london, 2 sites in the mesh, 1 client" "$TMP/out" && ok "  the client is counted" ||
	not_ok "  the client is counted"
M=$TMP/bad-clients.conf
{ cat "$TMP/two-sites/mesh.conf"
  printf '\n[Client madrid]\nAddress = 10.0.0.1\nPublicKey = %s\n' "$(grep -m1 '^PublicKey' "$TMP/two-sites/mesh.conf" | cut -d' ' -f3)"
  printf '\n[Client phone]\nAddress = 10.0.1.7\nPublicKey = %s\nExit = madrid\n' "$("$MESHGW" genkey | "$MESHGW" pubkey)"; } >"$M"
ARGS="-c $M -l $TMP/two-sites/london.local.conf"
check "bad clients: exit 1, every problem with file:line" 1 \
	"$M:$(line_of '^\[Client madrid'): duplicate name madrid: [Client madrid] and [Site madrid] ($M:$(line_of '^\[Site madrid'))" \
	"$M:$(grep -n '^Address = 10.0.0.1$' "$M" | tail -1 | cut -d: -f1): Address 10.0.0.1 of client madrid is also the Address of site london ($M:$(line_of '^Address = 10.0.0.1$'))" \
	"of client madrid is also the PublicKey of site london ($M:$(line_of '^PublicKey = 2Kq'))" \
	"$M:$(line_of '^Address = 10.0.1.7'): Address 10.0.1.7 of client phone is outside the mesh Network 10.0.0.0/24 ($M:$(line_of '^Network'))" \
	"$M:$(line_of '^Exit = madrid'): Exit madrid of client phone: site madrid does not offer its internet (no 'Exit = yes' in [Site madrid], $M:$(line_of '^\[Site madrid'))" \
	"meshgw: 5 problems found"

# Three edits, five problems (the /16 covers two sites' ranges and the mesh): all listed, each with file:line, conflicts naming both.
M=$TMP/bad-mesh.conf
sed -e 's|^Egress = 192.168.2.0/24|Egress = 192.168.0.0/16|' \
    -e 's|^ListenPort = 55555|ListenPort = 555555|' \
    -e 's|^Address = 192.168.254.3|Address = 192.168.253.3|' \
    "$TMP/three-sites/mesh.conf" >"$M"
ARGS="-c $M -l $TMP/three-sites/site1.local.conf"
check "broken mesh: exit 1, every problem listed" 1 \
	"$M:$(line_of '^ListenPort'): ListenPort '555555' is not a port (1 to 65535)" \
	"$M:$(line_of '^Address = 192.168.253.3'): Address 192.168.253.3 of site site3 is outside the mesh Network 192.168.254.0/24 ($M:$(line_of '^Network'))" \
	"$M:$(line_of '^Egress = 192.168.0.0/16'): Egress 192.168.0.0/16 of site site3 overlaps Egress 192.168.0.0/24 of site site1 ($M:$(line_of '^Egress = 192.168.0.0/24'))" \
	"$M:$(line_of '^Egress = 192.168.0.0/16'): Egress 192.168.0.0/16 of site site3 overlaps Egress 192.168.1.0/24 of site site2 ($M:$(line_of '^Egress = 192.168.1.0/24'))" \
	"$M:$(line_of '^Egress = 192.168.0.0/16'): Egress 192.168.0.0/16 of site site3 overlaps the mesh Network 192.168.254.0/24 ($M:$(line_of '^Network'))" \
	"meshgw: 5 problems found"
grep -q . "$TMP/out" && not_ok "nothing on stdout on failure" || ok "nothing on stdout on failure"

# An endpoint inside a mesh range: the other sites would route WireGuard's own
# packets to it into the tunnel.
M=$TMP/ep-mesh.conf
sed -e 's|^Endpoint = 203.0.113.10:55555|Endpoint = 192.168.0.1:55555|' \
    -e 's|^Endpoint = 198.51.100.20:55555|Endpoint = 192.168.254.20:55555|' \
    "$TMP/three-sites/mesh.conf" >"$M"
ARGS="-c $M -l $TMP/three-sites/site1.local.conf"
check "endpoints inside an egress range or the mesh network" 1 \
	"$M:$(line_of '^Endpoint = 192.168.0.1:55555'): Endpoint 192.168.0.1:55555 of site site1 is inside Egress 192.168.0.0/24 of site site1 ($M:$(line_of '^Egress = 192.168.0.0/24'))" \
	"$M:$(line_of '^Endpoint = 192.168.254.20:55555'): Endpoint 192.168.254.20:55555 of site site2 is inside the mesh Network 192.168.254.0/24 ($M:$(line_of '^Network'))" \
	"meshgw: 2 problems found"

# The local file names a site the mesh lacks, and an unknown key.
L=$TMP/bad.local.conf
printf '[Local]\nSite = site9\nPrivateKeyFile = three-sites/site1-EXAMPLE.key\nLanInterface = eth0\nFoo = bar\n' >"$L"
ARGS="-c $TMP/three-sites/mesh.conf -l $L"
check "local site not in the mesh file" 1 \
	"$L:2: Site site9 is not a [Site] of the mesh file $TMP/three-sites/mesh.conf" \
	"$L:5: unknown key 'Foo' in [Local]" "meshgw: 2 problems found"

ARGS="-c $TMP/nonexistent.conf -l $TMP/three-sites/site1.local.conf"
check "missing mesh file" 1 "$TMP/nonexistent.conf: cannot open: No such file or directory"

ARGS="-c $TMP -l $TMP/three-sites/site1.local.conf"
check "a directory as the mesh file" 1 "$TMP: cannot read: Is a directory"

chmod 644 "$TMP/three-sites/site1-EXAMPLE.key"
ARGS="-c $TMP/three-sites/mesh.conf -l $TMP/three-sites/site1.local.conf"
check "private key file with mode 0644 refused, with the fix" 1 \
	"$TMP/three-sites/site1.local.conf:6: PrivateKeyFile:" \
	"key file is accessible by group or others (mode 0644); fix with: chmod 600 $TMP/three-sites/site1-EXAMPLE.key"
chmod 600 "$TMP/three-sites/site1-EXAMPLE.key"

# Not a text file: reported, not a crash.
head -c 3000 /dev/urandom >"$TMP/binary.conf"
ARGS="-c $TMP/binary.conf -l $TMP/three-sites/site1.local.conf"
check "binary file: exit 1 with problems listed" 1 "$TMP/binary.conf:"

ARGS="--bogus"
check "bad option: exit 1 with usage" 1 "Usage: meshgw check"

# Egress at scale: madrid with 65,536 more /32s (WireGuard takes them: up_twosite.sh
# sets 65,536 allowed IPs on one peer) passes, and quickly.
egress32() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
	printf "Egress = 10.%d.%d.%d/32\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256 }'; }
M=$TMP/big.conf
{ cat "$TMP/two-sites/mesh.conf"; egress32 65536; } >"$M"
ARGS="-c $M -l $TMP/two-sites/london.local.conf"
# Bounded in CPU seconds (bash's time: meshgw's user + system), not wall time: make
# check runs three tests at once beside a VM, and a slow machine must not fail this.
TIMEFORMAT='%R %U %S'
{ time check "65,536 /32 Egress lines on one site: OK" 0; } 2>"$TMP/time"
read -r secs usr sys <"$TMP/time"
cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
echo "# meshgw check of $(wc -l <"$M") lines ($(wc -c <"$M") bytes): $secs s, $cpu s CPU"
t "  checked in under 3 s of CPU ($cpu s)" test "$(echo "$cpu < 3" | bc)" = 1

# Over what a route trie holds (MG_MAX_ROUTES, 262,144): the lines past the cap are
# one problem line with a count, not one line each; the mesh-wide count is named too.
M=$TMP/over.conf
{ cat "$TMP/two-sites/mesh.conf"; egress32 262150; } >"$M"
ARGS="-c $M -l $TMP/two-sites/london.local.conf"
check "262,151 Egress lines on one site: exit 1, the repeats folded into one line" 1 \
	"$M:$(line_of '^Egress = 10.103.255.255/32'): site madrid has more than 262144 Egress ranges (and 6 more like it)" \
	"$M:$(line_of '^Egress = 10.103.255.253/32'): 262145 IPv4 Egress ranges and 2 mesh addresses: the data plane holds at most 262144 IPv4 routes" \
	"meshgw: 8 problems found"
is "  two lines of problems and the summary, not 262,151" "$(wc -l <"$TMP/err")" 3

echo "1..$n"
exit $failed
