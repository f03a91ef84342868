#!/usr/bin/env python3
"""Checks Prometheus text exposition (format 0.0.4) strictly enough for tests.

promcheck.py FILE           checks FILE once
promcheck.py --watch N S FILE  reads FILE over and over while it is being
                            replaced, checks every version, and succeeds once it
                            saw it replaced N times; fails on a broken version or
                            when S seconds pass first (a bound, not a speed test)
"""
import math
import os
import re
import sys
import time

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL})(?:,{LABEL})*\}})? (\S+)( -?\d+)?$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")


def check(text):
    """Returns a list of problems (empty: fine)."""
    problems, types = [], {}
    if not text.endswith("\n"):
        problems.append("does not end with a newline (cut short?)")
    lines = text.split("\n")[:-1]
    if not lines:
        problems.append("empty")
    for n, line in enumerate(lines, 1):
        if line.startswith("# HELP"):
            if not HELP.match(line):
                problems.append(f"{n}: bad HELP line: {line!r}")
            continue
        if line.startswith("# TYPE"):
            m = TYPE.match(line)
            if not m:
                problems.append(f"{n}: bad TYPE line: {line!r}")
            elif m.group(1) in types:
                problems.append(f"{n}: second TYPE for {m.group(1)}")
            else:
                types[m.group(1)] = m.group(2)
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append(f"{n}: bad sample line: {line!r}")
            continue
        try:
            v = float(m.group(3))
        except ValueError:
            problems.append(f"{n}: bad value {m.group(3)!r}")
            continue
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        kind = types.get(name) or types.get(base)
        if kind is None:
            problems.append(f"{n}: {name} has no TYPE before it")
        elif kind == "counter" and (v < 0 or math.isnan(v)):
            problems.append(f"{n}: counter {name} is {v}")
    return problems


def main(argv):
    if argv[:1] == ["--watch"]:
        want, seconds, path = int(argv[1]), float(argv[2]), argv[3]
        # A replaced file has a new inode; an old number may come back later,
        # so count changes from one read to the next, not distinct numbers.
        last, replaced, reads = None, 0, 0
        end = time.monotonic() + seconds
        while replaced < want:
            if time.monotonic() > end:
                print(f"the file was replaced only {replaced} of {want} times in {seconds} s")
                return 1
            with open(path) as f:
                ino = os.fstat(f.fileno()).st_ino
                text = f.read()
            reads += 1
            if last is not None and ino != last:
                replaced += 1
            last = ino
            problems = check(text)
            if problems:
                print(f"read {reads}: " + "; ".join(problems[:5]))
                return 1
        print(f"{reads} reads over {replaced} replacements, all complete")
        return 0
    problems = check(open(argv[0]).read())
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
