#!/usr/bin/env bash
# --dry-run chooses and reports the would-be victims and kills nothing.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

test_memcg box 500
test_spawn cache "$MEMCG" -- --size 100 --adj 900
CACHE=$SPAWNED
test_spawn app "$MEMCG" -- --size 50 --adj 0
APP=$SPAWNED
start_reapd --scope "$MEMCG" --mem-min 30% --dry-run
# Grows into the pressure zone (100 MiB left < 30%), then holds 100 MiB below the limit.
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 250 --adj 100
GROWER=$SPAWNED

wait_until 30 grep -q '"dry_run":true' "$WORK/events.json" 2>/dev/null ||
	fail "no dry-run event"
sleep 1.5
stop_reapd

[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted: the test left too little room"
for p in "$CACHE" "$APP" "$GROWER"; do
	alive "$p" || fail "pid $p was killed in a dry run"
done
[ "$(events 'all(e["dry_run"] and not e["exited"] and not e["reaped"] for e in ev)')" = True ] ||
	fail "a dry-run event claims a kill"
[ "$(events 'ev[0]["pid"]')" = "$CACHE" ] || fail "the would-be victim is not the adj 900 process"
grep -q "dry run: would kill pid $CACHE (cache)" "$WORK/reapd.log" ||
	fail "the log does not report the would-be victim"
note "reported pid $CACHE (adj 900) $(events 'len(ev)') time(s); everyone alive"
