"""4. Scan cost: reapd's time from a pressure event to its victim choice, per process.

The bench adds sleeping processes of its own (`benchtool sleepers`, 1,000
per spawner, in a sandbox cgroup) to the machine's, then runs reapd at
system scope with `--dry-run --mem-min 99%`: available memory is always
below that mark, so reapd runs a low_mem round, reports its choice and kills
nothing, about every 1.2 s. Each dry-run event carries `scan_ms` (from the
wake-up to the victim choice, including the read of the memory state) and
`scanned` (processes looked at); per process = scan_ms / scanned.
`--max-victims 1` makes one event per round; it does not change the walk.
Two kinds of round:

- typical: one 64 MiB process of the bench at adj 1000 and `--target 1M`:
  it covers the target, so only the top bucket's sizes are read; the cost
  is the scan of every process's oom_score_adj.
- worst: `--target 1T` is never covered, so every bucket down to adj 0 is
  walked and every candidate is loaded (its stat and status read).

reapd's first round comes right after its start-up scan (which sizes its
table), so it may find the caches warm from it; it is shown on its own and
the median is over the rounds after it. Compared, with the same processes
present, right after reapd stops, in reapd's memory cgroup: `benchtool
scan`, the floor (getdents64 + openat/read/close of oom_score_adj per
process, with the same read helper as reapd) and a naive scan
(oom_score_adj + statm + stat), each the best of 5 back-to-back passes; it
runs as many times as reapd's rounds are kept, a second apart, since on a
VM the floor moves from one second to the next. To show where the time
goes, the bench then times single steps from Python over the same
processes (best of 5 passes; Python adds a little per call, see the
bare-syscall row), and a whole oom_score_adj pass back to back and after a
1.2 s pause, as reapd's rounds come. CPU busy is the whole machine's
during the rounds: other work (other benchmarks) slows them.

The refiner: a victim's size is its anonymous memory + swap; for a
candidate the walk is about to take that may share anonymous memory
copy-on-write (it has children, or its parent has its name) reapd reads
/proc/PID/smaps_rollup, which walks its page tables. Its cost per MiB of
RSS: plain memhogs of 64, 256 and 1024 MiB (every page touched, no
children), each file read from Python (openat + read + close, best of 5
passes interleaved over the sizes), smaps_rollup against status of the
same processes; per MiB at each size, and the slope from the smallest to
the largest (what a further MiB costs, without the fixed part). Then
dry-run rounds (`--mem-min 99% --target 1M --max-victims 1`, 1 + 8 of
them, 1 + 3 quick) with reapd scoped to a 2 GiB cgroup holding only:

- plain victim: one memhog of 272 MiB at adj 1000 (not a sharer);
- sharer victim: a copy-on-write family, `memhog --size 256 --children 3
  --child-size 16 --adj 1000`: each child holds the parent's 256 MiB
  (shared) and 16 MiB of its own, RSS 272 MiB; the walk takes a child,
  reads its smaps_rollup and finds it frees 16 MiB: it is the victim;
- sharers free little: the family without --child-size, whose members
  free next to nothing (every page shared): all 4 are refined and
  skipped, and the victim is a 16 MiB process at adj 999.

reapd keeps a sharer's result for 30 s while its RssAnon moves by less
than 1/8, so the first round pays for the reads and the later ones (1.2 s
apart) do not: `scan_ms` of the first round and of the later ones.
"""
import json
import os
import resource
import signal
import statistics
import subprocess
import tempfile
import time

from lib import sandbox, stats

TITLE = "Scan cost"
TARGET_US = 7.0      # the target, per process at 2,000 processes
TARGET_AT = 2000
BATCH = 1000         # sleepers per benchtool process: a failed fork loses one batch only
VICTIM_MIB = 64
ROUND_S = 1.2        # a dry run's pause between rounds (1 s + --kill-timeout)
BUSY_PCT = 25        # machine CPU busy above which the reading warns of other load
ADJ_PASS = "oom_score_adj: openat + read + close (as reapd)"
PAUSED = f"the same, after a {ROUND_S:g} s pause (median of 3)"
HOT = "the same, right after that (median of 3)"
CHILDREN_STEP = "task/PID/children: openat + read + close"
SMAPS_STEP = "smaps_rollup: openat + read + close"
SHARE_SLOTS_NOTE = ("the result of 128 sharers (a slot by pid modulo 128) for 30 s: with "
                    "thousands of them most are read again in the next round")

