"""6. Nothing killable: reapd's CPU while below the mark with no process it may kill.

A sandbox memory cgroup v1 (2 GiB limit) gets 5,000 sleeping processes
(`benchtool sleepers`, 1,000 per spawner, oom_score_adj 0; 1,000 in quick
mode), then a memhog at adj 0 that fills it until about 100 MiB are
available: below reapd's 10 % mark (205 MiB). reapd (release build, run as
users run it: SCHED_FIFO, memory locked) is scoped to that cgroup with
`--min-adj 1 --config none -v` and a private `--control` and `--events`,
in a memory cgroup of its own: every process in its scope is below
--min-adj, so nothing is killable. Once it has warned that no process is
left to kill (its first round), and 2 s more, its CPU is measured over a
window (60 s; 15 s quick): utime + stime (/proc/PID/stat, clock ticks) and
the run time the scheduler counted over all its threads
(/proc/PID/task/*/schedstat, ns), as the idle scenario does, given as % of
one CPU; wake-ups are context switches over all its threads. Rounds are
counted from its log: reapd -v writes one "round ..." line per round, with
the processes it scanned and the round's time, which are shown too.

Then, with the same reapd and the same processes, the cgroup's limit is
raised to 4 GiB: about 2 GiB available, above the mark (410 MiB), memory
plentiful. After a 3 s settle a second window of the same length is
measured the same way: the reference. The two differ only by being below
the mark with nothing to kill; their difference is the back-off's cost.

Below the mark with nothing to kill reapd rescans on a victim's death,
available memory falling by a step (4 MiB or 1/32 of the scope, whichever
is larger: 64 MiB here), a
pressure event or a new pid on the machine (each at most every 2 s), and
every 10 s; it polls every 50 ms meanwhile. New pids come from any program
on the machine, so the bench counts them during each window (the newest
pid, the last field of /proc/loadavg, every 0.5 s: the 0.5 s samples in
which it changed) and the machine's CPU busy (/proc/stat); it starts no
process itself during a window. The bench checks afterwards that nothing
was killed (every process still in the cgroup, no event written).
"""
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time

from lib import sandbox, stats
from scenarios import idle, scan

TITLE = "Nothing killable"
LIMIT_MIB = 2048
PLENTY_LIMIT_MIB = 4096
LEFT_MIB = 100           # available memory left below the limit: under the 10 % mark
MARK_PCT = 10            # reapd's default --mem-min
TARGET_PCT = 1.0         # the target: under 1 % of a CPU
TARGET_AT = 5000
WARNED = "no process at adj >= 1 is left"
ROUND_RE = re.compile(r"debug: round \S+: avail (\d+) KiB.*: (\d+) processes, (\d+) candidates, "
                      r"(\d+) chosen in ([0-9.]+) ms")
PID_STEP_S = 0.5


def sleeper_preexec():
    """In the sleeper spawner before exec: adj 0 (below --min-adj 1) and RLIMIT_NPROC raised."""
    scan.raise_nproc()
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("0")


def newest_pid():
    return int(sandbox.read("/proc/loadavg").split()[-1])


