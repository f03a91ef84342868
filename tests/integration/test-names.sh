#!/usr/bin/env bash
# A process name is up to 15 bytes of anything but NUL.  A rule sees the
# whole name (a newline inside it included), and the log shows it escaped on
# one line, with no terminal escape let through; the event carries the bytes.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

# hog FILE NAME ADJ: a 120 MiB memhog named NAME (memhog sets it with PR_SET_NAME); sets SPAWNED.
hog() {
	spawn "$WORK/$1.out" "$2" "$MEMCG" -- --size 120 --adj "$3" ||
		fail "memhog $1 did not get ready: $(cat "$WORK/$1.out")"
	[ "$2" = "$(cat "/proc/$SPAWNED/comm")" ] || fail "memhog $1 did not take its name"
}

test_memcg box 400
hog keep $'a\nb' 900
KEEP=$SPAWNED
hog odd $'e\033[1m\nz' 800
ODD=$SPAWNED
start_reapd --scope "$MEMCG" --mem-min 20% --ignore '^a.b$'
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 180 --adj 0
wait_until 30 dead "$ODD" || { alive "$KEEP" || fail "'a\\nb' was killed, though ignored"; fail "nothing was killed"; }
sleep 0.5
alive "$KEEP" || fail "'a\\nb' was killed, though --ignore '^a.b\$' matches it"
stop_reapd

# One line per kill, the name escaped, no ESC byte anywhere in the log.
grep -q "killed pid $ODD (e\\\\x1b\[1m\\\\nz), uid" "$WORK/reapd.log" ||
	fail "the kill line does not show the name escaped on one line"
if LC_ALL=C grep -q $'\033' "$WORK/reapd.log"; then
	fail "a raw ESC byte reached the log"
fi
[ "$(LC_ALL=C grep -c "^reapd: " "$WORK/reapd.log")" = "$(wc -l < "$WORK/reapd.log")" ] ||
	fail "a log line was split"
if grep -q -- '-0\.0 ms' "$WORK/reapd.log"; then
	fail "a duration printed as -0.0 ms"
fi
[ "$(events 'sum(1 for e in ev if e["pid"] == '"$ODD"' and e["comm"] == "e\x1b[1m\nz")')" = 1 ] ||
	fail "the event does not carry the name's bytes"
[ "$(events 'sum(1 for e in ev if e["pid"] == '"$KEEP"')')" = 0 ] || fail "an event for 'a\\nb'"
note "'a\\nb' spared by --ignore '^a.b\$'; the other odd name killed: $(grep -o "killed pid $ODD ([^)]*)" "$WORK/reapd.log")"
