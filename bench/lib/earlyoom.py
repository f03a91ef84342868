"""earlyoom, the comparison daemon: Debian's package, extracted, never installed.

`apt-get download` fetches the .deb into a temporary folder and `dpkg-deb -x`
unpacks it under build-bench/earlyoom/, so no service file is installed and
nothing is started; the binary is run by the scenarios that compare with it.
The unpacked copy is reused on later runs.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile

DEST = os.path.join("build-bench", "earlyoom")
BINARY = os.path.join("usr", "bin", "earlyoom")
VERSION_FILE = "VERSION"


def fetch(root):
    """Returns (path of the earlyoom binary, version), or (None, None) with a warning."""
    dest = os.path.join(root, DEST)
    binary = os.path.join(dest, BINARY)
    if os.access(binary, os.X_OK):
        return binary, cached_version(dest, binary)
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return unavailable("apt-get or dpkg-deb not found")
    with tempfile.TemporaryDirectory(prefix="reapd-bench-earlyoom-") as tmp:
        deb = download(tmp)
        if not deb:
            return unavailable("`apt-get download earlyoom` failed")
        staging = os.path.join(tmp, "root")
        # Only unpack: dpkg -x runs no maintainer script, so no service appears.
        r = subprocess.run(["dpkg-deb", "-x", deb, staging], capture_output=True, text=True)
        if r.returncode != 0 or not os.access(os.path.join(staging, BINARY), os.X_OK):
            return unavailable(f"could not unpack {os.path.basename(deb)}: {r.stderr.strip()}")
        version = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True,
                                 text=True).stdout.strip() or binary_version(
                                     os.path.join(staging, BINARY))
        with open(os.path.join(staging, VERSION_FILE), "w") as f:
            f.write(f"{version}\n")
        # Moved into place only when complete, so a half-unpacked copy is never reused.
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.move(staging, dest)
    print(f"bench: earlyoom {version} unpacked in {os.path.relpath(dest, root)} (not installed)",
          flush=True)
    return binary, version


def download(tmp):
    """Downloads earlyoom's .deb into tmp; the package lists are refreshed once if needed."""
    for attempt in range(2):
        if attempt:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        r = subprocess.run(["apt-get", "download", "-q", "earlyoom"], cwd=tmp,
                           capture_output=True, text=True)
        debs = glob.glob(os.path.join(tmp, "earlyoom_*.deb"))
        if r.returncode == 0 and debs:
            return debs[0]
    return None


def cached_version(dest, binary):
    try:
        with open(os.path.join(dest, VERSION_FILE)) as f:
            return f.read().strip() or binary_version(binary)
    except OSError:
        return binary_version(binary)


def binary_version(binary):
    """The version earlyoom prints first (`earlyoom v1.7`), or None."""
    try:
        out = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"earlyoom v?(\S+)", out.stdout + out.stderr)
    return m.group(1) if m else None


def unavailable(why):
    print(f"bench: warning: earlyoom unavailable ({why}); its comparison is left out",
          flush=True)
    return None, None
