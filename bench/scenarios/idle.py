"""5. Idle cost: wake-ups, CPU time and memory of reapd and earlyoom with plenty of free memory.

reapd (system scope, `--dry-run`, its defaults otherwise: `--mem-min 10%`,
private `--control` and `--events`) and earlyoom (`--dryrun -r 3600`: the
arguments Debian's package runs it with, its default thresholds `-m 10
-s 10`; as root here) start together, each in a sandbox cgroup of its own,
neither near its threshold. After a settle, each is sampled every 5 s over
the window: wake-ups are context switches (voluntary + involuntary) summed
over all of a process's threads (/proc/PID/task/*/status), per second; CPU
time is utime + stime (/proc/PID/stat, clock ticks), and, since a tick
(10 ms) is coarse for a daemon this quiet, the run time the scheduler
counted (/proc/PID/task/*/schedstat, ns); memory is VmRSS, RssAnon, RssFile
and Pss (/proc/PID/smaps_rollup) at the end, and which mappings the
resident pages belong to (/proc/PID/smaps). reapd locks its memory
(mlockall with MCL_ONFAULT) as users run it; it lacks CAP_SYS_RESOURCE
here, so it keeps its oom_score_adj (it warns), which changes nothing while
idle.

Idle means the machine's memory is quiet too: the bench follows the
machine's memory stalls (/proc/pressure/memory, "some" total, every 5 s),
MemAvailable (every 0.5 s) and reapd's own count of kernel pressure
wake-ups (`reapctl metrics`, before and after the window). A window in
which other programs stalled on memory, consumed it fast or moved it by
more than 5 % of RAM is marked as not idle; a full run then measures a new
window with fresh daemons, up to 3 in all. Wake-ups are also given as the
median over the 5 s intervals without any memory stall on the machine;
wake-ups and CPU time are judged only on an idle window.
"""
import os
import statistics
import subprocess
import tempfile
import time

from lib import sandbox, stats

TITLE = "Idle cost"
STEP_S = 5           # daemons sampled every STEP_S
AVAIL_STEP_S = 0.5   # MemAvailable sampled every AVAIL_STEP_S
PLENTY = 0.5         # idle: MemAvailable stays above this share of MemTotal...
STEADY = 0.05        # ...and moves by less than this share of it
ATTEMPTS = 3         # full mode: windows tried until one is undisturbed
REAP_WAIT_S = 15     # longest wait for an earlier scenario's zombies to go
TARGET_WAKEUPS = 0.5
TARGET_RSS_KIB = 2048
NO_EO = "earlyoom not available"
TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def threads(pid):
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return []


def status_fields(path):
    """The numeric fields of a /proc status file: {"VmRSS": 2492, ...} (kB or counts)."""
    out = {}
    for line in sandbox.read(path).splitlines():
        k, _, v = line.partition(":")
        v = v.split()
        if v and v[0].isdigit():
            out[k] = int(v[0])
    return out


def sample(pid):
    """One look at a process: wake-ups per thread, CPU ticks, scheduler run time."""
    switches, run_ns = {}, 0
    for tid in threads(pid):
        try:
            st = status_fields(f"/proc/{pid}/task/{tid}/status")
            switches[tid] = st["voluntary_ctxt_switches"] + st["nonvoluntary_ctxt_switches"]
            run_ns += int(sandbox.read(f"/proc/{pid}/task/{tid}/schedstat").split()[0])
        except (OSError, KeyError):
            pass  # a thread that ended between listdir and read
    stat = sandbox.read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat (utime, stime); the split starts at field 3.
    return {"t": time.monotonic(), "switches": switches, "ticks": int(stat[11]) + int(stat[12]),
            "run_ns": run_ns}


def memory(pid):
    """Resident memory at one moment, in KiB, and the mappings it lies in."""
    st = status_fields(f"/proc/{pid}/status")
    rollup = status_fields(f"/proc/{pid}/smaps_rollup")
    return {"VmRSS": st.get("VmRSS"), "RssAnon": st.get("RssAnon"),
            "RssFile": st.get("RssFile"), "RssShmem": st.get("RssShmem"),
            "VmLck": st.get("VmLck"), "Pss": rollup.get("Pss"), "threads": st.get("Threads"),
            "mappings": mappings(pid)}


