"""3. Protection end to end: the kernel OOM killer alone, reapd, and earlyoom.

Part A, a memory cgroup. A 1 GiB memory cgroup holds three idle "apps"
(memhogs holding app-fg 150 MiB at adj 0, app-svc 120 MiB at adj 300, app-bg
100 MiB at adj 600) and a hog allocating as fast as it can (`memhog --grow
--rate 0 --thp`: transparent huge pages, the fastest this VM faults memory)
at adj 1000, so "only the hog killed" is the right outcome. Modes, alternated
run by run: no daemon (the memory cgroup's OOM killer alone) and reapd
(`--scope <cgroup> --mem-min 10%`). Per run: kernel OOM kills (the cgroup's
oom_kill count), which processes died, the cgroup's stall time (PSI `some`
and `full` totals of a cgroup v2 group holding the same processes), the
lowest headroom (limit minus usage, sampled every 2 ms by the benchmark) and
the time from the hog's start to its death.

Part B, the whole machine. earlyoom cannot watch a cgroup, so reapd and
earlyoom (Debian's package, unpacked, never installed) are compared at system
scope, alternated run by run (ABBA), with the same threshold: MemAvailable
below 10 % of MemTotal (reapd `--mem-min 10% --swap-min 100% --min-adj 1000`;
earlyoom 1.7 `-m 10,10 -s 100,100`: the same comparison, swap ignored, and
SIGKILL at once as reapd sends, not SIGTERM first). So that each run is
bounded in time, the machine is first filled by a ballast of reserved, never
touched huge pages (hugetlb surplus pages reserved by a process of the
benchmark; they leave MemAvailable like any other used memory and come back
when it exits) until MemAvailable is twice the threshold plus 512 MiB. The
hog (adj 1000, `--thp`, full speed) so starts where a machine-sized hog would
be just before reapd's stall-based kills (PSI, below twice the threshold) are
armed, and allocates about 2.9 GiB to cross the threshold; it stops
(`--max`) with half the threshold, 1.2 GiB, still available, so a daemon that
misses shows as "not killed", never as a kernel OOM kill. Before the runs an
unrecorded hog fills memory once (memory the host has taken back is slow to
fault the first time). Each run starts its daemon afresh, makes a short memory
stall elsewhere while memory is plentiful and waits 2.5 s, so that reapd's PSI
triggers have delivered their first event, as in a daemon that has been
running a while (a new trigger's first event can come after a few ms of stall,
and reapd takes it as a stall); earlyoom gets the same. The hog starts 5 s
after the previous one died, whatever the daemon's start-up took, since the
hog's speed depends on how long the host has had to take memory back. Per
run: who was killed, by whom and for what, the lowest MemAvailable (sampled
every 10 ms), how long MemAvailable was seen below the threshold before the
hog died, kernel OOM kills (the `oom_kill` counter of /proc/vmstat,
machine-wide, so a concurrent OOM kill elsewhere counts too), the time from
the hog's start to its death and the hog's mean rate (on this VM from 0.4 to
15 GiB/s, depending on whether the host still backs the memory), and the
system's PSI stall totals.

Safety of part B: each daemon runs as pid 1 of a PID namespace of its own
with its own /proc (`unshare --pid --mount-proc`), and the hog is put into
that namespace (`nsenter`), so the only processes either daemon can see or
signal are the hog and itself. earlyoom 1.7 has no way to skip root's
processes (`-i` is ignored since 1.7; --ignore-root-user came later), hence
the namespace. reapd additionally runs with `--min-adj 1000`, and before every
run the benchmark checks that no process outside its own cgroups has
oom_score_adj 1000 and that the namespace holds only the daemon.
"""
import json
import os
import re
import select
import tempfile
import time

from lib import sandbox, stats

TITLE = "Protection end to end"

# Part A: the cgroup.
LIMIT_MIB = 1024
APPS = (("app-fg", 0, 150), ("app-svc", 300, 120), ("app-bg", 600, 100))
HOG = "hog"
CG_SAMPLE_S = 0.002
CG_TIMEOUT_S = 30
SETTLE_S = 0.5

# Part B: the machine.
SYS_HOG = "sys-hog"
THRESHOLD_PCT = 10          # of MemTotal, the same for both daemons
START_ABOVE_MIB = 512       # the hog starts at twice the threshold plus this
SYS_SAMPLE_S = 0.01
SYS_TIMEOUT_S = 120
LATE_MS = 50                # below the threshold longer than this: explained in the report
AGING_WAIT_S = 2.5          # for reapd's first PSI event (see age())
HOG_GAP_S = 5.0             # from one hog's death to the next hog's start
HOLD_AT_MAX_S = 5           # a hog at --max this long was not killed by anyone
RECOVER_MIB = 256           # between runs, wait until MemAvailable is back within this
RECOVER_TIMEOUT_S = 10
FOREIGN_WAIT_S = 30
HUGEPAGE_KIB = 2048
OVERCOMMIT = "/proc/sys/vm/nr_overcommit_hugepages"
MAP_HUGETLB = 0x40000

# The ballast: reserves N MiB of hugetlb surplus pages (reserved, never
# touched, so it takes no time on this VM) in 64 MiB mappings, says how much it
# got, then sleeps until killed; the kernel returns the pages when it exits.
BALLAST_PY = f"""
import mmap, signal, sys
want, got, keep = int(sys.argv[1]), 0, []
while got + 64 <= want:
    try:
        keep.append(mmap.mmap(-1, 64 << 20,
                              flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | {MAP_HUGETLB}))
    except OSError:
        break
    got += 64
print("ballast ready", got, flush=True)
while True:
    signal.pause()
"""


