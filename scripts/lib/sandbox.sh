#!/usr/bin/env bash
# A sandbox of memory cgroups for the demo and the integration tests.
#
# Everything runs inside cgroups created here (named reapd-*), processes are
# started inside them, and sandbox_cleanup removes all of it, processes first,
# on every exit path.  Nothing outside the sandbox is touched.

SANDBOX_CGROUPS=()  # cgroups we created, parents before children
CGROOT=${REAPD_TEST_CGROUP_ROOT:-/sys/fs/cgroup}
MEMCG_KIND=
MEMCG_BASE=

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

# Removes every cgroup of the sandbox. Returns 1 if one could not be removed.
sandbox_cleanup() {
	local i cg rc=0
	# A frozen process cannot die, and it may sit in a freezer cgroup removed
	# after its memory cgroup: thaw every cgroup of ours before killing anything.
	for cg in "${SANDBOX_CGROUPS[@]}"; do
		[ -f "$cg/freezer.state" ] && echo THAWED > "$cg/freezer.state" 2>/dev/null
		[ -f "$cg/cgroup.freeze" ] && echo 0 > "$cg/cgroup.freeze" 2>/dev/null
	done
	for (( i = ${#SANDBOX_CGROUPS[@]} - 1; i >= 0; i-- )); do
		remove_cgroup "${SANDBOX_CGROUPS[$i]}" || rc=1
	done
	SANDBOX_CGROUPS=()
	return $rc
}

# Finds a memory controller: cgroup v2 where it has one, else v1. Returns 1 if none.
detect_memcg() {
	if grep -qw memory "$CGROOT/cgroup.controllers" 2>/dev/null; then
		MEMCG_KIND=v2 MEMCG_BASE=$CGROOT
	elif grep -qw memory "$CGROOT/unified/cgroup.controllers" 2>/dev/null; then
		MEMCG_KIND=v2 MEMCG_BASE=$CGROOT/unified
	elif [ -f "$CGROOT/memory/memory.limit_in_bytes" ]; then
		MEMCG_KIND=v1 MEMCG_BASE=$CGROOT/memory
	else
		return 1
	fi
	if [ "$MEMCG_KIND" = v2 ] && ! grep -qw memory "$MEMCG_BASE/cgroup.subtree_control"; then
		echo +memory > "$MEMCG_BASE/cgroup.subtree_control" 2>/dev/null || return 1
	fi
}

# make_cgroup BASE NAME: creates BASE/NAME as part of the sandbox; sets NEWCG.
make_cgroup() {
	NEWCG="$1/$2"
	mkdir "$NEWCG"
	SANDBOX_CGROUPS+=("$NEWCG")
}

# make_memcg NAME LIMIT_MIB: a memory cgroup with that limit (0: none), no swap; sets MEMCG.
make_memcg() {
	make_cgroup "$MEMCG_BASE" "$1"
	MEMCG=$NEWCG
	if [ "$MEMCG_KIND" = v1 ]; then
		[ "$2" -gt 0 ] && echo "${2}M" > "$MEMCG/memory.limit_in_bytes"
	else
		[ "$2" -gt 0 ] && echo "${2}M" > "$MEMCG/memory.max"
		[ -f "$MEMCG/memory.swap.max" ] && echo 0 > "$MEMCG/memory.swap.max"
	fi
	return 0
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

# spawn OUTFILE NAME CGROUP... -- MEMHOG_ARGS...: starts memhog named NAME in
# every listed cgroup and waits for its ready line; sets SPAWNED to its pid.
# Returns 1 if it never got ready.
spawn() {
	local out=$1 name=$2 cgs=()
	shift 2
	while [ "$1" != "--" ]; do cgs+=("$1"); shift; done
	shift
	# Emptied here, not by the child's redirection, which runs in the
	# background: the wait below must never find an earlier memhog's line.
	: > "$out"
	# The shell joins the cgroups, then becomes memhog: the pid stays the same.
	# shellcheck disable=SC2016
	CGS="${cgs[*]}" sh -c 'for cg in $CGS; do echo $$ > "$cg/cgroup.procs" || exit 99; done
		exec "$@"' sh "$MEMHOG" -n "$name" "$@" >> "$out" 2>&1 &
	SPAWNED=$!
	# Out of the job table: a kill is the expected end, not news for the terminal.
	disown "$SPAWNED"
	wait_until 60 grep -q ready "$out"
}

# alive PID: true while PID runs (a zombie counts as dead).
alive() {
	local state
	state=$(awk '{ s = $0; sub(/.*\) /, "", s); print substr(s, 1, 1) }' "/proc/$1/stat" \
		2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

dead() { ! alive "$1"; }

# oom_kills CGROUP: the kernel OOM killer's kill count in that memory cgroup.
oom_kills() {
	if [ -f "$1/memory.oom_control" ]; then
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.oom_control"
	else
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.events"
	fi
}
