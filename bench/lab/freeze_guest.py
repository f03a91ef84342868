#!/usr/bin/env python3
"""The freeze benchmark's guest side: runs the plan in /lab/freeze-plan.json,
one run after another, each in a reset machine, and writes one JSON file per
run into /lab/out/runs/ as soon as it is done (the host resumes from them).

A run: swap reset (zram of the plan's size, or none) and caches dropped; the
contender started fresh as its packaged systemd service; the probe started in
its own unit (bench's freezeprobe) and left to settle; then the workload in
its own unit(s) in freeze.slice.  The monitor follows the culprits' pidfds and
every other process alive at the workload's start, and stops the run a few
seconds after relief (the culprits dead) or at the plan's timeout.  Everything
it measures comes from the kernel (pidfds, /proc/vmstat's oom_kill), the
probe's own records and the contenders' logs.

This runs as the lab's job (root, every capability, a throwaway guest).
"""
import ctypes
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import time

LAB = "/lab"
RUN_DIR = "/run/freeze"
PROBE_FILE = "/var/tmp/freeze-probe.dat"
PEER_UNITS = ["earlyoom.service", "nohang.service", "nohang-desktop.service",
              "systemd-oomd.service", "systemd-oomd.socket", "reapd.service"]
SERVICE = {"earlyoom": "earlyoom.service", "nohang": "nohang.service",
           "systemd-oomd": "systemd-oomd.service", "reapd": "reapd.service", "kernel": None}
OOMD_DROPINS = {
    "/etc/systemd/system/-.slice.d/50-freeze-oomd.conf": "[Slice]\nManagedOOMSwap=kill\n",
    "/etc/systemd/system/freeze.slice.d/50-freeze-oomd.conf":
        "[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=50%\n",
}
HEADER = struct.Struct("<7Q")
RECORD = struct.Struct("<2Q")
SETTLE_S = 3
AFTER_RELIEF_S = 5


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


def mono():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def vmstat(key):
    for line in open("/proc/vmstat"):
        k, v = line.split()
        if k == key:
            return int(v)
    return 0


def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return None


def user_pids():
    """Every process but kernel threads and this job's own: pid -> (comm, cgroup)."""
    mine = {os.getpid()}
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        try:
            stat = open(f"/proc/{pid}/stat").read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            if pid in mine or ppid == 2 or pid == 2:
                continue
            cg = open(f"/proc/{pid}/cgroup").read().strip().split("::", 1)[-1]
        except (OSError, ValueError, IndexError):
            continue
        if cg.startswith("/system.slice/lab-job.service"):
            continue
        out[pid] = (comm(pid), cg)
    return out


def setup(plan):
    """Once per boot: the peers stopped and disabled, reapd installed, the slice."""
    log("setup: stopping every peer, installing reapd")
    sh("systemctl", "disable", "--now", *PEER_UNITS, check=False)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["dpkg", "-i", plan["deb"]], capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"dpkg -i {plan['deb']} failed: {r.stdout}{r.stderr}")
    sh("systemctl", "disable", "--now", "reapd.service", check=False)
    # The one setting changed from the package's: reapd's event log, for the
    # report (it changes no decision).
    with open("/etc/reapd.conf", "a") as f:
        f.write("\n# bench/freeze: the kill events, for the report\nevents = /var/log/reapd/events.json\n")
    os.makedirs(RUN_DIR, exist_ok=True)
    with open("/etc/systemd/system/freeze.slice", "w") as f:
        f.write("[Unit]\nDescription=the freeze benchmark's probe and workloads\n")
    sh("systemctl", "daemon-reload")
    versions = {}
    for pkg in ("earlyoom", "nohang", "systemd-oomd", "reapd", "systemd", "linux-image-amd64"):
        r = sh("dpkg-query", "-W", "-f", "${Version}", pkg, check=False)
        versions[pkg] = r.stdout.strip() or "not installed"
    versions["kernel"] = os.uname().release
    # The job itself must never be what dies.
    open("/proc/self/oom_score_adj", "w").write("-1000")
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.mlockall(3)  # MCL_CURRENT | MCL_FUTURE: the monitor is not slowed by the freeze
    return versions


