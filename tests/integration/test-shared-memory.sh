#!/usr/bin/env bash
# Memory a kill cannot free is never what reapd kills for.  In a 560 MiB
# scope with --min-adj 1: an adj 900 process and three children hold 300 MiB
# that their deaths would not free — first a tmpfs file they all map, then
# (second run) anonymous memory they share copy-on-write — beside two 30 MiB
# processes at adj 100 and 200 and an adj 0 process holding 150 MiB.  Then
# reapd starts with --mem-min 100M: about 45 MiB are available and a round
# wants 75 MiB.  It must kill the adj 200 and adj 100 processes (which free
# memory) and nothing else: the sharers and the adj 0 process live, the
# kernel OOM killer never fires, and the events' freed_kib is within 10 % of
# what the scope's usage really dropped by.  Nothing allocates while they
# die, so the drop is theirs alone (a process growing meanwhile would be
# counted against them: on a loaded machine that was a fifth of it).
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

usage_kib() {
	if [ -f "$MEMCG/memory.usage_in_bytes" ]; then
		echo $(($(cat "$MEMCG/memory.usage_in_bytes") / 1024))
	else
		echo $(($(cat "$MEMCG/memory.current") / 1024))
	fi
}

two_events() { [ "$(events 'len(ev)')" = 2 ]; }

# run KIND MEMHOG_ARGS...: one scenario; KIND names it in messages.
run() {
	local kind=$1 sharers before after drop
	shift
	test_memcg "$kind" 560
	test_spawn "$kind" "$MEMCG" -- --adj 900 --children 3 "$@"
	sharers="$SPAWNED $(awk '$3 == "child" { print $4 }' "$WORK/$kind.out")"
	test_spawn m200 "$MEMCG" -- --size 30 --adj 200
	M200=$SPAWNED
	test_spawn m100 "$MEMCG" -- --size 30 --adj 100
	M100=$SPAWNED
	test_spawn m0 "$MEMCG" -- --size 150 --adj 0
	M0=$SPAWNED
	rm -f "$WORK/events.json"
	before=$(usage_kib)
	start_reapd --scope "$MEMCG" --min-adj 1 --mem-min 100M -v
	wait_until 20 dead "$M100" || fail "$kind: the adj 100 process was never killed"
	wait_until 20 dead "$M200" || fail "$kind: the adj 200 process was never killed"
	wait_until 10 two_events ||
		fail "$kind: $(events 'len(ev)') events for the two deaths"
	sleep 1
	after=$(usage_kib)
	stop_reapd

	[ "$(oom_kills "$MEMCG")" = 0 ] || fail "$kind: the kernel OOM killer fired $(oom_kills "$MEMCG") times"
	alive "$M0" || fail "$kind: the adj 0 process (below --min-adj) died"
	for p in $sharers; do
		alive "$p" || fail "$kind: sharer $p was killed: its death frees nothing"
	done
	killed=$(events '" ".join(sorted(str(e["pid"]) for e in ev))')
	[ "$killed" = "$(echo "$M100 $M200" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" ] ||
		fail "$kind: killed $killed, expected only $M200 and $M100"
	# What the events say was freed, against what the scope's usage shows.
	freed=$(events 'sum(e["freed_kib"] for e in ev)')
	drop=$((before - after))
	python3 -c "import sys; f, d = $freed, $drop; sys.exit(abs(f - d) > d / 10)" ||
		fail "$kind: events say $freed KiB freed, the scope's usage dropped by $drop KiB"
	# Each victim's share: its 30 MiB.
	for p in $(events '" ".join(str(e["freed_kib"]) for e in ev)'); do
		[ "$p" -ge $((27 * 1024)) ] && [ "$p" -le $((33 * 1024)) ] ||
			fail "$kind: a 30 MiB victim's measured freed_kib is $p"
	done
	note "$kind: killed adj 200 and adj 100 only (freed $freed KiB, usage drop $drop KiB);" \
	     "sharers and adj 0 alive, no kernel OOM kill"
	sandbox_cleanup
}

SHM=/dev/shm/reapd-test-shared-memory-$$
CLEANUP_FILES+=("$SHM")
run tmpfs --shm "$SHM:300" --size 0
rm -f "$SHM"
run cow --size 300
