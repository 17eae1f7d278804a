#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# packaging/meshgw.service beyond its capabilities (service_caps.t.sh): its
# `systemd-analyze security` exposure stays at or below the score it was hardened to,
# and `meshgw run` behaves under it as systemd expects. Systemd is not PID 1 on the
# test machines, so the sandbox cannot be applied as such: the daemon runs the way
# the unit starts it (the unit's capabilities only, $NOTIFY_SOCKET and
# $JOURNAL_STREAM set) under strace, and the trace is held against the unit:
#   - READY=1 once up is done, RELOADING=1 then READY=1 around each SIGHUP,
#     STOPPING=1 on SIGTERM; the reload line the unit runs first (`meshgw check`)
#     fails on a bad file, so no SIGHUP is sent; a SIGHUP anyway keeps the daemon;
#   - log lines carry journald priorities (<6> info, <3> errors);
#   - every system call made by meshgw run and its wireguard-go child, and by the
#     `meshgw check` of ExecStartPre/ExecReload and the `meshgw down` of README's
#     ExecStopPost drop-in, is in the unit's SystemCallFilter (its lines replayed
#     over `systemd-analyze syscall-filter`);
#   - every socket is of a family in RestrictAddressFamilies, every device opened is
#     one DevicePolicy=closed + DeviceAllow grants, no mapping is writable and
#     executable (MemoryDenyWriteExecute).
# Two gateways (twosite fixture, userspace WireGuard): b is brought up plainly, a
# runs traced, and a ping crosses the tunnel while it runs.
set -eu
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UNIT=${UNIT:-$SRC/packaging/meshgw.service}	# UNIT=: another unit file (a drop-in merged by hand)
. "$(dirname "${BASH_SOURCE[0]}")/lib/tap.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/twosite.sh"
twosite_require userspace setpriv strace python3 systemd-analyze

# --- the score, offline -----------------------------------------------------------------
# 4.8 before the unit got SystemCallFilter, ProtectKernelLogs, DevicePolicy,
# ProtectProc, MemoryDenyWriteExecute and PrivateMounts; 2.6 after (systemd 252).
# A change that loosens the unit raises it and fails here.
MAX_EXPOSURE=2.6
score=$(systemd-analyze security --offline=yes "$UNIT" 2>&1 |
	sed -n 's/.*Overall exposure level for meshgw.service: \([0-9.]*\).*/\1/p')
t "systemd-analyze security --offline: exposure $score <= $MAX_EXPOSURE (4.8 before hardening)" \
	bash -c "[ -n '$score' ] && echo '$score <= $MAX_EXPOSURE' | bc | grep -qx 1"
for k in 'Type=notify' 'ConditionPathExists=/etc/meshgw/local.conf' 'ProtectKernelLogs=yes' \
	'DevicePolicy=closed' 'DeviceAllow=/dev/net/tun rw' 'MemoryDenyWriteExecute=yes'; do
	t "unit has $k" grep -qxF "$k" "$UNIT"
done
reload=$(sed -n 's/^ExecReload=//p' "$UNIT" | xargs -d '\n' printf '%s|')
is "ExecReload: meshgw check, then SIGHUP" "$reload" '/usr/local/sbin/meshgw check|/bin/kill -HUP $MAINPID|'

# --- the daemon, as the unit starts it ---------------------------------------------------
twosite_init su
twosite_topology no-ipv6
for g in $gA $gB; do N $g sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done
twosite_keys
twosite_mesh >"$tmp/mesh.conf"
for x in a b; do
	twosite_local $x "UplinkInterface = wan0" "Backend = userspace" "PinPath = $pin/$x" \
		"Metrics = 127.0.0.1:9586"
done
cp "$tmp/a.local" "$tmp/a.good"
# systemd mounts bpffs at boot; meshgw's unit may not mount it (no @mount).
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
t "meshgw up on gateway b (untraced)" N $gB "$MESHGW" up -c "$tmp/mesh.conf" -l "$tmp/b.local"; record_wg_pid $wgB

