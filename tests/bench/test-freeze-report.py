#!/usr/bin/env python3
"""bench/freeze's report on made-up runs: each figure from its raw values, the
best peer chosen by its rule (never another build of reapd), every kill
counted, and --report's plan in the order a plan would have the runs."""
import importlib.machinery
import importlib.util
import json
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from lib import freeze_report  # noqa: E402


def load_freeze():
    loader = importlib.machinery.SourceFileLoader("freeze", os.path.join(ROOT, "bench", "freeze"))
    spec = importlib.util.spec_from_loader("freeze", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def keep(work, runs):
    """Writes @runs into the work folder @work as the guest leaves them."""
    os.makedirs(os.path.join(work, "runs"))
    for r in runs:
        json.dump(r, open(os.path.join(work, "runs", r["run"]["id"] + ".json"), "w"))


def first_json(folder):
    return [os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".json")][0]


def run(scenario, contender, rep, lat, deaths=(), relief=None, oom=0):
    """A guest run: probe latencies (ms, one per 100 ms) and deaths (comm, culprit, t)."""
    return {
        "run": {"id": f"{scenario}-zram-{contender}-{rep}", "scenario": scenario, "swap": "zram",
                "swap_mib": 1024, "contender": contender, "rep": rep, "timeout_s": 60},
        "relief_s": relief,
        "deaths": [{"pid": 100 + i, "comm": c, "t_s": t, "culprit": culprit, "workload": True,
                    "cgroup": None} for i, (c, culprit, t) in enumerate(deaths)],
        "probe_killed": False, "oom_kills": oom,
        "probe": [(i * 0.1, ms) for i, ms in enumerate(lat)],
        "daemon_kill_lines": [], "reapd_events": [],
    }


class Metrics(unittest.TestCase):
    def test_figures(self):
        r = run("leak", "reapd", 1, [10, 250, 300, 20, 5000], [("leak", True, 0.3),
                                                               ("sshd", False, 0.35)], relief=0.3)
        m = freeze_report.metrics(r)
        # Iterations up to 5 s after relief only; the stall sums those over 200 ms.
        self.assertEqual(m["stall_ms"], 250 + 300 + 5000)
        self.assertEqual(m["worst_ms"], 5000)
        self.assertEqual(m["kills"], 2)
        self.assertEqual(m["innocent"], 1)
        self.assertEqual(m["innocent_names"], ["sshd"])

    def test_after_relief_is_left_out(self):
        lat = [10] * 20 + [900] * 80  # the last 8 s, from 2 s on
        m = freeze_report.metrics(run("leak", "reapd", 1, lat, [("leak", True, 0.5)], relief=0.5))
        # Relief at 0.5 s: only iterations up to 5.5 s count (2.0..5.5 s: 36 of them).
        self.assertEqual(m["stall_ms"], 900 * 36)


class Headline(unittest.TestCase):
    def write(self, runs):
        have = {r["run"]["id"]: r for r in runs}
        plan = [r["run"] for r in runs]
        with tempfile.TemporaryDirectory() as d:
            base = os.path.join(d, "r")
            freeze_report.write(base, plan, have, {"reapd": "0"}, quick=False)
            md = open(base + ".md").read()
            js = json.load(open(base + ".json"))
        return md, js

    def test_best_peer_and_kills(self):
        runs = [
            run("burst", "kernel", 1, [100, 240]),
            run("burst", "earlyoom", 1, [100, 2000], [("cc1-0", True, 0.1)], relief=0.1),
            run("burst", "reapd", 1, [100, 800], [("cc1-0", True, 0.1), ("cc1-1", True, 0.1)],
                relief=0.1),
            # Another build of reapd: better than all, never the best peer.
            run("burst", "reapd-before", 1, [100, 100]),
        ]
        md, js = self.write(runs)
        row = [l for l in md.splitlines() if l.startswith("| burst, zram |")]
        self.assertEqual(len(row), 1, md)
        cells = [c.strip() for c in row[0].split("|")[1:-1]]
        self.assertEqual(cells[2], "kernel")          # no kill and the least stall
        self.assertEqual(cells[6], "2, 0")            # every kill: reapd 2, kernel 0
        self.assertEqual(cells[7], "0, 0")            # innocent kills
        self.assertIn("reapd-before", md)             # its own row below
        self.assertEqual(len(js["runs"]), 4)

    def test_an_innocent_kill_loses(self):
        runs = [
            run("tmpfs", "earlyoom", 1, [100, 900]),  # a stall, but nobody killed
            run("tmpfs", "nohang", 1, [100, 100], [("bystander", False, 0.1)]),
            run("tmpfs", "reapd", 1, [100, 100]),
        ]
        md, _ = self.write(runs)
        row = [l for l in md.splitlines() if l.startswith("| tmpfs, zram |")][0]
        self.assertEqual(row.split("|")[3].strip(), "earlyoom")