def mappings(pid):
    """[name, Rss, Anonymous] in KiB per mapping name from /proc/PID/smaps, largest first."""
    sums, name = {}, None
    for line in sandbox.read(f"/proc/{pid}/smaps").splitlines():
        head = line.split()
        if head and "-" in head[0] and ":" not in head[0]:
            # A mapping's first line: range perms offset dev inode [path].
            name = os.path.basename(head[5]) if len(head) > 5 else "[anon]"
            sums.setdefault(name, [0, 0])
        elif head and head[0] in ("Rss:", "Anonymous:"):
            sums[name][0 if head[0] == "Rss:" else 1] += int(head[1])
    return sorted(([k, rss, anon] for k, (rss, anon) in sums.items() if rss),
                  key=lambda m: -m[1])


def rates(samples):
    """Wake-ups per second of each interval, and the totals over the window."""
    per_interval = []
    for a, b in zip(samples, samples[1:]):
        per_interval.append(delta_switches(a, b) / (b["t"] - a["t"]))
    first, last = samples[0], samples[-1]
    secs = last["t"] - first["t"]
    return {
        "seconds": secs,
        "wakeups": delta_switches(first, last),
        "wakeups_per_s": delta_switches(first, last) / secs,
        "per_interval": per_interval,
        "per_thread": {tid: last["switches"][tid] - first["switches"].get(tid, 0)
                       for tid in last["switches"]},
        "cpu_ms_per_min": (last["ticks"] - first["ticks"]) * TICK_MS * 60 / secs,
        "run_ms_per_min": (last["run_ns"] - first["run_ns"]) / 1e6 * 60 / secs,
    }


def delta_switches(a, b):
    # A thread born during the window counts from zero; one that ended is lost (none do).
    return sum(n - a["switches"].get(tid, 0) for tid, n in b["switches"].items())


def start(ctx, sb, tmp, control):
    """Starts reapd and earlyoom side by side; returns {name: Popen}."""
    procs = {}
    procs["reapd"] = sb.spawn(
        [ctx.reapd, "--config", "none", "--scope", "system", "--dry-run", "--control", control,
         "--events", os.path.join(tmp, "events.json")],
        [sb.memcg("reapd")])
    if ctx.earlyoom:
        procs["earlyoom"] = sb.spawn([ctx.earlyoom, "--dryrun", "-r", 3600],
                                     [sb.memcg("earlyoom")])
    return procs


def psi_some_us():
    """Total time any task on the machine stalled on memory (PSI "some"), µs; 0 without PSI."""
    try:
        line = sandbox.read("/proc/pressure/memory").splitlines()[0]
    except OSError:
        return 0
    return int(line.rsplit("total=", 1)[1])


def pressure_events(ctx, control):
    """reapd's count of wake-ups by kernel pressure source, from its metrics."""
    out = subprocess.run([ctx.reapctl, "--socket", control, "metrics"], capture_output=True,
                         text=True, timeout=10).stdout
    counts = {}
    for line in out.splitlines():
        if line.startswith("reapd_pressure_events_total{"):
            source = line.split('"')[1]
            counts[source] = int(line.split()[-1])
    return counts


def sample_window(procs, window):
    """The daemons and the machine's PSI every STEP_S, MemAvailable every AVAIL_STEP_S."""
    avail, psi = [mem_available_kib()], [psi_some_us()]
    samples = {name: [sample(p.pid)] for name, p in procs.items() if sandbox.alive(p.pid)}
    t0 = time.monotonic()
    ticks = round(window / AVAIL_STEP_S)
    per_sample = round(STEP_S / AVAIL_STEP_S)
    for tick in range(1, ticks + 1):
        time.sleep(max(0.0, t0 + tick * AVAIL_STEP_S - time.monotonic()))
        avail.append(mem_available_kib())
        if tick % per_sample == 0 or tick == ticks:
            psi.append(psi_some_us())
            for name, p in procs.items():
                if name in samples and sandbox.alive(p.pid):
                    samples[name].append(sample(p.pid))
    return samples, avail, psi


def processes():
    """(processes, zombies) on the machine."""
    n = z = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            n += 1
            try:
                z += sandbox.read(f"/proc/{d}/stat").rsplit(")", 1)[1].split()[0] == "Z"
            except (OSError, IndexError):
                pass
    return n, z