# The service manager's end of $NOTIFY_SOCKET: one line per datagram ("\n" -> "|").
sock=$tmp/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(s.recv(4096).decode().replace("\n", "|"), flush=True)
' "$sock" >"$tmp/notify" &
pids+=($!)
poll 5 grep -q bound "$tmp/notify"
: >"$tmp/run.log"
journal=$(stat -c '%d:%i' "$tmp/run.log")
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | sed 's/CAP_/+/g; s/ /,/g' | tr '[:upper:]' '[:lower:]')
# strace is the parent; setpriv drops to the unit's capabilities and execs meshgw.
NOTIFY_SOCKET=$sock JOURNAL_STREAM=$journal nsenter --net=/run/netns/$gA \
	strace -f -q -o "$tmp/strace" \
	setpriv --bounding-set=-all,$caps --inh-caps=-all --ambient-caps=-all \
	"$MESHGW" run -c "$tmp/mesh.conf" -l "$tmp/a.local" 2>>"$tmp/run.log" &
tracer=$!
pids+=($tracer)
t "READY=1 once up is done, with a STATUS line" poll 60 grep -qx 'READY=1|STATUS=site a, 1 peer' "$tmp/notify"
t "  log: '<6>meshgw: running: site a' (info priority)" grep -q '^<6>meshgw: running: site a' "$tmp/run.log"
daemon=$(awk '/execve\("[^"]*\/meshgw", .* = 0$/ { print $1; exit }' "$tmp/strace")
t "  the traced daemon's PID found ($daemon)" test -n "$daemon" -a -d "/proc/$daemon"
record_wg_pid $wgA
t "hA pings hB through the tunnel" poll 30 ip netns exec $hA ping -c1 -W1 10.2.0.2
t "the metrics server answers" poll 10 N $gA python3 -c '
import urllib.request; urllib.request.urlopen("http://127.0.0.1:9586/metrics", timeout=2).read()'

# `systemctl reload`: the unit's first ExecReload line, then its second.
# The other commands the unit runs (ExecStartPre, ExecReload, the ExecStopPost the
# README offers) are traced too, with the unit's capabilities, after the program's
# own execve (strace -f: one file per run, the tracee's first execve is setpriv's).
unit_cmd() { # unit_cmd NAME COMMAND...: COMMAND traced into $tmp/strace.NAME
	strace -f -q -o "$tmp/strace.$1" setpriv --bounding-set=-all,$caps --inh-caps=-all \
		--ambient-caps=-all "${@:2}"
}
reload() { # reload LOCAL: the check (as ExecReload runs it), and SIGHUP only if it passed
	JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/check.err") unit_cmd check.$(date +%s%N) \
		"$MESHGW" check -c "$tmp/mesh.conf" -l "$1" >/dev/null 2>>"$tmp/check.err" || return 1
	kill -HUP "$daemon"
}
: >"$tmp/check.err"
t "reload with a good file: check passes, SIGHUP sent" reload "$tmp/a.good"
t "  RELOADING=1, then READY=1" poll 30 bash -c \
	"grep -A1 '^RELOADING=1|MONOTONIC_USEC=[0-9]*\$' '$tmp/notify' | grep -qx 'READY=1|STATUS=site a, 1 peer'"
t "  log: '<6>meshgw: reload: done'" poll 10 grep -q '^<6>meshgw: reload: done' "$tmp/run.log"
printf 'Bogus = 1\n' >>"$tmp/a.local"
n_reloads=$(grep -c '^RELOADING=1' "$tmp/notify")
reload_refused() { ! reload "$1"; }
t "reload with a bad file: the check fails, no SIGHUP" reload_refused "$tmp/a.local"
t "  the check's problem line has the error priority (<3>)" grep -q "^<3>$tmp/a.local:[0-9]*: " "$tmp/check.err"
sleep 1
is "  no RELOADING=1 sent" "$(grep -c '^RELOADING=1' "$tmp/notify")" "$n_reloads"
kill -HUP "$daemon"
t "SIGHUP with the bad file anyway: '<3>meshgw: error: reload: ...; still running'" \
	poll 30 grep -q '^<3>meshgw: error: reload: .*still running the previous configuration' "$tmp/run.log"
t "  READY=1 again, the daemon runs on" poll 10 bash -c "[ \$(grep -c '^READY=1' '$tmp/notify') = 3 ] && [ -d /proc/$daemon ]"
cp "$tmp/a.good" "$tmp/a.local"
kill -TERM "$daemon"
t "SIGTERM: STOPPING=1 sent" poll 10 grep -qx 'STOPPING=1' "$tmp/notify"
t "  meshgw run exits 0" poll 10 grep -qE "^$daemon +[+]{3} exited with 0 [+]{3}" "$tmp/strace"
t "  log: '<6>meshgw: Terminated: exiting'" grep -q '^<6>meshgw: Terminated: exiting' "$tmp/run.log"
t "  no line without a priority" bash -c "! grep -v '^<[3467]>' '$tmp/run.log'"
# wireguard-go stays (the data path); strace follows it until `down` stops it.
t "meshgw down on gateway a (traced, the unit's capabilities)" \
	N $gA bash -c "$(declare -f unit_cmd); tmp=$tmp caps=$caps; unit_cmd down '$MESHGW' down -c '$tmp/mesh.conf' -l '$tmp/a.local'"
