#!/usr/bin/env bash
# The watchdog with name rules: it matches --prefer/--ignore with its own copy
# of the rules while the loop matches with its own, and a reload hands it the
# new ones.  The loop is stuck for real (blocked writing a kill event into a
# full pipe), twice.  --min-adj 100 keeps the adj 0 loads out of reach, and
# --target 30M makes one victim cover a round, so the ranking alone decides.
#  1. rules prefer ^second$, ignore ^precious$: the loop kills first (900)
#     and sticks; the watchdog kills second (500 + 300), then decoy (700), and
#     never precious (1000, ignored); then it keeps looking with nothing left
#     to kill while the loop, running again, scans too.  (Before each thread
#     had its own matching scratch, ThreadSanitizer reported that race here.)
#  2. after a reload to prefer ^third$, ignore ^(precious|decoy)$: the loop
#     kills third (100 + 300) and sticks; the watchdog kills other (300), not
#     a new decoy (700, ignored now: with the old rules it would have been the
#     watchdog's first choice).
# Run under ThreadSanitizer by scripts/test.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

# A FIFO whose pipe is full whenever $WORK/block<N> exists and $WORK/drain<N> does
# not, for 20 s at most: a loop stuck on it does not see SIGTERM, and the
# cleanup after a failure must not wait for it forever.
mkfifo "$WORK/events.fifo"
python3 - "$WORK" <<'PY' &
import fcntl, os, re, sys, time
work = sys.argv[1]
fd = os.open(work + "/events.fifo", os.O_RDWR)  # a reader that does not read...
fcntl.fcntl(fd, 1031, 4096)                     # F_SETPIPE_SZ: one page
os.set_blocking(fd, False)
def fill():                                     # ...and a pipe full of blank lines
    try:
        while True:
            os.write(fd, b"\n" * 512)
    except BlockingIOError:
        pass
events = open(work + "/events.json", "ab", buffering=0)
class out:                                      # events.json without the blank lines
    def write(data):
        events.write(re.sub(rb"\n\n+", b"\n", data).lstrip(b"\n"))
for phase in (1, 2):
    while not os.path.exists(f"{work}/block{phase}"):
        try:
            out.write(os.read(fd, 65536))
        except BlockingIOError:
            time.sleep(0.02)
    fill()
    open(f"{work}/blocked{phase}", "w").close()
    deadline = time.monotonic() + 20
    while not os.path.exists(f"{work}/drain{phase}") and time.monotonic() < deadline:
        time.sleep(0.05)
while True:
    try:
        out.write(os.read(fd, 65536))
    except BlockingIOError:
        time.sleep(0.02)
PY
printf 'prefer = ^second$\nignore = ^precious$\n' > "$WORK/reapd.conf"
touch "$WORK/block1"
wait_until 10 test -e "$WORK/blocked1" || fail "the pipe did not fill"

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
	--min-adj 100 --target 30M --max-victims 1 --events "$WORK/events.fifo" \
	--watchdog 1000 > "$WORK/reapd.log" 2>&1 &
REAPD_PID=$!
wait_until 30 dead "$FIRST" || fail "the loop did not kill first"
# The loop is stuck on first's event.  300 MiB more: 100 MiB available, and
# 200 MiB once second and decoy are gone: still short, with nothing left.
test_spawn grower "$MEMCG" -- --size 300 --adj 0
GROWER=$SPAWNED
wait_until 15 dead "$SECOND" || fail "the watchdog did not kill second (preferred)"
wait_until 15 dead "$DECOY" || fail "the watchdog did not kill decoy"
grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $SECOND (second), uid [0-9]*, adj 500" \
	"$WORK/reapd.log" || fail "no watchdog line for second"
wait_until 10 grep -q "watchdog: .* and nothing is left to kill" "$WORK/reapd.log" ||
	fail "the watchdog did not look again"
touch "$WORK/drain1"
wait_until 10 grep -q "\"pid\":$DECOY,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kills were not reported"
grep -q "\"pid\":$SECOND,.*\"effective_adj\":800,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kill of second does not show the preference"
# The loop runs again, short of memory with nothing to kill, while the watchdog may still look.
wait_until 10 grep -q "no process at adj >= 100 is left to kill" "$WORK/reapd.log" ||
	fail "the loop did not look again"
sleep 0.5

# Phase 2: new rules, and room again (the grower is ours).
printf 'prefer = ^third$\nignore = ^(precious|decoy)$\n' > "$WORK/reapd.conf"
kill -HUP "$REAPD_PID"
wait_until 10 grep -q 'reloaded the settings' "$WORK/reapd.log" || fail "no reload"
kill -KILL "$GROWER"
wait_until 10 dead "$GROWER" || fail "the grower did not die"
touch "$WORK/block2"
wait_until 10 test -e "$WORK/blocked2" || fail "the pipe did not fill again"
test_spawn decoy "$MEMCG" -- --size 50 --adj 700
DECOY2=$SPAWNED
test_spawn third "$MEMCG" -- --size 50 --adj 100
THIRD=$SPAWNED
test_spawn other "$MEMCG" -- --size 50 --adj 300
OTHER=$SPAWNED
# 450 MiB in use; 200 MiB more: the loop kills third on the way and sticks;
# then 200 MiB are available, and the watchdog goes on.
test_spawn pusher "$MEMCG" -- --size 200 --adj 0
PUSHER=$SPAWNED
wait_until 30 dead "$THIRD" || fail "the loop did not kill third"
wait_until 15 dead "$OTHER" || fail "the watchdog did not kill other"
grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $OTHER (other)" \
	"$WORK/reapd.log" || fail "no watchdog line for other"
touch "$WORK/drain2"
wait_until 10 grep -q "\"pid\":$OTHER,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kill of other was not reported"
stop_reapd

alive "$PRECIOUS" || fail "precious (ignored) was killed"
alive "$DECOY2" || fail "the new decoy was killed (by rules from before the reload?)"
alive "$PUSHER" || fail "the adj 0 process was killed"
want="$FIRST:l $SECOND:w $DECOY:w $THIRD:l $OTHER:w"
order=$(events '" ".join("%d:%s" % (e["pid"], "w" if e["watchdog"] else "l") for e in ev)')
[ "$order" = "$want" ] || fail "kills $order, expected $want (l: loop, w: watchdog)"
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted: $(oom_kills "$MEMCG") kills"
note "the watchdog ranked by the rules (preferred first, ignored spared), before and after a reload"