def measure(ctx, settle, window):
    """One window with fresh daemons; returns (results, facts)."""
    # Killed processes of an earlier scenario linger as zombies until pid 1 reaps them,
    # and reapd sizes its process table by what it finds at start: wait for them.
    if not sandbox.wait_until(lambda: processes()[1] == 0, REAP_WAIT_S, 0.5):
        ctx.log("idle: zombies are still waiting to be reaped; starting anyway")
    at_start = processes()
    with tempfile.TemporaryDirectory(prefix="reapd-bench-idle-") as tmp, \
            sandbox.Sandbox("idle") as sb:
        control = os.path.join(tmp, "control")
        procs = start(ctx, sb, tmp, control)
        time.sleep(settle)
        ev0 = pressure_events(ctx, control)
        time.sleep(0.2)  # the query woke reapd: let it settle back before counting
        ctx.log(f"idle: sampling {', '.join(procs)} for {window} s")
        samples, avail, psi = sample_window(procs, window)
        ev1 = pressure_events(ctx, control)
        results, exited = {}, []
        for name, p in procs.items():
            if sandbox.alive(p.pid) and len(samples.get(name, [])) > 1:
                results[name] = dict(rates(samples[name]), memory=memory(p.pid),
                                     main_tid=p.pid)
            else:
                exited.append(f"{name} (exit status {p.poll()})")
                ctx.log(f"idle: {name} exited during the window")
        ev_path = os.path.join(tmp, "events.json")
        events = os.path.getsize(ev_path) if os.path.exists(ev_path) else 0
    facts = {"settle_s": settle, "window_s": window, "processes_at_start": at_start[0],
             "zombies_at_start": at_start[1], "mem_available_min_kib": min(avail),
             "mem_available_max_kib": max(avail), "reapd_event_bytes": events,
             "exited": exited,
             "stall_ms_per_interval": [(b - a) / 1000 for a, b in zip(psi, psi[1:])],
             "reapd_pressure_wakeups": {k: v - ev0.get(k, 0) for k, v in ev1.items()
                                        if v - ev0.get(k, 0)}}
    for r in results.values():
        # Intervals in which nothing on the machine stalled on memory.
        quiet = [w for w, st in zip(r["per_interval"], facts["stall_ms_per_interval"])
                 if st == 0]
        r["quiet_wakeups_per_s"] = statistics.median(quiet) if quiet else None
    facts["disturbed"] = disturbance(facts)
    return results, facts


def disturbance(facts):
    """Why the window was not idle (other programs used memory hard), or None."""
    total = status_fields("/proc/meminfo")["MemTotal"]
    lo, hi = facts["mem_available_min_kib"], facts["mem_available_max_kib"]
    why = []
    if facts["reapd_event_bytes"]:
        why.append("memory ran short: reapd reported would-be kills")
    if facts["reapd_pressure_wakeups"]:
        # Each kernel pressure event makes reapd poll every 100 ms for 3 s.
        why.append("memory stalls elsewhere on the machine woke reapd (" + ", ".join(
            f"{k} x{v}" for k, v in facts["reapd_pressure_wakeups"].items()) + ")")
    if lo < total * PLENTY or hi - lo > total * STEADY:
        # reapd polls sooner when memory is consumed fast (interval = headroom / rate).
        why.append(f"other programs moved memory: MemAvailable between {mib(lo)} and "
                   f"{mib(hi)}")
    return "; ".join(why) or None


def run(ctx):
    settle, window = (2, 15) if ctx.quick else (5, 60)
    attempts = []
    for i in range(1 if ctx.quick else ATTEMPTS):
        results, facts = measure(ctx, settle, window)
        attempts.append(facts | {"per_interval": {n: r["per_interval"]
                                                  for n, r in results.items()}})
        if not facts["disturbed"]:
            break
        ctx.log(f"idle: window {i + 1} disturbed ({facts['disturbed']})")
    return report(ctx, results, facts, attempts)


def mem_available_kib():
    return status_fields("/proc/meminfo").get("MemAvailable")