t "  the tracer ends with wireguard-go" poll 10 bash -c "! kill -0 $tracer"

# --- the trace against the unit -----------------------------------------------------------
# Everything from the daemon's execve on (setpriv's execve names meshgw too, among
# its arguments): meshgw, its threads and wireguard-go.
sed -n "/^$daemon \+execve(\"[^\"]*\/meshgw\", .* = 0\$/,\$p" "$tmp/strace" >"$tmp/trace"
for f in "$tmp"/strace.*; do	# check (twice) and down: from their meshgw's execve on
	sed -n '/execve("[^"]*\/meshgw", .* = 0$/,$p' "$f" >>"$tmp/trace"
done
t "  with the check's and down's ($(ls "$tmp"/strace.* | wc -l) traces)" test "$(ls "$tmp"/strace.* | wc -l)" = 3
t "the trace has the daemon's calls ($(wc -l <"$tmp/trace") lines)" test "$(wc -l <"$tmp/trace")" -gt 100
python3 - "$UNIT" "$tmp/trace" >"$tmp/verdict" 2>&1 <<'PY' && ok=1 || ok=0
import re, subprocess, sys
unit, trace = sys.argv[1], sys.argv[2]
# Every group systemd knows, "@name" -> its members (groups or calls).
groups, cur = {}, None
for line in subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True,
                           text=True, check=True).stdout.splitlines():
    s = line.strip()
    if not s or s.startswith("#"):
        continue
    if not line.startswith(" ") and s.startswith("@"):
        cur = groups.setdefault(s, set())
    elif cur is not None:
        cur.add(s)
def expand(name, seen=()):
    if not name.startswith("@"):
        return {name}
    out = set()
    for m in groups[name]:
        if m not in seen:
            out |= expand(m, seen + (name,))
    return out
allowed, first = set(), True
for line in open(unit):
    m = re.match(r"SystemCallFilter=(~?)(.*)", line.strip())
    if not m:
        continue
    names = set().union(*(expand(n) for n in m.group(2).split()))
    if m.group(1):
        allowed -= names
    else:
        allowed |= names
        first = False
families = set(re.search(r"^RestrictAddressFamilies=(.*)$", open(unit).read(), re.M).group(1).split())
devices = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}
devices |= {m.group(1) for m in re.finditer(r"^DeviceAllow=(\S+)", open(unit).read(), re.M)}
used, bad = {}, []
for line in open(trace):
    m = re.match(r"\d+ +(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)", line)
    if not m:
        continue
    used[m.group(1)] = used.get(m.group(1), 0) + 1
    f = re.search(r"\bsocket\((AF_[A-Z0-9]+)", line)
    if f and f.group(1) not in families:
        bad.append("socket family %s not in RestrictAddressFamilies: %s" % (f.group(1), line.strip()))
    d = re.search(r'open(?:at)?\((?:[A-Z_]+, )?"(/dev/[^"]+)"', line)
    if d and d.group(1) not in devices and not line.rstrip().endswith(("ENOENT (No such file or directory)",)):
        bad.append("device %s not allowed: %s" % (d.group(1), line.strip()))
    if re.search(r"\b(mmap|mprotect|pkey_mprotect)\(.*PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE", line):
        bad.append("writable and executable mapping: " + line.strip())
outside = sorted(set(used) - allowed)
for s in outside:
    first = next(l.strip() for l in open(trace) if re.match(r"\d+ +%s\(" % s, l))
    bad.append("system call %s (%d calls) is outside the unit's SystemCallFilter, first: %s" % (s, used[s], first))
print("%d distinct system calls, %d allowed by the unit: %s" % (len(used), len(allowed), " ".join(sorted(used))))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
if [ $ok = 1 ]; then ok "every system call, socket family, device and mapping within the unit's limits"; else not_ok "the trace leaves the unit's limits"; fi
sed 's/^/# /' "$tmp/verdict"
t "  the trace has bpf() and wireguard-go's TUN device" \
	bash -c "grep -q ' bpf(' '$tmp/trace' && grep -q '\"/dev/net/tun\"' '$tmp/trace'"

echo "1..$n"
[ "$failed" = 0 ]