class ReportKept(unittest.TestCase):
    def test_plan_order_and_no_run(self):
        freeze = load_freeze()
        with tempfile.TemporaryDirectory() as d:
            work = os.path.join(d, "full")
            made = [run("burst", c, rep, [100]) for rep in (1, 2)
                    for c in ("reapd", "kernel", "reapd-before", "earlyoom")]
            made.append(run("leak", "nohang", 1, [100]))
            keep(work, made)
            bad = dict(made[0], error="the guest crashed")
            bad["run"] = dict(made[0]["run"], id="burst-zram-nohang-9", contender="nohang")
            json.dump(bad, open(os.path.join(work, "runs", "burst-zram-nohang-9.json"), "w"))
            out = os.path.join(d, "out")
            self.assertEqual(freeze.report_kept(work, out, False), 0)
            js = json.load(open(first_json(out)))
            order = [p["id"] for p in js["plan"]]
            # Scenarios in the benchmark's order; within a repetition the plan's ABBA order
            # (odd forwards, even backwards), another build of reapd last in the forward one.
            self.assertEqual(order, [
                "leak-zram-nohang-1",
                "burst-zram-kernel-1", "burst-zram-earlyoom-1", "burst-zram-reapd-1",
                "burst-zram-reapd-before-1",
                "burst-zram-reapd-before-2", "burst-zram-reapd-2", "burst-zram-earlyoom-2",
                "burst-zram-kernel-2",
            ])
            # A run that failed is not reported.
            self.assertNotIn("burst-zram-nohang-9", order)
            self.assertEqual(freeze.report_kept(os.path.join(d, "empty"), out, False), 1)


class Restore(unittest.TestCase):
    def test_round_trip_and_bad_input(self):
        freeze = load_freeze()
        with tempfile.TemporaryDirectory() as d:
            work = os.path.join(d, "full")
            made = [run("browser", c, 1, [100, 250, 90]) for c in ("reapd", "kernel")]
            keep(work, made)
            out = os.path.join(d, "out")
            self.assertEqual(freeze.report_kept(work, out, False), 0)
            report = first_json(out)
            # Into an empty work folder: the same runs, raw, as the guest wrote them.
            again = os.path.join(d, "again")
            self.assertEqual(freeze.restore(report, again), 0)
            self.assertEqual(freeze.done_runs(again), freeze.done_runs(work))
            # A run kept already is not replaced.
            kept = os.path.join(again, "runs", "browser-zram-reapd-1.json")
            json.dump(dict(made[0], relief_s=1.5), open(kept, "w"))
            self.assertEqual(freeze.restore(report, again), 0)
            self.assertEqual(json.load(open(kept))["relief_s"], 1.5)
            # Not a report: an error, nothing written.
            junk = os.path.join(d, "junk.json")
            for text in ("not json", "[]", '{"runs": {"x": {}}}'):
                open(junk, "w").write(text)
                self.assertEqual(freeze.restore(junk, os.path.join(d, "none")), 1)
            self.assertFalse(os.path.exists(os.path.join(d, "none")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
