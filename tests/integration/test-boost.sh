#!/usr/bin/env bash
# Victims die fast: after the signal, reapd boosts every thread of its victim
# (SCHED_FIFO 1 when reapd runs real-time, else out of SCHED_IDLE), gives it
# every CPU reapd may use, and moves it out of a v1 cpu cgroup whose quota
# holds it back; --no-boost leaves it as it was.  The victim (64 threads,
# SCHED_IDLE, pinned to CPU 0 behind two busy spinners) is the child of
# nursery.py, which does not reap it: its zombie shows the policy, CPUs and
# cgroups it ended with.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
command -v chrt > /dev/null && command -v taskset > /dev/null || skip "needs chrt and taskset"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (one for the spinners and the victim)"

NURSERIES=()
# Nurseries first: they kill and reap their children, so no zombie keeps a cgroup busy.
release_nurseries() {
	local n
	touch "$WORK/release"
	for n in "${NURSERIES[@]}"; do
		wait_until 10 dead "$n" || kill -KILL "$n" 2> /dev/null || true
		wait "$n" 2> /dev/null || true
	done
	NURSERIES=()
}
boost_cleanup() {
	local rc=$?
	release_nurseries
	(exit "$rc")
	cleanup
}
trap boost_cleanup EXIT

# spinner CGROUP...: a busy loop on CPU 0 in those cgroups (of the test's, outside reapd's scope).
spinner() {
	# shellcheck disable=SC2016
	sh -c 'for cg; do echo $$ > "$cg/cgroup.procs" || exit 1; done
		exec taskset -c 0 sh -c "while :; do :; done"' sh "$@" &
	# Out of the job table: the cleanup kills it with its cgroup, which is no news.
	disown $!
}
test_memcg spin 0
SPIN_MEMCG=$MEMCG
spinner "$SPIN_MEMCG"
spinner "$SPIN_MEMCG"

# field PID N: field N of /proc/PID/stat (the name may hold anything up to the last ')').
field() { awk -v n="$2" '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[n - 2] }' "/proc/$1/stat"; }
cpus_of() { awk '$1 == "Cpus_allowed_list:" { print $2 }' "/proc/$1/status"; }
cg_path() { awk -F: -v c="$2" '{ n = split($2, l, ","); for (i = 1; i <= n; i++) if (l[i] == c) print $3 }' "/proc/$1/cgroup"; }
usage_of() { cat "$1/memory.usage_in_bytes" 2> /dev/null || cat "$1/memory.current"; }

# victim NAME CGROUP...: a 64-thread memhog there, SCHED_IDLE on CPU 0, as nursery.py's child; sets VICTIM.
victim() {
	local name=$1
	shift
	python3 "$HERE/nursery.py" "$WORK/$name.out" "$WORK/release" "$@" -- \
		"$MEMHOG" --name "$name" --size 150 --threads 64 --adj 900 > "$WORK/$name.pid" &
	NURSERIES+=($!)
	wait_until 10 test -s "$WORK/$name.pid" || fail "$name: the nursery did not start it"
	VICTIM=$(cat "$WORK/$name.pid")
	wait_until 60 grep -q "ready" "$WORK/$name.out" || fail "$name did not get ready: $(cat "$WORK/$name.out")"
	chrt --idle -a -p 0 "$VICTIM" > /dev/null || fail "$name: chrt --idle"
	taskset -a -p 1 "$VICTIM" > /dev/null || fail "$name: taskset"
	[ "$(ls "/proc/$VICTIM/task" | wc -l)" -eq 64 ] || fail "$name: not 64 threads"
	[ "$(field "$VICTIM" 41)" -eq 5 ] && [ "$(cpus_of "$VICTIM")" = 0 ] ||
		fail "$name: not SCHED_IDLE on CPU 0 before the kill"
}

# kill_victim NAME REAPD_ARGS...: reapd scoped to $MEMCG kills $VICTIM; waits for its zombie and event.
kill_victim() {
	local name=$1
	shift
	: > "$WORK/events.json"
	start_reapd --scope "$MEMCG" --mem-min 40% --kill-timeout 120000 "$@"
	wait_until 120 grep -q "\"pid\":$VICTIM," "$WORK/events.json" || fail "$name: no kill event"
	[ "$(field "$VICTIM" 3)" = Z ] || fail "$name: the victim is not a zombie"
	REAPD_FIFO=$(field "$REAPD_PID" 41)
	REAPD_CPUS=$(cpus_of "$REAPD_PID")
	stop_reapd
	note "$name: $(grep "\"pid\":$VICTIM," "$WORK/events.json" | grep -o '"boosted.*"cpu_limit_lifted":[a-z]*')"
}

