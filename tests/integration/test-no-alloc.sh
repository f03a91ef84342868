#!/usr/bin/env bash
# Zero allocation on the kill path: with a counting allocator preloaded,
# reapd runs real kill rounds; between each pressure event (or poll) and the
# signal there must be no malloc/calloc/realloc/free at all, and no open
# except the per-process /proc files and the scope's cgroup.procs (cgroup v1
# serves a held-open one stale), which cannot be held open.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
ALLOCWATCH=${ALLOCWATCH:-$BUILD/tests/helpers/allocwatch.so}
[ -f "$ALLOCWATCH" ] || fail "no allocwatch.so at $ALLOCWATCH (build first)"
if ldd "$REAPD" | grep -q 'libasan\|libtsan'; then
	skip "a sanitizer owns the allocator in this build"
fi

test_memcg box 600
LD_PRELOAD=$ALLOCWATCH ALLOCWATCH_OUT=$WORK/allocwatch.out start_reapd --scope "$MEMCG" --mem-min 30% --max-victims 1
victims=()
for adj in 900 800 700; do
	test_spawn "v$adj" "$MEMCG" -- --size 100 --adj "$adj"
	victims+=("$SPAWNED")
done
# 300 MiB of victims and a grower to 350 MiB: three rounds, one victim each.
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 350 --adj 0
for v in "${victims[@]}"; do
	wait_until 30 dead "$v" || fail "victim $v was never killed"
done
stop_reapd
[ -s "$WORK/allocwatch.out" ] || fail "allocwatch wrote nothing"
sed 's/^/# /' "$WORK/allocwatch.out"
val() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/allocwatch.out"; }
[ "$(val found)" = 1 ] || fail "allocwatch did not find reapd_kill_path (not exported?)"
[ "$(val calls)" -gt 100 ] || fail "the preload intercepted almost nothing ($(val calls) calls)"
[ "$(val rounds)" -ge 3 ] || fail "only $(val rounds) kill rounds seen"
[ "$(val allocs)" = 0 ] || fail "$(val allocs) allocations on the kill path"
[ "$(val frees)" = 0 ] || fail "$(val frees) frees on the kill path"
# (statm: a reaper worker measures its victim, and the window is the whole process's.)
bad=$(awk '$1 == "open" { print $2 }' "$WORK/allocwatch.out" |
	grep -vE '^([0-9]+/(oom_score_adj|stat|statm|status|cmdline|smaps_rollup|comm|task/[0-9]+/children)|cgroup.procs)$' || true)
[ -z "$bad" ] || fail "files opened on the kill path that could be held open: $bad"
note "$(val rounds) kill rounds: 0 allocations, 0 frees; opens only per-process /proc files and cgroup.procs ($(val opens))"
