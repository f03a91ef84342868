#!/usr/bin/env bash
# A process 40 cgroup levels below the scope is a candidate like any other:
# an adj 900 memhog at the bottom of a 40-level chain is killed before a
# bigger adj 100 one at the top, and reapd walks the whole chain without a
# warning.  (Before, the walk stopped 32 levels down and killed the top one.)
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

DEPTH=40
test_memcg box 400
if [ "$MEMCG_KIND" = v1 ]; then
	# Charges must reach the scope from the bottom of the chain.
	[ "$(cat "$MEMCG/memory.use_hierarchy")" = 1 ] ||
		echo 1 > "$MEMCG/memory.use_hierarchy" 2>/dev/null ||
		skip "memory.use_hierarchy is off and cannot be set"
fi
# Parents before children in the sandbox's list: the cleanup removes the deepest first.
cg=$MEMCG
for i in $(seq "$DEPTH"); do
	test_cgroup "$cg" "d$i"
	cg=$NEWCG
done
BOTTOM=$cg

test_spawn deep "$BOTTOM" -- --size 100 --adj 900
DEEP=$SPAWNED
test_spawn top "$MEMCG" -- --size 200 --adj 100
TOP=$SPAWNED
grep -q ":${BOTTOM#"$MEMCG_BASE"}$" "/proc/$DEEP/cgroup" ||
	fail "memhog deep is not at the bottom of the chain: $(cat "/proc/$DEEP/cgroup")"

# 300 MiB of 400 in use: 100 MiB available, below --mem-min 30% (120 MiB).
start_reapd --scope "$MEMCG" --mem-min 30%
wait_until 30 dead "$DEEP" || fail "the adj 900 process $DEPTH levels down was never killed"
sleep 0.5
stop_reapd

alive "$TOP" || fail "the adj 100 process at the top was killed"
[ "$(events '" ".join(str(e["pid"]) for e in ev)')" = "$DEEP" ] ||
	fail "killed $(events '[(e["pid"], e["comm"]) for e in ev]'), expected only $DEEP (deep)"
[ "$(events 'ev[0]["oom_score_adj"]')" = 900 ] || fail "the victim's adj is not 900"
! grep -q 'could not be walked' "$WORK/reapd.log" || fail "reapd did not walk the whole chain"
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted: $(oom_kills "$MEMCG") kills"
note "the adj 900 process $DEPTH cgroup levels down was killed first; adj 100 at the top survived"
