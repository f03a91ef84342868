#!/usr/bin/env bash
# Clients cannot widen what reapd may do (issue 10, point 3): prio, from
# reapctl or over lmkd, acts only inside the scope and never on pid 1 or
# reapd; LMK_TARGET levels must fit the domain, and no level lowers
# --min-adj. Each accepted change is logged with who asked.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
require_reapctl
adj() { cat "/proc/$1/oom_score_adj"; }
# lmkd INTS...: sends one lmkd packet and waits a little for reapd to act on it.
lmkd() {
	python3 - "$WORK/lmkd" "$@" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
v = [int(x) for x in sys.argv[2:]]
s.send(struct.pack("!%di" % len(v), *v))
time.sleep(0.3)
PY
}

test_memcg other 200
OTHER_CG=$MEMCG
test_spawn outside "$OTHER_CG" -- --size 10 --adj 0
OUTSIDE=$SPAWNED
test_memcg box 400
test_spawn inside "$MEMCG" -- --size 20 --adj 0
INSIDE=$SPAWNED
# Below --min-adj 200 (not negative: lowering an adj needs CAP_SYS_RESOURCE, not everywhere granted).
test_spawn protected "$MEMCG" -- --size 20 --adj 100
PROTECTED=$SPAWNED
start_reapd --scope "$MEMCG" --mem-min 5% --min-adj 200 --lmkd-socket "$WORK/lmkd"

# reapctl prio: outside the scope, pid 1 and reapd itself are refused (exit 1), with a reason.
set +e
ctl prio "$OUTSIDE" 500 2> "$WORK/err1"; s1=$?
ctl prio 1 "$(adj 1)" 2> "$WORK/err2"; s2=$?
ctl prio "$REAPD_PID" -1000 2> "$WORK/err3"; s3=$?
set -e
[ "$s1" = 1 ] && grep -q "not inside reapd's scope" "$WORK/err1" ||
	fail "prio outside the scope: exit $s1: $(cat "$WORK/err1")"
[ "$(adj "$OUTSIDE")" = 0 ] || fail "prio changed a process outside the scope"
[ "$s2" = 1 ] && grep -q "pid 1 and reapd itself" "$WORK/err2" ||
	fail "prio of pid 1: exit $s2: $(cat "$WORK/err2")"
[ "$s3" = 1 ] || fail "prio of reapd itself: exit $s3"
ctl prio "$INSIDE" 300 > /dev/null || fail "root could not prio a process in the scope"
[ "$(adj "$INSIDE")" = 300 ] || fail "prio inside the scope did not set the adj"
grep -q "control: uid 0 (pid [0-9]*) set pid $INSIDE's oom_score_adj from 0 to 300" \
	"$WORK/reapd.log" || fail "the accepted prio was not logged with who asked"
note "reapctl prio: outside the scope, pid 1, reapd refused; inside accepted and logged"

# LMK_PROCPRIO on a process outside the scope: ignored (no reply, as lmkd), logged.
lmkd 1 "$OUTSIDE" 0 900
[ "$(adj "$OUTSIDE")" = 0 ] || fail "LMK_PROCPRIO changed a process outside the scope"
grep -q "may not set pid $OUTSIDE to adj 900: not inside" "$WORK/reapd.log" ||
	fail "the refused LMK_PROCPRIO was not logged"
lmkd 11 "$INSIDE" 0 400 0
[ "$(adj "$INSIDE")" = 400 ] || fail "LMK_PROCS_PRIO inside the scope did not set the adj"
grep -q "lmkd: uid 0 (pid [0-9]*) set pid $INSIDE's oom_score_adj from 300 to 400" \
	"$WORK/reapd.log" || fail "the accepted LMK_PROCS_PRIO was not logged"

# LMK_TARGET [INT32_MAX pages, adj -1000]: larger than the domain, refused; nothing dies.
lmkd 0 2147483647 -1000
sleep 1
alive "$INSIDE" && alive "$PROTECTED" || fail "a level larger than the domain killed"
grep -q "levels refused, the old ones kept" "$WORK/reapd.log" || fail "the refusal was not logged"
[ "$(ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["lmkd"]["minfree"])')" = "[]" ] ||
	fail "refused levels were set"

# A level the size of the domain, at adj -1000: always hit, but raised to --min-adj 200,
# so the adj 400 process goes and the adj 100 one stays.
lmkd 0 $((400 * 256)) -1000
grep -q "asks for adj -1000, below --min-adj 200; raised to 200" "$WORK/reapd.log" ||
	fail "the clamped level was not logged"
wait_until 20 dead "$INSIDE" || fail "the level never killed the adj 400 process"
sleep 2
alive "$PROTECTED" || fail "a process below --min-adj was killed by an lmkd level"
[ "$(ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["lmkd"]["minfree"])')" = "[[102400, 200]]" ] ||
	fail "status does not show the raised level"
lmkd 0
alive "$OUTSIDE" || fail "a process outside the scope died"
stop_reapd
note "LMK_TARGET: a level larger than the domain refused; adj -1000 raised to --min-adj; adj 100 survived"
