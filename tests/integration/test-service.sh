#!/usr/bin/env bash
# Running under a service manager: the sd_notify protocol (READY=1, STATUS=,
# RELOADING=1, STOPPING=1 on $NOTIFY_SOCKET, which hooks do not inherit) and
# --syslog (priorities, facility daemon, one line per kill, quiet when idle).
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

python3 "$HERE/dgram-listen.py" "$WORK/notify.sock" "$WORK/notify.out" &
python3 "$HERE/dgram-listen.py" "$WORK/syslog.sock" "$WORK/syslog.out" &
wait_until 5 test -S "$WORK/notify.sock" || fail "no notify socket"
wait_until 5 test -S "$WORK/syslog.sock" || fail "no syslog socket"

test_memcg box 400
NOTIFY_SOCKET=$WORK/notify.sock "$REAPD" --config none --control "$WORK/control" \
	--scope "$MEMCG" --mem-min 30% --syslog --syslog-socket "$WORK/syslog.sock" \
	--kill-hook 'echo "hook sees [$NOTIFY_SOCKET]" >&2' > "$WORK/reapd.log" 2>&1 &
REAPD_PID=$!
wait_until 10 grep -q '^READY=1$' "$WORK/notify.out" || fail "no READY=1: $(cat "$WORK/notify.out")"
grep -q "^STATUS=Watching $MEMCG; no kills yet$" "$WORK/notify.out" || fail "no status line"
grep -q "^MAINPID=$REAPD_PID$" "$WORK/notify.out" || fail "no MAINPID"
# Facility daemon (3 << 3) plus info (6) = 30; the start line names the scope.
grep -q "^<30>reapd\[$REAPD_PID\]: reapd .* watching $MEMCG" "$WORK/syslog.out" ||
	fail "no start line in syslog: $(cat "$WORK/syslog.out")"

# Idle: nothing more is said.
lines=$(wc -l < "$WORK/syslog.out")
sleep 3
[ "$(wc -l < "$WORK/syslog.out")" = "$lines" ] || fail "log lines while idle: $(tail -n +"$lines" "$WORK/syslog.out")"

test_spawn victim "$MEMCG" -- --size 100 --adj 900
VICTIM=$SPAWNED
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 200 --adj 0
wait_until 30 dead "$VICTIM" || fail "the victim was never killed"
wait_until 5 grep -q "^<30>reapd\[$REAPD_PID\]: killed pid $VICTIM (victim), uid 0, adj 900" \
	"$WORK/syslog.out" || fail "no kill line in syslog: $(cat "$WORK/syslog.out")"
wait_until 5 grep -q "^STATUS=Watching $MEMCG; 1 kills, the last pid $VICTIM (victim)" \
	"$WORK/notify.out" || fail "no status after the kill"
wait_until 5 grep -q 'hook sees \[\]' "$WORK/reapd.log" || fail "the hook saw NOTIFY_SOCKET: $(cat "$WORK/reapd.log")"

kill -HUP "$REAPD_PID"
wait_until 5 grep -q "settings reloaded" "$WORK/notify.out" || fail "no READY after a reload"
grep -B2 -A3 '^RELOADING=1$' "$WORK/notify.out" | grep '^READY=1$' > /dev/null || fail "no RELOADING=1 then READY=1"
kill -TERM "$REAPD_PID"
wait "$REAPD_PID" || fail "reapd exited with status $?"
REAPD_PID=
grep -q '^STOPPING=1$' "$WORK/notify.out" || fail "no STOPPING=1"
grep -q "^<30>reapd\[[0-9]*\]: exiting on TERM" "$WORK/syslog.out" || fail "no exit line in syslog"
# With --syslog, stderr carries only what the hook printed.
if grep -v '^hook sees' "$WORK/reapd.log"; then fail "reapd still wrote to stderr"; fi

# Without a syslog socket, reapd says so on stderr and keeps logging there.
"$REAPD" --config none --control none --scope "$MEMCG" --syslog \
	--syslog-socket "$WORK/nothing.sock" > "$WORK/reapd.log" 2>&1 &
REAPD_PID=$!
wait_until 10 grep -q 'psi:' "$WORK/reapd.log" || fail "reapd did not start without syslog"
grep -q "cannot log to syslog at $WORK/nothing.sock; logging to stderr" "$WORK/reapd.log" ||
	fail "no warning about the missing syslog socket"
stop_reapd
note "sd_notify READY/STATUS/RELOADING/STOPPING; syslog priorities; quiet while idle"
