#!/usr/bin/env bash
# Nothing blocks the loop: a config path that is a FIFO is refused ("not a
# regular file") by --check-config, at start-up and on reload, without
# waiting for a writer; an --events FIFO nobody reads, or a full one, never
# holds up start-up, kills or the control socket.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
setting() {
	timeout 2 "$REAPCTL" --socket "$WORK/control" --json status |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["config"][sys.argv[1]])' "$1"
}
# A reapd stuck in open() or write() takes no SIGTERM: end it for good before failing.
hard_fail() {
	if [ -n "$REAPD_PID" ]; then
		kill -KILL "$REAPD_PID" 2>/dev/null || true
		wait "$REAPD_PID" 2>/dev/null || true
		REAPD_PID=
	fi
	fail "$@"
}
# start_nb ARGS...: start_reapd, but a reapd that never gets going is killed for good.
start_nb() {
	: > "$WORK/reapd.log" # here, not in the child: see start_reapd
	"$REAPD" --config none --control "$WORK/control" "$@" >> "$WORK/reapd.log" 2>&1 &
	REAPD_PID=$!
	wait_until 10 grep -q 'psi:' "$WORK/reapd.log" || hard_fail "reapd did not start"
	# Start-up ends with mlockall, slow under ASan: answering at all comes first.
	wait_until 10 responsive || hard_fail "reapd never answered reapctl status"
}
# responsive: reapctl status answers within a second.
responsive() { timeout 1 "$REAPCTL" --socket "$WORK/control" status > /dev/null; }
# stop_quickly: SIGTERM, and reapd must be gone within 5 s.
stop_quickly() {
	kill -TERM "$REAPD_PID"
	wait_until 5 dead "$REAPD_PID" || hard_fail "reapd did not exit within 5 s of SIGTERM"
	wait "$REAPD_PID" || fail "reapd exited with status $? on SIGTERM"
	REAPD_PID=
}

fifo=$WORK/config.fifo
mkfifo "$fifo"

# --check-config and start-up: refused at once, with the reason.
for mode in --check-config --dry-run; do
	set +e
	timeout 3 "$REAPD" "$mode" --config "$fifo" --control none --scope /nonexistent \
		> "$WORK/out" 2>&1
	s=$?
	set -e
	[ "$s" != 124 ] || fail "reapd $mode --config FIFO waited for a writer"
	[ "$s" = 2 ] || fail "reapd $mode --config FIFO: exit $s, not 2: $(cat "$WORK/out")"
	grep -q "config.fifo.*not a regular file" "$WORK/out" ||
		fail "reapd $mode --config FIFO does not say why: $(cat "$WORK/out")"
done
note "--check-config and start-up refuse a FIFO config: $(head -n1 "$WORK/out")"

# Reload: the file replaced by a FIFO is refused, the old settings stay.
test_memcg box 400
conf=$WORK/reapd.conf
printf 'mem-min = 20%%\nmin-adj = 100\n' > "$conf"
start_reapd --scope "$MEMCG" --config "$conf"
wait_until 10 responsive || hard_fail "reapd never answered reapctl status"
[ "$(setting min_adj)" = 100 ] || fail "min-adj from the file not applied"
rm "$conf"
mkfifo "$conf"
kill -HUP "$REAPD_PID"
wait_until 3 grep -q "reload failed, keeping the old settings.*not a regular file" \
	"$WORK/reapd.log" || hard_fail "SIGHUP with a FIFO config: no refusal in the log"
responsive || hard_fail "reapctl status did not answer within a second after SIGHUP"
[ "$(setting min_adj)" = 100 ] || hard_fail "a refused reload changed min-adj"
set +e
timeout 3 "$REAPCTL" --socket "$WORK/control" reload > "$WORK/out" 2>&1
s=$?
set -e
[ "$s" = 1 ] || hard_fail "reapctl reload with a FIFO config: exit $s: $(cat "$WORK/out")"
grep -q "not a regular file" "$WORK/out" || hard_fail "reapctl reload: no reason: $(cat "$WORK/out")"
responsive || hard_fail "reapctl status did not answer after reapctl reload"
stop_quickly
note "SIGHUP and reapctl reload refuse a FIFO config and keep the old settings"

# fill_fifo PATH: a reader that never reads holds PATH open, its pipe full.
fill_fifo() {
	python3 - "$1" <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
try:
    while True:
        os.write(fd, b"x" * 4096)
except BlockingIOError:
    pass
open(sys.argv[1] + ".full", "w").close()
time.sleep(600)
PY
	wait_until 5 test -e "$1.full" || fail "could not fill the FIFO $1"
}

# kill_one LABEL: a victim in the box dies while a grower fills it; reapd stays responsive.
kill_one() {
	test_spawn "victim-$1" "$MEMCG" -- --size 150 --adj 800
	local victim=$SPAWNED
	test_spawn "grower-$1" "$MEMCG" -- --size 10 --grow --rate 150 --max 180 --adj 0
	local grower=$SPAWNED
	wait_until 30 dead "$victim" || hard_fail "$1: the victim was never killed"
	sleep 0.3
	responsive || hard_fail "$1: reapctl status did not answer within a second after the kill"
	kill -KILL "$grower" 2>/dev/null || true
	wait_until 5 dead "$grower" || true
	VICTIM=$victim
}

# An events FIFO nobody has opened: start-up does not wait for a reader, the
# event waits in the pipe for the consumer that comes later.
events_fifo=$WORK/events.fifo
mkfifo "$events_fifo"
start_nb --scope "$MEMCG" --mem-min 20% --events "$events_fifo"
responsive || hard_fail "events FIFO without a reader: reapctl status does not answer"
kill_one late
timeout 3 head -n 1 "$events_fifo" > "$WORK/consumed" || true
grep -q "\"pid\":$VICTIM," "$WORK/consumed" ||
	hard_fail "a late consumer of the events FIFO did not get the event: $(cat "$WORK/consumed")"
stop_quickly
note "events FIFO without a reader: started, killed, the late consumer read the event"

# A full events pipe (its reader never reads): the kill happens, the loop
# answers, and exit does not wait forever for the pipe.
fill_fifo "$events_fifo"
start_nb --scope "$MEMCG" --mem-min 20% --events "$events_fifo"
responsive || hard_fail "full events FIFO: reapctl status does not answer"
kill_one full
stop_quickly
grep -q "kill event.*not written" "$WORK/reapd.log" ||
	fail "the kill event that could not be written is not reported"
note "full events FIFO: the kill happened, reapd answered and exited promptly"

# A full stderr pipe (whoever started reapd stopped reading its log): the
# loop logs every kill, and must not wait for the pipe to drain.
log_fifo=$WORK/log.fifo
mkfifo "$log_fifo"
fill_fifo "$log_fifo"
rm -f "$WORK/events.json"
"$REAPD" --config none --control "$WORK/control" --scope "$MEMCG" --mem-min 20% -v \
	--events "$WORK/events.json" > /dev/null 2> "$log_fifo" &
REAPD_PID=$!
wait_until 10 responsive || hard_fail "full stderr pipe: reapd never answered reapctl status"
kill_one log
wait_until 5 grep -q "\"pid\":$VICTIM," "$WORK/events.json" ||
	hard_fail "full stderr pipe: no event for the kill"
stop_quickly
note "full stderr pipe: reapd answered, killed and exited promptly (its log lines dropped)"
