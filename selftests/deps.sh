#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages one of meshgw's tasks needs, if any is missing, and
# says which: `deps.sh build` (compile meshgw), `deps.sh demo` (build, then run the
# demo lab: WireGuard, iproute2, nftables...), `deps.sh test` (all of that, then what
# `make check` and `make bench` use: QEMU and a Debian kernel for the VM tests,
# promtool, iperf3, dnsmasq, debhelper and lintian to build and check the .deb, zbarimg
# to read the exported QR codes, keepalived for the two-gateway test, systemd-analyze
# and groff for the unit and man page checks, conntrack for the failover bench's
# CT_FLUSH and the lab routers' renumbering, fping for the kinds test's matrix, jq for
# JSON read in polls, where python3 would start each time, perf for bpf_testrun's
# profile of the fast path...).
# A gateway that only builds or only runs the demo gets no kernel image, QEMU or
# Prometheus. Only Debian packages are ever fetched.
# Safe to run repeatedly: a no-op when all are present.
set -e
BUILD="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev libmnl-dev libsodium-dev
libqrencode-dev libnftables-dev pkg-config bpftool"
DEMO="iproute2 wireguard-tools wireguard-go nftables ethtool busybox-static iputils-ping bc
procps kmod"
TEST="qemu-system-x86 linux-image-amd64 xz-utils python3 iperf3
prometheus libclang-rt-14-dev perl strace dnsmasq-base
debhelper dpkg-dev lintian zbar-tools keepalived systemd groff-base conntrack fping jq
linux-perf"
case ${1:-test} in
build) set_name=build PKGS=$BUILD ;;
demo) set_name=demo PKGS="$BUILD $DEMO" ;;
test) set_name=test PKGS="$BUILD $DEMO $TEST" ;;
*) echo "usage: deps.sh [build|demo|test]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps ($set_name): missing packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "deps ($set_name): installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# prometheus is pulled in only for promtool; do not start its service.
apt-get install -y -q --no-install-recommends $missing >/dev/null
if systemctl is-active --quiet prometheus 2>/dev/null; then
	systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
