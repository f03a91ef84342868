"""1. Memory back after a kill: SIGKILL alone vs reapd's kill path with reaping.

Victims: a plain process; one in a frozen cgroup (v1 freezer, cgroup v2
cgroup.freeze); one at SCHED_IDLE pinned to a CPU kept busy by two spinning
processes. benchtool kills each and follows the cgroup's usage every 100 us
(MemAvailable lags kills by seconds), so "memory back" is when 90 % of the
victim's anonymous memory has left its cgroup. "reapd" is reapd's reaper
module (src/reaper.c) driven directly, the code the daemon kills with:
pidfd_send_signal and process_mrelease from a worker thread, then a thaw.
"""
import os
import subprocess

from lib import sandbox, stats

TITLE = "Memory back after a kill"


def variants(quick):
    vs = [("plain", None)]
    if sandbox.freezer_v1_root():
        vs.append(("frozen (v1 freezer)", "v1"))
    if sandbox.unified_root():
        vs.append(("frozen (v2 cgroup.freeze)", "v2"))
    if os.cpu_count() >= 2:
        vs.append(("SCHED_IDLE on a busy CPU", "idle"))
    return vs


def one(ctx, variant, kind, mode, size_mib, timeout_ms):
    """Kills one victim; returns benchtool's JSON."""
    with sandbox.Sandbox("mb") as sb:
        cg = sb.memcg("victim")
        cgs = [cg]
        fcg = sb.freezer(kind) if kind in ("v1", "v2") else None
        if kind in ("v1", "v2") and fcg is None:
            return None
        if fcg:
            cgs.append(fcg)
        victim = sb.spawn([ctx.memhog, "--size", size_mib, "--adj", 1000, "--name", "victim"],
                          cgs, ready="ready")
        if fcg:
            sb.freeze(fcg, kind)
        if kind == "idle":
            # Allocated at full speed first; now starve it: pinned beside two spinners.
            subprocess.run(["taskset", "-p", "-c", "1", str(victim.pid)], check=True,
                           capture_output=True)
            subprocess.run(["chrt", "--idle", "-p", "0", str(victim.pid)], check=True,
                           capture_output=True)
            for _ in range(2):
                sb.spawn(["taskset", "-c", "1", "sh", "-c", "while :; do :; done"], [cg])
        r = ctx.run_json([ctx.benchtool, "kill", "--pid", victim.pid, "--usage",
                          sb.usage_file(cg), "--mode", mode, "--timeout-ms", timeout_ms,
                          "--cpu", 0], timeout=timeout_ms / 1000 + 60)
        r["variant"] = variant
        return r


def run(ctx):
    q = ctx.quick
    size = 256 if q else 2048
    reps = 2 if q else 5
    # How long SIGKILL alone may take before we stop waiting (frozen: forever).
    wait = {"plain": 10000, "v1": 1000 if q else 5000, "v2": 1000 if q else 5000,
            "idle": 3000 if q else 120000}
    rows, raw = [], []
    for variant, kind in variants(q):
        res = {"kill": [], "reap": []}
        for rep in range(reps):
            for mode in ("kill", "reap"):
                ctx.log(f"memory-back: {variant}, {mode}, run {rep + 1}/{reps}")
                r = one(ctx, variant, kind, mode, size, wait[kind or "plain"])
                if r:
                    res[mode].append(r)
                    raw.append(r)
        if not res["kill"]:
            continue
        rows.append((variant, res))
    return report(ctx, size, reps, wait, rows, raw)


def col(rs, key):
    return [r[key] for r in rs]


def report(ctx, size, reps, wait, rows, raw):
    lines = [f"{size} MiB anonymous victim (4 KiB pages), {reps} runs per cell; "
             "median (min–max). \"-\": not within the wait shown.", "",
             "| victim | SIGKILL alone: exit | SIGKILL alone: memory back | reapd: exit | "
             "reapd: reap done | reapd: memory back | memory back, ratio |",
             "|---|---|---|---|---|---|---|"]
    headline, chart = [], []
    for variant, res in rows:
        k_mem = stats.summary(col(res["kill"], "signal_to_memory_back_ms"))
        r_mem = stats.summary(col(res["reap"], "signal_to_memory_back_ms"))
        k_exit = stats.summary(col(res["kill"], "signal_to_exit_ms"))
        r_exit = stats.summary(col(res["reap"], "signal_to_exit_ms"))
        r_reap = stats.summary(col(res["reap"], "reap_ms"))
        timeout = res["kill"][0]["timeout_ms"]
        k_mem_text = stats.fmt_summary(k_mem) if k_mem["n"] == len(res["kill"]) else \
            f"not within {timeout / 1000:g} s" if not k_mem["n"] else stats.fmt_summary(k_mem) + \
            f" ({len(res['kill']) - k_mem['n']} runs: not within {timeout / 1000:g} s)"
        ratio = stats.ratio(k_mem["median"], r_mem["median"])
        if not k_mem["n"] and r_mem["median"]:
            ratio = f"> {timeout / r_mem['median']:.0f}x"
        lines.append(f"| {variant} | {stats.fmt_summary(k_exit)} | {k_mem_text} | "
                     f"{stats.fmt_summary(r_exit)} | {stats.fmt_summary(r_reap)} | "
                     f"{stats.fmt_summary(r_mem)} | {ratio} |")
        headline.append({"metric": f"1. memory back, {variant}",
                         "reapd": stats.fmt_ms(r_mem["median"]),
                         "baseline": "SIGKILL alone: " + (stats.fmt_ms(k_mem["median"])
                                                          if k_mem["n"] else
                                                          f"not within {timeout / 1000:g} s"),
                         "result": ratio})
        chart.append((variant, k_mem["median"] or timeout, r_mem["median"]))
    lines += ["", "Raw signal-to-memory-back times (ms), per run:", ""]
    for variant, res in rows:
        lines.append(f"- {variant}: SIGKILL alone `{stats.raw(col(res['kill'], 'signal_to_memory_back_ms'))}`; "
                     f"reapd `{stats.raw(col(res['reap'], 'signal_to_memory_back_ms'))}`; "
                     f"reapd exit `{stats.raw(col(res['reap'], 'signal_to_exit_ms'))}`")
    return {"name": "memory-back", "title": TITLE, "doc": __doc__, "body": "\n".join(lines),
            "headline": headline, "raw": raw, "chart": chart}
