#!/usr/bin/env python3
"""Holds reapd's main loop in a ptrace stop, busy in an iteration.

usage: freeze-loop.py PID WORK [--max-seconds N]

Traces the syscalls of reapd's main thread (its tid is PID) and stops it
just after it next arms the watchdog's timer (a timerfd_settime with a
non-zero it_value: the loop does that each time it wakes), that is, before
it can act on what woke it; reapd's other threads run on.  Every syscall
the thread makes while traced stops it twice, so trace it only while it
waits: a traced round in a slow guest can outlast the watchdog's timeout.

Files in WORK: "traced" appears once the thread is traced (set up the load
after that), "frozen" once it is held; "release" lets it go.  It goes in
any case after --max-seconds (default 60), so a test that died cannot leave
reapd held.  Letting it go is this process's exit: the kernel detaches a
tracer's tracees when it exits and resumes one held in a ptrace stop, so
killing this process releases the loop too.
"""
import ctypes
import os
import platform
import signal
import struct
import sys
import threading
import time

PTRACE_SYSCALL, PTRACE_SEIZE, PTRACE_INTERRUPT = 24, 0x4206, 0x4207
PTRACE_GET_SYSCALL_INFO = 0x420E
PTRACE_O_TRACESYSGOOD = 1
PTRACE_EVENT_STOP = 128
INFO_ENTRY, INFO_EXIT = 1, 2
WALL = 0x40000000
SYSCALLS = {"x86_64": {"timerfd_settime": 286},
            "aarch64": {"timerfd_settime": 86}}[platform.machine()]

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


def watch_release(release, deadline):
    """Ends the process (so, the hold) once release exists or at the deadline."""
    while not os.path.exists(release) and os.path.isdir(os.path.dirname(release)):
        if time.monotonic() >= deadline:
            print("freeze-loop: no release in time; letting the loop go", file=sys.stderr)
            break
        time.sleep(0.05)
    sys.stderr.flush()
    os._exit(0)


def main():
    args = sys.argv[1:]
    tid, work = int(args[0]), args[1]
    max_seconds = 60.0
    rest = args[2:]
    while rest:
        if rest[0] == "--max-seconds":
            max_seconds = float(rest[1])
        else:
            sys.exit(f"freeze-loop: unknown option {rest[0]}")
        rest = rest[2:]
    release = os.path.join(work, "release")
    threading.Thread(target=watch_release, args=(release, time.monotonic() + max_seconds),
                     daemon=True).start()

    def pt(req, addr=0, data=0):
        ctypes.set_errno(0)
        r = libc.ptrace(req, tid, ctypes.c_void_p(addr), ctypes.c_void_p(data))
        if r == -1 and ctypes.get_errno():
            print(f"freeze-loop: ptrace {req:#x}: {os.strerror(ctypes.get_errno())}",
                  file=sys.stderr)
            os._exit(1)
        return r

    def stop():
        """Waits for the next stop; returns the signal to deliver on resuming (0: none)."""
        _, status = os.waitpid(tid, WALL)
        if not os.WIFSTOPPED(status):
            print("freeze-loop: reapd's main thread is gone", file=sys.stderr)
            os._exit(1)
        sig = os.WSTOPSIG(status)
        if sig == signal.SIGTRAP | 0x80 or status >> 16:
            return 0  # a syscall stop, or an event stop (PTRACE_EVENT_STOP...)
        return sig  # signal-delivery stop: the signal is passed on, not eaten

    # The tracer is this thread: every ptrace call below is made from it.
    pt(PTRACE_SEIZE, 0, PTRACE_O_TRACESYSGOOD)
    pt(PTRACE_INTERRUPT)
    sig = stop()
    open(os.path.join(work, "traced"), "w").close()
    info = ctypes.create_string_buffer(88)  # struct ptrace_syscall_info
    arming = False
    while True:
        pt(PTRACE_SYSCALL, 0, sig)
        sig = stop()
        if sig:
            continue
        if pt(PTRACE_GET_SYSCALL_INFO, len(info), ctypes.addressof(info)) <= 0:
            continue
        op = info.raw[0]
        if op == INFO_ENTRY:
            nr, = struct.unpack_from("Q", info.raw, 24)
            sargs = struct.unpack_from("6Q", info.raw, 32)
            arming = False
            if nr == SYSCALLS["timerfd_settime"] and sargs[2]:
                # struct itimerspec: it_interval, then it_value (two longs each)
                with open(f"/proc/{tid}/mem", "rb", buffering=0) as mem:
                    mem.seek(sargs[2] + 16)
                    arming = any(struct.unpack("qq", mem.read(16)))
        elif op == INFO_EXIT and arming:
            break  # the loop is busy and the watchdog's timer runs: hold it here
    open(os.path.join(work, "frozen"), "w").close()
    threading.Event().wait()  # until watch_release ends the process


if __name__ == "__main__":
    main()
