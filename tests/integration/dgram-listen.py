#!/usr/bin/env python3
"""dgram-listen.py SOCKET OUT: binds a unix datagram socket at SOCKET and
appends each datagram received to OUT, followed by a line with "--", until
killed.  Stands in for systemd's notify socket and for syslog's /dev/log."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    f.write(b"")
    while True:
        data = s.recv(65536)
        f.write(data.rstrip(b"\n") + b"\n--\n")