def log_size(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def rounds_in(path, start, end):
    """The "round" debug lines reapd logged between two byte offsets of its log."""
    with open(path, "rb") as f:
        f.seek(start)
        text = f.read(end - start).decode(errors="replace")
    out = []
    for line in text.splitlines():
        m = ROUND_RE.search(line)
        if m:
            out.append({"avail_kib": int(m[1]), "scanned": int(m[2]), "candidates": int(m[3]),
                        "chosen": int(m[4]), "ms": float(m[5])})
    return out


def window(ctx, pid, log, seconds, label):
    """Measures reapd (pid) over one window; returns the figures."""
    ctx.log(f"nothing-killable: {label}: measuring for {seconds} s")
    pids, changed = [newest_pid()], 0
    off0, t0, a = log_size(log), scan.cpu_ticks(), idle.sample(pid)
    for i in range(1, round(seconds / PID_STEP_S) + 1):
        time.sleep(max(0.0, a["t"] + i * PID_STEP_S - time.monotonic()))
        pids.append(newest_pid())
        changed += pids[-1] != pids[-2]
    b, t1 = idle.sample(pid), scan.cpu_ticks()
    # The log is written line by line; let the last one land.
    time.sleep(0.05)
    rounds = rounds_in(log, off0, log_size(log))
    secs = b["t"] - a["t"]
    # Pids wrap at pid_max (back to 300, near enough for a count).
    top = int(sandbox.read("/proc/sys/kernel/pid_max"))
    new = sum((y - x) % top for x, y in zip(pids, pids[1:]))
    return {
        "label": label, "seconds": secs,
        "cpu_pct_ticks": (b["ticks"] - a["ticks"]) * idle.TICK_MS / 10.0 / secs,
        "cpu_pct_run": (b["run_ns"] - a["run_ns"]) / 1e7 / secs,
        "wakeups_per_s": idle.delta_switches(a, b) / secs,
        "rounds": len(rounds), "rounds_per_s": len(rounds) / secs,
        "round_ms": [r["ms"] for r in rounds], "round_scanned": [r["scanned"] for r in rounds],
        "round_avail_kib": [r["avail_kib"] for r in rounds],
        "machine_busy_pct": scan.busy_pct(t0, t1),
        "new_pids": new, "pid_changed_samples": changed, "pid_samples": len(pids) - 1,
    }


def settle_until_warned(log, p, timeout=60):
    return sandbox.wait_until(lambda: WARNED in (sandbox.read(log) if os.path.exists(log) else "")
                              or p.poll() is not None, timeout, 0.1)


def measure(ctx, n, seconds):
    if not sandbox.wait_until(lambda: idle.processes()[1] == 0, idle.REAP_WAIT_S, 0.5):
        ctx.log("nothing-killable: zombies are still waiting to be reaped; starting anyway")
    with tempfile.TemporaryDirectory(prefix="reapd-bench-nothing-") as tmp, \
            sandbox.Sandbox("nothing") as sb:
        if sb.kind != "v1":
            return {"skipped": f"needs a memory cgroup v1 (found {sb.kind})"}
        box, rcg = sb.memcg("box", LIMIT_MIB), sb.memcg("reapd")
        limit_file = os.path.join(box, "memory.limit_in_bytes")
        t0 = time.monotonic()
        scan.spawn_sleepers(ctx, sb, box, n, preexec=sleeper_preexec)
        sleepers_kib = sb.usage_kib(box)
        ctx.log(f"nothing-killable: {scan.cgroup_procs(box)} sleepers in "
                f"{time.monotonic() - t0:.1f} s, {sleepers_kib / 1024:.0f} MiB charged")
        hog_mib = LIMIT_MIB - LEFT_MIB - sleepers_kib // 1024
        if hog_mib < 16:
            return {"skipped": f"{n} sleepers take {sleepers_kib // 1024} MiB of the "
                               f"{LIMIT_MIB} MiB limit: no room for the hog"}
        hog = sb.spawn([ctx.memhog, "--size", hog_mib, "--adj", 0, "--name", "nk-hog"], [box],
                       ready="ready")
        procs = scan.cgroup_procs(box)
        adjs = []
        for pid in sandbox.read(os.path.join(box, "cgroup.procs")).split():
            try:
                adjs.append(int(sandbox.read(f"/proc/{pid}/oom_score_adj")))
            except (OSError, ValueError):
                pass
        avail_mib = LIMIT_MIB - sb.usage_kib(box) / 1024
        ctx.log(f"nothing-killable: {procs} processes, max adj {max(adjs)}, "
                f"{avail_mib:.0f} MiB available of {LIMIT_MIB} MiB")
        if max(adjs) >= 1:
            return {"skipped": f"a process in the scope is at adj {max(adjs)}: killable"}

        events, log = os.path.join(tmp, "events.json"), os.path.join(tmp, "reapd.log")
        argv = [ctx.reapd, "--config", "none", "--scope", box, "--min-adj", 1, "-v",
                "--control", os.path.join(tmp, "control"), "--events", events]
        env = dict(os.environ, REAPD_BENCH_LOG=log)
        p = sb.spawn(["sh", "-c", 'exec "$@" 2>"$REAPD_BENCH_LOG"', "sh"] + argv, [rcg],
                     env=env)
        warned = settle_until_warned(log, p)
        time.sleep(2)
        out = {"asked": n, "processes": procs, "max_adj": max(adjs),
               "sleepers_charged_kib": sleepers_kib, "hog_mib": hog_mib,
               "avail_mib_below": avail_mib, "warned": warned and p.poll() is None,
               "windows": []}
        if p.poll() is None:
            out["windows"].append(window(ctx, p.pid, log, seconds, "below the mark"))
        if p.poll() is None:
            sandbox.write(limit_file, f"{PLENTY_LIMIT_MIB}M")
            out["avail_mib_plenty"] = PLENTY_LIMIT_MIB - sb.usage_kib(box) / 1024
            time.sleep(3)
            out["windows"].append(window(ctx, p.pid, log, seconds, "memory plentiful"))
        out["alive_after"] = p.poll() is None
        out["hog_alive"] = sandbox.alive(hog.pid)
        out["processes_after"] = scan.cgroup_procs(box)
        out["event_bytes"] = log_size(events)
        p.send_signal(signal.SIGTERM)
        try:
            out["exit"] = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            out["exit"] = None  # the sandbox's cleanup kills it
        text = sandbox.read(log) if os.path.exists(log) else ""
        out["nothing_left_warnings"] = text.count("is left whose death")
        out["warnings"] = [line for line in text.splitlines()
                           if "warning" in line and "oom_score_adj to -1000" not in line
                           and WARNED not in line][:5]
        out["loadavg"] = sandbox.read("/proc/loadavg").split()[:3]
        return out


def run(ctx):
    n, seconds = (1000, 15) if ctx.quick else (TARGET_AT, 60)
    return report(measure(ctx, n, seconds))


def pct(v):
    return "-" if v is None else f"{v:.2f} %"


def report(res):
    if "skipped" in res:
        return {"name": "nothing-killable", "title": TITLE, "doc": __doc__,
                "body": f"Not measured: {res['skipped']}.", "raw": res,
                "headline": [{"metric": "6. CPU below the mark, nothing killable",
                              "reapd": "-", "baseline": "-", "result": "not measured"}]}
    ws = {w["label"]: w for w in res["windows"]}
    low, plenty = ws.get("below the mark"), ws.get("memory plentiful")
    labels = [w["label"] for w in res["windows"]]
    lines = [f"{res['processes']:,} processes in the scope (max oom_score_adj {res['max_adj']}; "
             f"the sleepers charge {res['sleepers_charged_kib'] / 1024:.0f} MiB, the hog "
             f"{res['hog_mib']} MiB); below the mark {res['avail_mib_below']:.0f} MiB of "
             f"{LIMIT_MIB} MiB available (mark {LIMIT_MIB * MARK_PCT // 100} MiB)"
             + (f", then {res['avail_mib_plenty']:.0f} MiB of {PLENTY_LIMIT_MIB} MiB (mark "
                f"{PLENTY_LIMIT_MIB * MARK_PCT // 100} MiB)" if "avail_mib_plenty" in res
                else "") + ". Same reapd, same processes, one window after the other.", "",
             "| | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    rows = [
        ("window", lambda w: f"{w['seconds']:.1f} s"),
        ("CPU, scheduler run time (% of one CPU)", lambda w: pct(w["cpu_pct_run"])),
        ("CPU, utime + stime (ticks; % of one CPU)", lambda w: pct(w["cpu_pct_ticks"])),
        ("rounds (per second)", lambda w: f"{w['rounds']} ({w['rounds_per_s']:.2f}/s)"),
        ("round time, median (min–max)", lambda w: stats.fmt_summary(
            stats.summary(w["round_ms"]), 2)),
        ("processes scanned per round, median", lambda w: (
            f"{statistics.median(w['round_scanned']):,.0f}" if w["round_scanned"] else "-")),
        ("wake-ups per second (all threads)", lambda w: f"{w['wakeups_per_s']:.1f}"),
        (f"new pids on the machine ({PID_STEP_S:g} s samples with one)",
         lambda w: f"{w['new_pids']} ({w['pid_changed_samples']} of {w['pid_samples']})"),
        ("machine CPU busy", lambda w: f"{w['machine_busy_pct']:.0f} %"),
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(fn(w) for w in res["windows"]) + " |")
    lines += ["", "**Reading.**", ""] + explain(res, low, plenty)
    lines += ["", "Raw values:", ""]
    for w in res["windows"]:
        lines.append(f"- {w['label']}: round times (ms) `{stats.raw(w['round_ms'], 2)}`; "
                     f"processes scanned `{' '.join(map(str, w['round_scanned']))}`"
                     if w["rounds"] else f"- {w['label']}: no round")
    lines.append(f"- after: reapd {'running' if res['alive_after'] else 'exited'} (exit "
                 f"{res['exit']} on SIGTERM), hog {'alive' if res['hog_alive'] else 'dead'}, "
                 f"{res['processes_after']:,} processes in the cgroup, {res['event_bytes']} "
                 f"bytes of events, the nothing-to-kill warning logged "
                 f"{res['nothing_left_warnings']} time(s); load average after: "
                 f"{' '.join(res['loadavg'])}"
                 + (f"; other warnings: {'; '.join(res['warnings'])}" if res["warnings"] else ""))
    return {"name": "nothing-killable", "title": TITLE, "doc": __doc__,
            "body": "\n".join(lines), "raw": res, "headline": headline(res, low, plenty)}


def headline(res, low, plenty):
    if not low:
        return [{"metric": "6. CPU below the mark, nothing killable", "reapd": "exited",
                 "baseline": "-", "result": "not measured"}]
    base = (f"memory plentiful: {pct(plenty['cpu_pct_run'])}, {plenty['rounds_per_s']:.2f} "
            "rounds/s" if plenty else "-")
    verdict = ("meets" if low["cpu_pct_run"] < TARGET_PCT else "misses") + \
        f" < {TARGET_PCT:g} % of a CPU"
    if res["processes"] < TARGET_AT:
        verdict += f" (at {res['processes']:,} processes, the target is at {TARGET_AT:,})"
    if plenty and plenty["cpu_pct_run"]:
        verdict += f"; {stats.ratio(low['cpu_pct_run'], plenty['cpu_pct_run'])} plentiful"
    verdict += (f"; new pids on the machine in {low['pid_changed_samples']} of "
                f"{low['pid_samples']} {PID_STEP_S:g} s samples")
    return [{"metric": f"6. CPU below the mark, nothing killable, {res['processes']:,} "
                       "processes in scope",
             "reapd": f"{pct(low['cpu_pct_run'])}, {low['rounds_per_s']:.2f} rounds/s",
             "baseline": base, "result": verdict}]


def explain(res, low, plenty):
    out = []
    if not low:
        return ["- reapd exited before the window."]
    rms = statistics.median(low["round_ms"]) if low["round_ms"] else None
    out.append(
        f"- Below the mark with nothing killable reapd used {pct(low['cpu_pct_run'])} of a CPU "
        f"(target < {TARGET_PCT:g} %) and ran {low['rounds']} rounds in {low['seconds']:.0f} s "
        f"({low['rounds_per_s']:.2f}/s)"
        + (f", each a scan of {statistics.median(low['round_scanned']):,.0f} processes taking "
           f"{rms:.2f} ms (median): rounds account for about "
           f"{sum(low['round_ms']) / 10 / low['seconds']:.2f} % of a CPU, the 50 ms polls "
           f"({low['wakeups_per_s']:.1f} wake-ups/s) for the rest" if rms is not None else "")
        + ".")
    if plenty:
        out.append(
            f"- With memory plentiful the same reapd used {pct(plenty['cpu_pct_run'])} and ran "
            f"{plenty['rounds']} rounds ({plenty['wakeups_per_s']:.1f} wake-ups/s): the "
            f"back-off costs {pct(low['cpu_pct_run'] - plenty['cpu_pct_run'])} of a CPU above "
            f"that ({stats.ratio(low['cpu_pct_run'], plenty['cpu_pct_run'])}).")
    # A rescan on a new pid comes at most every 2 s; without one, every 10 s.
    out.append(
        f"- Rescans with nothing to kill come on a new pid on the machine (at most every 2 s) "
        f"or every 10 s: during the window {low['new_pids']} new pids appeared, in "
        f"{low['pid_changed_samples']} of {low['pid_samples']} {PID_STEP_S:g} s samples, so "
        f"rounds came at up to the 2 s pace ({low['rounds_per_s']:.2f}/s against 0.5/s at "
        f"most, 0.1/s with no new process), and the machine was "
        f"{low['machine_busy_pct']:.0f} % busy"
        + (" (other work: the rounds shared the CPUs with it)" if low["machine_busy_pct"]
           > scan.BUSY_PCT else "") + ".")
    if not res["hog_alive"] or res["processes_after"] < res["processes"] or res["event_bytes"]:
        out.append("- **Something was killed** although nothing was killable (see raw values).")
    return out
