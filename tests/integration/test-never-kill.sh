#!/usr/bin/env bash
# An adj -1000 process inside the scope and an adj 1000 process outside it are
# never touched, even while the scope runs out of memory.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

test_memcg outside 0
OUTSIDE_CG=$MEMCG
test_memcg box 400
test_spawn outsider "$OUTSIDE_CG" -- --size 100 --adj 1000
OUTSIDER=$SPAWNED

# Lowering oom_score_adj below 0 needs CAP_SYS_RESOURCE, which some machines
# (and containers) do not give even to root.
SHIELD=
# Asked of a subshell, so nothing depends on how fast a helper starts.
if (echo -1000 > /proc/self/oom_score_adj) 2>/dev/null; then
	test_spawn shield "$MEMCG" -- --size 150 --adj -1000
	SHIELD=$SPAWNED
else
	lacking adj-1000 "cannot create an adj -1000 process here (no CAP_SYS_RESOURCE): testing that" \
	     "part with a process below --min-adj instead"
fi
test_spawn low "$MEMCG" -- --size 50 --adj 100
LOW=$SPAWNED

start_reapd --scope "$MEMCG" --mem-min 15% --min-adj 200
grow_until_killed "$MEMCG" 500 "the grower in the scope"

alive "$OUTSIDER" || fail "a process outside the scope was killed"
alive "$LOW" || fail "a process below --min-adj was killed"
[ -z "$SHIELD" ] || alive "$SHIELD" || fail "an adj -1000 process was killed"
pids=$(events '" ".join(str(e["pid"]) for e in ev)')
[ "$pids" = "$GROWER" ] || fail "killed $pids, expected only the grower $GROWER"
note "only the grower died; outsider (adj 1000, other cgroup), adj 100 < min-adj${SHIELD:+, adj -1000} untouched"
