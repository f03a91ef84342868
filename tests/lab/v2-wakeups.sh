#!/usr/bin/env bash
# Lab (pure cgroup v2): reapd scoped to a real v2 memory cgroup wakes on that
# cgroup's own kernel notifications — PSI triggers on its memory.pressure with
# 1 s windows (root with CAP_SYS_RESOURCE gets them) and its memory.events —
# and finds and kills a victim nested three cgroups deep inside the scope.
. "$(dirname "$0")/../integration/lib.sh"
require_root
require_binaries
require_memcg
[ "$MEMCG_KIND" = v2 ] || skip "not a cgroup v2 memory controller"

test_memcg box 400
make_cgroup "$MEMCG" a
make_cgroup "$MEMCG/a" b
make_cgroup "$MEMCG/a/b" c
# Throttling above memory.high is what raises "high" in memory.events and
# stalls the cgroup's tasks (its memory.pressure).  Victim, bystander and the
# grower at its largest (340 MiB) go over it; without the victim (220) they do not.
echo 300M > "$MEMCG/memory.high"
test_spawn victim "$MEMCG/a/b/c" -- --size 120 --adj 900
VICTIM=$SPAWNED
test_spawn bystander "$MEMCG/a/b" -- --size 20 --adj 100
BYSTANDER=$SPAWNED

start_reapd --scope "$MEMCG" --mem-min 15% --metrics-file "$WORK/reapd.prom" --metrics-interval 1
line=$(grep 'psi:' "$WORK/reapd.log")
case $line in
*"some 100 ms/1000 ms, full 100 ms/1000 ms, critical full 700 ms/1000 ms; 4 kernel notification sources"*) ;;
*) fail "expected 1 s PSI triggers and 4 sources (PSI some, full, critical full, memory.events): $line" ;;
esac
fds=$(ls -l "/proc/$REAPD_PID/fd" | sed 's/.* -> //')
grep -qx "$MEMCG/memory.pressure" <<< "$fds" || fail "no trigger on the scope's own memory.pressure: $fds"
grep -qx "$MEMCG/memory.events" <<< "$fds" || fail "memory.events of the scope not watched: $fds"
grep -qx /proc/pressure/memory <<< "$fds" && fail "the system's PSI watched instead of the scope's"

test_spawn grower "$MEMCG/a" -- --size 10 --grow --rate 100 --max 200 --adj 0
GROWER=$SPAWNED
wait_until 120 dead "$VICTIM" || fail "the nested victim was never killed"
wait_until 10 grep -q '^reapd_kills_total' "$WORK/reapd.prom" || true
sleep 1.5
stop_reapd
alive "$GROWER" || fail "the grower (adj 0) was killed"
alive "$BYSTANDER" || fail "the bystander (adj 100) was killed"
[ "$(events 'len(ev)')" = 1 ] || fail "expected one kill"
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted"
high=$(awk '$1 == "high" { print $2 }' "$MEMCG/memory.events")
[ "$high" -gt 0 ] || fail "the cgroup never went over memory.high: the test did not test"
get() { awk -v k="reapd_pressure_events_total{source=\"$1\"}" '$1 == k { print $2 }' "$WORK/reapd.prom"; }
psi=$(get psi) mev=$(get memory.events)
[ "${mev:-0}" -gt 0 ] || fail "no wake-up from memory.events (high events: $high): $(grep pressure_events "$WORK/reapd.prom")"
[ "${psi:-0}" -gt 0 ] || fail "no wake-up from the cgroup's PSI trigger: $(grep pressure_events "$WORK/reapd.prom")"
[ "$(events 'ev[0]["pid"]')" = "$VICTIM" ] || fail "the first kill was not the nested adj 900 victim"
note "v2 scope: woken $psi times by its memory.pressure (1 s windows), $mev by its memory.events" \
	"($high high events); the victim three cgroups deep killed for $(events 'ev[0]["reason"]')"
