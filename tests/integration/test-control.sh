#!/usr/bin/env bash
# reapctl against a running reapd: status, victims, follow, history,
# killcount, metrics, prio, reload; and the rules for another user: an
# unprivileged user may raise its own process's adj, nothing more.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
require_reapctl

test_memcg box 500
test_spawn keep "$MEMCG" -- --size 50 --adj 0
KEEP=$SPAWNED
test_spawn cache "$MEMCG" -- --size 150 --adj 900
CACHE=$SPAWNED
# Other users must reach the socket (0666) through our directory.
chmod 755 "$WORK"
start_reapd --scope "$MEMCG" --mem-min 20% --control-mode 0666

ctl status > "$WORK/status" || fail "reapctl status failed"
grep -q "$MEMCG" "$WORK/status" || fail "status does not name the scope: $(cat "$WORK/status")"
ctl --json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["ok"] and s["domain"].startswith("cgroup"), s
assert s["memory"]["total_kib"] == 500 * 1024, s["memory"]
assert s["pending"]["victims"] == 0 and s["kills"]["total"] == 0, s
t = s["thrashing"]
# Refault counters: a v2 scope has them in memory.stat, a v1 scope none.
assert t["measured"] == (sys.argv[1] == "v2"), t
assert t["limit_percent"] == t["base_limit_percent"] == 100 and isinstance(t["percent"], int), t
assert t["direct_reclaim"] in (True, False), t
w = s["swap"]
assert w["util_max_percent"] == 0 and 0 <= w["util_percent"] <= 100, w
assert w["counted_free_kib"] <= w["free_kib"] <= w["total_kib"] or w["total_kib"] == 0, w
assert w["zram"] in (True, False), w' "$MEMCG_KIND" || fail "status JSON"
grep -q "^thrashing:" "$WORK/status" || fail "status does not show thrashing: $(cat "$WORK/status")"
grep -q "^swap:" "$WORK/status" || fail "status does not show swap: $(cat "$WORK/status")"
ctl --json victims | python3 -c '
import json, sys
v = json.load(sys.stdin)["candidates"]
assert v[0]["pid"] == '"$CACHE"' and v[0]["would_kill"] and v[0]["effective_adj"] == 900, v[0]
assert any(c["pid"] == '"$KEEP"' and not c["would_kill"] for c in v), v' ||
	fail "victims does not rank the adj 900 process first"
ctl victims | grep "cache" > /dev/null || fail "the victims table lacks the process name"

# Not through the ctl function: a backgrounded function is a subshell that would get the signal.
"$REAPCTL" --socket "$WORK/control" --json follow > "$WORK/follow.json" &
FOLLOW=$!
sleep 0.3
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 280 --adj 0
wait_until 30 dead "$CACHE" || fail "the adj 900 process was never killed"
wait_until 5 grep -q "\"pid\":$CACHE" "$WORK/follow.json" || fail "follow did not show the kill"
kill -TERM "$FOLLOW"
wait "$FOLLOW" || fail "reapctl follow did not exit 0 on SIGTERM"
grep -q '"event":"kill"' "$WORK/follow.json" || fail "follow's packets are not kill events"

[ "$(ctl --json history | python3 -c 'import json,sys; print(json.load(sys.stdin)["kills"][-1]["pid"])')" = "$CACHE" ] ||
	fail "history does not end with the kill"
[ "$(ctl --json killcount 900 900 | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" = 1 ] ||
	fail "killcount 900 900 is not 1"
ctl metrics > "$WORK/metrics" || fail "reapctl metrics failed"
python3 - "$WORK/metrics" <<'PY' || fail "metrics are not Prometheus text"
import re, sys
text = open(sys.argv[1]).read()
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_]+="[^"]*"(,[a-zA-Z_]+="[^"]*")*\})? '
                    r'-?[0-9.e+]+$')
for line in text.splitlines():
    assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line
assert 'reapd_kills_total{reason="low_mem"} 1' in text
assert "reapd_kill_to_exit_seconds_count 1" in text
PY

# prio as root, on one of our processes.
ctl prio "$KEEP" 300 > /dev/null || fail "root could not prio"
[ "$(cat "/proc/$KEEP/oom_score_adj")" = 300 ] || fail "prio did not set the adj"

if command -v setpriv > /dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	# A process of nobody's own, inside our cgroup so cleanup takes it.
	sh -c 'echo $$ > "$1/cgroup.procs"; exec setpriv --reuid=65534 --regid=65534 \
		--clear-groups sleep 300' sh "$MEMCG" &
	NOBODY_PROC=$!
	owned_by_nobody() { [ "$(stat -c %u "/proc/$1" 2> /dev/null)" = 65534 ]; }
	wait_until 5 owned_by_nobody "$NOBODY_PROC" || fail "no process of nobody's"
	set +e
	as_nobody "$REAPCTL" --socket "$WORK/control" prio "$KEEP" 400 2> "$WORK/err1"; s1=$?
	as_nobody "$REAPCTL" --socket "$WORK/control" prio "$NOBODY_PROC" 500 > /dev/null; s2=$?
	as_nobody "$REAPCTL" --socket "$WORK/control" prio "$NOBODY_PROC" 100 2> "$WORK/err3"; s3=$?
	as_nobody "$REAPCTL" --socket "$WORK/control" reload 2> "$WORK/err4"; s4=$?
	as_nobody "$REAPCTL" --socket "$WORK/control" status > /dev/null; s5=$?
	set -e
	[ "$s1" = 1 ] && grep -q "permission denied" "$WORK/err1" ||
		fail "nobody could prio root's process (exit $s1: $(cat "$WORK/err1"))"
	[ "$(cat "/proc/$KEEP/oom_score_adj")" = 300 ] || fail "a refused prio changed the adj"
	[ "$s2" = 0 ] && [ "$(cat "/proc/$NOBODY_PROC/oom_score_adj")" = 500 ] ||
		fail "nobody could not raise its own process's adj (exit $s2)"
	[ "$s3" = 1 ] && grep -q "only root may lower" "$WORK/err3" ||
		fail "nobody could lower its own process's adj (exit $s3)"
	[ "$s4" = 1 ] || fail "nobody could reload (exit $s4)"
	[ "$s5" = 0 ] || fail "nobody could not read the status (exit $s5)"
	note "unprivileged: status yes; prio of another's process no; raise own yes, lower no; reload no"
else
	note "no setpriv: the unprivileged part was not run"
fi

ctl reload > /dev/null || fail "root could not reload"
stop_reapd
set +e
ctl status 2> "$WORK/err"
s=$?
set -e
[ "$s" = 3 ] || fail "reapctl without a daemon exited $s, expected 3"
note "status, victims, follow, history, killcount, metrics, prio, reload all answered"
