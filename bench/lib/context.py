"""What every scenario gets: the binaries, the mode (quick or full), logging."""
import os
import shutil
import subprocess
import sys
import time


class Context:
    def __init__(self, root, build, quick, earlyoom=None, earlyoom_version=None):
        self.root = root
        self.build = build
        self.quick = quick
        self.reapd = os.path.join(build, "src", "reapd")
        self.reapctl = os.path.join(build, "tools", "reapctl")
        self.memhog = os.path.join(build, "tools", "memhog")
        self.benchtool = os.path.join(build, "bench", "benchtool")
        self.earlyoom = earlyoom
        self.earlyoom_version = earlyoom_version
        self.start = time.monotonic()

    def log(self, msg):
        print(f"  [{time.monotonic() - self.start:7.1f} s] {msg}", flush=True)

    def run_json(self, argv, timeout=600):
        """Runs argv and parses the JSON line it prints."""
        import json
        out = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                             timeout=timeout, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])


def have(cmd):
    return shutil.which(cmd) is not None


def fail(msg):
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(1)
