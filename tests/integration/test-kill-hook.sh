#!/usr/bin/env bash
# --kill-hook: runs after each kill with the victim's details in REAPD_*,
# asynchronously (the loop answers while it runs), as --kill-hook-user, without
# reapd's real-time priority or its oom_score_adj -1000, and is killed with its
# whole process group after --kill-hook-timeout.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
id nobody > /dev/null 2>&1 || skip "no user 'nobody'"

# The hook runs as nobody: it needs to reach the script and write its report.
chmod 755 "$WORK"
mkdir -m 1777 "$WORK/out"
cat > "$WORK/hook.sh" <<'SH'
#!/bin/sh
out=/tmp/none
case "$0" in */*) out=${0%/*}/out ;; esac
{
	env | grep '^REAPD_' | sort
	echo "HOOK_UID=$(id -u)"
	echo "HOOK_ADJ=$(cat /proc/self/oom_score_adj)"
	echo "HOOK_POLICY=$(sed 's/.*) //' /proc/self/stat | cut -d' ' -f39)"
	echo "HOOK_PATH=$PATH"
} > "$out/hook-$REAPD_PID.tmp"
mv "$out/hook-$REAPD_PID.tmp" "$out/hook-$REAPD_PID.env"
sleep "${HOOK_SLEEP:-3}"
touch "$out/hook-$REAPD_PID.done"
SH
chmod 755 "$WORK/hook.sh"

test_memcg box 400
start_reapd --scope "$MEMCG" --mem-min 30% --kill-hook "$WORK/hook.sh" --kill-hook-user nobody
test_spawn victim "$MEMCG" -- --size 100 --adj 900
VICTIM=$SPAWNED
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 200 --adj 0
wait_until 30 dead "$VICTIM" || fail "the victim was never killed"
wait_until 10 test -f "$WORK/out/hook-$VICTIM.env" || fail "the hook did not run"
env_of() { sed -n "s/^$1=//p" "$WORK/out/hook-$VICTIM.env"; }

# Asynchronous: the event is out and the loop answers while the hook still sleeps.
[ ! -e "$WORK/out/hook-$VICTIM.done" ] || fail "the hook finished too soon to tell"
"$REAPCTL" --socket "$WORK/control" status > /dev/null || fail "reapd did not answer during the hook"
[ "$(events 'sum(1 for e in ev if e["pid"] == '"$VICTIM"')')" = 1 ] ||
	fail "the kill event waited for the hook"

[ "$(env_of REAPD_PID)" = "$VICTIM" ] || fail "REAPD_PID is '$(env_of REAPD_PID)'"
[ "$(env_of REAPD_COMM)" = victim ] || fail "REAPD_COMM is '$(env_of REAPD_COMM)'"
[ "$(env_of REAPD_UID)" = 0 ] || fail "REAPD_UID is '$(env_of REAPD_UID)'"
[ "$(env_of REAPD_ADJ)" = 900 ] || fail "REAPD_ADJ is '$(env_of REAPD_ADJ)'"
[ "$(env_of REAPD_REASON)" = "$(events 'ev[0]["reason"]')" ] || fail "REAPD_REASON differs"
[ "$(env_of REAPD_FREED_KIB)" = "$(events 'ev[0]["freed_kib"]')" ] || fail "REAPD_FREED_KIB differs"
[ "$(env_of REAPD_FREED_KIB)" -gt 90000 ] || fail "REAPD_FREED_KIB is $(env_of REAPD_FREED_KIB)"
[ "$(env_of HOOK_UID)" = "$(id -u nobody)" ] || fail "the hook ran as uid $(env_of HOOK_UID)"
[ "$(env_of HOOK_ADJ)" = 0 ] || fail "the hook inherited oom_score_adj $(env_of HOOK_ADJ)"
[ "$(env_of HOOK_POLICY)" = 0 ] || fail "the hook inherited scheduling policy $(env_of HOOK_POLICY)"
[ -n "$(env_of HOOK_PATH)" ] || fail "the hook has no PATH"
if grep -q NOTIFY_SOCKET "$WORK/out/hook-$VICTIM.env"; then fail "the hook saw NOTIFY_SOCKET"; fi
wait_until 10 test -e "$WORK/out/hook-$VICTIM.done" || fail "the hook never finished"
stop_reapd
note "the hook ran as nobody, at adj 0 and SCHED_OTHER, with the victim's details, off the loop"

# A hook that outlives its timeout is killed with everything it started.
rm -f "$WORK/events.json"
cat > "$WORK/slow.sh" <<SH
#!/bin/sh
sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status > "$WORK/out/caps"
sleep 300 &
echo \$! > "$WORK/out/bg.pid"
echo \$\$ > "$WORK/out/fg.pid"
sleep 300
SH
chmod 755 "$WORK/slow.sh"
# --min-adj 500: the grower (adj 0) is never the one chosen.
start_reapd --scope "$MEMCG" --mem-min 30% --min-adj 500 --kill-hook "$WORK/slow.sh" \
	--kill-hook-timeout 1000
# The grower still holds 200 MiB: this one may well die before it is ready,
# so its start is not waited for.
sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" -n victim2 --size 100 --adj 900' \
	sh "$MEMCG" "$MEMHOG" > "$WORK/victim2.out" 2>&1 &
VICTIM=$!
disown "$VICTIM"
wait_until 30 dead "$VICTIM" || fail "the second victim was never killed"
wait_until 10 test -s "$WORK/out/bg.pid" || fail "the slow hook did not start"
wait_until 10 grep -q "still running after 1000 ms; killing it" "$WORK/reapd.log" ||
	fail "the slow hook was not timed out"
wait_until 5 dead "$(cat "$WORK/out/bg.pid")" || fail "the hook's background child survived"
wait_until 5 dead "$(cat "$WORK/out/fg.pid")" || fail "the hook survived its timeout"
stop_reapd
note "a hook past --kill-hook-timeout was killed with its process group"
# Run as root, a hook may switch to the victim's user (notify-desktop does):
# reapd kept CAP_SETUID (7) and CAP_SETGID (6) for it, where it has them.
if [ $(( (0x$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status) >> 6) & 3 )) = 3 ]; then
	caps=0x$(cat "$WORK/out/caps")
	[ $(( (caps >> 6) & 3 )) = 3 ] || fail "a root hook cannot switch users: CapEff $caps"
	note "a hook run as root keeps CAP_SETUID and CAP_SETGID (CapEff $caps)"
fi

# A user that does not exist is refused before anything starts.
set +e
"$REAPD" --config none --scope "$MEMCG" --control none --kill-hook true \
	--kill-hook-user no-such-user-reapd > "$WORK/bad.log" 2>&1
s=$?
set -e
[ "$s" = 2 ] || fail "an unknown hook user gave exit status $s"
grep -q "kill-hook-user: invalid value 'no-such-user-reapd' (no such user)" "$WORK/bad.log" ||
	fail "unclear error: $(cat "$WORK/bad.log")"
