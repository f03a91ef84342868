#!/usr/bin/env bash
# Zero allocation on the kill path: with a counting allocator preloaded,
# reapd runs real kill rounds; between each pressure event (or poll) and the
# signal there must be no malloc/calloc/realloc/free at all, and no open
# except the per-process /proc files and the scope's cgroup.procs (cgroup v1
# serves a held-open one stale), which cannot be held open.  Opens count on
# the loop, whose path it is; allocations on every thread.  Twice: without
# name rules, and with --prefer/--avoid/--ignore, whose matcher runs on every
# scan (match.c exists so that it needs no allocation).
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
ALLOCWATCH=${ALLOCWATCH:-$BUILD/tests/helpers/allocwatch.so}
[ -f "$ALLOCWATCH" ] || fail "no allocwatch.so at $ALLOCWATCH (build first)"
# Not ldd | grep -q: grep leaving early would SIGPIPE ldd, and pipefail
# would turn the match into a failure (CI ran the ASan build unskipped).
if grep -q 'libasan\|libtsan' <<< "$(ldd "$REAPD")"; then
	skip "a sanitizer owns the allocator in this build"
fi

# check_allocwatch LABEL: the counts of the reapd that just stopped.
check_allocwatch() {
	local out=$WORK/allocwatch.$1.out bad
	[ -s "$out" ] || fail "$1: allocwatch wrote nothing"
	sed "s/^/# $1: /" "$out"
	val() { awk -v k="$1" '$1 == k { print $2 }' "$out"; }
	[ "$(val found)" = 1 ] || fail "$1: allocwatch did not find reapd_kill_path (not exported?)"
	[ "$(val calls)" -gt 100 ] || fail "$1: the preload intercepted almost nothing ($(val calls) calls)"
	[ "$(val rounds)" -ge 3 ] || fail "$1: only $(val rounds) kill rounds seen"
	[ "$(val allocs)" = 0 ] || fail "$1: $(val allocs) allocations on the kill path"
	[ "$(val frees)" = 0 ] || fail "$1: $(val frees) frees on the kill path"
	bad=$(awk '$1 == "open" { print $2 }' "$out" |
		grep -vE '^([0-9]+/(oom_score_adj|stat|statm|status|cmdline|smaps_rollup|comm|task/[0-9]+/children)|cgroup.procs)$' || true)
	[ -z "$bad" ] || fail "$1: files opened on the kill path that could be held open: $bad"
	# A worker thaws and boosts a victim it has already signalled, meanwhile.
	workers=$(awk '$1 == "open-worker" { print $2 }' "$out" | sort -u | tr '\n' ' ')
	note "$1: $(val rounds) kill rounds: 0 allocations, 0 frees; the loop opens only per-process /proc files and cgroup.procs ($(val opens))${workers:+; workers, after their signals: $workers}"
}

# run_case LABEL REAPD_ARGS...: 300 MiB of victims (adj 900, 800, 700) and a
# grower to 350 MiB in a fresh 600 MiB cgroup: three rounds, one victim each.
# With rules, a 40 MiB "keep" at adj 1000 is in the box too (--ignore'd).
run_case() {
	local label=$1
	shift
	test_memcg "$label" 600
	: > "$WORK/events.json"
	LD_PRELOAD=$ALLOCWATCH ALLOCWATCH_OUT=$WORK/allocwatch.$label.out \
		start_reapd --scope "$MEMCG" --mem-min 30% --max-victims 1 "$@"
	victims=()
	for adj in 900 800 700; do
		test_spawn "v$adj-$label" "$MEMCG" -- --size 100 --adj "$adj"
		victims+=("$SPAWNED")
	done
	KEEP=
	if [ "$label" = rules ]; then
		test_spawn "keep-$label" "$MEMCG" -- --size 40 --adj 1000
		KEEP=$SPAWNED
	fi
	test_spawn "grow-$label" "$MEMCG" -- --size 10 --grow --rate 150 --max 350 --adj 0
	GROWER=$SPAWNED
	for v in "${victims[@]}"; do
		wait_until 30 dead "$v" || fail "$label: victim $v was never killed"
	done
	stop_reapd
	alive "$GROWER" || fail "$label: the grower was killed"
	kill -KILL "$GROWER"
	wait_until 10 dead "$GROWER" || fail "$label: the grower did not end"
}

run_case plain
check_allocwatch plain

run_case rules --prefer '^v700-' --avoid '^grow-' --ignore '^keep-'
# The rules ran: the ignored process at adj 1000 lived, the preferred one went first.
alive "$KEEP" || fail "rules: the --ignore'd process was killed"
first=$(events "ev[0]['pid'] if ev else 0")
[ "$first" = "${victims[2]}" ] || fail "rules: first victim $first, not the --prefer'd ${victims[2]}"
kill -KILL "$KEEP"
check_allocwatch rules
