#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A model of OpenWrt's uci(1), enough to run `meshgw export -f openwrt` scripts
on a machine without OpenWrt: set, add, add_list, delete, commit and show, on
named sections and @type[N] references (N may be negative), with uci's rules for
names (letters, digits, '_') and its exit statuses (1 and "Entry not found" for a
missing section or option, "Invalid argument" for a bad name). The configuration
lives in the JSON file $UCI_STATE; it starts as OpenWrt's default network and
firewall (interfaces lan and wan, zones named lan and wan, forwarding lan -> wan).

usage: uci [-q] set|add_list PKG.SECTION[.OPTION]=VALUE | add PKG TYPE |
           delete PKG.SECTION[.OPTION] | commit [PKG] | show [PKG]
"""
import json
import os
import re
import sys

NAME = re.compile(r"^[A-Za-z0-9_]+$")
DEFAULT = {
    "network": [
        {"name": "loopback", "type": "interface", "anon": False,
         "options": {"device": "lo", "proto": "static", "ipaddr": "127.0.0.1"}},
        {"name": "lan", "type": "interface", "anon": False,
         "options": {"device": "br-lan", "proto": "static", "ipaddr": "192.168.1.1"}},
        {"name": "wan", "type": "interface", "anon": False,
         "options": {"device": "eth1", "proto": "dhcp"}},
    ],
    "firewall": [
        {"name": "cfg01e63d", "type": "defaults", "anon": True,
         "options": {"input": "REJECT", "output": "ACCEPT", "forward": "REJECT"}},
        {"name": "cfg02dc81", "type": "zone", "anon": True,
         "options": {"name": "lan", "network": ["lan"], "input": "ACCEPT", "output": "ACCEPT",
                     "forward": "ACCEPT"}},
        {"name": "cfg03dc81", "type": "zone", "anon": True,
         "options": {"name": "wan", "network": ["wan", "wan6"], "input": "REJECT",
                     "output": "ACCEPT", "forward": "REJECT", "masq": "1"}},
        {"name": "cfg04ad58", "type": "forwarding", "anon": True,
         "options": {"src": "lan", "dest": "wan"}},
    ],
}


class UciError(Exception):
    pass


def load():
    path = os.environ["UCI_STATE"]
    if not os.path.exists(path):
        return json.loads(json.dumps(DEFAULT))
    return json.load(open(path))


def save(state):
    with open(os.environ["UCI_STATE"], "w") as f:
        json.dump(state, f, indent=1)


def find(state, pkg, ref, create_pkg=False):
    """The section list of pkg and the index of section ref in it (or None)."""
    if pkg not in state:
        if not create_pkg:
            raise UciError("Entry not found")
        state[pkg] = []
    secs = state[pkg]
    m = re.match(r"^@([A-Za-z0-9_]+)\[(-?[0-9]+)\]$", ref)
    if m:
        of_type = [i for i, s in enumerate(secs) if s["type"] == m.group(1)]
        k = int(m.group(2))
        if not -len(of_type) <= k < len(of_type):
            return secs, None
        return secs, of_type[k]
    if not NAME.match(ref):
        raise UciError("Invalid argument")
    for i, s in enumerate(secs):
        if s["name"] == ref:
            return secs, i
    return secs, None


def split(path):
    parts = path.split(".")
    if len(parts) not in (2, 3) or not NAME.match(parts[0]):
        raise UciError("Invalid argument")
    if len(parts) == 3 and not NAME.match(parts[2]):
        raise UciError("Invalid argument")
    return parts


def cmd(state, argv):
    op = argv[0] if argv else ""
    if op in ("set", "add_list"):
        if len(argv) != 2 or "=" not in argv[1]:
            raise UciError("Invalid argument")
        path, value = argv[1].split("=", 1)
        parts = split(path)
        if len(parts) == 2:		# set pkg.name=type
            if op != "set" or not NAME.match(value):
                raise UciError("Invalid argument")
            secs, i = find(state, parts[0], parts[1], create_pkg=True)
            if parts[1].startswith("@"):
                raise UciError("Invalid argument")
            if i is None:
                secs.append({"name": parts[1], "type": value, "anon": False, "options": {}})
            else:
                secs[i]["type"] = value
            return ""
        secs, i = find(state, parts[0], parts[1])
        if i is None:
            raise UciError("Entry not found")
        opts = secs[i]["options"]
        if op == "set":
            opts[parts[2]] = value
        else:
            cur = opts.get(parts[2])
            opts[parts[2]] = (cur if isinstance(cur, list) else [cur] if cur else []) + [value]
        return ""
    if op == "add":
        if len(argv) != 3 or not NAME.match(argv[1]) or not NAME.match(argv[2]):
            raise UciError("Invalid argument")
        secs = state.setdefault(argv[1], [])
        name = "cfg%06x" % (0x100000 + len(secs) * 0x1f3 + sum(map(ord, argv[2])))
        secs.append({"name": name, "type": argv[2], "anon": True, "options": {}})
        return name + "\n"
    if op == "delete":
        if len(argv) != 2:
            raise UciError("Invalid argument")
        parts = split(argv[1])
        secs, i = find(state, parts[0], parts[1])
        if i is None:
            raise UciError("Entry not found")
        if len(parts) == 2:
            del secs[i]
        elif parts[2] in secs[i]["options"]:
            del secs[i]["options"][parts[2]]
        else:
            raise UciError("Entry not found")
        return ""
    if op == "commit":
        return ""
    if op == "show":
        out = []
        for pkg in sorted(state) if len(argv) == 1 else argv[1:]:
            counts = {}
            for s in state.get(pkg, []):
                n = counts.get(s["type"], 0)
                counts[s["type"]] = n + 1
                ref = "@%s[%d]" % (s["type"], n) if s["anon"] else s["name"]
                out.append("%s.%s=%s" % (pkg, ref, s["type"]))
                for k, v in s["options"].items():
                    vals = v if isinstance(v, list) else [v]
                    out.append("%s.%s.%s=%s" % (pkg, ref, k, " ".join("'%s'" % x for x in vals)))
        return "\n".join(out) + "\n"
    raise UciError("Unknown command")


def main(argv):
    quiet = False
    while argv and argv[0].startswith("-"):
        if argv[0] != "-q":
            print("uci: unknown option %s" % argv[0], file=sys.stderr)
            return 1
        quiet = True
        argv = argv[1:]
    state = load()
    try:
        out = cmd(state, argv)
    except UciError as e:
        if not quiet:
            print("uci: %s" % e, file=sys.stderr)
        return 1
    save(state)
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