def run(ctx):
    q = ctx.quick
    runs_a = 3 if q else 20
    # A system-scope run takes about 11 s (5 s between hogs, a hog at 0.5-1 GiB/s on this
    # VM): quick mode affords one per daemon.
    runs_b = 1 if q else 20
    with tempfile.TemporaryDirectory(prefix="reapd-bench-prot-") as tmp:
        part_a = cgroup_part(ctx, runs_a, tmp)
        part_b = system_part(ctx, runs_b, tmp)
    return report(ctx, runs_a, runs_b, part_a, part_b)


# ---------------------------------------------------------------- small readers

def meminfo():
    """/proc/meminfo as a dict of KiB values."""
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    return out


def mem_available_kib(f):
    """MemAvailable from an open /proc/meminfo (re-read from the start; cheaper than reopening)."""
    f.seek(0)
    for line in f.read().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def vmstat_oom_kills():
    """Kernel OOM kills since boot, machine-wide (memory cgroup OOM kills included)."""
    with open("/proc/vmstat") as f:
        for line in f:
            k, v = line.split()
            if k == "oom_kill":
                return int(v)
    return 0


def psi_totals(path):
    """(some, full) stall totals in microseconds from a memory.pressure file, or None."""
    if not path:
        return None
    try:
        text = sandbox.read(path)
    except OSError:
        return None
    tot = dict(re.findall(r"^(some|full) .*total=(\d+)", text, re.M))
    return int(tot.get("some", 0)), int(tot.get("full", 0))


def psi_delta_ms(before, after):
    if not before or not after:
        return None, None
    return (after[0] - before[0]) / 1000, (after[1] - before[1]) / 1000


def limit_hits(sb, memcg):
    """How often the cgroup hit its limit: v1 memory.failcnt, v2 memory.events "max"."""
    if sb.kind == "v1":
        return int(sandbox.read(os.path.join(memcg, "memory.failcnt")))
    events = dict(line.split() for line in sandbox.read(os.path.join(memcg, "memory.events"))
                  .splitlines())
    return int(events.get("max", 0))


def children(pid):
    """Pids of pid's children (its main thread's; these helpers are single-threaded)."""
    try:
        return [int(c) for c in sandbox.read(f"/proc/{pid}/task/{pid}/children").split()]
    except OSError:
        return []


def wait_for_file_text(path, needle, proc, timeout):
    """True once path contains needle; False if proc exits or time runs out."""
    def seen():
        try:
            return needle in sandbox.read(path)
        except OSError:
            return False
    return sandbox.wait_until(lambda: seen() or proc.poll() is not None, timeout) and seen()


