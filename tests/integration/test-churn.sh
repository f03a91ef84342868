#!/usr/bin/env bash
# Fast allocators and fork churn, in a 512 MiB scope, with the kernel OOM
# killer as the referee.
#  1. 40 processes one after another, each allocating 470 MiB as fast as it
#     can: each must die by reapd's hand, none by the kernel's.
#  2. A parent keeps 300 children of 2 MiB each and forks a new one the
#     moment one dies (pids.max 700): more than the scope holds, refilled as
#     fast as any killer frees it.  Killing children one round after another
#     never ends (it used to: ~16,000 kills and ~120 kernel OOM kills in 20 s).
#     reapd must see the parent churning and kill it; then the children go,
#     and the kills stop.  The initial fan-out (300 forks allocating 750 MiB
#     within tens of ms) can still outrun the first rounds: a kernel OOM kill
#     or two there is allowed, a stream of them is not.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

# 1. Back to back.
test_memcg seq 512
start_reapd --scope "$MEMCG"
for i in $(seq 40); do
	CG=$MEMCG sh -c 'echo $$ > "$CG/cgroup.procs" && exec "$@"' sh \
		"$MEMHOG" -n "hog$i" --size 470 --adj 500 --quiet || true
done
stop_reapd
seq_oom=$(oom_kills "$MEMCG")
seq_kills=$(events 'len(ev)')
[ "$seq_oom" = 0 ] || fail "back to back: the kernel OOM killer fired $seq_oom times"
[ "$seq_kills" = 40 ] || fail "back to back: reapd killed $seq_kills of 40"
scan=$(events '"%.2f" % max(e["scan_ms"] for e in ev)')
exit_ms=$(events '"%.1f" % sorted(e["kill_to_exit_ms"] for e in ev)[20]')
note "40 x 470 MiB back to back: 40 kills by reapd, 0 by the kernel (slowest scan $scan ms, median exit $exit_ms ms)"
sandbox_cleanup
rm -f "$WORK/events.json"

# 2. Fork churn.
test_memcg churn 512
PIDSCG=
if [ -f "$CGROOT/pids/cgroup.procs" ]; then
	make_cgroup "$CGROOT/pids" "reapd-test-churn-$$-pids"
	PIDSCG=$NEWCG
	echo 700 > "$PIDSCG/pids.max"
elif [ "$MEMCG_KIND" = v2 ] && [ -f "$MEMCG/pids.max" ]; then
	echo 700 > "$MEMCG/pids.max"
fi
start_reapd --scope "$MEMCG"
CG=$MEMCG PCG=$PIDSCG sh -c 'echo $$ > "$CG/cgroup.procs" &&
	{ [ -z "$PCG" ] || echo $$ > "$PCG/cgroup.procs"; } && exec "$@"' sh \
	"$MEMHOG" -n churn --size 0 --children 300 --child-size 2 --respawn --adj 500 --quiet &
PARENT=$!
sleep 15
stop_reapd
churn_oom=$(oom_kills "$MEMCG")
churn_kills=$(events 'len(ev)')
dead "$PARENT" || fail "fork churn: the churning parent lives"
grep -q "replaces its children as fast as they are killed" "$WORK/reapd.log" ||
	fail "fork churn: no word of the churning parent"
[ "$churn_oom" -le 3 ] || fail "fork churn: the kernel OOM killer fired $churn_oom times"
[ "$churn_kills" -le 500 ] || fail "fork churn: $churn_kills kills in 15 s: killing in a loop"
note "fork churn: $churn_kills kills by reapd, $churn_oom by the kernel; $(grep -o 'replaces its children.* in [0-9]* ms' "$WORK/reapd.log" | head -1)"
