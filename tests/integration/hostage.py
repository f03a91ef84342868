#!/usr/bin/env python3
"""Holds control-socket connections open and idle, as an unprivileged user.

usage: hostage.py SOCKET N READY_FILE RESULT_FILE [UID]

Drops to UID (default 65534), opens N connections and sends nothing on them.
Connections reapd refused at once carry one reply (read within 0.5 s); the
rest are held. Writes READY_FILE, then waits up to 30 s for reapd to close
each held one and writes a JSON summary to RESULT_FILE: how many were
accepted, the refusals' replies, and after how many seconds each held
connection was closed (null: never).
"""
import json
import os
import select
import socket
import sys
import time


def main():
    path, n, ready, result = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    uid = int(sys.argv[5]) if len(sys.argv) > 5 else 65534
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        conns.append(s)
    opened = time.monotonic()
    time.sleep(0.5)
    held, refusals = [], []
    for s in conns:
        r, _, _ = select.select([s], [], [], 0)
        if r:
            data = s.recv(65536)
            if data:
                refusals.append(json.loads(data))
            s.close()
        else:
            held.append(s)
    with open(ready, "w") as f:
        f.write("%d\n" % len(held))
    closed_after = {}
    deadline = opened + 30
    while len(closed_after) < len(held) and time.monotonic() < deadline:
        live = [s for s in held if s.fileno() not in closed_after]
        r, _, _ = select.select(live, [], [], 0.2)
        for s in r:
            if s.recv(65536) == b"":
                closed_after[s.fileno()] = round(time.monotonic() - opened, 1)
    json.dump({"held": len(held), "refusals": refusals,
               "closed_after": [closed_after.get(s.fileno()) for s in held]},
              open(result, "w"))


if __name__ == "__main__":
    main()
