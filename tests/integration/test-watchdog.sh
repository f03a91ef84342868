#!/usr/bin/env bash
# The watchdog: when the main loop is stuck (here, for real: blocked writing a
# kill event into a full pipe that nobody reads) and memory keeps running out,
# the watchdog thread kills the next victim by itself, and says so; once the
# loop runs again, that kill is reported like its own (events, metrics).
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

# A FIFO whose pipe is already full: the first event reapd writes blocks it.
mkfifo "$WORK/events.fifo"
python3 - "$WORK/events.fifo" "$WORK/drain" "$WORK/events.json" <<'PY' &
import fcntl, os, sys, time
fifo, drain, keep = sys.argv[1], sys.argv[2], sys.argv[3]
fd = os.open(fifo, os.O_RDWR)              # a reader that never reads...
fcntl.fcntl(fd, 1031, 4096)                # F_SETPIPE_SZ: one page
os.set_blocking(fd, False)
try:
    while True:
        os.write(fd, b"x" * 512)           # ...and a pipe already full
except BlockingIOError:
    pass
while not os.path.exists(drain):
    time.sleep(0.05)
os.set_blocking(fd, False)
with open(keep, "ab", buffering=0) as out:
    while True:                            # now drain it, so reapd can go on
        try:
            out.write(os.read(fd, 65536).lstrip(b"x"))
        except BlockingIOError:
            time.sleep(0.02)
PY
sleep 0.5

test_memcg box 600
"$REAPD" --config none --control none --scope "$MEMCG" --mem-min 30% --max-victims 1 \
	--events "$WORK/events.fifo" --metrics-file "$WORK/reapd.prom" --watchdog 1000 \
	> "$WORK/reapd.log" 2>&1 &
REAPD_PID=$!
wait_until 10 grep -q 'psi:' "$WORK/reapd.log" || fail "reapd did not start"
test_spawn first "$MEMCG" -- --size 100 --adj 900
FIRST=$SPAWNED
test_spawn second "$MEMCG" -- --size 100 --adj 800
SECOND=$SPAWNED
# 200 MiB of victims + up to 350 MiB: below 180 MiB available until both are gone.
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 200 --max 350 --adj 0
wait_until 30 dead "$FIRST" || fail "the loop did not kill the first victim"
wait_until 15 dead "$SECOND" || fail "the watchdog did not kill the second victim"
grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $SECOND (second)" \
	"$WORK/reapd.log" || fail "no watchdog line"
touch "$WORK/drain"
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
