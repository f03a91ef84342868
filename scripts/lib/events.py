#!/usr/bin/env python3
"""Prints reapd kill events: live as they are appended, and as a summary table."""
import argparse
import json
import os
import sys
import time


def describe(e):
    reap = (f"reaped {e['reaped_kib'] / 1024:.0f} MiB in {e['reap_ms']:.1f} ms"
            if e["reaped"] else "not reaped")
    died = (f"dead {e['kill_to_exit_ms']:.1f} ms after SIGKILL"
            if e["kill_to_exit_ms"] is not None else "death not confirmed")
    what = "would kill" if e["dry_run"] else "killed"
    return (f"{what} {e['comm']} (pid {e['pid']}, adj {e['oom_score_adj']}) for "
            f"{e['reason']}: {e['size_kib'] / 1024:.0f} MiB; {reap}; {died}")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def follow(path, until_pid, timeout):
    """Prints each new event until until_pid is dead (plus a moment) or timeout."""
    start, pos, dead_at = time.monotonic(), 0, None
    while time.monotonic() - start < timeout:
        if os.path.exists(path):
            with open(path) as f:
                f.seek(pos)
                for line in f:
                    if line.endswith("\n"):
                        pos += len(line.encode())
                        e = json.loads(line)
                        print(f"  [+{time.monotonic() - start:5.2f} s] {describe(e)}", flush=True)
        if not alive(until_pid):
            dead_at = dead_at or time.monotonic()
            if time.monotonic() - dead_at > 0.5:
                return 0
        time.sleep(0.05)
    print(f"  timed out after {timeout} s", flush=True)
    return 1


def summary(path):
    events = [json.loads(l) for l in open(path) if l.strip()] if os.path.exists(path) else []
    if not events:
        print("No kills.")
        return
    cols = ("pid", "name", "adj", "reason", "size MiB", "reaped MiB", "reap ms", "exit ms")
    rows = [(str(e["pid"]), e["comm"], str(e["oom_score_adj"]), e["reason"],
             f"{e['size_kib'] / 1024:.0f}", f"{e['reaped_kib'] / 1024:.0f}",
             f"{e['reap_ms']:.1f}" if e["reap_ms"] is not None else "-",
             f"{e['kill_to_exit_ms']:.1f}" if e["kill_to_exit_ms"] is not None else "-")
            for e in events]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    fmt = "  ".join(f"{{:>{w}}}" if i not in (1, 3) else f"{{:<{w}}}"
                    for i, w in enumerate(widths))
    print("  " + fmt.format(*cols))
    for r in rows:
        print("  " + fmt.format(*r))
    reaped = [e for e in events if e["reaped"]]
    if reaped:
        mib = sum(e["reaped_kib"] for e in reaped) / 1024
        ms = sum(e["reap_ms"] for e in reaped)
        early = all(e["kill_to_exit_ms"] is not None and e["reap_ms"] <= e["kill_to_exit_ms"]
                    for e in reaped)
        print(f"\n  {len(events)} kills; {mib:.0f} MiB came back through process_mrelease "
              f"in {ms:.1f} ms in all" +
              (", each reap done before its victim had finished exiting." if early else "."))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("follow")
    f.add_argument("file")
    f.add_argument("--until-pid", type=int, required=True)
    f.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("summary")
    s.add_argument("file")
    a = p.parse_args()
    if a.cmd == "follow":
        sys.exit(follow(a.file, a.until_pid, a.timeout))
    summary(a.file)


if __name__ == "__main__":
    main()
