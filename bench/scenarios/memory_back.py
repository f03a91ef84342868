"""1. Memory back after a kill: SIGKILL alone vs reapd's kill path, without and with the boost.

Each victim is killed three ways, interleaved run by run: SIGKILL alone;
reapd's reaper module (src/reaper.c, the code the daemon kills with:
pidfd_send_signal and process_mrelease from a worker thread, then a thaw)
with its boost turned off (`--no-boost`); and the same with the boost (every
victim thread's scheduling penalties cleared, or SCHED_FIFO 1 when the
reaper runs real-time; its affinity widened to all CPUs; a victim in a
CPU-limited cgroup moved out of it). benchtool kills and follows the cgroup's
usage every 100 us (MemAvailable lags kills by seconds): "memory back" is when
90 % of the victim's anonymous memory has left its cgroup, "exit" when its
pidfd turns readable. benchtool runs at normal priority, so its boost is the
non-real-time one (reapd's is SCHED_FIFO 1 unless `no-realtime`): a real-time
benchtool would need reapd's two levels (loop above the reaper thread, or the
poll that times memory back waits behind the reap).

Victims, each allocated at full speed first, then put in its situation:
- plain; frozen in a v1 freezer or by cgroup v2 cgroup.freeze;
- SCHED_IDLE, pinned to CPU 1 beside two spinning processes;
- pinned to CPU 1 beside two spinners at normal policy (a third of a CPU);
- in a cgroup limited to 5 % of a CPU (v1 cpu.cfs_quota_us 5000 per 100000,
  or cgroup v2 cpu.max "5000 100000"), moved in once it allocated, beside a
  spinner in the same cgroup that uses the quota up, so the group is
  throttled 95 % of the time. The victim itself sleeps: what holds its exit
  back is that its wake-up lands on a throttled group. With CFS's
  task-based throttling (Linux 6.18, the kernel this was written on) a task
  is throttled only on its way back to user space, which a dying task never
  takes: once the next period starts it exits at full speed, so the cost is
  up to one period (100 ms) plus sharing a CPU with the spinner (measured: a
  2 GiB exit took 0.19-0.25 s so limited, 0.14 s without). On older kernels
  the whole exit runs at the group's 5 %;
- 64 threads (memhog --threads 64, the memory touched by all of them);
- with a large file in page cache besides its anonymous memory (memhog
  --file-mib: it writes and reads back an unlinked temp file, it does not map
  it). Reaping frees only the anonymous part; the file's cache leaves the
  cgroup at exit, when the last descriptor of the unlinked file is closed
  (before the pidfd turns readable), so "memory back" here is about the
  anonymous memory only and "exit" includes dropping the cache.
Where the memory cgroup is a cgroup v2 one, the victim's own cgroup is frozen
or CPU-limited: any other v2 group would take the victim out of it.
"""
import os
import subprocess
import time

from lib import sandbox, stats

TITLE = "Memory back after a kill"

# (key, label, benchtool arguments); "boost" only where benchtool has it.
MODES = [("kill", "SIGKILL alone", ["--mode", "kill"]),
         ("noboost", "reapd, no boost", ["--mode", "reap", "--no-boost"]),
         ("boost", "reapd, boost", ["--mode", "reap"])]
THREADS = 64
CPU_QUOTA_USEC, CPU_PERIOD_USEC = 5000, 100000
SPIN = ["sh", "-c", "while :; do :; done"]


def _help_text(argv):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    return r.stdout + r.stderr


def boost_supported(ctx):
    """True when benchtool's kill takes --no-boost (the reaper has the boost)."""
    if "--no-boost" in _help_text([ctx.benchtool, "kill", "--help"]):
        return True
    # Without the option getopt says so; with it, the missing --pid gets the usage line.
    return "unrecognized option" not in _help_text([ctx.benchtool, "kill", "--no-boost"])


def threads_supported(ctx):
    return "--threads" in _help_text([ctx.memhog, "--help"])


def one_hierarchy(sb):
    """True when the memory cgroup is a cgroup v2 group that any other v2 group would
    take the victim out of (one hierarchy): then it is frozen or limited itself."""
    return sb.kind == "v2" and sb.memcg_base == sandbox.unified_root()


