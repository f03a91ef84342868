#!/usr/bin/env bash
# Reloading the config: SIGHUP and "reapctl reload" re-read the file, the
# command line still wins, a bad file keeps the old settings and says why,
# and kills around a reload are confirmed and reported once.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
setting() {
	ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"][sys.argv[1]])' "$1"
}

test_memcg box 400
conf=$WORK/reapd.conf
printf 'mem-min = 20%%\nmin-adj = 100\nkill-timeout = 300\n' > "$conf"
start_reapd --scope "$MEMCG" --config "$conf" --kill-timeout 250
[ "$(setting mem_min)" = "20.00%" ] || fail "mem-min from the file not applied"
[ "$(setting kill_timeout_ms)" = 250 ] || fail "the command line did not win"

printf 'mem-min = 30%%\nmin-adj = 200\nkill-timeout = 900\n' > "$conf"
kill -HUP "$REAPD_PID"
wait_until 5 grep -q "reloaded the settings from $conf" "$WORK/reapd.log" || fail "SIGHUP: no reload"
[ "$(setting mem_min)" = "30.00%" ] || fail "SIGHUP: mem-min not re-read"
[ "$(setting min_adj)" = 200 ] || fail "SIGHUP: min-adj not re-read"
[ "$(setting kill_timeout_ms)" = 250 ] || fail "SIGHUP: the command line no longer wins"

printf 'mem-min = 40%%\nmin-adj = lots\n' > "$conf"
set +e
ctl reload 2> "$WORK/err"
s=$?
set -e
[ "$s" = 1 ] || fail "a bad file reloaded (exit $s)"
grep -q "reapd.conf:2: min-adj: invalid value 'lots'" "$WORK/err" ||
	fail "the refusal does not say why: $(cat "$WORK/err")"
grep -q "reload failed, keeping the old settings" "$WORK/reapd.log" || fail "no log line"
[ "$(setting mem_min)" = "30.00%" ] || fail "a bad file changed mem-min"

# Reloads just before and just after a kill: it is confirmed and reported once.
printf 'mem-min = 30%%\nmin-adj = 200\n' > "$conf"
test_spawn victim "$MEMCG" -- --size 100 --adj 900
VICTIM=$SPAWNED
kill -HUP "$REAPD_PID"
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 200 --adj 0
wait_until 30 dead "$VICTIM" || fail "the victim was never killed"
kill -HUP "$REAPD_PID"
sleep 0.5
kill -0 "$REAPD_PID" || fail "reapd died on SIGHUP"
stop_reapd
[ "$(events 'sum(1 for e in ev if e["pid"] == '"$VICTIM"' and e["exited"])')" = 1 ] ||
	fail "the kill was not reported once, confirmed"
note "SIGHUP and reapctl reload re-read the file; the command line wins; a bad file is refused"
