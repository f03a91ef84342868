#!/usr/bin/env bash
# Security: reapd keeps only the capabilities it uses (and so do its hooks),
# refuses a control socket in a directory another user could change and an
# events file that is a symlink, and an unprivileged user gets only what the
# socket's mode and the peer-credential rules allow.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
command -v setpriv > /dev/null || skip "no setpriv"
id nobody > /dev/null 2>&1 || skip "no user 'nobody'"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
capmask() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }
# CAP_DAC_OVERRIDE 1, DAC_READ_SEARCH 2, KILL 5, IPC_LOCK 14, SYS_PTRACE 19,
# SYS_NICE 23, SYS_RESOURCE 24; with a kill hook also SETGID 6 and SETUID 7
# (to run it as --kill-hook-user, or for a root hook to switch to the
# victim's user, as notify-desktop does).
WANTED=$(( (1 << 1) | (1 << 2) | (1 << 5) | (1 << 14) | (1 << 19) | (1 << 23) | (1 << 24) ))
WANTED_HOOK=$(( WANTED | (1 << 6) | (1 << 7) ))
subset() { [ $(( 0x$1 & ~$2 )) -eq 0 ]; }

test_memcg box 400
chmod 755 "$WORK"
mkdir -m 1777 "$WORK/out"
cat > "$WORK/hook.sh" <<SH
#!/bin/sh
grep -E '^Cap(Eff|Bnd|Prm):' /proc/self/status > "$WORK/out/hook-caps.tmp"
mv "$WORK/out/hook-caps.tmp" "$WORK/out/hook-caps"
SH
chmod 755 "$WORK/hook.sh"
start_reapd --scope "$MEMCG" --mem-min 30% --control-mode 0660 --kill-hook "$WORK/hook.sh"
for set in CapEff CapPrm CapBnd; do
	v=$(capmask "$set" "$REAPD_PID")
	subset "$v" "$WANTED_HOOK" || fail "reapd's $set is $v, more than $(printf %x "$WANTED_HOOK")"
done
[ "$(capmask CapInh "$REAPD_PID")" = 0000000000000000 ] || fail "inheritable capabilities left"
note "reapd runs with CapEff $(capmask CapEff "$REAPD_PID"), CapBnd $(capmask CapBnd "$REAPD_PID")"

# The hook runs as root, but only with what reapd kept.
test_spawn victim "$MEMCG" -- --size 100 --adj 900
VICTIM=$SPAWNED
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 200 --adj 0
wait_until 30 dead "$VICTIM" || fail "the victim was never killed"
wait_until 10 test -s "$WORK/out/hook-caps" || fail "the hook did not run"
for set in CapEff CapPrm CapBnd; do
	v=$(awk -v k="$set:" '$1 == k { print $2 }' "$WORK/out/hook-caps")
	subset "$v" "$WANTED_HOOK" || fail "the hook's $set is $v"
done
note "the root hook got no more: $(tr '\n' ' ' < "$WORK/out/hook-caps")"

# Mode 0660, root's group: nobody cannot even connect.
set +e
as_nobody "$REAPCTL" --socket "$WORK/control" status > /dev/null 2> "$WORK/err"
s=$?
set -e
[ "$s" = 4 ] || fail "nobody reached a 0660 socket (exit $s): $(cat "$WORK/err")"
stop_reapd
note "a 0660 socket refuses nobody (reapctl exit 4)"

# A socket directory another user could change is refused, with the reason.
mkdir -m 0777 "$WORK/open"
set +e
"$REAPD" --config none --scope "$MEMCG" --control "$WORK/open/control" > "$WORK/bad.log" 2>&1
s=$?
set -e
[ "$s" = 2 ] || fail "a world-writable socket directory was accepted (exit $s)"
grep -q "its directory is not root's alone" "$WORK/bad.log" || fail "unclear: $(cat "$WORK/bad.log")"
chown 65534 "$WORK/open" && chmod 0755 "$WORK/open"
set +e
"$REAPD" --config none --scope "$MEMCG" --control "$WORK/open/control" > "$WORK/bad.log" 2>&1
s=$?
set -e
[ "$s" = 2 ] || fail "a socket directory owned by nobody was accepted (exit $s)"
# ...but a sticky one, like /tmp, is fine.
mkdir -m 1777 "$WORK/sticky"
start_reapd --scope "$MEMCG" --control "$WORK/sticky/control"
# No kill hook: nothing to switch users for.
for set in CapEff CapPrm CapBnd; do
	v=$(capmask "$set" "$REAPD_PID")
	subset "$v" "$WANTED" || fail "without a hook, reapd's $set is $v, more than $(printf %x "$WANTED")"
done
[ -S "$WORK/sticky/control" ] || fail "no socket in a sticky directory"
[ "$(stat -c %a "$WORK/sticky/control")" = 660 ] || fail "socket mode $(stat -c %a "$WORK/sticky/control")"
stop_reapd
note "socket directories: world-writable or another user's refused; sticky accepted"

# An events file planted as a symlink is not followed.
echo precious > "$WORK/target"
ln -s "$WORK/target" "$WORK/out/events.json"
set +e
"$REAPD" --config none --control none --scope "$MEMCG" --events "$WORK/out/events.json" \
	> "$WORK/bad.log" 2>&1
s=$?
set -e
[ "$s" = 2 ] || fail "a symlinked events file was accepted (exit $s)"
[ "$(cat "$WORK/target")" = precious ] || fail "the symlink's target was written"
note "a symlink at the events path is refused: $(head -1 "$WORK/bad.log")"
