#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs a script as root inside a QEMU VM booted on Debian's kernel (linux-image-amd64),
# which has the real wireguard.ko that the host kernel lacks. The guest sees a
# writable copy of the host's filesystem (host / read-only over 9p + a tmpfs overlay;
# nothing leaks back), so the script, the build tree and every tool are where they
# are on the host. The script's stdout/stderr come out on ours and its exit status
# becomes ours. README.md in this directory has the details.
#
#   selftests/vm/run.sh [--timeout SEC] [--mem MB] [--cpus N] [--env NAME]... \
#                       SCRIPT [ARGS...]
set -eu

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
OUT=${OUT:-$repo/build}
timeout=${VM_TIMEOUT:-300}
mem=${VM_MEM:-1024}
cpus=${VM_CPUS:-1}
# Variables that always cross into the guest (when set); --env and VM_PASS_ENV add more.
pass="PATH MESHGW OUT V VERBOSE VM_MODULES $(compgen -v | grep -E '^(VM_ENV_|MESHGW_)' | tr '\n' ' ')"
pass="$pass ${VM_PASS_ENV:-}"
# The guest's PATH is the caller's without version-manager shim folders (pyenv, rbenv,
# asdf: */shims): a shim is a bash script that runs a dozen helper processes before the
# real program, which under TCG made every python3 start take 8-15 s instead of
# 0.3-1 s. What the shim would pick is still found further down PATH (the system's).
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/shims/*$' | paste -sd: -)

usage() {
	cat >&2 <<-EOF
	Usage: $0 [--timeout SEC] [--mem MB] [--cpus N] [--env NAME]... SCRIPT [ARGS...]
	Runs SCRIPT with bash as root in a VM on Debian's kernel (kernel WireGuard);
	exits with its status, or 124 on timeout (default ${timeout}s).
	EOF
	exit 2
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] && is_uint "$2" && [ "$2" -gt 0 ] || usage; timeout=$2; shift 2 ;;
	--mem) [ $# -ge 2 ] && is_uint "$2" && [ "$2" -ge 128 ] || usage; mem=$2; shift 2 ;;
	--cpus) [ $# -ge 2 ] && is_uint "$2" && [ "$2" -gt 0 ] || usage; cpus=$2; shift 2 ;;
	--env) [ $# -ge 2 ] && [[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || usage; pass="$pass $2"; shift 2 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "vm: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
script=$(realpath -e -- "$1" 2>/dev/null) || { echo "vm: no such script: $1" >&2; exit 2; }
[ -f "$script" ] || { echo "vm: not a file: $1" >&2; exit 2; }
shift

die() { echo "vm: $*" >&2; exit 125; }

[ "$(id -u)" = 0 ] || die "must run as root (qemu's 9p export of / needs it)"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 missing (selftests/deps.sh installs qemu-system-x86)"
[ -x /bin/busybox ] || die "busybox missing (selftests/deps.sh installs busybox-static)"

# The newest Debian kernel installed, unless VM_KERNEL names a version.
if [ -n "${VM_KERNEL:-}" ]; then
	kver=$VM_KERNEL
else
	kver=$(cd /boot && ls vmlinuz-*-amd64 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
fi
[ -n "$kver" ] && [ -f "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver" ] ||
	die "no Debian kernel in /boot (selftests/deps.sh installs linux-image-amd64)"

# --- cached kernel ELF and initramfs, rebuilt when the kernel or our init changes ---
cache=$OUT/vm
mkdir -p "$cache"
vmlinux=$cache/vmlinux-$kver
initrd=$cache/initramfs-$kver.cpio
# Modules the initramfs loads to reach the host's root, in dependency order.
modlist() {
	local m
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++'
}
stamp=$(cat "$here/init" "$here/vm-modprobe" | sha256sum | cut -c1-16)

build_kernel() {
	# PVH boot of the uncompressed ELF skips the decompressor (seconds under TCG).
	# Debian compresses with XZ: find the stream in the bzImage and inflate it.
	python3 - "/boot/vmlinuz-$kver" "$vmlinux.tmp" <<-'EOF'
	import lzma, sys
	data = open(sys.argv[1], "rb").read()
	off = data.find(b"\xfd7zXZ\x00")
	while off >= 0:
	    try:
	        elf = lzma.LZMADecompressor().decompress(data[off:])
	        if elf[:4] == b"\x7fELF":
	            open(sys.argv[2], "wb").write(elf)
	            sys.exit(0)
	    except lzma.LZMAError:
	        pass
	    off = data.find(b"\xfd7zXZ\x00", off + 1)
	sys.exit("no XZ-compressed ELF kernel in " + sys.argv[1])
	EOF
	mv "$vmlinux.tmp" "$vmlinux"
}

build_initrd() {
	local d m n=0
	d=$(mktemp -d "$cache/initramfs.XXXXXX")
	mkdir -p "$d/bin" "$d/lib/vm" "$d/proc" "$d/sys" "$d/dev"
	cp /bin/busybox "$d/bin/busybox"
	cp "$here/init" "$d/init"
	cp "$here/vm-modprobe" "$d/bin/vm-modprobe"
	chmod 755 "$d/init" "$d/bin/vm-modprobe"
	for m in $(modlist); do
		n=$((n + 1))
		cp "$m" "$d/lib/vm/$n-$(basename "$m")"
		echo "$n-$(basename "$m")" >> "$d/lib/vm/modules.order"
	done
	[ $n -gt 0 ] || { rm -rf "$d"; die "modprobe found no modules for $kver"; }
	(cd "$d" && find . | cpio -o -H newc --quiet > "$initrd.tmp")
	rm -rf "$d"
	mv "$initrd.tmp" "$initrd"
}

(
	flock 9
	[ -s "$vmlinux" ] || build_kernel
	if [ ! -s "$initrd" ] || [ "$(cat "$initrd.stamp" 2>/dev/null)" != "$stamp" ]; then
		build_initrd
		echo "$stamp" > "$initrd.stamp"
	fi
) 9> "$cache/.lock" || die "cannot build the VM kernel/initramfs in $cache"

# --- the job: environment, cwd, script and arguments, read by init in the guest -----
# In TMPDIR unless the guest cannot see it there (/run etc. are fresh in the guest).
jobbase=${TMPDIR:-/tmp}
case $(realpath -m "$jobbase") in /run | /run/* | /dev/* | /proc/* | /sys/*) jobbase=$cache ;; esac
job=$(mktemp -d "$jobbase/meshgw-vm.XXXXXX")
qpid="" spid=""
cleanup() {
	if [ -n "$qpid" ]; then kill -KILL "$qpid" 2>/dev/null || true; fi
	if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; fi
	rm -rf "$job"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
{
	echo "# written by $0"
	for v in $pass; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'export VM_CWD=%q\n' "$PWD"
	printf 'exec /bin/bash %q %q' "$here/guest.sh" "$script"
	[ $# -gt 0 ] && printf ' %q' "$@"
	echo
} > "$job/job.sh"
[[ $job != *[[:space:]]* ]] || die "temporary directory path has spaces: $job"

# clocksource=hpet: under TCG the guest's TSC is the host's rdtsc, which this kind of
# machine (itself a VM; its kernel offers only kvm-clock) does not keep steady: once
# the guest's clock leapt 430,598 s, so `timeout` killed a job at once (exit 124) and
# the watchdog reported a soft lockup. QEMU's HPET follows the host's monotonic clock;
# reading it costs ~0.8 us more per clock_gettime here, with no measurable change in a
# job's time (vm_kernel_wg 26 s with the TSC, 24 s with the HPET).
# ttyS0 = script stdout, ttyS1 = script stderr and kernel console, ttyS2 = exit status.
# QEMU gets duplicates of our stdout/stderr (fds 3 and 4) through fd sets rather than
# reopening them by name, so it shares our file offsets (a reopened log file would be
# overwritten by our own later writes) and works for pipes and sockets alike.
qemu-system-x86_64 \
	-machine pc,accel=tcg -cpu "${VM_CPU:-max}" -m "$mem" -smp "$cpus" \
	-nodefaults -no-user-config -display none -no-reboot -nic none \
	-kernel "$vmlinux" -initrd "$initrd" \
	-append "console=ttyS1 quiet panic=-1 mitigations=off clocksource=hpet ${VM_APPEND:-} vmjob=$job" \
	-fsdev "local,id=hostroot,path=/,security_model=passthrough,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-add-fd fd=3,set=1 -add-fd fd=4,set=2 \
	-chardev file,id=out,path=/dev/fdset/1,append=on \
	-chardev file,id=err,path=/dev/fdset/2,append=on \
	-serial chardev:out -serial chardev:err -serial "file:$job/status" \
	< /dev/null 3>&1 4>&2 &
qpid=$!
sleep "$timeout" &
spid=$!
wait -n "$qpid" "$spid" || true
if kill -0 "$qpid" 2>/dev/null; then
	# SIGKILL: nothing in the VM is worth saving, and QEMU stays quiet about it.
	kill -KILL "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	qpid=
	echo "vm: timeout: $script did not finish within ${timeout}s; VM killed" >&2
	exit 124
fi
wait "$qpid" && qrc=0 || qrc=$?
qpid=
rc=$(tr -cd '0-9' < "$job/status" 2>/dev/null || true)
[ -n "$rc" ] || die "the VM stopped without reporting an exit status (qemu exit $qrc; kernel messages above)"
exit "$rc"
