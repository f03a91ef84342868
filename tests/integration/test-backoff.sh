#!/usr/bin/env bash
# Nothing to kill: back off.  A scope below its mark whose 1,000 processes
# are all below --min-adj has nothing reapd may kill; another scan finds the
# same nothing.  reapd must warn once and then wait for a change (a pressure
# event, a new process, memory falling further, a slow timer) instead of
# running a full round every poll — it used to run about 40 a second, at
# real-time priority.  Then memory falls by a step and a killable process
# appears: it is killed at once.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

usage_mib() {
	if [ -f "$MEMCG/memory.usage_in_bytes" ]; then
		echo $(($(cat "$MEMCG/memory.usage_in_bytes") >> 20))
	else
		echo $(($(cat "$MEMCG/memory.current") >> 20))
	fi
}

test_memcg box 1024
test_spawn crowd "$MEMCG" -- --size 0 --children 999 --adj 0
used=$(usage_mib)
# Leave about 60 MiB available: below the 102 MiB mark (10 %).
test_spawn hog "$MEMCG" -- --size $((1024 - 60 - used)) --adj 0
HOG=$SPAWNED
n=$(wc -l < "$MEMCG/cgroup.procs")
[ "$n" -ge 1000 ] || fail "only $n processes in the scope"

start_reapd --scope "$MEMCG" --min-adj 1 -v
cpu0=$(awk '{ print $14 + $15 }' "/proc/$REAPD_PID/stat")
sleep 10
cpu1=$(awk '{ print $14 + $15 }' "/proc/$REAPD_PID/stat")
rounds=$(grep -c 'debug: round' "$WORK/reapd.log" || true)
# A rescan on a new process or a pressure event at most every 5 s, and one every 30 s.
[ "$rounds" -le 4 ] || fail "$rounds rounds in 10 s with nothing to kill, $((cpu1 - cpu0)) clock ticks of CPU (it should wait for a change)"
grep -q 'no process at adj >= 1 is left' "$WORK/reapd.log" || fail "no warning that nothing is left to kill"
[ "$(grep -c 'is left whose death' "$WORK/reapd.log")" = 1 ] || fail "the warning repeats"
alive "$HOG" || fail "a process below --min-adj was killed"

# A change: a killable process grows, memory falls by more than a step.
test_spawn late "$MEMCG" -- --size 1 --grow --rate 100 --max 60 --adj 500
LATE=$SPAWNED
wait_until 10 dead "$LATE" || fail "the adj 500 process was not killed once memory fell further"
stop_reapd
alive "$HOG" || fail "a process below --min-adj was killed"
note "$n processes below --min-adj: $rounds rounds in 10 s, $((cpu1 - cpu0)) clock ticks of CPU;" \
     "a new adj 500 process killed at once"
