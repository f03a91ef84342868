#!/usr/bin/env bash
# The watchdog: when the main loop is stuck (here, for real: its thread held
# in a ptrace stop while the rest of reapd runs on) and memory keeps running
# out, the watchdog thread kills the next victim by itself, and says so; once
# the loop runs again, that kill is reported like its own (events, metrics).
# (It used to block the loop with a full events FIFO; events are written off
# the loop now.)
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
test_memcg box 600
"$REAPD" --config none --control none --scope "$MEMCG" --mem-min 30% --max-victims 1 \
	--events "$WORK/events.json" --metrics-file "$WORK/reapd.prom" --watchdog 1000 \
	--kill-timeout 2000 \
	> "$WORK/reapd.log" 2>&1 &
REAPD_PID=$!
wait_until 10 grep -q 'psi:' "$WORK/reapd.log" || fail "reapd did not start"
# The loop kills the first victim; 330 MiB left in use: above the mark again.
test_spawn first "$MEMCG" -- --size 100 --adj 900
FIRST=$SPAWNED
test_spawn grower1 "$MEMCG" -- --size 10 --grow --rate 200 --max 330 --adj 0
GROWER1=$SPAWNED
wait_until 30 dead "$FIRST" || fail "the loop did not kill the first victim"
kill -KILL "$GROWER1"
wait_until 5 dead "$GROWER1" || fail "grower1 did not go"
sleep 0.3
# The loop is held at its next wake-up, before it can act on it (lib.sh).
freeze_loop
# 100 MiB + up to 350 MiB: below 180 MiB available, and the loop cannot act.
test_spawn second "$MEMCG" -- --size 100 --adj 800
SECOND=$SPAWNED
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 200 --max 350 --adj 0
wait_until 15 test -e "$WORK/frozen" || fail "the main loop was never held"
wait_until 15 dead "$SECOND" || fail "the watchdog did not kill the second victim"
wait_until 5 grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $SECOND (second)" \
	"$WORK/reapd.log" || fail "no watchdog line"
release_loop
# The loop goes on: the watchdog's kill becomes an event and a metric.
wait_until 10 grep -q "\"pid\":$SECOND,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kill was not reported as an event: $(cat "$WORK/events.json")"
grep -q "\"pid\":$SECOND,.*\"exited\":true" "$WORK/events.json" ||
	fail "the watchdog's victim was not confirmed dead"
grep -q "\"pid\":$FIRST,.*\"watchdog\":false" "$WORK/events.json" ||
	fail "the loop's own kill is missing or marked as the watchdog's"
stop_reapd
grep -qx 'reapd_watchdog_kills_total 1' "$WORK/reapd.prom" ||
	fail "metrics: $(grep watchdog "$WORK/reapd.prom")"
note "$(grep -o 'watchdog: the main loop has been stuck for [0-9]* ms' "$WORK/reapd.log" | head -1); it killed the second victim itself"
