#!/usr/bin/env bash
# The scoped cgroup is removed while reapd watches it: reapd says so in one
# line and exits with status 1 instead of spinning or killing anything else.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

test_memcg box 300
start_reapd --scope "$MEMCG"
rmdir "$MEMCG"
wait_until 10 dead "$REAPD_PID" || fail "reapd kept running after its scope was removed"
set +e
wait "$REAPD_PID"
status=$?
set -e
REAPD_PID=
[ "$status" = 1 ] || fail "exit status $status, expected 1"
grep -q "error: the scope $MEMCG is gone" "$WORK/reapd.log" || fail "no clear log line"
[ ! -s "$WORK/events.json" ] || fail "something was killed"
note "reapd exited 1: $(grep -o 'the scope .*' "$WORK/reapd.log")"
