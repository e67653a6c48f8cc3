#!/usr/bin/python3
"""How much CPU ran outside the benchmark's own network namespaces: the
other work on the machine that shares the cores with the system under test.

Usage: cpuguard.py snap NETNS_PATH... > FILE     (NETNS_PATH: /run/netns/NAME)
       cpuguard.py diff FILE NETNS_PATH...        prints "foreign_ms wall_ms"
snap records the machine's busy time (user+nice+system, /proc/stat) and the
CPU time (utime+stime) of every process in the given namespaces; diff
prints the busy time since then that those processes do not account for.
Kernel work billed to no process (softirqs) counts as neither.
"""
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def busy_ticks():
    with open("/proc/stat") as f:
        v = f.readline().split()[1:]
    return int(v[0]) + int(v[1]) + int(v[2])


def ours_ticks(inodes):
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat("/proc/%s/ns/net" % pid).st_ino not in inodes:
                continue
            with open("/proc/%s/stat" % pid) as f:
                s = f.read()
        except OSError:
            continue  # gone meanwhile
        f = s[s.rindex(")") + 2:].split()
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])  # utime stime cutime cstime
    return total


def main(argv):
    if len(argv) < 3 or argv[1] not in ("snap", "diff"):
        print(__doc__, file=sys.stderr)
        return 2
    paths = argv[2:] if argv[1] == "snap" else argv[3:]
    inodes = {os.stat(p).st_ino for p in paths}
    now = (time.monotonic(), busy_ticks(), ours_ticks(inodes))
    if argv[1] == "snap":
        print("%f %d %d" % now)
        return 0
    with open(argv[2]) as f:
        t0, b0, o0 = f.read().split()
    foreign = (now[1] - int(b0)) - (now[2] - int(o0))
    print("%d %d" % (max(foreign, 0) * 1000 // HZ, (now[0] - float(t0)) * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
