#!/usr/bin/env python3
"""Starts a command in cgroups as a child it does not reap until told to.

usage: nursery.py OUT RELEASE CGROUP... -- COMMAND [ARGS...]

Forks; the child joins every CGROUP (writes its pid to cgroup.procs) and
execs COMMAND with stdout and stderr to OUT.  The parent stays where it is,
prints the child's pid and then leaves it alone: once the child dies it
stays a zombie, whose /proc/<pid> still shows the scheduling policy, CPUs
and cgroups it had at its end.  Once RELEASE exists (or after 600 s, or on
SIGTERM) the parent kills the child if it still runs, reaps it and exits.
"""
import os
import signal
import sys
import time


def main():
    out, release = sys.argv[1], sys.argv[2]
    sep = sys.argv.index("--")
    cgroups, command = sys.argv[3:sep], sys.argv[sep + 1:]
    pid = os.fork()
    if pid == 0:
        try:
            for cg in cgroups:
                with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execv(command[0], command)
        finally:
            os._exit(99)
    print(pid, flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    deadline = time.monotonic() + 600
    while not stop and not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