def variants(ctx, notes):
    """The victims this machine can have: (label, kind); notes get the ones left out."""
    vs = [("plain", "plain")]
    if sandbox.freezer_v1_root():
        vs.append(("frozen (v1 freezer)", "v1"))
    if sandbox.unified_root():
        vs.append(("frozen (v2 cgroup.freeze)", "v2"))
    if os.cpu_count() >= 2:
        vs.append(("SCHED_IDLE on a busy CPU", "idle"))
        vs.append(("pinned to a busy CPU", "pinned"))
    else:
        notes.append("one CPU: no busy-CPU victims")
    if sandbox.cpu_v1_root():
        vs.append(("5 % CPU limit (v1 cpu.cfs_quota_us)", "cpu-v1"))
    else:
        notes.append("no cgroup v1 cpu controller: no v1 CPU-limit victim")
    if sandbox.cpu_v2_root():
        vs.append(("5 % CPU limit (v2 cpu.max)", "cpu-v2"))
    else:
        notes.append("the cgroup v2 cpu controller is not enabled for the children of "
                     f"{sandbox.unified_root() or 'the v2 root'} (cgroup.subtree_control): "
                     "no v2 CPU-limit victim")
    if threads_supported(ctx):
        vs.append((f"{THREADS} threads", "threads"))
    else:
        notes.append(f"memhog has no --threads yet: no {THREADS}-thread victim")
    vs.append(("with a large file in page cache", "file"))
    return vs


def settle_spinners():
    # The spinners exec and start spinning within a few ms; kill only once they compete.
    time.sleep(0.2)


def throttled_periods(cg):
    for line in sandbox.read(os.path.join(cg, "cpu.stat")).splitlines():
        k, v = line.split()
        if k == "nr_throttled":
            return int(v)
    return 0


def limit_cpu(sb, cg, victim, kind):
    """Moves victim into a cgroup limited to 5 % of a CPU, beside a spinner that keeps
    the group throttled. Returns False without that controller."""
    if kind == "cpu-v2" and one_hierarchy(sb):
        # One hierarchy: the memory cgroup itself takes the limit, once allocated.
        ccg = cg
        sb.spawn(SPIN, [cg])
        sandbox.write(os.path.join(cg, "cpu.max"), f"{CPU_QUOTA_USEC} {CPU_PERIOD_USEC}")
    else:
        ccg = sb.cpucg(kind[4:], CPU_QUOTA_USEC, CPU_PERIOD_USEC)
        if not ccg:
            return False
        sb.spawn(SPIN, [cg, ccg])
        sb.move(victim.pid, ccg)
    before = throttled_periods(ccg)
    if not sandbox.wait_until(lambda: throttled_periods(ccg) >= before + 2, 5):
        raise RuntimeError("the CPU-limited cgroup is not throttled")
    return True


def victim_argv(ctx, kind, size_mib, file_mib):
    argv = [ctx.memhog, "--size", size_mib, "--adj", 1000, "--name", "victim"]
    if kind == "threads":
        argv += ["--threads", THREADS]
    if kind == "file":
        argv += ["--file-mib", file_mib]
    return argv


def one(ctx, variant, kind, mode_args, size_mib, file_mib, timeout_ms):
    """Kills one victim; returns benchtool's JSON, or None when the variant cannot run."""
    with sandbox.Sandbox("mb") as sb:
        cg = sb.memcg("victim")
        cgs = [cg]
        fcg = None
        if kind in ("v1", "v2"):
            fcg = cg if kind == "v2" and one_hierarchy(sb) else sb.freezer(kind)
            if fcg is None:
                return None
            if fcg != cg:
                cgs.append(fcg)
        victim = sb.spawn(victim_argv(ctx, kind, size_mib, file_mib), cgs, ready="ready")
        if fcg:
            sb.freeze(fcg, kind)
        if kind in ("idle", "pinned"):
            # Allocated at full speed first; now starve it: pinned beside two spinners.
            subprocess.run(["taskset", "-a", "-p", "-c", "1", str(victim.pid)], check=True,
                           capture_output=True)
            if kind == "idle":
                subprocess.run(["chrt", "-a", "--idle", "-p", "0", str(victim.pid)],
                               check=True, capture_output=True)
            for _ in range(2):
                sb.spawn(["taskset", "-c", "1"] + SPIN, [cg])
            settle_spinners()
        if kind.startswith("cpu-") and not limit_cpu(sb, cg, victim, kind):
            return None
        r = ctx.run_json([ctx.benchtool, "kill", "--pid", victim.pid, "--usage",
                          sb.usage_file(cg), "--timeout-ms", timeout_ms, "--cpu", 0]
                         + mode_args, timeout=timeout_ms / 1000 + 60)
        r["variant"] = variant
        return r


