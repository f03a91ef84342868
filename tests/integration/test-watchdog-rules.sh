#!/usr/bin/env bash
# The watchdog with name rules: it matches --prefer/--ignore with its own copy
# of the rules while the loop matches with its own, and a reload hands it the
# new ones.  The loop is stuck for real, twice: its thread is held in a ptrace
# stop, busy in an iteration, while the watchdog runs on (freeze_loop,
# lib.sh).  --min-adj 100 keeps the adj 0 loads out of reach, and --target 30M
# makes one victim cover a round, so the ranking alone decides.
#  1. rules prefer ^second$, ignore ^precious$: the loop kills first (900)
#     and is held at its next wake-up; the watchdog kills second (500 + 300),
#     then decoy (700), and never precious (1000, ignored); then it keeps
#     looking with nothing left to kill.  Let go, the loop reports those
#     kills and, running again, scans with the rules too.  (Before each thread
#     had its own matching scratch, ThreadSanitizer reported that race here.)
#  2. after a reload to prefer ^third$, ignore ^(precious|decoy)$: the loop
#     kills third (100 + 300), which gives it room again, and is held at its
#     next wake-up; the watchdog kills other (300), not a new decoy (700,
#     ignored now: with the old rules it would have been the watchdog's
#     first choice).  The loop kills third untraced: traced, each of its
#     syscalls stops twice for the tracer, and in a slow guest (the lab's
#     fresh machine) a traced round outlasted --watchdog 1000, so the
#     watchdog, not the loop, killed third.
# Run under ThreadSanitizer by scripts/test.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

# reported PID: the loop has written PID's kill event.
reported() { grep -q "\"pid\":$1,.*\"exited\":true" "$WORK/events.json" 2>/dev/null; }

printf 'prefer = ^second$\nignore = ^precious$\n' > "$WORK/reapd.conf"
test_memcg box 800
test_spawn precious "$MEMCG" -- --size 300 --adj 1000
PRECIOUS=$SPAWNED
test_spawn decoy "$MEMCG" -- --size 50 --adj 700
DECOY=$SPAWNED
test_spawn second "$MEMCG" -- --size 50 --adj 500
SECOND=$SPAWNED
test_spawn first "$MEMCG" -- --size 200 --adj 900
FIRST=$SPAWNED
# 600 MiB of 800 in use: 200 MiB available, below --mem-min 30% (240 MiB).
"$REAPD" --config "$WORK/reapd.conf" --control none --scope "$MEMCG" --mem-min 30% \
	--min-adj 100 --target 30M --max-victims 1 --events "$WORK/events.json" \
	--watchdog 1000 > "$WORK/reapd.log" 2>&1 &
REAPD_PID=$!
wait_until 30 dead "$FIRST" || fail "the loop did not kill first"
wait_until 10 reported "$FIRST" || fail "the loop did not report first"
# Held at its next wake-up, before it can act on it.  300 MiB more: 100 MiB
# available, and 200 MiB once second and decoy are gone: still short, with
# nothing left.
freeze_loop
test_spawn grower "$MEMCG" -- --size 300 --adj 0
GROWER=$SPAWNED
wait_until 15 test -e "$WORK/frozen" || fail "the main loop was never held"
wait_until 15 dead "$SECOND" || fail "the watchdog did not kill second (preferred)"
wait_until 15 dead "$DECOY" || fail "the watchdog did not kill decoy"
grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $SECOND (second), uid [0-9]*, adj 500" \
	"$WORK/reapd.log" || fail "no watchdog line for second"
wait_until 10 grep -q "watchdog: .* and nothing is left to kill" "$WORK/reapd.log" ||
	fail "the watchdog did not look again"
if grep -q '"watchdog":true' "$WORK/events.json"; then
	fail "a watchdog kill was reported while the loop was held"
fi
release_loop
wait_until 10 grep -q "\"pid\":$DECOY,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kills were not reported"
grep -q "\"pid\":$SECOND,.*\"effective_adj\":800,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kill of second does not show the preference"
# The loop runs again, short of memory with nothing to kill, while the watchdog may still look.
# ("... is left whose death frees memory; waiting for a change" now, "... is left
# to kill" before the backoff: the test also runs against older builds.)
wait_until 10 grep -q "no process at adj >= 100 is left" "$WORK/reapd.log" ||
	fail "the loop did not look again"
sleep 0.5

# Phase 2: new rules, and room again (the grower is ours).
printf 'prefer = ^third$\nignore = ^(precious|decoy)$\n' > "$WORK/reapd.conf"
kill -HUP "$REAPD_PID"
wait_until 10 grep -q 'reloaded the settings' "$WORK/reapd.log" || fail "no reload"
kill -KILL "$GROWER"
wait_until 10 dead "$GROWER" || fail "the grower did not die"
test_spawn decoy "$MEMCG" -- --size 50 --adj 700
DECOY2=$SPAWNED
test_spawn other "$MEMCG" -- --size 50 --adj 300
OTHER=$SPAWNED
test_spawn third "$MEMCG" -- --size 150 --adj 100
THIRD=$SPAWNED
# 550 MiB in use; 100 MiB more: 150 MiB available, and the loop kills third
# (once it is gone, 500 MiB in use: 300 available, above the 240 MiB mark).
test_spawn pusher "$MEMCG" -- --size 100 --adj 0
PUSHER=$SPAWNED
wait_until 30 dead "$THIRD" || fail "the loop did not kill third"
wait_until 10 reported "$THIRD" || fail "the loop did not report third"
# Held at its next wake-up; 150 MiB more: 150 MiB available, 200 once other
# is gone, and nothing else the rules allow.
freeze_loop
test_spawn pusher2 "$MEMCG" -- --size 150 --adj 0
PUSHER2=$SPAWNED
wait_until 15 test -e "$WORK/frozen" || fail "the main loop was never held after killing third"
wait_until 15 dead "$OTHER" || fail "the watchdog did not kill other"
grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $OTHER (other)" \
	"$WORK/reapd.log" || fail "no watchdog line for other"
if grep -q "\"pid\":$OTHER," "$WORK/events.json"; then
	fail "the watchdog's kill of other was reported while the loop was held"
fi
release_loop
wait_until 10 grep -q "\"pid\":$OTHER,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kill of other was not reported"
stop_reapd

alive "$PRECIOUS" || fail "precious (ignored) was killed"
alive "$DECOY2" || fail "the new decoy was killed (by rules from before the reload?)"
alive "$PUSHER" && alive "$PUSHER2" || fail "an adj 0 process was killed"
# In the order of the kills (a held loop reports its own kill and the
# watchdog's in either order once it runs again).
want="$FIRST:l $SECOND:w $DECOY:w $THIRD:l $OTHER:w"
order=$(events '" ".join("%d:%s" % (e["pid"], "w" if e["watchdog"] else "l") for e in sorted(ev, key=lambda e: e["time"]))')
[ "$order" = "$want" ] || fail "kills $order, expected $want (l: loop, w: watchdog)"
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted: $(oom_kills "$MEMCG") kills"
note "the watchdog ranked by the rules (preferred first, ignored spared), before and after a reload"
