# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# meshgw on the multi-ISP lab (lab.sh): writes a mesh file from the lab's sites and a
# local file per gateway, starts and stops `meshgw run` in the gateway namespaces, and
# measures outages with a timestamped ping. Source after lab.sh; needs $MESHGW and a
# scratch directory in $MLAB_DIR. Functions:
#   mlab_configure [OPTS...]   mesh.conf, X.local.conf for every site (lab.sh's), an
#                              empty hosts file; OPTS are extra local-file lines
#   mlab_start X               meshgw run at site X (log in $MLAB_DIR/X.log; with
#                              MLAB_STAMP=1 each line starts with its arrival time,
#                              seconds since the epoch, the clock of ping -D)
#   mlab_stop X                SIGTERM, wait (the data path stays up)
#   mlab_wg X                  the WireGuard interface name of site X
#   mlab_active X PEER         index of the endpoint X uses for PEER (from bpftool)
#   mlab_ping_start FROM TO    timestamped ping -i 0.02 between the hosts, in background
#   mlab_ping_stop FROM TO
#   mlab_first_reply_after FROM TO T   seconds from T to the first reply after T
#   mlab_all_pairs [TIMEOUT]   every host pings every other host; 0 when all answer

declare -gA MLAB_PID MLAB_PING_PID

mlab_wg() { echo "${LAB_WG_IF[$1]}"; }
mlab_pin() { echo "/sys/fs/bpf/meshgw-lab-$LAB_SFX/$1"; }

# The lab's own mesh and local files (lab.sh), plus a PinPath per run and the
# extra local lines given.
mlab_configure() {
	local x y
	lab_mesh_conf "$MLAB_DIR/mesh.conf" || return 1
	for x in $LAB_SITES; do
		lab_local_conf "$x" "$MLAB_DIR/$x.local.conf" "${MLAB_BACKEND:-userspace}" || return 1
		{
			echo "PinPath = $(mlab_pin "$x")"
			for y in "$@"; do echo "$y"; done
		} >> "$MLAB_DIR/$x.local.conf"
	done
	: > "$MLAB_DIR/hosts"
}

# The daemon gets its own mount namespace with $MLAB_DIR/hosts over /etc/hosts, so
# the lab can make a name resolve elsewhere without touching the machine's file.
mlab_start() {
	local log=$MLAB_DIR/$1.log
	set -- "$1" unshare -m --propagation private -- sh -c '
		mount --bind "$MLAB_HOSTS" /etc/hosts && exec "$@"' sh \
		nsenter --net="/run/netns/$(lab_ns "g$1")" -- "$MESHGW" run -c "$MLAB_DIR/mesh.conf" \
		-l "$MLAB_DIR/$1.local.conf"
	# unshare, sh and nsenter all exec: $! is meshgw's own PID.
	if [ "${MLAB_STAMP:-0}" = 1 ]; then
		MLAB_HOSTS=$MLAB_DIR/hosts "${@:2}" > >(mlab_stamp >> "$log") 2>&1 &
	else
		MLAB_HOSTS=$MLAB_DIR/hosts "${@:2}" >> "$log" 2>&1 &
	fi
	MLAB_PID[$1]=$!
}
# Each line prefixed with the time it was read (the daemon's lines are unbuffered).
mlab_stamp() { local l; while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }

mlab_stop() {
	local pid=${MLAB_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "MLAB_PID[$1]"
}

# mlab_active X PEER: the active endpoint index of PEER in X's mg_failover map
# (struct mg_peer_state's first field, a little-endian u32). Parsed from bpftool's raw
# bytes, not with python: python3 takes ~5 s to start in the VM (selftests/vm, TCG),
# which made every poll of this 5 s long there.
mlab_active() {
	local h
	h=$(bpftool -j map lookup pinned "$(mlab_pin "$1")/mg_failover" \
		key hex $(printf '%s' "$2" | od -An -tx1) $(printf ' 00%.0s' $(seq $((32 - ${#2})))) \
		2>/dev/null | sed -nE 's/.*"value":\["0x(..)","0x(..)","0x(..)","0x(..)".*/\4\3\2\1/p')
	[ -n "$h" ] && echo $((16#$h))
}

mlab_ping_start() {
	local f="$MLAB_DIR/ping-$1-$2"
	: > "$f"
	nsenter --net="/run/netns/$(lab_ns "h$1")" -- ping -D -n -i 0.02 -W 1 "${LAB_HOST_IP[$2]}" \
		> "$f" 2>&1 &
	MLAB_PING_PID[$1$2]=$!
}

mlab_ping_stop() {
	local pid=${MLAB_PING_PID[$1$2]:-}
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "MLAB_PING_PID[$1$2]"
}

# Seconds from T (date +%s.%N) to the first reply after it, or nothing.
mlab_first_reply_after() {
	awk -v t="$3" '/bytes from/ { gsub(/[\[\]]/, "", $1); if ($1 + 0 > t + 0) { printf "%.3f\n", $1 - t; exit } }' \
		"$MLAB_DIR/ping-$1-$2"
}

# Longest gap between consecutive replies after T, in seconds.
mlab_max_gap_after() {
	awk -v t="$3" '/bytes from/ { gsub(/[\[\]]/, "", $1); v = $1 + 0; if (v > t + 0) { if (p && v - p > m) m = v - p; p = v } }
		END { printf "%.3f\n", m + 0 }' "$MLAB_DIR/ping-$1-$2"
}

mlab_all_pairs() {
	local x y bad=0
	for x in $LAB_SITES; do
		for y in $LAB_SITES; do
			[ "$x" = "$y" ] && continue
			lab_ping "$x" "$y" "${1:-1}" || { echo "# no answer $x -> $y"; bad=1; }
		done
	done
	return $bad
}

mlab_cleanup() {
	local k
	for k in "${!MLAB_PING_PID[@]}"; do kill -INT "${MLAB_PING_PID[$k]}" 2>/dev/null || true; done
	for k in "${!MLAB_PID[@]}"; do mlab_stop "$k"; done
}
