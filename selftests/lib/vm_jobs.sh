# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Test scripts run inside the VM (selftests/vm/run.sh, Debian's kernel with kernel
# WireGuard) as jobs of one boot: a vm_*.t.sh wrapper names its job, and either runs
# it in a VM of its own or, under vm_suite.t.sh (make check), hands it to the suite,
# which runs the jobs of several wrappers one after the other in one boot
# (selftests/vm/jobs.sh). Source after tap.sh:
#
#   vm_skip REASON              no VM here: SKIP (under the suite, a comment), exit 0
#   vm_need_vm                  vm_skip unless root, QEMU and a Debian kernel are here
#   vm_job LABEL TIMEOUT [NAME=VALUE...] -- SCRIPT [ARGS...]
#                               a job: bash SCRIPT ARGS in the VM with those variables
#                               (VM_MODULES: loaded first), killed after TIMEOUT s
#   vm_jobs_main                runs the jobs (vm_jobs_run) and exits with the result;
#                               under the suite (VM_JOBS_FILE set) only exits 0
#   vm_jobs_run FILE            runs FILE's jobs in one VM; each job's TAP becomes this
#                               test's, prefixed "LABEL: " (tap_import); a job the VM
#                               never finished is a failure
vm_jobs_here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vm_jobs_own=

vm_skip() {
	if [ -n "${VM_JOBS_FILE:-}" ]; then echo "# $(basename "$0" .t.sh): SKIP $*"; else echo "1..0 # SKIP $*"; fi
	exit 0
}

vm_need_vm() {
	[ "$(id -u)" = 0 ] || vm_skip "needs root (network namespaces, QEMU's 9p export)"
	if ! ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || ! command -v qemu-system-x86_64 >/dev/null; then
		vm_skip "no Debian kernel or QEMU for the VM"
	fi
}

vm_job() {
	if [ -z "${VM_JOBS_FILE:-}" ]; then
		VM_JOBS_FILE=$(mktemp /tmp/meshgw-vmjobs.$$.XXXX)
		vm_jobs_own=$VM_JOBS_FILE
	fi
	local w line=
	for w; do line+="$(printf '%q' "$w") "; done
	echo "$line" >>"$VM_JOBS_FILE"
}

vm_jobs_main() {
	local rc=0
	[ -n "$vm_jobs_own" ] || exit 0
	vm_jobs_run "$vm_jobs_own" || rc=$?
	rm -f "$vm_jobs_own"
	exit "$rc"
}

# The output of a VM run, split per job (selftests/vm/jobs.sh's markers) into
# DIR/LABEL.out and DIR/LABEL.rc (when it ended); what came outside the jobs (kernel
# messages) into DIR/vm.out.
vm_jobs_split() { # OUT DIR
	awk -v d="$2" '
		$1 == "@@vm-job" && $2 == "begin" { cur = $3; printf "" >(d "/" cur ".out"); next }
		$1 == "@@vm-job" && $2 == "end" { print $4 >(d "/" $3 ".rc"); print $5 >(d "/" $3 ".s"); cur = ""; next }
		cur != "" { print >(d "/" cur ".out"); next }
		{ print >(d "/vm.out") }' "$1"
}

vm_jobs_run() {
	local file=$1 dir start rc=0 limit=60 label t
	local -a job
	dir=$(mktemp -d /tmp/meshgw-vmjobs.$$.XXXX)
	while IFS= read -r t; do
		eval "job=($t)"
		limit=$((limit + job[1]))
	done <"$file"
	start=$(date +%s)
	"$vm_jobs_here/vm/run.sh" --timeout "$limit" "$vm_jobs_here/vm/jobs.sh" "$file" >"$dir/run.out" 2>&1 || rc=$?
	vm_jobs_split "$dir/run.out" "$dir"
	echo "# VM run: run.sh exit $rc after $(($(date +%s) - start)) s (Debian kernel $(cd /boot && ls vmlinuz-*-amd64 | sed 's/^vmlinuz-//' | sort -V | tail -n 1), kernel WireGuard)"
	[ -s "$dir/vm.out" ] && sed 's/^/# vm: /' "$dir/vm.out"
	while IFS= read -r t; do
		eval "job=($t)"
		label=${job[0]}
		if [ ! -e "$dir/$label.out" ]; then
			not_ok "$label: ran in the VM (the VM stopped before it: run.sh exit $rc, 124 = timeout, 125 = VM failure)"
		elif [ ! -e "$dir/$label.rc" ]; then
			tap_import "$label" "$dir/$label.out" "$rc"
			not_ok "$label: finished in the VM (run.sh exit $rc, 124 = timeout, 125 = VM failure)"
		else
			echo "# --- $label: exit $(cat "$dir/$label.rc") after $(cat "$dir/$label.s") s in the VM"
			tap_import "$label" "$dir/$label.out" "$(cat "$dir/$label.rc")"
		fi
	done <"$file"
	rm -rf "$dir"
	tap_done
}
