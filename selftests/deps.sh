#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages meshgw needs to build and test, if any is missing.
# Only Debian packages are ever fetched. Safe to run repeatedly: a no-op when all
# are present.
set -e
PKGS="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev libmnl-dev libsodium-dev
pkg-config bpftool iproute2 ethtool kmod procps perl wireguard-tools wireguard-go
qemu-system-x86 linux-image-amd64 busybox-static xz-utils python3 iperf3
prometheus libclang-rt-14-dev nftables bc iputils-ping strace dnsmasq-base"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# prometheus is pulled in only for promtool; do not start its service.
apt-get install -y -q --no-install-recommends $missing >/dev/null
if systemctl is-active --quiet prometheus 2>/dev/null; then
	systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