def report(ctx, results, facts, attempts):
    r, eo = results.get("reapd"), results.get("earlyoom")
    gone = "; ".join(facts["exited"])
    if not r:
        return {"name": "idle", "title": TITLE, "doc": __doc__,
                "body": f"Exited during the window: {gone}.", "raw": {"attempts": attempts},
                "headline": [{"metric": "5. idle cost", "reapd": "exited", "baseline": "-",
                              "result": "not measured"}]}
    names = ["reapd"] + (["earlyoom"] if eo else [])
    eo_label = f"earlyoom {ctx.earlyoom_version or ''}".strip()
    missing = ("" if eo else f" {NO_EO}: reapd alone." if not ctx.earlyoom
               else f" Exited during the window: {gone}.")
    lines = [f"Window {facts['window_s']} s after a {facts['settle_s']} s settle; MemAvailable "
             f"between {mib(facts['mem_available_min_kib'])} and "
             f"{mib(facts['mem_available_max_kib'])}; {facts['processes_at_start']} processes "
             f"on the machine at the start ({facts['zombies_at_start']} zombies)."
             + missing + disturbed_text(attempts), "",
             "| | " + " | ".join("reapd" if n == "reapd" else eo_label for n in names) + " |",
             "|---|" + "---|" * len(names)]
    rows = [
        ("wake-ups per second", lambda x: f"{x['wakeups_per_s']:.2f}"),
        (f"the same, median of the {STEP_S} s intervals without memory stalls on the machine",
         lambda x: rate_text(x["quiet_wakeups_per_s"])),
        ("wake-ups per thread (window)", thread_text),
        ("CPU, utime + stime (ticks)", lambda x: f"{x['cpu_ms_per_min']:.1f} ms per minute"),
        ("CPU, scheduler run time", lambda x: f"{x['run_ms_per_min']:.2f} ms per minute"),
        ("VmRSS", lambda x: mem(x, "VmRSS")),
        ("RssAnon / RssFile / RssShmem", lambda x: " / ".join(
            mem(x, k) for k in ("RssAnon", "RssFile", "RssShmem"))),
        ("Pss (shared pages split among users)", lambda x: mem(x, "Pss")),
        ("VmLck (locked mappings' size)", lambda x: mem(x, "VmLck")),
        ("largest resident mappings", lambda x: ", ".join(
            f"{k} {rss} KiB" for k, rss, _ in x["memory"]["mappings"][:5])),
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(fn(results[n]) for n in names) + " |")
    lines += ["", "**Reading.**", ""] + explain(r, eo, facts)
    lines += ["", f"Raw wake-ups per second, per {STEP_S} s interval, window by window:", ""]
    for i, a in enumerate(attempts, 1):
        lines += [f"- window {i}, {n}: `{stats.raw(v, 2)}`" for n, v in a["per_interval"].items()]
        lines.append(f"- window {i}, memory stalls on the machine (PSI some, ms): "
                     f"`{stats.raw(a['stall_ms_per_interval'], 1)}`; "
                     f"{a['disturbed'] or 'undisturbed'}")
    heads = headline(r, eo, eo_label, bool(facts["disturbed"]))
    return {"name": "idle", "title": TITLE, "doc": __doc__, "body": "\n".join(lines),
            "headline": heads, "raw": {"attempts": attempts, "results": results}}


def disturbed_text(attempts):
    bad = [a["disturbed"] for a in attempts if a["disturbed"]]
    if not bad:
        return ""
    if attempts[-1]["disturbed"]:
        return (f" **Not idle** in any of {len(attempts)} window(s): {bad[-1]}; the figures "
                "below include reapd's reaction to it.")
    return f" {len(bad)} earlier window(s) disturbed ({'; '.join(bad)}), so measured again."


def rate_text(v):
    return "-" if v is None else f"{v:.2f}"