SMAPS_SIZES = [64, 256, 1024]   # MiB of the plain processes whose smaps_rollup is timed
SHARE_LIMIT_MIB = 2048          # the sharer rounds' scope: always below --mem-min 99%
SHARE_MIB, SHARE_CHILDREN, CHILD_OWN_MIB = 256, 3, 16
# (name, memhogs in the scope, the victim's RSS in MiB): see the docstring.
SHARE_CASES = [
    ("plain victim", [["--size", SHARE_MIB + CHILD_OWN_MIB, "--adj", 1000, "--name", "plain"]],
     SHARE_MIB + CHILD_OWN_MIB),
    ("sharer victim", [["--size", SHARE_MIB, "--children", SHARE_CHILDREN, "--child-size",
                        CHILD_OWN_MIB, "--adj", 1000, "--name", "cow"]],
     SHARE_MIB + CHILD_OWN_MIB),
    ("sharers free little", [["--size", SHARE_MIB, "--children", SHARE_CHILDREN, "--adj", 1000,
                              "--name", "cow"],
                             ["--size", CHILD_OWN_MIB, "--adj", 999, "--name", "after"]],
     CHILD_OWN_MIB),
]

# (name, reapd options): what each kind of round needs is in the docstring.
REGIMES = [
    ("typical", ["--target", "1M"]),
    ("worst", ["--target", "1T"]),
]