def reset(run):
    """Nothing of the last run left: units stopped, swap as the run asks, caches dropped."""
    for u in ("freeze-probe", "freeze-work", "freeze-side"):
        sh("systemctl", "stop", u, check=False)
        sh("systemctl", "reset-failed", u, check=False)
    for svc in SERVICE.values():
        if svc:
            sh("systemctl", "stop", svc, check=False)
            sh("systemctl", "reset-failed", svc, check=False)
    for path in OOMD_DROPINS:
        if os.path.exists(path):
            os.unlink(path)
    sh("swapoff", "-a", check=False)
    if os.path.exists("/sys/block/zram0"):
        open("/sys/block/zram0/reset", "w").write("1")
    if run["swap_mib"]:
        if not os.path.exists("/sys/block/zram0"):
            sh("modprobe", "zram", "num_devices=1")
        open("/sys/block/zram0/comp_algorithm", "w").write("lzo-rle")
        open("/sys/block/zram0/disksize", "w").write(f"{run['swap_mib']}M")
        sh("mkswap", "/dev/zram0")
        sh("swapon", "-p", "100", "/dev/zram0")
    # The last probe's records: start_probe waits for the new probe's first one.
    if os.path.exists(os.path.join(RUN_DIR, "probe.rec")):
        os.unlink(os.path.join(RUN_DIR, "probe.rec"))
    os.sync()
    open("/proc/sys/vm/drop_caches", "w").write("3")


def start_contender(name):
    svc = SERVICE[name]
    if name == "systemd-oomd":
        for path, text in OOMD_DROPINS.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").write(text)
        sh("systemctl", "daemon-reload")
        sh("systemctl", "start", "systemd-oomd.socket")
    if svc:
        sh("systemctl", "start", svc)
        deadline = mono() + 60
        while sh("systemctl", "is-active", svc, check=False).stdout.strip() != "active":
            if mono() > deadline:
                raise RuntimeError(f"{svc} did not start")
            time.sleep(0.2)
    return time.time()


def start_probe(tools):
    rec = os.path.join(RUN_DIR, "probe.rec")
    sh("systemd-run", "--quiet", "--unit", "freeze-probe", "--slice", "freeze.slice",
       os.path.join(tools, "freezeprobe"), "--out", rec, "--file", PROBE_FILE)
    deadline = mono() + 300
    while True:
        pid = int(sh("systemctl", "show", "-P", "MainPID", "freeze-probe").stdout or 0)
        if pid and os.path.exists(rec) and os.path.getsize(rec) > HEADER.size:
            hdr = HEADER.unpack_from(open(rec, "rb").read(HEADER.size))
            if hdr[4] > 0:  # the first record is in: it runs
                return pid, rec
        if mono() > deadline:
            raise RuntimeError("the probe did not start")
        time.sleep(0.2)


WORKLOADS = {}
CALM_RELIEF = {"burst"}
CALM_S = 10


class ProbeTail:
    """Reads the probe's new records as they come, to see a stall while the run goes on."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY)
        self.seen = HEADER.unpack(os.pread(self.fd, HEADER.size, 0))[4]
        self.last_new = mono()

    def stalled_since_last(self):
        """True when a record since the last call was a stall, or none came for a second
        (an iteration still stuck records nothing until it ends)."""
        count = HEADER.unpack(os.pread(self.fd, HEADER.size, 0))[4]
        stalled = mono() - self.last_new > 1.0
        if count > self.seen:
            self.last_new = mono()
            data = os.pread(self.fd, (count - self.seen) * RECORD.size,
                            HEADER.size + self.seen * RECORD.size)
            for i in range(count - self.seen):
                stalled |= RECORD.unpack_from(data, i * RECORD.size)[1] > 200000
            self.seen = count
        return stalled


def workload(name):
    def reg(f):
        WORKLOADS[name] = f
        return f
    return reg


def run_unit(cmd, unit="freeze-work"):
    sh("systemd-run", "--quiet", "--unit", unit, "--slice", "freeze.slice", "-p",
       "KillMode=control-group", *cmd)


def unit_pids(unit, names=None, timeout=60):
    """The unit's processes once every name in NAMES runs there (memhog sets its name at start)."""
    cg = f"/sys/fs/cgroup/freeze.slice/{unit}.service/cgroup.procs"
    deadline = mono() + timeout
    while True:
        try:
            pids = {int(x): comm(int(x)) for x in open(cg).read().split()}
        except OSError:
            pids = {}
        if (pids if names is None else set(names) <= set(pids.values())) or mono() > deadline:
            return pids
        time.sleep(0.05)


def split(pids, culprit):
    """(culprits, others) of a unit's {pid: comm}, by the culprit's name test."""
    return ([p for p, c in pids.items() if culprit(c)],
            [p for p, c in pids.items() if not culprit(c)])


@workload("leak")
def w_leak(tools):
    """1. A leak at 60 MiB/s of pages that compress about 2:1."""
    run_unit([f"{tools}/memhog", "--quiet", "--name", "leak", "--grow", "--rate", "60",
              "--random", "50"])
    return split(unit_pids("freeze-work", ["leak"]), lambda c: c == "leak")


