#!/usr/bin/env bash
# Memory no kill frees, and services that come back.  A 512 MiB scope holds
# 440 MiB of shared memory in /dev/shm left by a process that has exited,
# and three 8 MiB services that a supervisor (outside the scope) restarts
# 0.5 s after each death.  Killing them brings the scope back above the
# mark only until they return.  reapd must notice: after a few rounds it
# holds them back (a "comes back" warning), says once that shared memory
# fills the scope (log, reapctl status, metric), and then stops killing —
# not a kill every half second for as long as it runs.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

SHM=/dev/shm/reapd-test-respawn-$$
CLEANUP_FILES+=("$SHM")
test_memcg box 512
test_spawn filler "$MEMCG" -- --shm "$SHM:440" --size 0
kill -TERM "$SPAWNED"
wait_until 5 dead "$SPAWNED" || fail "the filler did not exit"

# The supervisor: runs outside the scope, like a service manager.
supervise() {
	local name=$1
	while [ -e "$WORK/supervise" ]; do
		CG=$MEMCG sh -c 'echo $$ > "$CG/cgroup.procs" && exec "$@"' sh \
			"$MEMHOG" -n "$name" --size 8 --adj 0 --quiet || true
		sleep 0.5
	done
}
touch "$WORK/supervise"
for s in svc1 svc2 svc3; do supervise "$s" & done
sleep 1
start_reapd --scope "$MEMCG" -v
sleep 20
"$REAPCTL" --socket "$WORK/control" --json status > "$WORK/status.json" ||
	fail "reapctl status failed"
"$REAPCTL" --socket "$WORK/control" metrics > "$WORK/metrics.txt" || fail "reapctl metrics failed"
kills_then=$(events 'len(ev)')
sleep 10
kills=$(events 'len(ev)')
rm -f "$WORK/supervise"
stop_reapd

[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer fired $(oom_kills "$MEMCG") times"
[ "$kills" -ge 3 ] || fail "only $kills kills: the services were never killed"
# Three services, each held back after three rounds; a round may catch a service mid-restart.
[ "$kills" -le 15 ] || fail "$kills kills in 30 s: the services were killed in a loop"
[ "$kills" = "$kills_then" ] || fail "still killing after 20 s ($kills_then, then $kills)"
grep -q "comes back" "$WORK/reapd.log" || fail "no warning about the respawning services"
grep -qE "4[0-9]{2} MiB of it shared memory" "$WORK/reapd.log" || fail "no word of the shared memory"
[ "$(grep -c "of it shared memory" "$WORK/reapd.log")" = 1 ] || fail "the shared memory was reported more than once"
python3 - "$WORK/status.json" <<'PY' || fail "reapctl status does not show the unfreeable memory"
import json, sys
m = json.load(open(sys.argv[1]))["memory"]
assert m["shmem_kib"] >= 430 * 1024, m
assert m["unfreeable_kib"] >= 430 * 1024, m
assert m["nothing_to_kill"] is True, m
PY
grep -qE '^reapd_unfreeable_bytes [1-9]' "$WORK/metrics.txt" || fail "reapd_unfreeable_bytes is 0"
grep -qE '^reapd_respawn_holds_total [1-9]' "$WORK/metrics.txt" || fail "no respawn holds counted"
note "$kills kills, then none; services held back; $(grep -o '[0-9]* MiB of it shared memory' "$WORK/reapd.log")"