def read_events(path):
    """reapd's --events file: one JSON object per victim."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError:
        return []


def logged_cmd(log, argv):
    """argv with stdout and stderr sent to log (Sandbox.spawn discards stderr)."""
    return ["sh", "-c", 'exec "$@" >"$0" 2>&1', log] + [str(a) for a in argv]


def tail(path, n=6):
    try:
        return sandbox.read(path).strip().splitlines()[-n:]
    except OSError:
        return []


# ---------------------------------------------------------------- part A: the cgroup

def cgroup_part(ctx, runs, tmp):
    out = {"kernel": [], "reapd": []}
    for i in range(runs):
        for mode in ("kernel", "reapd"):
            ctx.log(f"protection: cgroup, {mode}, run {i + 1}/{runs}")
            try:
                out[mode].append(cgroup_run(ctx, mode, tmp, i))
            except (RuntimeError, OSError) as e:
                ctx.log(f"protection: cgroup run failed: {e}")
                out[mode].append({"run": i + 1, "error": str(e)})
    return out


def cgroup_run(ctx, mode, tmp, i):
    """One run in the 1 GiB cgroup, with no daemon ("kernel") or with reapd."""
    with sandbox.Sandbox("prot") as sb:
        box = sb.memcg("box", LIMIT_MIB)
        ubox = sb.unified("box")
        cgs = [box] + ([ubox] if ubox else [])
        pressure = os.path.join(ubox, "memory.pressure") if ubox else None
        procs = {}
        for name, adj, mib in APPS:
            procs[name] = sb.spawn([ctx.memhog, "--size", mib, "--adj", adj, "--name", name,
                                    "--thp"], cgs, ready="ready")
        events = os.path.join(tmp, f"cg-events-{i}.json")
        log = os.path.join(tmp, f"cg-reapd-{i}.log")
        if mode == "reapd":
            # reapd itself sits outside the box, so it neither counts in it nor can be chosen.
            d = sb.spawn(logged_cmd(log, [ctx.reapd, "--config", "none", "--scope", box, "--mem-min", "10%",
                                          "--events", events, "--control",
                                          os.path.join(tmp, f"cg-control-{i}")]),
                         [sb.memcg("daemon")])
            if not wait_for_file_text(log, "psi:", d, 10):
                raise RuntimeError(f"reapd did not start: {tail(log)}")
        oom0, psi0, hits0 = sb.oom_kills(box), psi_totals(pressure), limit_hits(sb, box)
        procs[HOG] = sb.spawn([ctx.memhog, "--size", 0, "--grow", "--rate", 0, "--thp",
                               "--adj", 1000, "--name", HOG], cgs, ready="ready")
        t0 = time.monotonic()
        lowest_kib, hog_ms = watch_cgroup(sb, box, procs[HOG], t0)
        time.sleep(SETTLE_S)
        some, full = psi_delta_ms(psi0, psi_totals(pressure))
        r = {"run": i + 1, "oom_kills": sb.oom_kills(box) - oom0,
             "died": [n for n, p in procs.items() if p.poll() is not None],
             "hog_ms": hog_ms, "timeout": hog_ms is None, "lowest_headroom_mib": lowest_kib / 1024,
             "stall_some_ms": some, "stall_full_ms": full,
             "limit_hits": limit_hits(sb, box) - hits0}
        if mode == "reapd":
            r["kills"] = [{k: e.get(k) for k in ("comm", "reason", "size_kib", "kill_to_exit_ms",
                                                 "reap_ms", "dry_run")}
                          for e in read_events(events)]
            if r["oom_kills"]:
                r["reapd_log"] = tail(log, 8)   # to tell why reapd missed
        return r


def watch_cgroup(sb, box, hog, t0):
    """Samples the box's headroom every 2 ms until the hog dies: (lowest KiB, ms or None)."""
    limit_kib = LIMIT_MIB * 1024
    lowest = limit_kib
    with open(sb.usage_file(box)) as f:
        while True:
            f.seek(0)
            lowest = min(lowest, limit_kib - int(f.read()) // 1024)
            if hog.poll() is not None:
                return max(lowest, 0), (time.monotonic() - t0) * 1000
            if time.monotonic() - t0 > CG_TIMEOUT_S:
                return max(lowest, 0), None
            time.sleep(CG_SAMPLE_S)


# ---------------------------------------------------------------- part B: the machine

class Abort(Exception):
    """The system part cannot run safely or meaningfully; the reason is reported."""


def system_part(ctx, runs, tmp, dry=False):
    """Runs reapd and earlyoom alternately at system scope. dry: daemons only report."""
    daemons = ["reapd"] + (["earlyoom"] if ctx.earlyoom else [])
    out = {"daemons": daemons, "runs": {d: [] for d in daemons}, "aborted": None,
           "earlyoom": ctx.earlyoom_version, "dry": dry}
    try:
        old_overcommit = sandbox.read(OVERCOMMIT).strip()
    except OSError:
        out["aborted"] = "no hugetlb support (needed for the ballast)"
        return out
    try:
        with sandbox.Sandbox("prot-sys") as sb:
            wait_no_foreign(ctx)    # before the ballast: no point filling memory to abort
            setup_ballast(ctx, sb, out)
            warm_up(ctx, out)
            out["last_end"] = time.monotonic()
            for i in range(runs):
                # ABBA: neither daemon always runs first after the warm-up or a wait.
                for d in (daemons if i % 2 == 0 else daemons[::-1]):
                    ctx.log(f"protection: system, {d}, run {i + 1}/{runs}")
                    before_run(ctx, sb, out)
                    try:
                        out["runs"][d].append(system_run(ctx, d, tmp, i, out, dry))
                    except (RuntimeError, OSError) as e:
                        ctx.log(f"protection: system run failed: {e}")
                        out["runs"][d].append({"run": i + 1, "error": str(e)})
                    out["last_end"] = time.monotonic()
                    if not sandbox.alive(out["ballast_pid"]):
                        raise Abort("the ballast died (killed by the kernel?)")
    except (Abort, RuntimeError, OSError) as e:
        ctx.log(f"protection: system part aborted: {e}")
        out["aborted"] = str(e)
    finally:
        # The ballast is dead by now (the sandbox killed it); restore the setting.
        sandbox.write(OVERCOMMIT, old_overcommit)
    return out


def setup_ballast(ctx, sb, out):
    """Fills the machine to START_ABOVE_MIB above twice the threshold with reserved huge pages."""
    m = meminfo()
    total, avail = m["MemTotal"], m["MemAvailable"]
    threshold = total * THRESHOLD_PCT // 100
    want_mib = (avail - 2 * threshold) // 1024 - START_ABOVE_MIB
    if want_mib < 0:
        raise Abort(f"only {avail // 1024} MiB available, less than where the hog starts")
    pages = want_mib * 1024 // HUGEPAGE_KIB
    sandbox.write(OVERCOMMIT, int(sandbox.read(OVERCOMMIT)) + pages)
    cg = sb.memcg("ballast")
    p = sb.spawn(["python3", "-c", BALLAST_PY, want_mib], [cg], ready="ready", timeout=60)
    # spawn consumed the ready line; what was reserved shows as surplus huge pages.
    m2 = meminfo()
    got = (m2["HugePages_Surp"] - m["HugePages_Surp"]) * m2["Hugepagesize"] // 1024
    out.update(ballast_pid=p.pid, ballast_mib=got, mem_total_kib=total,
               threshold_kib=threshold, baseline_avail_kib=m2["MemAvailable"])
    ctx.log(f"protection: ballast {got} MiB of huge pages; {m2['MemAvailable'] // 1024} MiB "
            f"available, threshold {threshold // 1024} MiB")
    if got < want_mib // 2:
        raise Abort(f"the ballast got only {got} of {want_mib} MiB of huge pages")


def warm_up(ctx, out):
    """An unrecorded hog that fills memory to just above the threshold, then is killed.

    The first touch of memory the host has taken back is slow on this VM (about
    0.4 GiB/s against up to 15 GiB/s), so without this the first run alone
    would get a slow hog.
    """
    t = time.monotonic()
    size = (meminfo()["MemAvailable"] - out["threshold_kib"]) // 1024 - 256
    with sandbox.Sandbox("prot-warm") as sb:
        sb.spawn([ctx.memhog, "--size", size, "--thp", "--adj", 1000, "--name", "warm-up"],
                 [sb.memcg("warm")], ready="ready", timeout=SYS_TIMEOUT_S)
    ctx.log(f"protection: warm-up hog of {size} MiB took {time.monotonic() - t:.1f} s")


def our_cgroup_marker():
    return f"reapd-bench-{os.getpid()}-"


def foreign_max_adj():
    """Processes with adj 1000 outside this benchmark's cgroups: reapd --min-adj 1000 could
    pick them (were it not in a namespace of its own)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if int(sandbox.read(f"/proc/{d}/oom_score_adj")) < 1000:
                continue
            if our_cgroup_marker() in sandbox.read(f"/proc/{d}/cgroup"):
                continue
            found.append(f"{d} ({sandbox.read(f'/proc/{d}/comm').strip()})")
        except (OSError, ValueError):
            continue
    return found


def wait_no_foreign(ctx):
    """Waits up to FOREIGN_WAIT_S for foreign adj-1000 processes to go; else aborts the part."""
    foreign = foreign_max_adj()
    if foreign:
        ctx.log(f"protection: waiting for processes with adj 1000 to go: {', '.join(foreign)}")
        if not sandbox.wait_until(lambda: not foreign_max_adj(), FOREIGN_WAIT_S, step=0.5):
            raise Abort("processes outside the benchmark have oom_score_adj 1000: "
                        + ", ".join(foreign_max_adj()) + "; not running reapd at system scope")


def before_run(ctx, sb, out):
    """Waits until no foreign adj-1000 process exists and MemAvailable is back; aborts otherwise."""
    wait_no_foreign(ctx)
    # MemAvailable lags a kill (per-CPU free lists); start each run from the same point.
    base = out["baseline_avail_kib"]
    t = time.monotonic()
    ok = sandbox.wait_until(lambda: meminfo()["MemAvailable"] >= base - RECOVER_MIB * 1024,
                            RECOVER_TIMEOUT_S, step=0.1)
    if not ok:
        ctx.log(f"protection: MemAvailable still {meminfo()['MemAvailable'] // 1024} MiB after "
                f"{RECOVER_TIMEOUT_S} s (baseline {base // 1024} MiB); running anyway")
    elif time.monotonic() - t > 2:
        ctx.log(f"protection: MemAvailable took {time.monotonic() - t:.1f} s to come back")


def namespace_of(pid):
    return os.readlink(f"/proc/{pid}/ns/pid")


def namespace_members(ns):
    members = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/ns/pid") == ns:
                    members.append(int(d))
            except OSError:
                pass
    return members


def daemon_argv(ctx, daemon, tmp, i, dry):
    """The daemon's command line with the shared threshold; returns (argv, events file or None)."""
    if daemon == "reapd":
        events = os.path.join(tmp, f"sys-events-{i}.json")
        argv = [ctx.reapd, "--config", "none", "--mem-min", f"{THRESHOLD_PCT}%", "--swap-min", "100%",
                "--min-adj", 1000, "--events", events,
                "--control", os.path.join(tmp, f"sys-control-{i}")]
        return argv + (["--dry-run"] if dry else []), events
    # earlyoom 1.7 compares MemAvailable with PERCENT of MemTotal, as reapd does (later
    # versions divide by MemAvailable + AnonPages instead). PERCENT,KILL_PERCENT equal:
    # SIGKILL at once, like reapd; -s 100: no swap, so memory alone decides.
    pct = THRESHOLD_PCT
    argv = [ctx.earlyoom, "-m", f"{pct},{pct}", "-s", "100,100", "-r", "0"]
    return argv + (["--dryrun"] if dry else []), None


def start_daemon(ctx, sb, daemon, argv, log):
    """Starts the daemon as pid 1 of a new PID namespace; returns its pid on this side."""
    ns_proc = sb.spawn(["unshare", "--pid", "--fork", "--mount-proc", "--"]
                       + logged_cmd(log, argv), [sb.memcg("daemon")])
    ready = "psi:" if daemon == "reapd" else "SIGKILL when"
    if not wait_for_file_text(log, ready, ns_proc, 10):
        raise RuntimeError(f"{daemon} did not start: {tail(log)}")
    kids = children(ns_proc.pid)
    if len(kids) != 1:
        raise RuntimeError(f"cannot find {daemon} under unshare: {kids}")
    dpid = kids[0]
    # earlyoom locks its memory right before its loop starts: then it is watching.
    if not sandbox.wait_until(lambda: "VmLck:\t       0 kB" not in
                              sandbox.read(f"/proc/{dpid}/status"), 5):
        raise RuntimeError(f"{daemon} did not reach its loop: {tail(log)}")
    return dpid


def system_run(ctx, daemon, tmp, i, part, dry):
    """One hog at system scope with one daemon. Returns the run's facts."""
    threshold = part["threshold_kib"]
    log = os.path.join(tmp, f"sys-{daemon}-{i}.log")
    with sandbox.Sandbox("prot-run") as sb:
        argv, events = daemon_argv(ctx, daemon, tmp, i, dry)
        dpid = start_daemon(ctx, sb, daemon, argv, log)
        ns = namespace_of(dpid)
        if ns == namespace_of(os.getpid()) or namespace_members(ns) != [dpid]:
            raise Abort(f"{daemon}'s PID namespace is not its own: {namespace_members(ns)}")
        # For both daemons, though only reapd has PSI triggers: the stall and the wait change
        # how fast the hog then runs (compaction, memory the host takes back meanwhile).
        aged_ms = age(ctx, sb)
        # The hog starts a fixed time after the last one died, whatever the daemon's start-up
        # took (earlyoom 1.7 sleeps 1 s at start when it finds nothing to kill): memory the
        # host has taken back meanwhile is slower to fault, so the gap sets the hog's speed.
        gap = part["last_end"] + HOG_GAP_S - time.monotonic()
        if gap < 0:
            ctx.log(f"protection: the hog starts {-gap:.1f} s later than planned")
        time.sleep(max(gap, 0))
        avail0 = meminfo()["MemAvailable"]
        # If nobody kills it, it stops with half the threshold (1.2 GiB) still available.
        max_mib = (avail0 - threshold // 2) // 1024
        oom0, psi0 = vmstat_oom_kills(), psi_totals("/proc/pressure/memory")
        hog = sb.spawn(["nsenter", "-t", dpid, "--pid", "--mount", "--", ctx.memhog,
                        "--size", 0, "--grow", "--rate", 0, "--thp", "--adj", 1000,
                        "--name", SYS_HOG, "--max", max_mib],
                       [sb.memcg("hog")] + ([sb.unified("hog")] if sandbox.unified_root() else []),
                       ready="ready")
        t0 = time.monotonic()
        kids = children(hog.pid)
        if len(kids) != 1 or sandbox.read(f"/proc/{kids[0]}/comm").strip() != SYS_HOG:
            raise RuntimeError(f"cannot find the hog under nsenter: {kids}")
        hog_pid = kids[0]
        w = watch_system(hog, hog_pid, threshold, t0)
        time.sleep(SETTLE_S)
        some, full = psi_delta_ms(psi0, psi_totals("/proc/pressure/memory"))
        kills = daemon_kills(daemon, log, events)
        oom = vmstat_oom_kills() - oom0
        r = {"run": i + 1, "avail_start_mib": avail0 / 1024, "hog_max_mib": max_mib,
             "aging_stall_ms": aged_ms, "late_start_s": max(-gap, 0),
             "oom_kills": oom, "kills": kills, "killed_by": killed_by(w, kills, oom),
             "stall_some_ms": some, "stall_full_ms": full}
        r.update(w)
        r["rate_mib_s"] = mean_rate(avail0, threshold, w)
        if w["hog_ms"] is None or oom:
            r["log"] = tail(log, 8)
        return r


def age(ctx, sb):
    """Makes a short memory stall while memory is plentiful, as a running daemon would have seen.

    The first event of a new PSI trigger can come with far less stall than the
    trigger asks for (4-7 ms against 200 ms here), and reapd takes it as long
    as the stall total grew (src/psi.c), so a reapd started a moment before the
    hog would kill for "psi_full" on the first few milliseconds of stall. A
    daemon that has been running for a while has had that event long ago: this
    gives it the event, above twice the threshold, where it kills nothing. A
    40 MiB cgroup whose page cache must be reclaimed makes the stall; the event
    follows up to about 1.7 s later (measured with reapd -v), hence the wait.
    It is not always enough: a second such event can follow a later stall
    (seen with reapd -v), which the report points out when it happens. Returns
    the system's full stall in ms that it caused.
    """
    before = psi_totals("/proc/pressure/memory")
    p = sb.spawn([ctx.memhog, "--size", 16, "--file-mib", 64, "--name", "aging"],
                 [sb.memcg("aging", 40)], ready="ready")
    p.kill()
    p.wait()
    after = psi_totals("/proc/pressure/memory")
    time.sleep(AGING_WAIT_S)
    return psi_delta_ms(before, after)[1]


def watch_system(hog, hog_pid, threshold_kib, t0):
    """Samples MemAvailable every 10 ms until the hog dies or holds at --max."""
    lowest, crossed_ms, at_max = None, None, None
    buf = b""
    with open("/proc/meminfo") as f:
        while True:
            now = time.monotonic()
            avail = mem_available_kib(f)
            lowest = avail if lowest is None else min(lowest, avail)
            if crossed_ms is None and avail < threshold_kib:
                crossed_ms = (now - t0) * 1000
            if not sandbox.alive(hog_pid):
                dead_ms = (time.monotonic() - t0) * 1000
                break
            if at_max is None and select.select([hog.stdout], [], [], 0)[0]:
                buf += os.read(hog.stdout.fileno(), 4096)
                if b" max " in buf:
                    at_max = now
            if (at_max and now - at_max > HOLD_AT_MAX_S) or now - t0 > SYS_TIMEOUT_S:
                dead_ms = None
                break
            time.sleep(SYS_SAMPLE_S)
    # A kill right at the threshold may fall between two samples: then 0 ms below it.
    below = None if dead_ms is None else dead_ms - crossed_ms if crossed_ms is not None else 0.0
    return {"hog_ms": dead_ms, "reached_max": at_max is not None,
            "lowest_avail_mib": lowest / 1024, "crossed_ms": crossed_ms, "below_ms": below}


def mean_rate(avail0_kib, threshold_kib, w):
    """The hog's mean allocation rate (MiB/s) from its start to the threshold (or its death)."""
    if w["crossed_ms"]:
        return (avail0_kib - threshold_kib) / 1024 / (w["crossed_ms"] / 1000)
    if w["hog_ms"]:
        return (avail0_kib / 1024 - w["lowest_avail_mib"]) / (w["hog_ms"] / 1000)
    return None


def daemon_kills(daemon, log, events):
    """What the daemon says it killed (or would have, in a dry run): [{"comm", ...}]."""
    if daemon == "reapd":
        return [{k: e.get(k) for k in ("comm", "reason", "size_kib", "kill_to_exit_ms",
                                       "reap_ms", "dry_run")} for e in read_events(events)]
    kills = []
    try:
        text = sandbox.read(log)
    except OSError:
        return kills
    # earlyoom 1.7: 'sending SIGKILL to process 2 uid 0 "sys-hog": badness 1083, VmRSS 3027 MiB'
    pattern = r'sending (SIG\w+|signal 0) to process (\d+) uid \d+ "([^"]*)".*?VmRSS (\d+) MiB'
    for sig, _pid, name, rss in re.findall(pattern, text):
        kills.append({"comm": name, "signal": sig, "size_kib": int(rss) * 1024,
                      "dry_run": "dryrun" in text})
    return kills


def killed_by(w, kills, oom):
    if w["hog_ms"] is None:
        return "nobody"
    if any(k.get("comm") == SYS_HOG and not k.get("dry_run") for k in kills):
        return "daemon"
    return "kernel" if oom else "unknown"


# ---------------------------------------------------------------- the report

def mib(v):
    return "-" if v is None else f"{v:.0f} MiB"


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def ms_summary(values):
    return stats.fmt_summary(stats.summary(values))


def mib_summary(values):
    s = stats.summary(values)
    if s["n"] < 2:
        return mib(s["median"])
    return f"{mib(s['median'])} ({s['min']:.0f}–{s['max']:.0f})"


def num_summary(values):
    s = stats.summary(values)
    if s["n"] < 2:
        return "-" if not s["n"] else f"{s['median']:g}"
    return f"{s['median']:g} ({s['min']:g}–{s['max']:g})"


def ok_runs(rs):
    return [r for r in rs if "error" not in r]


def count(rs, pred):
    return sum(1 for r in rs if pred(r))


def frac(rs, pred):
    return f"{count(rs, pred)}/{len(rs)}"


def others_died(x):
    """Part A: the processes other than the hog that died in run x."""
    return [n for n in x["died"] if n != HOG]


def others_killed(x):
    """Part B: the processes other than the hog the daemon killed in run x."""
    return [k for k in x["kills"] if k.get("comm") != SYS_HOG and not k.get("dry_run")]


def reasons(rs):
    """What the daemon's kills were for, counted: "low_mem ×3, psi_full ×1"."""
    seen = {}
    for x in rs:
        for k in x["kills"]:
            if k.get("comm") == SYS_HOG and not k.get("dry_run"):
                why = k.get("reason") or "threshold"
                seen[why] = seen.get(why, 0) + 1
    return ", ".join(f"{k} ×{v}" for k, v in sorted(seen.items())) or "-"


def table(header, columns, rows):
    """A markdown table: rows are (label, f) with f(ok runs, all runs) -> cell text."""
    lines = ["| | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for label, f in rows:
        lines.append(f"| {label} | " + " | ".join(f(ok_runs(c), c) for c in columns) + " |")
    return lines


def cgroup_table(part, runs):
    rows = [
        ("runs completed", lambda rs, all_: f"{len(rs)}/{len(all_)}"),
        ("runs with kernel OOM kills", lambda rs, _: frac(rs, lambda x: x["oom_kills"])
         + f" ({plural(sum(x['oom_kills'] for x in rs), 'kill')})"),
        ("hog killed", lambda rs, _: frac(rs, lambda x: HOG in x["died"])),
        ("other processes killed", lambda rs, _: str(sum(len(others_died(x)) for x in rs))),
        ("hog start to death", lambda rs, _: ms_summary([x["hog_ms"] for x in rs])),
        (f"hog not dead within {CG_TIMEOUT_S} s",
         lambda rs, _: str(count(rs, lambda x: x["timeout"]))),
        ("stall, PSI some", lambda rs, _: ms_summary([x["stall_some_ms"] for x in rs])),
        ("stall, PSI full", lambda rs, _: ms_summary([x["stall_full_ms"] for x in rs])),
        ("limit hits (failcnt)", lambda rs, _: num_summary([x["limit_hits"] for x in rs])),
        ("lowest headroom (limit − usage)",
         lambda rs, _: mib_summary([x["lowest_headroom_mib"] for x in rs])),
    ]
    return ([f"**A. 1 GiB memory cgroup**, {plural(runs, 'run')} per mode, alternated; "
             "median (min–max).", ""]
            + table(["kernel OOM killer alone", "reapd"], [part["kernel"], part["reapd"]], rows))


def system_table(part, runs):
    if part.get("ballast_mib") is None or not any(part["runs"].values()):
        return [f"**B. System scope**: not run ({part['aborted']})."]
    ds = part["daemons"]
    rows = [
        ("runs completed", lambda rs, all_: f"{len(rs)}/{len(all_)}"),
        ("hog killed by the daemon", lambda rs, _: frac(rs, lambda x: x["killed_by"] == "daemon")),
        ("hog killed by the kernel", lambda rs, _: frac(rs, lambda x: x["killed_by"] == "kernel")),
        ("hog not killed (held at --max)",
         lambda rs, _: frac(rs, lambda x: x["killed_by"] == "nobody")),
        ("other processes the daemon killed",
         lambda rs, _: str(sum(len(others_killed(x)) for x in rs))),
        ("what the kill was for", lambda rs, _: reasons(rs)),
        ("kernel OOM kills (machine-wide)", lambda rs, _: str(sum(x["oom_kills"] for x in rs))),
        ("lowest MemAvailable", lambda rs, _: mib_summary([x["lowest_avail_mib"] for x in rs])),
        ("below the threshold until the hog died",
         lambda rs, _: ms_summary([x["below_ms"] for x in rs])),
        ("MemAvailable at the hog's start",
         lambda rs, _: mib_summary([x["avail_start_mib"] for x in rs])),
        ("hog start to death", lambda rs, _: ms_summary([x["hog_ms"] for x in rs])),
        ("hog's mean rate to the threshold, MiB/s", lambda rs, _: num_summary(
            [round(x["rate_mib_s"]) for x in rs if x.get("rate_mib_s")])),
        ("system stall, PSI some", lambda rs, _: ms_summary([x["stall_some_ms"] for x in rs])),
        ("system stall, PSI full", lambda rs, _: ms_summary([x["stall_full_ms"] for x in rs])),
    ]
    names = {"reapd": "reapd", "earlyoom": f"earlyoom {part.get('earlyoom') or ''}".strip()}
    lines = [f"**B. System scope**, {plural(runs, 'run')} per daemon, alternated; threshold "
             f"{part['threshold_kib'] / 1024:.0f} MiB available ({THRESHOLD_PCT} % of MemTotal); "
             f"ballast {part['ballast_mib']} MiB of huge pages, leaving "
             f"{part['baseline_avail_kib'] / 1024:.0f} MiB available; median (min–max)."
             + (" **Dry run: the daemons killed nothing.**" if part["dry"] else ""), ""]
    lines += table([names[d] for d in ds], [part["runs"][d] for d in ds], rows)
    if part["aborted"]:
        lines += ["", f"The system part stopped early: {part['aborted']}."]
    return lines


def raw_lines(part_a, part_b):
    def v(x, key, fmt="{:.0f}"):
        return "-" if x.get(key) is None else fmt.format(x[key])

    def a_entry(x):
        return (f"{v(x, 'hog_ms', '{:.1f}')}/{v(x, 'lowest_headroom_mib')}/"
                f"{v(x, 'stall_some_ms')}/{v(x, 'stall_full_ms')}/{x['oom_kills']}/"
                f"{'+'.join(x['died']) or 'none'}")

    def b_entry(x):
        return (f"{v(x, 'below_ms', '{:.1f}')}/{v(x, 'lowest_avail_mib')}/"
                f"{v(x, 'rate_mib_s')}/{x['oom_kills']}/{x['killed_by']}")

    lines = ["", "Raw values, one entry per run in order (A: hog ms / lowest headroom MiB / "
             "PSI some ms / PSI full ms / kernel OOM kills / died; B: ms below the threshold / "
             "lowest MemAvailable MiB / hog's rate MiB/s / kernel OOM kills / killed by):", ""]
    for label, rs, entry in (("A, kernel alone", part_a["kernel"], a_entry),
                             ("A, reapd", part_a["reapd"], a_entry),
                             *((f"B, {d}", part_b["runs"][d], b_entry) for d in part_b["daemons"])):
        if rs:
            lines.append(f"- {label}: `" + " ".join(
                f"error: {x['error']}" if "error" in x else entry(x) for x in rs) + "`")
    return lines


def misses(part_a):
    """What the report says about runs where reapd did not meet the target."""
    bad = [x for x in ok_runs(part_a["reapd"])
           if x["oom_kills"] or others_died(x) or HOG not in x["died"]]
    errors = [x for x in part_a["reapd"] if "error" in x]
    if not bad and not errors:
        return []
    lines = ["", "**Where reapd missed the target** (runs with a kernel OOM kill, another "
             "process killed, or the hog not killed), with reapd's own account:", ""]
    for x in bad:
        kills = ", ".join(f"{k['comm']} ({k['reason']}, dead {k['kill_to_exit_ms']} ms after "
                          "SIGKILL)" for k in x.get("kills", [])) or "nothing"
        lines.append(f"- run {x['run']}: {x['oom_kills']} kernel OOM kills; died "
                     f"{', '.join(x['died']) or 'none'}; reapd killed {kills}; lowest headroom "
                     f"{x['lowest_headroom_mib']:.0f} MiB; hog dead after "
                     f"{stats.fmt_ms(x['hog_ms'])}.")
        lines += [f"  `{line}`" for line in x.get("reapd_log", [])]
    lines += [f"- run {x['run']}: failed: {x['error']}" for x in errors]
    return lines


def late_polls(part_b):
    """Explains system-scope runs where the hog stayed below the threshold for long."""
    runs = {d: ok_runs(rs) for d, rs in part_b["runs"].items()}
    slow = {d: [x for x in rs if (x.get("below_ms") or 0) > LATE_MS] for d, rs in runs.items()}
    if not any(slow.values()):
        return []
    rate = [round(x["rate_mib_s"]) for xs in slow.values() for x in xs if x.get("rate_mib_s")]
    rest = [round(x["rate_mib_s"]) for rs in runs.values() for x in rs
            if x.get("rate_mib_s") and (x.get("below_ms") or 0) <= LATE_MS]
    counts = ", ".join(f"{d} {len(xs)}/{len(runs[d])}" for d, xs in slow.items())
    return ["", f"Runs where MemAvailable stayed below the threshold for more than {LATE_MS} ms "
            f"before the hog died: {counts}. At system scope neither daemon gets a kernel event "
            "when MemAvailable crosses a level (PSI triggers fire only on stalls), so both find "
            "the crossing by polling, sleeping for the headroom divided by an assumed 6 GiB/s "
            "(reapd: or the fastest recent fall) but at least 10 ms (reapd) or 100 ms "
            "(earlyoom): a kill comes up to one such sleep after the crossing, and later still "
            "when the hog eats the whole headroom faster than 6 GiB/s. Mean hog rate to the "
            f"threshold in those runs: {num_summary(rate)} MiB/s; in the others: "
            f"{num_summary(rest)} MiB/s."]


def spurious_psi(part_b):
    """Points out reapd's PSI kills in runs with almost no stall (see age())."""
    runs = [x for x in ok_runs(part_b["runs"].get("reapd", []))
            if any((k.get("reason") or "").startswith("psi") for k in x["kills"])
            and (x["stall_full_ms"] or 0) < 20]
    if not runs:
        return []
    stalls = ", ".join(f"{x['stall_full_ms']:.3f} ms (run {x['run']})" for x in runs)
    return ["", f"reapd killed for a PSI reason in {plural(len(runs), 'run')} although the "
            f"system's full stall total grew by only {stalls}"
            + " while the hog ran, against the 200 ms per 2 s its triggers ask for, with "
            "MemAvailable at " + ", ".join(f"{x['lowest_avail_mib']:.0f}" for x in runs)
            + " MiB, above the threshold but below twice it. A newly created PSI trigger can "
            "fire on its first stalls whatever their length (seen with reapd -v: events after "
            "4–7 ms of stall), and reapd counts an event as a stall whenever the total grew at "
            "all (src/psi.c, psi_read_event); the benchmark's short stall before each run "
            "takes the first such event, but a second one can still come. A reapd that has run "
            "for a while is past this; a freshly started one can kill early on no real stall."]


def system_headline(part_b, runs_b):
    rb = part_b["runs"]
    if not ok_runs(rb.get("earlyoom", [])) or not ok_runs(rb["reapd"]):
        return [{"metric": "3. system scope, reapd vs earlyoom", "reapd": "-", "baseline": "-",
                 "result": f"not run: {part_b['aborted'] or 'earlyoom unavailable'}"}]
    r, e = ok_runs(rb["reapd"]), ok_runs(rb["earlyoom"])
    low_r = stats.summary([x["lowest_avail_mib"] for x in r])["median"]
    low_e = stats.summary([x["lowest_avail_mib"] for x in e])["median"]
    below_r = stats.summary([x["below_ms"] for x in r])["median"]
    below_e = stats.summary([x["below_ms"] for x in e])["median"]

    def bad(rs):
        return f"{sum(x['oom_kills'] for x in rs)} / {sum(len(others_killed(x)) for x in rs)}"
    return [
        {"metric": f"3. system scope: lowest MemAvailable (median, {plural(runs_b, 'run')})",
         "reapd": mib(low_r), "baseline": f"earlyoom: {mib(low_e)}",
         "result": "-" if low_r is None or low_e is None else f"{low_r - low_e:+.0f} MiB"},
        {"metric": "3. system scope: time below the threshold until the hog died (median)",
         "reapd": stats.fmt_ms(below_r), "baseline": f"earlyoom: {stats.fmt_ms(below_e)}",
         "result": stats.ratio(below_e, below_r) if below_r else
         "reapd: never seen below (10 ms samples)" if below_r == 0 else "-"},
        {"metric": "3. system scope: kernel OOM kills / others killed",
         "reapd": bad(r), "baseline": f"earlyoom: {bad(e)}", "result": "-"},
    ]


def report(ctx, runs_a, runs_b, part_a, part_b):
    k, r = ok_runs(part_a["kernel"]), ok_runs(part_a["reapd"])
    r_oom, k_oom = count(r, lambda x: x["oom_kills"]), count(k, lambda x: x["oom_kills"])
    r_others = sum(len(others_died(x)) for x in r)
    k_others = sum(len(others_died(x)) for x in k)
    r_hog = count(r, lambda x: HOG in x["died"])
    met = len(r) == runs_a and r_oom == 0 and r_others == 0 and r_hog == runs_a
    stall_k = stats.summary([x["stall_full_ms"] for x in k])["median"]
    stall_r = stats.summary([x["stall_full_ms"] for x in r])["median"]
    headline = [
        {"metric": f"3. kernel OOM kills, 1 GiB cgroup ({plural(runs_a, 'run')})",
         "reapd": f"{r_oom}/{len(r)} runs", "baseline": f"kernel alone: {k_oom}/{len(k)} runs",
         "result": "target met: no kernel OOM kill, only the hog killed" if met else
         f"target missed: {plural(r_oom, 'run')} with kernel OOM kills, {r_others} others "
         f"killed, {len(r) - r_hog} without the hog killed, "
         f"{len(part_a['reapd']) - len(r)} failed"},
        {"metric": "3. processes killed other than the hog",
         "reapd": str(r_others), "baseline": f"kernel alone: {k_others}",
         "result": f"hog killed in {r_hog}/{len(r)} runs"},
        {"metric": "3. cgroup stall, PSI full (median)",
         "reapd": stats.fmt_ms(stall_r), "baseline": "kernel alone: " + stats.fmt_ms(stall_k),
         "result": "-" if stall_r is None or stall_k is None else
         f"{stall_k - stall_r:+.1f} ms for the kernel alone"},
    ] + system_headline(part_b, runs_b)
    body = (cgroup_table(part_a, runs_a) + misses(part_a) + [""]
            + system_table(part_b, runs_b) + late_polls(part_b) + spurious_psi(part_b)
            + raw_lines(part_a, part_b))
    return {"name": "protection", "title": TITLE, "doc": __doc__, "body": "\n".join(body),
            "headline": headline, "raw": {"cgroup": part_a, "system": part_b}}