def plan(quick):
    """Sizes, runs and waits: (size MiB, file MiB, reps, {kind: wait ms})."""
    size = 256 if quick else 2048
    # How long to wait for the exit before giving up (frozen: SIGKILL alone never exits;
    # SCHED_IDLE: SIGKILL alone takes tens of seconds for 2 GiB).
    wait = {k: 10000 for k in ("plain", "pinned", "cpu-v1", "cpu-v2", "threads", "file")}
    wait.update({"v1": 1000 if quick else 5000, "v2": 1000 if quick else 5000,
                 "idle": 3000 if quick else 60000})
    return size, size // 2, 2 if quick else 5, wait


def run(ctx):
    size, file_mib, reps, wait = plan(ctx.quick)
    notes = []
    modes = MODES
    if not boost_supported(ctx):
        # Before the boost, "reap" is what "reap --no-boost" will be.
        modes = [MODES[0], (MODES[1][0], MODES[1][1], ["--mode", "reap"])]
        notes.append("benchtool has no --no-boost yet (the reaper has no boost): "
                     "the boost columns say \"not supported yet\"")
    rows, raw = [], []
    for variant, kind in variants(ctx, notes):
        res = {key: [] for key, _, _ in MODES}
        for rep in range(reps):
            for key, label, args in modes:
                ctx.log(f"memory-back: {variant}, {label}, run {rep + 1}/{reps}")
                r = one(ctx, variant, kind, args, size, file_mib, wait[kind])
                if r:
                    r["mode_label"] = key
                    res[key].append(r)
                    raw.append(r)
        if res["kill"]:
            rows.append((variant, kind, res))
        else:
            notes.append(f"{variant}: could not be set up here")
    return report(ctx, size, file_mib, reps, rows, raw, notes, len(modes) == 3)


def col(rs, key):
    return [r.get(key) for r in rs]


def med(rs, key, timeout_ms):
    """The median of key over runs, a run past the wait counted as slower than any:
    (ms, bounded), bounded meaning the median is above ms."""
    return stats.censored_median(col(rs, key), timeout_ms)


def fmt_med(m, timeout_ms):
    ms, bounded = m
    if bounded and ms >= timeout_ms:
        return f"not within {timeout_ms / 1000:g} s"
    return ("> " if bounded else "") + stats.fmt_ms(ms)


def cell(rs, key, timeout_ms=None):
    """Median (min–max) of key over runs; a run past the wait shows as "not within"."""
    if not rs:
        return "not supported yet"
    if timeout_ms is None:
        return stats.fmt_summary(stats.summary(col(rs, key)))
    xs = col(rs, key)
    m = med(rs, key, timeout_ms)
    if len(xs) == 1 or all(x is None for x in xs):
        return fmt_med(m, timeout_ms)
    done = [x for x in xs if x is not None]
    top = f"not within {timeout_ms / 1000:g} s" if len(done) < len(xs) else stats.fmt_ms(max(done))
    return f"{fmt_med(m, timeout_ms)} ({stats.fmt_ms(min(done))}–{top})"


def ratio(slow, fast, key, timeout_ms):
    """How many times sooner fast's median is than slow's: '> Nx' where slow's median is only
    known to be above a value (runs past the wait), '< Nx' where fast's is."""
    if not slow or not fast:
        return "-"
    (a, a_bounded), (b, b_bounded) = med(slow, key, timeout_ms), med(fast, key, timeout_ms)
    if (a_bounded and b_bounded) or not b:
        return "-"
    return ("> " if a_bounded else "< " if b_bounded else "") + stats.ratio(a, b)


def ratios(slow, fast, timeout_ms):
    if not fast:
        return "not supported yet"
    return (f"exit {ratio(slow, fast, 'signal_to_exit_ms', timeout_ms)}, memory "
            f"{ratio(slow, fast, 'signal_to_memory_back_ms', timeout_ms)}")


def reap_cell(rs):
    if not rs:
        return "not supported yet"
    n = sum(1 for r in rs if r.get("reaped"))
    return f"{cell(rs, 'reap_ms')}, {n}/{len(rs)} reaped"


