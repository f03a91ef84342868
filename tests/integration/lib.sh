#!/usr/bin/env bash
# Shared helpers for reapd's integration tests.
#
# Every test works inside memory cgroups it creates itself (named
# reapd-test-*), starts its own memhog processes there, scopes reapd to them,
# and removes everything on every exit path: processes first, then cgroups.
# Tests exit 77 (skip) without root or without a memory cgroup controller.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib/sandbox.sh
. "$HERE/../../scripts/lib/sandbox.sh"
BUILD=${REAPD_BUILD:-$HERE/../../build}
REAPD=${REAPD:-$BUILD/src/reapd}
# The load generator is not under test: a sanitized run may still use a plain one.
MEMHOG=${REAPD_TEST_MEMHOG:-${MEMHOG:-$BUILD/tools/memhog}}
REAPCTL=${REAPCTL:-$BUILD/tools/reapctl}
TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test-}
WORK=$(mktemp -d "/tmp/reapd-$TEST_NAME.XXXXXX")
REAPD_PID=
FREEZER=
# Files a test made outside $WORK (e.g. shared memory in /dev/shm), removed first on exit.
CLEANUP_FILES=()

note() { echo "# $*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	# A loop held in a ptrace stop never reads SIGTERM: let it go first.
	release_loop
	echo "FAIL: $*" >&2
	if [ -s "$WORK/freezer.err" ]; then
		sed 's/^/  freezer| /' "$WORK/freezer.err" >&2
	fi
	if [ -s "$WORK/reapd.log" ]; then
		sed 's/^/  reapd| /' "$WORK/reapd.log" >&2
	fi
	if [ -s "$WORK/events.json" ]; then
		sed 's/^/  event| /' "$WORK/events.json" >&2
	fi
	exit 1
}