@workload("slow-leak")
def w_slow_leak(tools):
    """2. A slow leak at 10 MiB/s (the thrashing case)."""
    run_unit([f"{tools}/memhog", "--quiet", "--name", "slowleak", "--grow", "--rate", "10",
              "--random", "50"])
    return split(unit_pids("freeze-work", ["slowleak"]), lambda c: c == "slowleak")


@workload("burst")
def w_burst(tools):
    """3. A burst: 12 processes of 256 MiB at once, as a parallel build's compilers."""
    script = " ".join(f"{tools}/memhog --quiet --name cc1-{i} --size 256 --random 50 &"
                      for i in range(12)) + " wait"
    run_unit(["sh", "-c", script])
    pids = unit_pids("freeze-work", [f"cc1-{i}" for i in range(12)])
    return split({p: c for p, c in pids.items() if c != "sh"}, lambda c: c.startswith("cc1-"))


@workload("browser")
def w_browser(tools):
    """4. A browser: a main process and ten renderers in one cgroup, one renderer leaking."""
    parts = [f"{tools}/memhog --quiet --name browser --size 150 --random 50 &"]
    parts += [f"{tools}/memhog --quiet --name renderer-{i} --size 80 --random 50 &"
              for i in range(9)]
    parts += [f"{tools}/memhog --quiet --name renderer-leak --size 80 --grow --rate 60 "
              "--random 50 &", "wait"]
    run_unit(["sh", "-c", " ".join(parts)])
    pids = unit_pids("freeze-work", ["browser", "renderer-leak"] + [f"renderer-{i}" for i in range(9)])
    return split({p: c for p, c in pids.items() if c != "sh"}, lambda c: c == "renderer-leak")


@workload("tmpfs")
def w_tmpfs(tools):
    """5. tmpfs filling up (60 MiB/s, to 1200 MiB) beside a killable 600 MiB process: what
    a kill cannot free.  Bounded, as /dev/shm and /tmp on tmpfs are: an unbounded one
    ends in a kernel panic once nothing is left to kill (seen), which measures nothing."""
    os.makedirs("/run/freeze/tmpfs", exist_ok=True)
    sh("mount", "-t", "tmpfs", "-o", "size=1200M", "freeze-tmpfs", "/run/freeze/tmpfs",
       check=False)
    run_unit([f"{tools}/memhog", "--quiet", "--name", "bystander", "--size", "600",
              "--random", "50"], unit="freeze-side")
    side = unit_pids("freeze-side", ["bystander"])
    # The filler is the unit's shell (its head/sleep children come and go).
    run_unit(["sh", "-c", "i=0; while :; do head -c 6291456 /dev/urandom "
              "> /run/freeze/tmpfs/f$i; i=$((i+1)); sleep 0.1; done"])
    main = int(sh("systemctl", "show", "-P", "MainPID", "freeze-work").stdout or 0)
    return [main] if main else [], [p for p, c in side.items() if c == "bystander"]


def probe_records(path, t_from):
    data = open(path, "rb").read()
    magic, interval, start_rt, cap, count, _, _ = HEADER.unpack_from(data)
    recs = [RECORD.unpack_from(data, HEADER.size + i * RECORD.size) for i in range(count)]
    # due_usec is from the first due time, start_rt its wall-clock time.
    return [((start_rt + due) / 1e6 - t_from, lat / 1000.0) for due, lat in recs]


def journal_lines(unit, since):
    r = sh("journalctl", "-q", "-o", "cat", "--no-pager", "-u", unit, "--since",
           time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since)), check=False)
    return r.stdout.splitlines()


KILL_LINE = {
    "earlyoom": re.compile(r"sending SIG(KILL|TERM) to process"),
    "nohang": re.compile(r"(Implement|implement) a corrective action|SIGKILL|SIGTERM"),
    "systemd-oomd": re.compile(r"Killed .* due to"),
    "reapd": re.compile(r"^killed pid "),
}