def headline(r, eo, eo_label, disturbed):
    def base(text):
        return f"{eo_label}: {text}" if eo else NO_EO

    # Other programs' memory use makes reapd poll sooner: such a window is not idle.
    not_idle = "not judged: the window was not idle (see the scenario)"
    wake = ("meets" if r["wakeups_per_s"] <= TARGET_WAKEUPS else "misses") + \
        f" ≤ {TARGET_WAKEUPS:g}/s"
    if eo:
        wake += (f"; {stats.ratio(eo['wakeups_per_s'], r['wakeups_per_s'])} fewer than "
                 "earlyoom" if r["wakeups_per_s"] < eo["wakeups_per_s"]
                 else "; not fewer than earlyoom")
    m = r["memory"]
    rss = ("meets" if m["VmRSS"] <= TARGET_RSS_KIB else "misses") + \
        f" ≤ {TARGET_RSS_KIB // 1024} MiB (anon {mib(m['RssAnon'])}, file {mib(m['RssFile'])})"
    cpu = "-"
    if eo and r["run_ms_per_min"]:
        cpu = f"{stats.ratio(eo['run_ms_per_min'], r['run_ms_per_min'])} less than earlyoom"
    return [
        {"metric": "5. idle wake-ups per second", "reapd": f"{r['wakeups_per_s']:.2f}",
         "baseline": base(f"{eo['wakeups_per_s']:.2f}" if eo else ""),
         "result": not_idle if disturbed else wake},
        {"metric": "5. idle RSS", "reapd": mib(m["VmRSS"]),
         "baseline": base(mib(eo["memory"]["VmRSS"]) if eo else ""), "result": rss},
        {"metric": "5. idle CPU time", "reapd": f"{r['run_ms_per_min']:.2f} ms/min",
         "baseline": base(f"{eo['run_ms_per_min']:.2f} ms/min" if eo else ""),
         "result": not_idle if disturbed else cpu},
    ]


def mib(kib):
    return "-" if kib is None else f"{kib / 1024:.2f} MiB"


def mem(x, key):
    return mib(x["memory"][key])


def thread_text(x):
    # The main thread's tid is the pid; reapd's other threads are its reapers.
    main = x["per_thread"].get(x["main_tid"], 0)
    others = [n for tid, n in sorted(x["per_thread"].items()) if tid != x["main_tid"]]
    return f"main {main}" + (f"; other threads {', '.join(map(str, others))}" if others else "")


def explain(r, eo, facts):
    out = []
    wake = r["wakeups_per_s"]
    out.append(f"- reapd wakes {wake:.2f} times a second over the window, "
               f"{rate_text(r['quiet_wakeups_per_s'])} in the intervals without memory stalls "
               f"(target ≤ {TARGET_WAKEUPS:g}): its poll interval is 2.5 s while memory is "
               "plentiful (0.4 wake-ups/s), and its reaper threads sleep on a condition "
               f"variable ({thread_text(r)}).")
    woke = facts["reapd_pressure_wakeups"]
    if woke:
        out.append("- Kernel pressure events woke reapd during the window (" + ", ".join(
            f"{k} x{v}" for k, v in woke.items()) + "): memory stalls elsewhere on the "
            "machine (PSI and the root cgroup's vmpressure count every cgroup, one thrashing "
            "at its own limit too) with plenty of memory free overall. After each, reapd "
            "polls every 100 ms for 3 s; that is where the extra wake-ups come from.")
    if eo:
        out.append(f"- earlyoom wakes {eo['wakeups_per_s']:.2f} times a second: it polls "
                   "/proc/meminfo on a timer (its sleep shortens as memory runs low).")
    m = r["memory"]
    if m["VmRSS"] > TARGET_RSS_KIB:
        # Anonymous pages are reapd's own; file pages are mostly libraries others share.
        anon = sorted(((k, a) for k, _, a in m["mappings"] if a), key=lambda x: -x[1])
        files = sorted(((k, rss - a) for k, rss, a in m["mappings"] if rss > a),
                       key=lambda x: -x[1])
        out.append(f"- reapd's RSS, {mib(m['VmRSS'])}, is above {TARGET_RSS_KIB // 1024} MiB. "
                   f"{mib(m['RssFile'])} of it is file pages ({kib_list(files)}), shared "
                   f"with every process that maps them: earlyoom carries "
                   + (f"{mib(eo['memory']['RssFile'])} of the same kind. " if eo else
                      "the same kind. ")
                   + f"{mib(m['RssAnon'])} is reapd's own ({kib_list(anon)}): at start-up it "
                   "touches its process table (at least 4,096 entries, twice the processes "
                   f"it finds: {facts['processes_at_start']} here), the policy's arrays, its "
                   "read buffers and 256 KiB of stack, so that a round under pressure "
                   f"faults nothing in. Pss, which splits shared pages among their users, is "
                   f"{mib(m['Pss'])}.")
    return out


def kib_list(pairs, n=4):
    return ", ".join(f"{k} {v} KiB" for k, v in pairs[:n])