def raise_nproc():
    """Runs in the sleeper spawner before exec: lifts RLIMIT_NPROC to its hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NPROC, (hard, hard))


def cgroup_procs(cg):
    return len(sandbox.read(os.path.join(cg, "cgroup.procs")).split())


def spawn_sleepers(ctx, sb, cg, n, preexec=raise_nproc):
    """Adds up to n sleeping processes to cg, in batches."""
    left = n
    while left > 0:
        size = min(BATCH, left)
        try:
            # The spawner itself pauses too: it is one of the extra processes.
            sb.spawn([ctx.benchtool, "sleepers", size - 1], [cg], ready="ready",
                     preexec_fn=preexec)
        except RuntimeError as e:
            ctx.log(f"scan: could not add more sleepers ({e}); going on with what exists")
            break
        left -= size


def cpu_ticks():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    f = [int(x) for x in sandbox.read("/proc/stat").splitlines()[0].split()[1:]]
    idle = f[3] + (f[4] if len(f) > 4 else 0)
    return sum(f) - idle, sum(f)


def busy_pct(t0, t1):
    return 100.0 * (t1[0] - t0[0]) / max(1, t1[1] - t0[1])


def read_events(path):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    # Each event is one write(); only a line with its newline is complete.
    return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]


def run_reapd(ctx, sb, cg, tmp, name, opts, keep, scope="system"):
    """Runs one dry-run reapd for 1 + keep rounds; returns them."""
    events, log = os.path.join(tmp, f"{name}.json"), os.path.join(tmp, f"{name}.log")
    argv = [ctx.reapd, "--config", "none", "--scope", scope, "--dry-run", "--mem-min", "99%",
            "--max-victims", 1, "--control", os.path.join(tmp, f"{name}.ctl"),
            "--events", events] + opts
    # The sandbox discards stderr; this inner shell keeps reapd's log, then becomes reapd.
    env = dict(os.environ, REAPD_BENCH_LOG=log)
    t0 = cpu_ticks()
    p = sb.spawn(["sh", "-c", 'exec "$@" 2>"$REAPD_BENCH_LOG"', "sh"] + argv, [cg], env=env)
    done = sandbox.wait_until(lambda: len(read_events(events)) > keep or p.poll() is not None,
                              (keep + 4) * (ROUND_S + 0.5) + 60, 0.1)
    t1 = cpu_ticks()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None  # the sandbox's cleanup kills it
    evs = read_events(events)
    log_lines = sandbox.read(log).splitlines() if os.path.exists(log) else []
    return {
        "regime": name, "options": [str(o) for o in opts], "complete": done and rc == 0,
        "exit": rc, "scan_ms": [e["scan_ms"] for e in evs],
        "scanned": [e["scanned"] for e in evs],
        "victims": [[e.get("pid"), e.get("comm"), e.get("size_kib")] for e in evs],
        "target_kib": evs[0]["target_kib"] if evs else None,
        "cpu_busy_pct": busy_pct(t0, t1),
        # The missing CAP_SYS_RESOURCE warning is expected here; anything else is shown.
        "warnings": [line for line in log_lines
                     if "warning" in line and "oom_score_adj to -1000" not in line],
    }


def per_process(r):
    """µs per process of every round, the first one included."""
    return [ms * 1000.0 / n for ms, n in zip(r["scan_ms"], r["scanned"]) if n]


def timed_pass(fn, pids):
    t0 = time.perf_counter()
    for pid in pids:
        fn(pid)
    return (time.perf_counter() - t0) * 1e6 / len(pids)


def breakdown(passes=5):
    """Times the steps of a /proc scan from Python over the processes present now."""
    proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
    pids = [d for d in os.listdir("/proc") if d.isdigit()]

    def read(pid, name, preads):
        try:
            fd = os.open(f"{pid}/{name}", os.O_RDONLY, dir_fd=proc)
        except OSError:
            return
        try:
            got = 0
            for _ in range(preads):
                # reapd's read helper stops at a short read: one read for a small file.
                got += len(os.pread(fd, 16384, got))
        except OSError:
            pass
        os.close(fd)

    variants = {
        "bare syscall (getppid)": lambda p: os.getppid(),
        "oom_score_adj: openat + close": lambda p: read(p, "oom_score_adj", 0),
        ADJ_PASS: lambda p: read(p, "oom_score_adj", 1),
    }
    for name in ("statm", "stat", "status", "cmdline", "smaps_rollup"):
        variants[f"{name}: openat + read + close"] = lambda p, n=name: read(p, n, 1)
    # The refiner's test for a sharer: the process's children (then its parent's comm).
    variants[CHILDREN_STEP] = lambda p: read(p, f"task/{p}/children", 1)
    try:
        t0 = time.perf_counter()
        for _ in range(3):
            os.listdir("/proc")
        steps = {"processes": len(pids),
                 "listdir /proc": (time.perf_counter() - t0) * 1e6 / 3 / len(pids)}
        # Interleaved, so a burst of other load spoils one pass of each, not one step.
        best = {k: None for k in variants}
        for _ in range(passes):
            for k, fn in variants.items():
                t = timed_pass(fn, pids)
                best[k] = t if best[k] is None else min(best[k], t)
        steps.update(best)
        # As reapd's rounds come, after a pause, each paired with a pass right after it.
        paused, hot = [], []
        for _ in range(3):
            time.sleep(ROUND_S)
            paused.append(timed_pass(variants[ADJ_PASS], pids))
            hot.append(timed_pass(variants[ADJ_PASS], pids))
        steps[PAUSED] = statistics.median(paused)
        steps[HOT] = statistics.median(hot)
        return steps
    finally:
        os.close(proc)


def benchtool_scan(ctx, cg):
    """One `benchtool scan`, run in cg: a memory cgroup as reapd's (kernel objects a
    process allocates, such as each open file, are charged to its cgroup)."""
    out = subprocess.run(["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec "$0" scan',
                          ctx.benchtool, cg], capture_output=True, text=True, timeout=600,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def baselines(ctx, cg, runs):
    """benchtool scan `runs` times, a second apart; returns them and the machine's load."""
    out, busy, total = [], 0, 0
    for i in range(runs):
        if i:
            # Other load, seen in the pauses (benchtool itself keeps a CPU busy).
            t0 = cpu_ticks()
            time.sleep(1)
            t1 = cpu_ticks()
            busy, total = busy + t1[0] - t0[0], total + t1[1] - t0[1]
        out.append(benchtool_scan(ctx, cg))
    return out, (100.0 * busy / total if total else None)


def measure(ctx, n, keep):
    """All of one N: sleepers, a victim, reapd in each regime, then the baselines."""
    with tempfile.TemporaryDirectory(prefix="reapd-bench-scan-") as tmp, \
            sandbox.Sandbox("scan") as sb:
        cg, rcg = sb.memcg("sleepers"), sb.memcg("reapd")
        t0 = time.monotonic()
        # n extra processes in all: n - 1 sleepers (spawners included) and the victim.
        sb.spawn([ctx.memhog, "--size", VICTIM_MIB, "--adj", 1000, "--name", "scan-victim"],
                 [cg], ready="ready")
        spawn_sleepers(ctx, sb, cg, n - 1)
        extra = cgroup_procs(cg)
        ctx.log(f"scan: {extra} extra processes in {time.monotonic() - t0:.1f} s")
        regimes = []
        for name, opts in REGIMES:
            ctx.log(f"scan: {n}, {name}: reapd dry-run rounds")
            r = run_reapd(ctx, sb, rcg, tmp, name, opts, keep)
            if not r["complete"]:
                ctx.log(f"scan: {name}: reapd exit {r['exit']}, {len(r['scan_ms'])} rounds")
            regimes.append(r)
        ctx.log(f"scan: {n}: benchtool scan x{keep} and the step timings")
        bt, between_busy = baselines(ctx, rcg, keep)
        steps = breakdown()
        return {"asked": n, "extra_processes": extra, "regimes": regimes, "benchtool": bt,
                "between_floor_runs_cpu_busy_pct": between_busy, "steps": steps,
                "loadavg": sandbox.read("/proc/loadavg").split()[:3]}


