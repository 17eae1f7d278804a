#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""An "internet host" that says which source address it sees, and its client.

  udp_whoami.py serve ADDR PORT        answer every datagram with its source address
  udp_whoami.py ask DST PORT [SRC|-] [SIZE]
                                       one question (SIZE bytes, default 1) from a fresh
                                       socket (a new flow, so no NAT entry of an earlier
                                       one decides the path); prints the answer, or
                                       "none" after 0.5 s
  udp_whoami.py wait DST PORT WANT T [SINCE]
                                       asks every 50 ms until the answer is WANT; prints
                                       the seconds since SINCE (unix time, e.g. bash's
                                       $EPOCHREALTIME when the network changed; default:
                                       now) and exits 0, or 1 after T s
"""
import socket
import sys
import time


def serve(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        _, peer = s.recvfrom(2048)
        s.sendto(peer[0].encode(), peer)


def ask(dst, port, src=None, timeout=0.5, size=1):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if src and src != "-":
        s.bind((src, 0))
    s.settimeout(timeout)
    try:
        s.sendto(b"x" * size, (dst, port))
        return s.recv(2048).decode()
    except OSError:
        return "none"
    finally:
        s.close()


def main():
    mode, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "serve":
        serve(dst, port)
    elif mode == "ask":
        print(ask(dst, port, sys.argv[4] if len(sys.argv) > 4 else None,
                  size=int(sys.argv[5]) if len(sys.argv) > 5 else 1))
    elif mode == "wait":
        # Timed from the caller's event, not from this interpreter's start (which
        # can take most of a second on a busy machine).
        want, limit = sys.argv[4], float(sys.argv[5])
        since = float(sys.argv[6]) if len(sys.argv) > 6 else time.time()
        t0, got = time.monotonic(), "none"
        while time.monotonic() - t0 < limit:
            got = ask(dst, port, timeout=0.2)
            if got == want:
                print("%.2f" % (time.time() - since))
                return 0
            time.sleep(0.05)
        print("timeout (last answer: %s)" % got)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
