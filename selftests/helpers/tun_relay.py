# SPDX-License-Identifier: GPL-2.0-only
# A layer-3 link between two network namespaces: tun_relay.py IF1 IF2 NETNS_PATH
# opens tun IF1 in the namespace it starts in, then enters NETNS_PATH and opens IF2
# there, and copies packets both ways. This kernel has no ipip, gre or sit (no
# modules), and a tun device is what a raw-IP modem (wwan0) or ppp0 looks like:
# no Ethernet header. The devices vanish with the process.
import ctypes, fcntl, os, select, struct, sys

def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN | IFF_NO_PI
    return fd

a = tun(sys.argv[1])
if ctypes.CDLL(None, use_errno=True).setns(os.open(sys.argv[3], os.O_RDONLY), 0x40000000):
    sys.exit("setns: %s" % os.strerror(ctypes.get_errno()))
b = tun(sys.argv[2])
other = {a: b, b: a}
while True:
    for fd in select.select([a, b], [], [])[0]:
        os.write(other[fd], os.read(fd, 65536))