def rollup_fields(pid):
    """The kB fields of /proc/PID/smaps_rollup."""
    out = {}
    for line in sandbox.read(f"/proc/{pid}/smaps_rollup").splitlines()[1:]:
        k, _, v = line.partition(":")
        if v.split() and v.split()[0].isdigit():
            out[k] = int(v.split()[0])
    return out


def read_once(path):
    """openat + read (until a short read) + close of one /proc file, as reapd's helper."""
    fd = os.open(path, os.O_RDONLY)
    try:
        while len(os.read(fd, 16384)) == 16384:
            pass
    finally:
        os.close(fd)


def smaps_cost(ctx, passes=5):
    """Times smaps_rollup and status of plain memhogs of SMAPS_SIZES MiB, from Python."""
    with sandbox.Sandbox("smaps") as sb:
        cg = sb.memcg("hogs")
        hogs = [(mib, sb.spawn([ctx.memhog, "--size", mib, "--name", f"smaps-{mib}"], [cg],
                               ready="ready")) for mib in SMAPS_SIZES]
        time.sleep(1)  # let the allocations settle
        rows, c0 = [], cpu_ticks()
        for mib, p in hogs:
            f = rollup_fields(p.pid)
            rows.append({"size_mib": mib, "rss_kib": f.get("Rss"),
                         "anon_huge_kib": f.get("AnonHugePages"), "smaps_us": [],
                         "status_us": []})
        # Interleaved, so a burst of other load spoils one pass of each, not one size.
        for _ in range(passes):
            for row, (_, p) in zip(rows, hogs):
                for name, key in (("smaps_rollup", "smaps_us"), ("status", "status_us")):
                    t0 = time.perf_counter()
                    read_once(f"/proc/{p.pid}/{name}")
                    row[key].append((time.perf_counter() - t0) * 1e6)
        for row in rows:
            row["smaps_best_us"], row["status_best_us"] = min(row["smaps_us"]), \
                min(row["status_us"])
            row["us_per_mib"] = row["smaps_best_us"] / (row["rss_kib"] / 1024)
        busy = busy_pct(c0, cpu_ticks())
        a, b = rows[0], rows[-1]
        slope = (b["smaps_best_us"] - a["smaps_best_us"]) / ((b["rss_kib"] - a["rss_kib"]) / 1024)
        return {"rows": rows, "slope_us_per_mib": slope, "passes": passes, "cpu_busy_pct": busy,
                "thp": sandbox.read("/sys/kernel/mm/transparent_hugepage/enabled").strip()
                if os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled") else "?"}


def sharer_rounds(ctx, keep):
    """Dry-run rounds in a scope of their own, one per SHARE_CASES case; returns them."""
    out = []
    for name, hogs, victim_mib in SHARE_CASES:
        with tempfile.TemporaryDirectory(prefix="reapd-bench-share-") as tmp, \
                sandbox.Sandbox("share") as sb:
            box, rcg = sb.memcg("box", SHARE_LIMIT_MIB), sb.memcg("reapd")
            for argv in hogs:
                sb.spawn([ctx.memhog] + argv, [box], ready="ready")
            # The family's children print their pids after "ready": let them fork and fill.
            want = sum(1 + int(a[a.index("--children") + 1]) if "--children" in a else 1
                       for a in hogs)
            sandbox.wait_until(lambda: cgroup_procs(box) >= want, 30, 0.05)
            time.sleep(0.5)
            ctx.log(f"scan: sharers, {name}: {cgroup_procs(box)} processes, reapd dry-run "
                    "rounds")
            r = run_reapd(ctx, sb, rcg, tmp, name.split()[0], ["--target", "1M"], keep,
                          scope=box)
            r.update(case=name, victim_mib=victim_mib, processes=cgroup_procs(box),
                     hogs=[" ".join(str(x) for x in a) for a in hogs])
            if not r["complete"]:
                ctx.log(f"scan: sharers, {name}: reapd exit {r['exit']}, "
                        f"{len(r['scan_ms'])} rounds")
            out.append(r)
    return out


def run(ctx):
    ns = [TARGET_AT] if ctx.quick else [TARGET_AT, 10000]
    keep = 3 if ctx.quick else 8
    results = [measure(ctx, n, keep) for n in ns]
    ctx.log("scan: smaps_rollup and status of plain processes of "
            + ", ".join(f"{m} MiB" for m in SMAPS_SIZES))
    smaps = smaps_cost(ctx)
    sharers = sharer_rounds(ctx, keep)
    return report(keep, results, smaps, sharers)


def us(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f} µs"


def us_summary(s):
    if not s["n"]:
        return "-"
    if s["n"] == 1:
        return us(s["median"])
    return f"{us(s['median'])} ({s['min']:.2f}–{s['max']:.2f})"


def baseline(res, key):
    """Summary of one benchtool figure over its runs: "floor" or "naive"."""
    return stats.summary([b.get(f"{key}_us_per_process") for b in res["benchtool"]])


def verdict(value, floor):
    if value is None:
        return "no rounds"
    if value <= TARGET_US:
        return f"meets ≤ {TARGET_US:g} µs"
    return f"misses ≤ {TARGET_US:g} µs (floor alone {us(floor)})"


def report(keep, results, smaps=None, sharers=None):
    lines = [f"Up to {keep} rounds after the first per run: median (min–max). Floor and "
             f"naive: median (min–max) of {keep} `benchtool scan` runs, each the best of 5 "
             "back-to-back passes. CPU busy: the whole machine during reapd's rounds.", "",
             "| extra processes | round | processes scanned | reapd per process | first "
             "round | reapd round | floor | naive | reapd / floor | reapd / naive | CPU busy |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    headline, reading = [], []
    for res in results:
        for r in res["regimes"]:
            lines.append(table_row(res, r))
            headline.append(headline_row(res, r))
        reading += explain(res)
    reading += across(results)
    lines += steps_table(results)
    if smaps:
        lines += smaps_table(smaps)
        headline.append(smaps_headline(smaps))
    if sharers:
        lines += sharers_table(sharers)
        headline += sharers_headline(sharers)
        reading += sharers_explain(smaps, sharers)
    lines += ["", "**Reading.**", ""] + reading
    lines += raw_lines(results)
    if sharers:
        lines += sharers_raw(sharers)
    return {"name": "scan", "title": TITLE, "doc": __doc__, "body": "\n".join(lines),
            "headline": headline, "raw": results}


def table_row(res, r):
    floor, naive = baseline(res, "floor"), baseline(res, "naive")
    pp = stats.summary(per_process(r)[1:])
    first = per_process(r)[0] if r["scan_ms"] else None
    scanned = stats.summary(r["scanned"][1:])
    scanned = f"{scanned['median']:.0f}" if scanned["n"] else "-"
    return (f"| {res['extra_processes']:,} | {r['regime']} | {scanned} | {us_summary(pp)} | "
            f"{us(first)} | {stats.fmt_summary(stats.summary(r['scan_ms'][1:]))} | "
            f"{us_summary(floor)} | {us_summary(naive)} | "
            f"{stats.ratio(pp['median'], floor['median'])} | "
            f"{stats.ratio(pp['median'], naive['median'])} | {r['cpu_busy_pct']:.0f} % |")


def headline_row(res, r):
    floor, naive = baseline(res, "floor")["median"], baseline(res, "naive")["median"]
    pp = stats.summary(per_process(r)[1:])["median"]
    if res["asked"] == TARGET_AT:
        result = verdict(pp, floor)
    else:
        result = (f"{stats.ratio(pp, floor)} the floor, {stats.ratio(pp, naive)} naive "
                  "(no target)")
    return {"metric": f"4. scan cost per process, {res['extra_processes']:,} extra processes, "
                      f"{r['regime']} round",
            "reapd": us(pp), "baseline": f"floor {us(floor)}, naive {us(naive)}",
            "result": result}


def steps_table(results):
    lines = ["", "Where the time goes (from Python, µs per process over the same processes; "
             "best of 5 back-to-back passes unless said):", "",
             "| step | " + " | ".join(f"{r['steps']['processes']:,} processes" for r in results)
             + " |", "|---|" + "---|" * len(results)]
    for step in results[0]["steps"]:
        if step != "processes":
            lines.append(f"| {step} | " + " | ".join(us(r["steps"][step]) for r in results)
                         + " |")
    return lines


def raw_lines(results):
    lines = ["", "Raw values per run (the first round is left out of the medians above):", ""]
    for res in results:
        for r in res["regimes"]:
            warn = f"; warnings: {'; '.join(r['warnings'])}" if r["warnings"] else ""
            lines.append(
                f"- {res['extra_processes']:,} extra, {r['regime']} (`{' '.join(r['options'])}`,"
                f" target {r['target_kib']} KiB, exit {r['exit']}): scan_ms "
                f"`{stats.raw(r['scan_ms'], 3)}`; scanned "
                f"`{' '.join(str(s) for s in r['scanned'])}`; µs per process "
                f"`{stats.raw(per_process(r), 2)}`{warn}")
        bt = res["benchtool"]
        lines.append(
            f"- {res['extra_processes']:,} extra, benchtool ({bt[0]['processes']} processes): "
            f"floor `{stats.raw([b['floor_us_per_process'] for b in bt], 2)}`; naive "
            f"`{stats.raw([b['naive_us_per_process'] for b in bt], 2)}`; load average after: "
            f"{' '.join(res['loadavg'])}")
    return lines


def step_diff(a, b):
    """a - b as text; a difference lost in noise is said to be so."""
    return us(a - b) if a - b > 0.05 else "lost in noise"


def explain(res):
    """What this run's figures say: where a round's time goes, and why a target is missed."""
    out, st = [], res["steps"]
    floor, naive = baseline(res, "floor")["median"], baseline(res, "naive")["median"]
    rounds = {r["regime"]: per_process(r) for r in res["regimes"]}
    typ, worst = (statistics.median(rounds[k][1:]) if len(rounds.get(k, [])) > 1 else None
                  for k in ("typical", "worst"))
    who = f"{res['extra_processes']:,} extra processes"
    adj_open, adj_1 = st["oom_score_adj: openat + close"], st[ADJ_PASS]
    syscall = st["bare syscall (getppid)"]
    if typ is not None and floor:
        out.append(
            f"- {who}, typical: {us(typ)} per process, {typ / floor:.2f}x the floor "
            f"({us(floor)}). The round is the oom_score_adj scan: per process one openat, one "
            f"read and a close. From Python: openat + close {us(adj_open)}, the read "
            f"{step_diff(adj_1, adj_open)}; a bare syscall costs {us(syscall)} here, so the "
            f"3 syscalls per process alone come to about {us(3 * syscall)}. The floor's "
            f"passes run back to back, reapd's rounds {ROUND_S:g} s apart: from Python a pass "
            f"after a {ROUND_S:g} s pause costs {us(st[PAUSED])}, the next one right after it "
            f"{us(st[HOT])}; reapd's first round, right after its start-up scan, cost "
            f"{us(rounds['typical'][0])}.")
        if res["asked"] == TARGET_AT and typ > TARGET_US:
            out.append(f"  It misses ≤ {TARGET_US:g} µs by {us(typ - TARGET_US)}. "
                       + ("The floor itself is above the target here: no scan that opens a "
                          "file per process meets it on this machine. " if floor > TARGET_US
                          else "")
                       + "Each process costs an openat, a read and a close of its "
                       "oom_score_adj; nothing less tells its adj.")
    busy = max(r["cpu_busy_pct"] for r in res["regimes"])
    between = res["between_floor_runs_cpu_busy_pct"]
    if busy > BUSY_PCT:
        out.append(f"- Other work kept the machine up to {busy:.0f} % busy during reapd's "
                   f"rounds" + (f" ({between:.0f} % between the floor's runs)"
                                if between is not None else "")
                   + "; a round shares the CPUs with it, so part of any gap to the floor is "
                   "that.")
    if worst is not None and typ is not None:
        statm, stat, status = (st[f"{k}: openat + read + close"]
                               for k in ("statm", "stat", "status"))
        out.append(f"- {who}, worst: {us(worst)} per process, {us(worst - typ)} more than a "
                   f"typical round: loading every candidate reads its stat ({us(stat)} from "
                   f"Python) and status ({us(status)}). The naive scan (adj + statm + stat) "
                   f"costs {us(naive)}; reapd reads status rather than statm (for the uid, "
                   f"anon/shmem/swap sizes and a pending SIGKILL): from Python "
                   f"{step_diff(status, statm)} more per process.")
        if SMAPS_STEP in st:
            out.append(f"  Every candidate a worst round takes is refined too: its cmdline "
                       f"({us(st['cmdline: openat + read + close'])}), its children "
                       f"({us(st[CHILDREN_STEP])}) and, without children, its parent's comm; "
                       f"one that may share memory copy-on-write also has its smaps_rollup "
                       f"read ({us(st[SMAPS_STEP])} per process over all of them from "
                       f"Python). The bench's sleepers are such: forked, not exec'd, their "
                       f"parent has their name. reapd caches {SHARE_SLOTS_NOTE}.")
    return out


def across(results):
    """How the typical round and the floor scale from one N to the next."""
    if len(results) < 2:
        return []
    rows = []
    for res in results:
        typ = [r for r in res["regimes"] if r["regime"] == "typical"][0]
        rows.append((res["extra_processes"], stats.summary(per_process(typ)[1:])["median"],
                     baseline(res, "floor")["median"]))
    if any(v is None for row in rows for v in row):
        return []
    text = ("- Typical round and floor per process by extra processes: "
            + "; ".join(f"{n:,}: reapd {us(r)}, floor {us(f)}" for n, r, f in rows) + ".")
    (_, r0, f0), (_, r1, f1) = rows[0], rows[-1]
    if f1 > f0 * 1.1 and abs(r1 - r0) < (f1 - f0):
        text += (" The floor rises with the number of processes and reapd's rounds do not: "
                 "this fits back-to-back passes that find the last pass still in the CPU "
                 "caches only while the processes are few, where reapd's rounds, 1.2 s apart, "
                 "never do.")
    return [text]


def smaps_table(sm):
    lines = ["", f"smaps_rollup, the refiner's read of a possible sharer, against status (from "
             f"Python: openat + read + close, best of {sm['passes']} interleaved passes; plain "
             f"memhogs, every page touched; THP `{sm['thp']}`; the machine "
             f"{sm['cpu_busy_pct']:.0f} % busy meanwhile):", "",
             "| process | Rss | AnonHugePages | smaps_rollup | status | smaps_rollup per MiB "
             "of Rss | smaps_rollup / status |", "|---|---|---|---|---|---|---|"]
    for r in sm["rows"]:
        lines.append(f"| {r['size_mib']} MiB | {r['rss_kib'] / 1024:.0f} MiB | "
                     f"{r['anon_huge_kib'] or 0} KiB | {us(r['smaps_best_us'], 1)} | "
                     f"{us(r['status_best_us'], 1)} | {us(r['us_per_mib'])} | "
                     f"{stats.ratio(r['smaps_best_us'], r['status_best_us'])} |")
    a, b = sm["rows"][0], sm["rows"][-1]
    lines += ["", f"Slope from {a['size_mib']} to {b['size_mib']} MiB (what each further MiB "
              f"costs): {us(sm['slope_us_per_mib'])} per MiB."]
    return lines


def smaps_headline(sm):
    big = sm["rows"][-1]
    return {"metric": "4. smaps_rollup read per MiB of RSS (slope "
                      f"{sm['rows'][0]['size_mib']}–{big['size_mib']} MiB)",
            "reapd": us(sm["slope_us_per_mib"]),
            "baseline": f"status: {us(big['status_best_us'], 1)} at {big['size_mib']} MiB",
            "result": f"{us(big['smaps_best_us'], 0)} for {big['size_mib']} MiB "
                      f"({stats.ratio(big['smaps_best_us'], big['status_best_us'])} status)"}


def first_later(r):
    """(first round's scan_ms, summary of the later ones)."""
    ms = r["scan_ms"]
    return (ms[0] if ms else None), stats.summary(ms[1:])


def sharers_table(sharers):
    lines = ["", f"Rounds whose walk refines sharers (dry-run, `--target 1M --max-victims 1`, "
             f"reapd scoped to a {SHARE_LIMIT_MIB} MiB cgroup that holds only the processes "
             "named; `scan_ms` of reapd's events). The first round reads smaps_rollup of each "
             "sharer it takes; the later ones, less than 30 s on with RssAnon steady, reuse "
             "the result:", "",
             "| case | processes in scope | victim (RSS, what it frees) | first round | later "
             "rounds, median (min–max) | first − later |", "|---|---|---|---|---|---|"]
    for r in sharers:
        first, later = first_later(r)
        v = r["victims"][0] if r["victims"] else None
        who = (f"{v[1]} ({r['victim_mib']} MiB, {v[2] / 1024:.0f} MiB)" if v else "none")
        diff = (stats.fmt_ms(first - later["median"], 2)
                if first is not None and later["n"] else "-")
        lines.append(f"| {r['case']} | {r['processes']} | {who} | {stats.fmt_ms(first, 2)} | "
                     f"{stats.fmt_summary(later, 2)} | {diff} |")
    return lines


def sharers_headline(sharers):
    by = {r["case"]: r for r in sharers}
    plain, sharer = by.get("plain victim"), by.get("sharer victim")
    if not plain or not sharer or not plain["scan_ms"] or not sharer["scan_ms"]:
        return [{"metric": "4. round with a sharer victim", "reapd": "-", "baseline": "-",
                 "result": "not measured"}]
    (pf, pl), (sf, sl) = first_later(plain), first_later(sharer)
    return [{"metric": f"4. round with a sharer victim ({SHARE_MIB} MiB CoW family, "
                       f"{SHARE_CHILDREN} children): first / later rounds",
             "reapd": f"{stats.fmt_ms(sf, 2)} / {stats.fmt_ms(sl['median'], 2)}",
             "baseline": f"plain victim of the same RSS: {stats.fmt_ms(pf, 2)} / "
                         f"{stats.fmt_ms(pl['median'], 2)}",
             "result": f"first round {signed_ms(sf - pf)}; later "
                       + (signed_ms(sl["median"] - pl["median"]) if sl["n"] and pl["n"]
                          else "-")}]


def signed_ms(v):
    return f"{v:+.2f} ms"


def sharers_explain(sm, sharers):
    by = {r["case"]: r for r in sharers}
    out = []
    if sm:
        big = sm["rows"][-1]
        out.append(f"- smaps_rollup walks the page tables: {us(sm['slope_us_per_mib'])} per MiB "
                   f"of RSS (slope), {us(big['smaps_best_us'], 0)} for {big['size_mib']} MiB "
                   f"against {us(big['status_best_us'], 1)} for its status, which reads "
                   "counters; so reapd reads it only for a possible sharer it is about to "
                   "take, and caches it.")
    plain, sharer, little = (by.get(k) for k in ("plain victim", "sharer victim",
                                                  "sharers free little"))
    if plain and sharer and plain["scan_ms"] and sharer["scan_ms"]:
        (pf, pl), (sf, sl) = first_later(plain), first_later(sharer)
        out.append(f"- A sharer victim (a child of a {SHARE_MIB} MiB copy-on-write family with "
                   f"{CHILD_OWN_MIB} MiB of its own, RSS {SHARE_MIB + CHILD_OWN_MIB} MiB) costs "
                   f"its first round {stats.fmt_ms(sf, 2)} against {stats.fmt_ms(pf, 2)} for a "
                   f"plain victim of the same RSS: one smaps_rollup read"
                   + (f" (from Python {us(sm['rows'][1]['us_per_mib'] * (SHARE_MIB + CHILD_OWN_MIB), 0)}"
                      f" at the {sm['rows'][1]['size_mib']} MiB rate)" if sm else "")
                   + f". Later rounds reuse the cached result: {stats.fmt_ms(sl['median'], 2)}"
                   f" against {stats.fmt_ms(pl['median'], 2)}.")
    if little and little["scan_ms"]:
        lf, ll = first_later(little)
        out.append(f"- The family alone (`{little['hogs'][0]}`) frees next to nothing: every "
                   f"page is shared, so all {SHARE_CHILDREN + 1} members are refined ({SHARE_CHILDREN + 1} reads of "
                   f"{SHARE_MIB} MiB) and skipped, and the victim is the next bucket's "
                   f"{CHILD_OWN_MIB} MiB process: first round {stats.fmt_ms(lf, 2)}, later "
                   f"{stats.fmt_ms(ll['median'], 2)}.")
    return out


def sharers_raw(sharers):
    lines = []
    for r in sharers:
        vic = "; ".join(sorted({f"{v[1]} pid {v[0]} {v[2]} KiB" for v in r["victims"]}))
        lines.append(f"- sharers, {r['case']} ({'; '.join(f'`memhog {h}`' for h in r['hogs'])},"
                     f" exit {r['exit']}): scan_ms `{stats.raw(r['scan_ms'], 3)}`; scanned "
                     f"`{' '.join(str(x) for x in r['scanned'])}`; victims: {vic or 'none'}"
                     + (f"; warnings: {'; '.join(r['warnings'])}" if r["warnings"] else ""))
    return lines
