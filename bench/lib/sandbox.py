"""Cgroups and processes of the benchmark's own, removed on every exit path.

Everything a scenario starts runs inside cgroups created here (named
reapd-bench-*); cleanup thaws them, kills every process in them and removes
them, children first. Nothing outside them is ever signalled.
"""
import os
import select
import signal
import subprocess
import time

CGROOT = "/sys/fs/cgroup"


def memcg_kind():
    """Returns ("v2", base) or ("v1", base) for the memory controller, or (None, None)."""
    for base in (CGROOT, os.path.join(CGROOT, "unified")):
        try:
            if "memory" in open(os.path.join(base, "cgroup.controllers")).read().split():
                return "v2", base
        except OSError:
            pass
    if os.path.exists(os.path.join(CGROOT, "memory", "memory.limit_in_bytes")):
        return "v1", os.path.join(CGROOT, "memory")
    return None, None


def unified_root():
    for base in (CGROOT, os.path.join(CGROOT, "unified")):
        if os.path.exists(os.path.join(base, "cgroup.procs")) and \
                os.path.exists(os.path.join(base, "cgroup.controllers")):
            return base
    return None


def freezer_v1_root():
    root = os.path.join(CGROOT, "freezer")
    return root if os.path.exists(os.path.join(root, "cgroup.procs")) else None


def cpu_v1_root():
    """The cgroup v1 cpu controller's root (with CFS bandwidth), or None."""
    for name in ("cpu", "cpu,cpuacct"):
        root = os.path.join(CGROOT, name)
        if os.path.exists(os.path.join(root, "cpu.cfs_quota_us")):
            return root
    return None


def cpu_v2_root():
    """The cgroup v2 root when its children get the cpu controller (cpu.max), or None."""
    root = unified_root()
    try:
        if root and "cpu" in read(os.path.join(root, "cgroup.subtree_control")).split():
            return root
    except OSError:
        pass
    return None


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def read(path):
    with open(path) as f:
        return f.read()