def per_run(rs, key):
    """key's value in each run, as benchtool printed it ("?" where it did not)."""
    if not rs:
        return "not supported yet"
    return " ".join("?" if r.get(key) is None else str(r[key]).lower() for r in rs)


def report(ctx, size, file_mib, reps, rows, raw, notes, boost):
    lines = [f"{size} MiB anonymous victim (4 KiB pages; the page-cache victim also "
             f"{file_mib} MiB of file), {reps} runs per cell, the three modes interleaved "
             "run by run; median (min–max). \"not within N s\": no exit (or memory back) "
             "within the wait; such a run counts as slower than any, so a median may be only "
             "a bound (\"> N ms\"). Ratios: how many times sooner the medians are (exit, "
             "memory back).", ""]
    lines += [f"Note: {n}." for n in notes]
    lines += ["", "| victim | SIGKILL alone: exit | SIGKILL alone: memory back | "
              "reapd, no boost: exit | reapd, no boost: memory back | reapd, boost: exit | "
              "reapd, boost: memory back | boost vs no boost | reapd (boost) vs SIGKILL alone |",
              "|---|---|---|---|---|---|---|---|---|"]
    headline, chart = [], []
    for variant, kind, res in rows:
        t = res["kill"][0]["timeout_ms"]
        k, n, b = res["kill"], res["noboost"], res["boost"]
        lines.append(f"| {variant} | {cell(k, 'signal_to_exit_ms', t)} | "
                     f"{cell(k, 'signal_to_memory_back_ms', t)} | "
                     f"{cell(n, 'signal_to_exit_ms', t)} | {cell(n, 'signal_to_memory_back_ms', t)} | "
                     f"{cell(b, 'signal_to_exit_ms', t)} | {cell(b, 'signal_to_memory_back_ms', t)} | "
                     f"{ratios(n, b, t)} | {ratios(k, b, t)} |")
        best = b or n
        mem = {m: med(res[m], "signal_to_memory_back_ms", t) for m in ("kill", "noboost", "boost")}
        ext = {m: med(res[m], "signal_to_exit_ms", t) for m in ("kill", "noboost", "boost")}
        best_key = "boost" if b else "noboost"
        headline.append({
            "metric": f"1. memory back / exit, {variant}",
            "reapd": f"{fmt_med(mem[best_key], t)} / {fmt_med(ext[best_key], t)}"
                     + ("" if b else " (without the boost: not supported yet)"),
            "baseline": f"SIGKILL alone: {fmt_med(mem['kill'], t)} / {fmt_med(ext['kill'], t)}"
                        + (f"; no boost: {fmt_med(mem['noboost'], t)} / "
                           f"{fmt_med(ext['noboost'], t)}" if b and n else ""),
            "result": ratios(k, best, t)})
        chart.append((variant, mem["kill"][0], mem["noboost"][0], mem["boost"][0]))
    lines += ["", "Reap done: from the signal to the end of process_mrelease, in the runs that "
              "reaped (a victim already gone is not reaped). Boosted threads and moves out of "
              "a CPU-limited cgroup as benchtool reports them, per run.", "",
              "| victim | reapd, no boost: reap done | reapd, boost: reap done | "
              "boosted threads | moved out of a CPU-limited cgroup |", "|---|---|---|---|---|"]
    for variant, kind, res in rows:
        b = res["boost"]
        lines.append(f"| {variant} | {reap_cell(res['noboost'])} | {reap_cell(b)} | "
                     f"{per_run(b, 'boosted_threads')} | {per_run(b, 'cpu_moved')} |")
    lines += ["", "Raw values (ms) per run, in run order (\"-\": not within the wait):", ""]
    for variant, kind, res in rows:
        parts = [f"{label}: memory back `{stats.raw(col(res[key], 'signal_to_memory_back_ms'))}`, "
                 f"exit `{stats.raw(col(res[key], 'signal_to_exit_ms'))}`"
                 for key, label, _ in MODES if res[key]]
        lines.append(f"- {variant}: " + "; ".join(parts))
    return {"name": "memory-back", "title": TITLE, "doc": __doc__, "body": "\n".join(lines),
            "headline": headline, "raw": raw, "chart": chart,
            "chart_series": [label for _, label, _ in MODES] if boost else
            [label for _, label, _ in MODES[:2]]}