def one_run(run, tools):
    reset(run)
    t_daemon = start_contender(run["contender"])
    probe_pid, probe_rec = start_probe(tools)
    time.sleep(SETTLE_S)
    before = user_pids()
    oom_before = vmstat("oom_kill")
    t0, m0 = time.time(), mono()
    culprits, others = WORKLOADS[run["scenario"]](tools)
    if not culprits:
        raise RuntimeError("the workload did not start")
    watched = {}
    for pid in set(before) | set(culprits) | set(others):
        try:
            watched[os.pidfd_open(pid)] = pid
        except OSError:
            pass
    names = {pid: comm(pid) for pid in watched.values()}
    names.update({pid: c for pid, (c, _) in before.items()})
    died = {}
    poller = select.poll()
    for fd in watched:
        poller.register(fd, select.POLLIN)
    relief = None
    deadline = m0 + run["timeout_s"]
    calm = run["scenario"] in CALM_RELIEF
    probe = ProbeTail(probe_rec)
    last_event = m0  # the last death or probe stall, for the calm rule
    while True:
        now = mono()
        if relief is not None and now > relief + AFTER_RELIEF_S:
            break
        if now > deadline:
            break
        for fd, _ in poller.poll(50):
            pid = watched.pop(fd)
            poller.unregister(fd)
            os.close(fd)
            died[pid] = mono() - m0
            last_event = mono()
        if probe.stalled_since_last():
            last_event = mono()
        if relief is None and all(p in died for p in culprits):
            relief = mono()
        # A burst has no single culprit whose death ends it: relief is when the
        # machine is calm again (no death, no probe stall for CALM_S), after at
        # least one culprit died; calm without a death is a run that needed no kill.
        if calm and relief is None and mono() - last_event > CALM_S and mono() - m0 > 2 * CALM_S:
            if any(p in died for p in culprits):
                relief = last_event
            else:
                break
    duration = mono() - m0
    os.close(probe.fd)
    oom_kills = vmstat("oom_kill") - oom_before
    for fd in watched:
        os.close(fd)
    records = probe_records(probe_rec, t0)
    after = [(t, lat) for t, lat in records if t >= 0]
    svc = SERVICE[run["contender"]]
    lines = journal_lines(svc, t_daemon - 1) if svc else []
    pattern = KILL_LINE.get(run["contender"])
    events = []
    if run["contender"] == "reapd" and os.path.exists("/var/log/reapd/events.json"):
        # Emptied after each run (reapd appends), so all of it is this run's.
        for line in open("/var/log/reapd/events.json"):
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        open("/var/log/reapd/events.json", "w").close()
    workload_pids = set(culprits) | set(others)
    result = {
        "run": run,
        "started": t0,
        "duration_s": duration,
        "relief_s": None if relief is None else relief - m0,
        "culprits": [{"pid": p, "comm": names.get(p), "died_s": died.get(p)} for p in culprits],
        "deaths": [{"pid": p, "comm": names.get(p), "t_s": t,
                    "culprit": p in culprits, "workload": p in workload_pids,
                    "cgroup": before.get(p, (None, None))[1]}
                   for p, t in sorted(died.items(), key=lambda x: x[1])],
        "probe_killed": probe_pid in died,
        "oom_kills": oom_kills,
        "probe": after,
        "daemon_kill_lines": [l for l in lines if pattern and pattern.search(l)],
        "reapd_events": events,
    }
    for u in ("freeze-work", "freeze-side"):
        sh("systemctl", "stop", u, check=False)
        sh("systemctl", "reset-failed", u, check=False)
    sh("umount", "/run/freeze/tmpfs", check=False)
    return result


def main():
    plan = json.load(open(os.path.join(LAB, "freeze-plan.json")))
    tools = plan["tools"]
    out = os.path.join(LAB, "out", "runs")
    os.makedirs(out, exist_ok=True)
    versions = setup(plan)
    json.dump(versions, open(os.path.join(LAB, "out", "versions.json"), "w"), indent=1)
    for i, run in enumerate(plan["runs"]):
        log(f"run {i + 1}/{len(plan['runs'])}: {run['id']}")
        start = mono()
        try:
            res = one_run(run, tools)
        except Exception as e:  # a run that fails is reported, the next one still runs
            res = {"run": run, "error": f"{type(e).__name__}: {e}"}
        res["took_s"] = mono() - start
        tmp = os.path.join(out, run["id"] + ".json.tmp")
        with open(tmp, "w") as f:
            json.dump(res, f)
        os.rename(tmp, os.path.join(out, run["id"] + ".json"))
        kills = len(res.get("deaths", []))
        log(f"done {run['id']} in {res['took_s']:.0f} s: relief "
            f"{res.get('relief_s') if res.get('relief_s') is None else round(res['relief_s'], 1)} s, "
            f"{kills} deaths, {res.get('oom_kills')} kernel OOM kills"
            + (f", error {res['error']}" if "error" in res else ""))
    shutil.copy("/proc/meminfo", os.path.join(LAB, "out", "meminfo"))


if __name__ == "__main__":
    main()