cleanup() {
	local rc=$?
	trap - EXIT
	release_loop
	if [ -n "$REAPD_PID" ]; then
		kill -TERM "$REAPD_PID" 2>/dev/null || true
		# Our reapd, if it does not end on SIGTERM, must not hold the cleanup up.
		wait_until 30 dead "$REAPD_PID" || kill -KILL "$REAPD_PID" 2>/dev/null || true
		wait "$REAPD_PID" 2>/dev/null || true
	fi
	# Shared memory is charged to the cgroup that touched it: free it before the cgroup goes.
	[ ${#CLEANUP_FILES[@]} -eq 0 ] || rm -f "${CLEANUP_FILES[@]}"
	sandbox_cleanup || rc=1
	# Helpers still running in the background (listeners, readers) end here.
	kill $(jobs -p) 2>/dev/null || true
	# Reap our own background jobs so nothing is left behind as a zombie.
	wait 2>/dev/null || true
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# lacking FEATURE MESSAGE: a part of a test this machine cannot run is noted
# and left out, unless REAPD_TEST_REQUIRE names FEATURE (the lab, which has
# every capability, requires them): then it fails.
lacking() {
	case " ${REAPD_TEST_REQUIRE:-} " in
	*" $1 "*) fail "$2 (required here: REAPD_TEST_REQUIRE has $1)" ;;
	esac
	note "$2"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

require_reapctl() { [ -x "$REAPCTL" ] || fail "no reapctl at $REAPCTL"; }
# ctl ARGS...: reapctl on the test's own control socket (start_reapd's).
ctl() { "$REAPCTL" --socket "$WORK/control" "$@"; }

require_binaries() {
	[ -x "$REAPD" ] || fail "no reapd at $REAPD (build first)"
	[ -x "$MEMHOG" ] || fail "no memhog at $MEMHOG (build first)"
}

# Picks the memory controller to test, or skips.
require_memcg() {
	detect_memcg || skip "no usable memory cgroup controller"
	note "memory cgroup: $MEMCG_KIND at $MEMCG_BASE"
}

# make_memcg NAME LIMIT_MIB / make_cgroup BASE NAME, named after the test.
test_memcg() { make_memcg "reapd-test-$TEST_NAME-$$-$1" "$2"; }
test_cgroup() { make_cgroup "$1" "reapd-test-$TEST_NAME-$$-$2"; }

# spawn NAME CGROUP... -- MEMHOG_ARGS...: memhog in those cgroups, ready; sets SPAWNED.
test_spawn() {
	local name=$1
	shift
	spawn "$WORK/$name.out" "$name" "$@" ||
		fail "memhog $name did not get ready: $(cat "$WORK/$name.out")"
}

# grow_until_killed CGROUP ADJ WHAT: a memhog in CGROUP at ADJ growing at 150
# MiB/s to 300 MiB; waits up to 60 s for reapd to kill it (fails saying WHAT
# was never killed), half a second more for any kill after it, then stops
# reapd.  Sets GROWER.
grow_until_killed() {
	test_spawn grower "$1" -- --size 10 --grow --rate 150 --max 300 --adj "$2"
	GROWER=$SPAWNED
	wait_until 60 dead "$GROWER" || fail "$3 was never killed"
	sleep 0.5
	stop_reapd
}

# start_reapd ARGS...: runs reapd with events to $WORK/events.json and its control
# socket at $WORK/control (never the system's); waits until it watches.
start_reapd() {
	# --config none: an installed /etc/reapd.conf must not change what is tested.
	# The log is emptied here, not by the child's redirection: the wait below
	# must not find an earlier reapd's start line before the child truncates it.
	: > "$WORK/reapd.log"
	"$REAPD" --config none --events "$WORK/events.json" --control "$WORK/control" "$@" \
		>> "$WORK/reapd.log" 2>&1 &
	REAPD_PID=$!
	wait_until 10 grep -q 'psi:' "$WORK/reapd.log" || fail "reapd did not start"
}

stop_reapd() {
	[ -n "$REAPD_PID" ] || return 0
	kill -TERM "$REAPD_PID"
	wait "$REAPD_PID" || fail "reapd exited with status $? on SIGTERM"
	REAPD_PID=
}

# events PYTHON_EXPR: evaluates an expression over `ev`, the list of event objects.
events() {
	python3 - "$WORK/events.json" "$1" <<'PY'
import json, os, sys
path = sys.argv[1]
ev = [json.loads(l) for l in open(path) if l.strip()] if os.path.exists(path) else []
print(eval(sys.argv[2]))
PY
}

# v2_died_unreaped KIND: true when, on cgroup v2, the first event's victim
# left before the reap could start (ESRCH) and its own exit gave back at
# least 90 % of its anonymous memory.  v2 delivers SIGKILL to a frozen task,
# so under a slow CPU it may run its exit_mm before process_mrelease (the
# lab, beside part 4's guest: the watchdog's v2 victim thawed, ESRCH, dead
# 76.7 ms after the signal, all 200 MiB freed).  A v1-frozen victim cannot.
# Says so when true.
v2_died_unreaped() {
	[ "$1" = v2 ] && [ "$(events 'not ev[0]["reaped"] and ev[0]["reap_error"] == "ESRCH" and ev[0]["exited"] and ev[0]["freed_kib"] >= 0.9 * ev[0]["anon_kib"]')" = True ] || return 1
	note "$1: the victim exited before the reap (ESRCH); its exit freed" \
	     "$(events 'ev[0]["freed_kib"] // 1024') MiB, dead after $(events 'ev[0]["kill_to_exit_ms"]') ms"
}

# freeze_loop: holds reapd's main loop (the thread whose tid is $REAPD_PID)
# in a ptrace stop, busy in an iteration, while its other threads (the
# watchdog) run on: see freeze-loop.py.  It is held just after it next wakes
# and arms the watchdog's timer, before it can act on what woke it.  Returns
# once the thread is traced (then make the load; call it while the loop
# waits); $WORK/frozen appears once it is held.  release_loop lets it
# go; fail and the cleanup do, and the helper itself after 60 s.
freeze_loop() {
	release_loop
	rm -f "$WORK/traced" "$WORK/frozen" "$WORK/release"
	python3 "$HERE/freeze-loop.py" "$REAPD_PID" "$WORK" "$@" 2>> "$WORK/freezer.err" &
	FREEZER=$!
	wait_until 10 test -e "$WORK/traced" || fail "cannot trace the main loop"
}

# release_loop: lets the held (or traced) loop go and waits for the helper to end.
release_loop() {
	[ -n "$FREEZER" ] || return 0
	local freezer=$FREEZER
	FREEZER=
	touch "$WORK/release"
	# Killing the tracer (ours) resumes its tracee too.
	wait_until 5 dead "$freezer" || kill -KILL "$freezer" 2>/dev/null || true
	wait "$freezer" 2>/dev/null || true
}

# freeze_setup v1|v2 (after test_memcg): creates a freezing cgroup of that kind
# (returns 1 if the machine has none); sets FREEZE_CG.  Where the memory
# cgroup is itself v2 (a pure v2 system) the freezer is a child cgroup inside
# it, so the frozen process stays in reapd's scope: a cgroup beside it would
# take the process out.  freeze: freezes it and waits until it is.
freeze_setup() {
	case $1 in
	v1) [ -f "$CGROOT/freezer/cgroup.procs" ] || return 1
	    test_cgroup "$CGROOT/freezer" "$1" ;;
	v2) local u=$CGROOT/unified
	    [ -f "$CGROOT/cgroup.controllers" ] && u=$CGROOT
	    [ -f "$u/cgroup.procs" ] || return 1
	    if [ "$MEMCG_KIND" = v2 ] && [ "${MEMCG#"$u"/}" != "$MEMCG" ]; then
		    make_cgroup "$MEMCG" frozen
	    else
		    test_cgroup "$u" "$1"
	    fi
	    [ -f "$NEWCG/cgroup.freeze" ] || return 1 ;;
	esac
	FREEZE_CG=$NEWCG
}

freeze() {
	if [ -f "$FREEZE_CG/freezer.state" ]; then
		echo FROZEN > "$FREEZE_CG/freezer.state"
		wait_until 10 grep -q '^FROZEN' "$FREEZE_CG/freezer.state"
	else
		echo 1 > "$FREEZE_CG/cgroup.freeze"
		wait_until 10 grep -q 'frozen 1' "$FREEZE_CG/cgroup.events"
	fi
}

# spawn_frozen NAME MEMHOG_ARGS...: memhog in $MEMCG and the freezing cgroup of
# freeze_setup, then frozen; sets SPAWNED.  In one hierarchy (pure v2) the
# freezer, a child of $MEMCG, is the one joined last, so the process ends there.
spawn_frozen() {
	local name=$1
	shift
	if [ "$FREEZE_CG" = "$MEMCG" ]; then
		test_spawn "$name" "$MEMCG" -- "$@"
	else
		test_spawn "$name" "$MEMCG" "$FREEZE_CG" -- "$@"
	fi
	freeze || fail "$name: could not freeze it"
}