# expect_boosted NAME: the zombie ran at the boosted policy on reapd's CPUs; the event says so.
expect_boosted() {
	local policy prio
	policy=$(field "$VICTIM" 41) prio=$(field "$VICTIM" 40)
	if [ "$REAPD_FIFO" -eq 1 ]; then
		[ "$policy" -eq 1 ] && [ "$prio" -eq 1 ] ||
			fail "$1: the zombie's policy is $policy at $prio, not SCHED_FIFO 1"
	else
		note "$1: reapd is not real-time here: the victim is only taken out of SCHED_IDLE"
		[ "$policy" -eq 0 ] || fail "$1: the zombie's policy is $policy, not SCHED_OTHER"
	fi
	[ "$(cpus_of "$VICTIM")" = "$REAPD_CPUS" ] ||
		fail "$1: the zombie ran on CPUs $(cpus_of "$VICTIM"), not reapd's $REAPD_CPUS"
	events "[e['boosted'] for e in ev] == [True] and 1 <= ev[0]['boosted_threads'] <= 64" |
		grep -qx True || fail "$1: the event does not say it boosted 1 to 64 threads"
	n=$(events "ev[0]['boosted_threads']")
	# A thread that ran (a little) and exited before the boost reached it is no longer there to boost.
	[ "$n" -eq 64 ] || note "$1: $n threads boosted: $((64 - n)) had exited before the boost reached them"
}

# Boosted: from SCHED_IDLE on CPU 0 to SCHED_FIFO 1 on every CPU reapd has.
test_memcg boost 200
victim boosted "$MEMCG"
kill_victim boosted
expect_boosted boosted
events "ev[0]['cpu_limit_lifted']" | grep -x False > /dev/null || fail "boosted: a CPU limit lifted where none was"

# --no-boost: the zombie kept SCHED_IDLE and CPU 0.
test_memcg noboost 200
victim plain "$MEMCG"
kill_victim plain --no-boost
[ "$(field "$VICTIM" 41)" -eq 5 ] && [ "$(cpus_of "$VICTIM")" = 0 ] ||
	fail "--no-boost: the zombie's policy $(field "$VICTIM" 41) on CPUs $(cpus_of "$VICTIM")"
events "[(e['boosted'], e['boosted_threads'], e['cpu_limit_lifted']) for e in ev]" |
	grep -qx "\[(False, 0, False)\]" || fail "--no-boost: the event says it boosted"

# A v1 cpu cgroup at 5% of a CPU, kept throttled by a spinner of its own
# (the victim, SCHED_IDLE, comes after it there too): the victim leaves it,
# its memory charge stays where it was and is freed there.
CPU_V1=
for d in "$CGROOT/cpu" "$CGROOT/cpu,cpuacct"; do
	[ -f "$d/cpu.cfs_quota_us" ] && CPU_V1=$d && break
done
if [ -z "$CPU_V1" ]; then
	lacking cgroup-v1-cpu "no v1 cpu hierarchy: the CPU limit case is left out"
	exit 0
fi
test_memcg quota 200
QUOTA_MEMCG=$MEMCG
test_cgroup "$CPU_V1" quota
echo 100000 > "$NEWCG/cpu.cfs_period_us"
echo 5000 > "$NEWCG/cpu.cfs_quota_us"
spinner "$SPIN_MEMCG" "$NEWCG"
victim quota "$MEMCG" "$NEWCG"
[ "$(cg_path "$VICTIM" cpu)" = "${NEWCG#"$CPU_V1"}" ] || fail "quota: not in the cpu cgroup"
before=$(usage_of "$QUOTA_MEMCG")
kill_victim quota
events "ev[0]['cpu_limit_lifted']" | grep -x True > /dev/null || fail "quota: the event says no CPU limit lifted"
[ "$(cg_path "$VICTIM" cpu)" = / ] ||
	fail "quota: the zombie is not in the cpu root but in $(cg_path "$VICTIM" cpu)"
expect_boosted quota
after=$(usage_of "$QUOTA_MEMCG")
note "quota: memory cgroup usage $((before >> 20)) MiB before the kill, $((after >> 20)) MiB after"
[ "$after" -lt $((before / 2)) ] || fail "quota: the memory cgroup's usage did not fall"