def alive(pid):
    """True while pid runs (a zombie counts as dead)."""
    try:
        return read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def wait_until(cond, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class Sandbox:
    """A set of cgroups and processes; use as a context manager."""

    def __init__(self, tag):
        self.tag = f"reapd-bench-{os.getpid()}-{tag}"
        self.kind, self.memcg_base = memcg_kind()
        if not self.kind:
            raise RuntimeError("no memory cgroup controller")
        self.cgroups = []
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def _mkdir(self, base, name):
        path = os.path.join(base, f"{self.tag}-{name}")
        os.mkdir(path)
        self.cgroups.append(path)
        return path

    def memcg(self, name, limit_mib=0):
        """A memory cgroup (limit 0: none), no swap."""
        path = self._mkdir(self.memcg_base, name)
        if limit_mib:
            write(os.path.join(path, "memory.limit_in_bytes" if self.kind == "v1"
                               else "memory.max"), f"{limit_mib}M")
        if self.kind == "v2" and os.path.exists(os.path.join(path, "memory.swap.max")):
            write(os.path.join(path, "memory.swap.max"), 0)
        return path

    def usage_file(self, memcg):
        return os.path.join(memcg, "memory.usage_in_bytes" if self.kind == "v1"
                            else "memory.current")

    def usage_kib(self, memcg):
        return int(read(self.usage_file(memcg))) // 1024

    def oom_kills(self, memcg):
        name = "memory.oom_control" if self.kind == "v1" else "memory.events"
        for line in read(os.path.join(memcg, name)).splitlines():
            k, v = line.split()
            if k == "oom_kill":
                return int(v)
        return 0

    def freezer(self, kind):
        """A freezer cgroup: the v1 freezer, or a cgroup v2 with cgroup.freeze."""
        root = freezer_v1_root() if kind == "v1" else unified_root()
        if not root:
            return None
        path = self._mkdir(root, f"freeze-{kind}")
        if kind == "v2" and not os.path.exists(os.path.join(path, "cgroup.freeze")):
            return None
        return path

    def cpucg(self, kind, quota_usec, period_usec, name="cpu"):
        """A cgroup limited to quota_usec of CPU time per period_usec: the v1 cpu
        controller (cpu.cfs_quota_us) or a cgroup v2 child with cpu.max. Returns
        its path, or None without that controller."""
        root = cpu_v1_root() if kind == "v1" else cpu_v2_root()
        if not root:
            return None
        path = self._mkdir(root, f"{name}-{kind}")
        if kind == "v1":
            write(os.path.join(path, "cpu.cfs_period_us"), period_usec)
            write(os.path.join(path, "cpu.cfs_quota_us"), quota_usec)
        else:
            write(os.path.join(path, "cpu.max"), f"{quota_usec} {period_usec}")
        return path

    def move(self, pid, cg):
        """Moves process pid (every thread) into cg, one of this sandbox's cgroups."""
        write(os.path.join(cg, "cgroup.procs"), pid)

    def unified(self, name):
        """A cgroup v2 group (for PSI accounting), or None."""
        root = unified_root()
        return self._mkdir(root, name) if root else None

    def spawn(self, argv, cgroups, ready=None, timeout=120, **kw):
        """Starts argv inside every cgroup; waits for a stdout line containing `ready`."""
        # The shell joins the cgroups, then becomes the program: the pid stays the same.
        env = dict(kw.pop("env", os.environ), REAPD_BENCH_CGS=" ".join(cgroups))
        p = subprocess.Popen(["sh", "-c", 'for cg in $REAPD_BENCH_CGS; do '
                              'echo $$ > "$cg/cgroup.procs" || exit 99; done; exec "$@"', "sh"]
                             + [str(a) for a in argv],
                             stdout=subprocess.PIPE if ready else subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env, **kw)
        self.procs.append(p)
        if ready:
            deadline = time.monotonic() + timeout
            buf = b""
            while ready.encode() not in buf:
                left = deadline - time.monotonic()
                if left <= 0 or p.poll() is not None:
                    raise RuntimeError(f"{argv[0]} did not get ready: {buf!r}")
                r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
                if r:
                    chunk = os.read(p.stdout.fileno(), 4096)
                    if not chunk:
                        raise RuntimeError(f"{argv[0]} exited: {buf!r}")
                    buf += chunk
        return p

    def freeze(self, cg, kind):
        if kind == "v1":
            write(os.path.join(cg, "freezer.state"), "FROZEN")
            ok = wait_until(lambda: read(os.path.join(cg, "freezer.state")).startswith("FROZEN"), 10)
        else:
            write(os.path.join(cg, "cgroup.freeze"), 1)
            ok = wait_until(lambda: "frozen 1" in read(os.path.join(cg, "cgroup.events")), 10)
        if not ok:
            raise RuntimeError("could not freeze")

    def thaw_all(self):
        for cg in self.cgroups:
            for f, v in (("freezer.state", "THAWED"), ("cgroup.freeze", "0")):
                try:
                    write(os.path.join(cg, f), v)
                except OSError:
                    pass

    def cleanup(self):
        # A SIGINT or SIGTERM (bench/run turns it into KeyboardInterrupt) must not cut
        # the cleanup short and leave cgroups behind: it waits, pending, until the end.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            self._cleanup()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _cleanup(self):
        self.thaw_all()
        killed = set()
        for cg in reversed(self.cgroups):
            for _ in range(100):
                try:
                    for pid in read(os.path.join(cg, "cgroup.procs")).split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                            killed.add(int(pid))
                        except ProcessLookupError:
                            pass
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                print(f"warning: could not remove {cg}")
        for p in self.procs:
            try:
                p.kill()
            except ProcessLookupError:
                pass
            p.wait()
        # Orphans linger as zombies until pid 1 reaps them; the next scenario
        # must not find (and size its tables by) this one's leftovers.
        wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in killed), 30,
                   step=0.1)
        self.cgroups, self.procs = [], []
