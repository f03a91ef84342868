#!/usr/bin/env bash
# Shared helpers for reapd's integration tests.
#
# Every test works inside memory cgroups it creates itself (named
# reapd-test-*), starts its own memhog processes there, scopes reapd to them,
# and removes everything on every exit path: processes first, then cgroups.
# Tests exit 77 (skip) without root or without a memory cgroup controller.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${REAPD_BUILD:-$HERE/../../build}
REAPD=${REAPD:-$BUILD/src/reapd}
MEMHOG=${MEMHOG:-$BUILD/tools/memhog}
CGROOT=${REAPD_TEST_CGROUP_ROOT:-/sys/fs/cgroup}
TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test-}
WORK=$(mktemp -d "/tmp/reapd-$TEST_NAME.XXXXXX")
CGROUPS=()  # cgroup directories we created, parents before children
REAPD_PID=
MEMCG_KIND=
MEMCG_BASE=

note() { echo "# $*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*" >&2
	if [ -s "$WORK/reapd.log" ]; then
		sed 's/^/  reapd| /' "$WORK/reapd.log" >&2
	fi
	if [ -s "$WORK/events.json" ]; then
		sed 's/^/  event| /' "$WORK/events.json" >&2
	fi
	exit 1
}

# Kills every process in cgroup $1 and removes it; returns 1 if it stays.
remove_cgroup() {
	local cg=$1 pid
	[ -d "$cg" ] || return 0
	for _ in $(seq 50); do
		while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done \
			< "$cg/cgroup.procs"
		rmdir "$cg" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "warning: could not remove $cg" >&2
	return 1
}

cleanup() {
	local rc=$? i cg
	trap - EXIT
	if [ -n "$REAPD_PID" ]; then
		kill -TERM "$REAPD_PID" 2>/dev/null || true
		wait "$REAPD_PID" 2>/dev/null || true
	fi
	# A frozen process cannot die, and it may sit in a freezer cgroup removed
	# after its memory cgroup: thaw every cgroup of ours before killing anything.
	for cg in "${CGROUPS[@]}"; do
		[ -f "$cg/freezer.state" ] && echo THAWED > "$cg/freezer.state" 2>/dev/null
		[ -f "$cg/cgroup.freeze" ] && echo 0 > "$cg/cgroup.freeze" 2>/dev/null
	done
	for (( i = ${#CGROUPS[@]} - 1; i >= 0; i-- )); do
		remove_cgroup "${CGROUPS[$i]}" || rc=1
	done
	# Reap our own background jobs so nothing is left behind as a zombie.
	wait 2>/dev/null || true
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

require_binaries() {
	[ -x "$REAPD" ] || fail "no reapd at $REAPD (build first)"
	[ -x "$MEMHOG" ] || fail "no memhog at $MEMHOG (build first)"
}

# Finds a memory controller: cgroup v2 where it has one, else v1.
detect_memcg() {
	if grep -qw memory "$CGROOT/cgroup.controllers" 2>/dev/null; then
		MEMCG_KIND=v2 MEMCG_BASE=$CGROOT
	elif grep -qw memory "$CGROOT/unified/cgroup.controllers" 2>/dev/null; then
		MEMCG_KIND=v2 MEMCG_BASE=$CGROOT/unified
	elif [ -f "$CGROOT/memory/memory.limit_in_bytes" ]; then
		MEMCG_KIND=v1 MEMCG_BASE=$CGROOT/memory
	else
		skip "no memory cgroup controller"
	fi
	if [ "$MEMCG_KIND" = v2 ] && ! grep -qw memory "$MEMCG_BASE/cgroup.subtree_control"; then
		echo +memory > "$MEMCG_BASE/cgroup.subtree_control" 2>/dev/null ||
			skip "cannot enable the memory controller in $MEMCG_BASE"
	fi
	note "memory cgroup: $MEMCG_KIND at $MEMCG_BASE"
}

# make_memcg NAME LIMIT_MIB: creates a memory cgroup with that limit (0: none); prints its path.
make_memcg() {
	local dir="$MEMCG_BASE/reapd-test-$TEST_NAME-$$-$1" limit=$2
	mkdir "$dir"
	CGROUPS+=("$dir")
	if [ "$MEMCG_KIND" = v1 ]; then
		[ "$limit" -gt 0 ] && echo "${limit}M" > "$dir/memory.limit_in_bytes"
	else
		[ "$limit" -gt 0 ] && echo "${limit}M" > "$dir/memory.max"
		[ -f "$dir/memory.swap.max" ] && echo 0 > "$dir/memory.swap.max"
	fi
	MEMCG=$dir
}

# make_cgroup BASE NAME: an extra cgroup (freezer, unified) of ours; sets NEWCG.
make_cgroup() {
	local dir="$1/reapd-test-$TEST_NAME-$$-$2"
	mkdir "$dir"
	CGROUPS+=("$dir")
	NEWCG=$dir
}

# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms; returns 1 on timeout.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# spawn NAME CGROUP... -- MEMHOG_ARGS...: starts memhog named NAME inside every
# listed cgroup and waits for its ready line; sets SPAWNED to its pid.
spawn() {
	local name=$1 cgs=() out
	shift
	while [ "$1" != "--" ]; do cgs+=("$1"); shift; done
	shift
	out="$WORK/$name.out"
	# The shell joins the cgroups, then becomes memhog: the pid stays the same.
	# shellcheck disable=SC2016
	CGS="${cgs[*]}" sh -c 'for cg in $CGS; do echo $$ > "$cg/cgroup.procs" || exit 99; done
		exec "$@"' sh "$MEMHOG" -n "$name" "$@" > "$out" 2>&1 &
	SPAWNED=$!
	wait_until 60 grep -q ready "$out" ||
		fail "memhog $name did not get ready: $(cat "$out")"
}

# alive PID: true while PID runs (a zombie counts as dead).
alive() {
	local state
	state=$(awk '{ s = $0; sub(/.*\) /, "", s); print substr(s, 1, 1) }' "/proc/$1/stat" \
		2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

dead() { ! alive "$1"; }

# start_reapd ARGS...: runs reapd with events to $WORK/events.json; waits until it watches.
start_reapd() {
	"$REAPD" --events "$WORK/events.json" "$@" > "$WORK/reapd.log" 2>&1 &
	REAPD_PID=$!
	wait_until 10 grep -q 'psi:' "$WORK/reapd.log" || fail "reapd did not start"
}

stop_reapd() {
	[ -n "$REAPD_PID" ] || return 0
	kill -TERM "$REAPD_PID"
	wait "$REAPD_PID" || fail "reapd exited with status $? on SIGTERM"
	REAPD_PID=
}

# oom_kills CGROUP: the kernel OOM killer's kill count in that memory cgroup.
oom_kills() {
	if [ -f "$1/memory.oom_control" ]; then
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.oom_control"
	else
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.events"
	fi
}

# events PYTHON_EXPR: evaluates an expression over `ev`, the list of event objects.
events() {
	python3 - "$WORK/events.json" "$1" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()] if __import__('os').path.exists(sys.argv[1]) else []
print(eval(sys.argv[2]))
PY
}
