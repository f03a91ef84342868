"""The benchmark report: markdown with the machine's facts, a headline table,
each scenario's tables and raw values, a JSON dump, and a chart (gnuplot)."""
import datetime
import json
import os
import platform
import shutil
import subprocess

from lib import sandbox


def machine_facts(ctx):
    mem = {}
    for line in open("/proc/meminfo"):
        k, v = line.split(":", 1)
        mem[k] = v.strip()
    kind, base = sandbox.memcg_kind()
    try:
        commit = subprocess.run(["git", "-C", ctx.root, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "ram": mem.get("MemTotal", "?"),
        "swap": mem.get("SwapTotal", "?"),
        "memory cgroup": f"{kind} at {base}",
        "reapd commit": commit,
        "earlyoom": ctx.earlyoom_version or "not available",
        "mode": "quick" if ctx.quick else "full",
    }


def chart(results, path_base):
    """Draws scenario 1's memory-back times as grouped bars, one per mode (the scenario's
    "chart_series"; SIGKILL alone and reapd by default). Returns the file, or None."""
    rows = [r for res in results for r in res.get("chart", [])]
    series = next((res["chart_series"] for res in results if res.get("chart_series")),
                  ["SIGKILL alone", "reapd (SIGKILL + process_mrelease)"])
    if not rows or not shutil.which("gnuplot"):
        return None
    data = path_base + ".dat"
    with open(data, "w") as f:
        for label, *values in rows:
            # A missing value is a gap in its cluster, not a bar at zero.
            f.write(f"\"{label}\" " + " ".join("NaN" if v is None else str(v)
                                               for v in values[:len(series)]) + "\n")
    colours = ["#c0504d", "#9bbb59", "#4f81bd", "#8064a2"]
    plots = ", ".join(f"'{data if i == 0 else ''}' using {i + 2}"
                      + (":xtic(1)" if i == 0 else "")
                      + f" title '{name}' lc rgb '{colours[i % len(colours)]}'"
                      for i, name in enumerate(series))
    for term, ext in (("pngcairo size 1100,600", "png"), ("png size 1100,600", "png"),
                      ("svg size 1100,600", "svg")):
        out = f"{path_base}.{ext}"
        script = f"""
set terminal {term} noenhanced
set output '{out}'
set title 'Signal to memory back (median, log scale; lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'milliseconds'
set yrange [0.1:*]
set xtics rotate by -30 scale 0
set bmargin 9
set rmargin 12
set key top left
plot {plots}
"""
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode == 0 and os.path.getsize(out) > 0:
            os.unlink(data)
            return out
    os.unlink(data)
    return None


def write(ctx, results, out):
    """Writes the report into the directory out (named by date and host), or as out if it
    ends in .md; returns the markdown file's path."""
    facts = machine_facts(ctx)
    if out.endswith(".md"):
        out_dir, name = os.path.dirname(out) or ".", os.path.basename(out)[:-3]
    else:
        stamp = datetime.datetime.now().strftime("%Y-%m-%d")
        out_dir, name = out, f"{stamp}-{facts['host']}{'-quick' if ctx.quick else ''}"
    os.makedirs(out_dir, exist_ok=True)
    base, n = os.path.join(out_dir, name), 2
    # Never overwrite an earlier report of the same day.
    while os.path.exists(base + ".md"):
        base, n = os.path.join(out_dir, f"{name}-{n}"), n + 1
    chart_file = chart(results, base)
    lines = [f"# reapd benchmark, {facts['date']}", "",
             "Produced by `bench/run" + (" --quick" if ctx.quick else "") + "`; "
             "every comparison measured side by side in this one run.", "",
             "| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += ["", "## Headline", "", "| measure | reapd | compared with | result |",
              "|---|---|---|---|"]
    for res in results:
        for h in res.get("headline", []):
            lines.append(f"| {h['metric']} | {h['reapd']} | {h['baseline']} | {h['result']} |")
    if chart_file:
        lines += ["", f"![memory back after a kill]({os.path.basename(chart_file)})"]
    for i, res in enumerate(results, 1):
        doc = (res.get("doc") or "").strip().split("\n", 1)
        lines += ["", f"## {res['title']}", "", doc[1].strip() if len(doc) > 1 else "", "",
                  res["body"]]
    lines += ["", "## Raw data", "", f"Every run's values: `{os.path.basename(base)}.json`."]
    with open(base + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(base + ".json", "w") as f:
        json.dump({"machine": facts, "results": [{k: v for k, v in r.items() if k != "doc"}
                                                 for r in results]}, f, indent=1)
    return base + ".md"
