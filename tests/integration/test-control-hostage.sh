#!/usr/bin/env bash
# The control socket cannot be held hostage (issue 10, point 7): another user
# holding every connection it can, idle, locks nobody out. Root still gets
# its answers; a refused client is told why (reapctl exits 3 with the
# reason); idle connections are closed after 10 s, subscribers are not.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
require_reapctl
command -v setpriv > /dev/null || skip "no setpriv"
id nobody > /dev/null 2>&1 || skip "no user 'nobody'"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

test_memcg box 200
# nobody must reach the socket (0666) through our directory.
chmod 755 "$WORK"
mkdir -m 1777 "$WORK/out"
start_reapd --scope "$MEMCG" --mem-min 5% --control-mode 0666

# A root subscriber, idle for good: it must outlive the idle timeout.
"$REAPCTL" --socket "$WORK/control" --json follow > "$WORK/follow.json" &
FOLLOW=$!
sleep 0.3
python3 "$HERE/hostage.py" "$WORK/control" 40 "$WORK/out/ready" "$WORK/out/result.json" &
HOSTAGE=$!
wait_until 10 test -s "$WORK/out/ready" || fail "the hostage-taker did not get ready"
note "nobody holds $(cat "$WORK/out/ready") idle connections"

set +e
"$REAPCTL" --socket "$WORK/control" status > "$WORK/status" 2> "$WORK/err1"; s1=$?
as_nobody "$REAPCTL" --socket "$WORK/control" status > /dev/null 2> "$WORK/err2"; s2=$?
set -e
[ "$s1" = 0 ] || fail "root's status failed while nobody held the socket (exit $s1: $(cat "$WORK/err1"))"
[ "$s2" = 3 ] && grep -q "too many connections" "$WORK/err2" ||
	fail "a refused client was not told why (exit $s2: $(cat "$WORK/err2"))"
note "root: status answered; nobody, refused: $(cat "$WORK/err2")"

wait "$HOSTAGE" || fail "the hostage-taker failed"
python3 - "$WORK/out/result.json" <<'PY' || fail "idle connections: $(cat "$WORK/out/result.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["refusals"], "no connection was refused"
for x in r["refusals"]:
    assert x["ok"] is False and "too many connections" in x["error"] and x["busy"] is True, x
closed = r["closed_after"]
assert all(c is not None for c in closed), f"held connections never closed: {closed}"
assert all(8 <= c <= 16 for c in closed), f"closed after {closed} s, expected about 10"
print("# %d held connections closed after %.1f-%.1f s; %d refused with the reason"
      % (r["held"], min(closed), max(closed), len(r["refusals"])))
PY
alive "$FOLLOW" || fail "the subscriber was closed as idle"
as_nobody "$REAPCTL" --socket "$WORK/control" status > /dev/null ||
	fail "nobody could not connect once the idle connections were gone"
kill -TERM "$FOLLOW"
wait "$FOLLOW" || fail "reapctl follow did not exit 0"
stop_reapd
