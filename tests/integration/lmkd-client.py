#!/usr/bin/env python3
"""A process manager speaking Android lmkd's protocol, for the integration test.

Subscribes to kill notifications, registers the given pids with their adj,
writes READY_FILE, waits for as many LMK_PROCKILL notifications as pids, asks
LMK_GETKILLCNT, checks what a 4th connection does, and prints a JSON summary.
"""
import json
import socket
import struct
import sys
import time

LMK_PROCPRIO, LMK_GETKILLCNT, LMK_SUBSCRIBE, LMK_PROCKILL = 1, 4, 5, 6


def packet(*ints):
    return struct.pack("!%di" % len(ints), *ints)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s


def main():
    path, ready_file, want = sys.argv[1], sys.argv[2], sys.argv[3:]
    regs = [(int(p), int(a)) for p, a in (w.split(":") for w in want)]
    s = connect(path)
    s.send(packet(LMK_SUBSCRIBE, 0))
    for pid, adj in regs:
        s.send(packet(LMK_PROCPRIO, pid, 10000 + pid % 1000, adj, 0))
    time.sleep(0.3)
    with open(ready_file, "w") as f:
        f.write("ready\n")

    kills, deadline = [], time.time() + 60
    s.settimeout(1.0)
    while len(kills) < len(regs) and time.time() < deadline:
        try:
            data = s.recv(64)
        except socket.timeout:
            continue
        if not data:
            break
        ints = struct.unpack("!%di" % (len(data) // 4), data)
        if ints[0] == LMK_PROCKILL:
            kills.append({"pid": ints[1], "uid": ints[2], "rss_kb": ints[3]})

    s.settimeout(5.0)
    s.send(packet(LMK_GETKILLCNT, 0, 1000))
    cmd, count = struct.unpack("!2i", s.recv(64))
    assert cmd == LMK_GETKILLCNT

    # lmkd serves 3 data connections; a 4th drops the other three.
    others = [connect(path) for _ in range(2)]
    time.sleep(0.2)
    fourth = connect(path)
    time.sleep(0.3)
    dropped = []
    for c in [s] + others:
        c.settimeout(2.0)
        try:
            dropped.append(c.recv(64) == b"")
        except (socket.timeout, ConnectionResetError):
            dropped.append(False)
    fourth.settimeout(5.0)
    fourth.send(packet(LMK_GETKILLCNT, 900, 900))
    _, count_900 = struct.unpack("!2i", fourth.recv(64))
    print(json.dumps({"kills": kills, "killcount": count, "killcount_900": count_900,
                      "dropped_on_4th": dropped}))


if __name__ == "__main__":
    main()
