#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the test VM, chrooted into the writable copy of the host (see init).
# job.sh (written by run.sh) has exported the caller's environment and VM_CWD, and
# passes the script and its arguments. The script's exit status goes to
# /run/vm-status, where init picks it up and reports it to the host.
set -u
script=$1
shift
export HOME=/root TERM=dumb WG_COLOR_MODE=never
hostname meshgw-vm 2>/dev/null
ip link set lo up 2>/dev/null
# One modprobe for everything the script will need is much faster than autoloading.
[ -n "${VM_MODULES:-}" ] && modprobe -a $VM_MODULES
cd "$VM_CWD" 2>/dev/null || cd /
bash "$script" "$@"
echo $? > /run/vm-status
