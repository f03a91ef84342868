#!/usr/bin/env bash
# The watchdog kills as the loop does: with the main loop held stuck (a ptrace
# stop, lib.sh) and the next victim in a frozen cgroup, the watchdog's kill
# must reap the victim while it is frozen, thaw it so it dies, and report the
# memory the reap released as measured on the victim, not copied from the
# scan.  Run once with the v1 freezer and once with cgroup v2's cgroup.freeze,
# where each exists.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

# status_kib PID FIELD: a field of /proc/PID/status, in KiB.
status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

run() {
	local kind=$1 victim grower rss anon
	test_memcg "box-$kind" 500
	freeze_setup "$kind" || { lacking "$kind-freezer" "no $kind freezer here: skipped that half"; return 0; }
	rm -f "$WORK/events.json"
	start_reapd --scope "$MEMCG" --mem-min 15% --max-victims 1 --watchdog 1000
	spawn_frozen "frozen-$kind" --size 200 --adj 1000
	victim=$SPAWNED
	rss=$(status_kib "$victim" VmRSS)
	anon=$(status_kib "$victim" RssAnon)
	# The loop is held at its next wake-up: from here on only the watchdog can kill.
	freeze_loop
	test_spawn "grower-$kind" "$MEMCG" -- --size 10 --grow --rate 150 --max 250 --adj 0
	grower=$SPAWNED
	wait_until 15 test -e "$WORK/frozen" || fail "$kind: the main loop was never held"
	wait_until 20 dead "$victim" || fail "$kind: the frozen victim the watchdog killed never died"
	wait_until 5 grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $victim " \
		"$WORK/reapd.log" || fail "$kind: the victim did not die by the watchdog"
	release_loop
	# The loop runs again and reports the watchdog's kill.
	wait_until 10 grep -q "\"pid\":$victim,.*\"watchdog\":true" "$WORK/events.json" ||
		fail "$kind: the watchdog's kill was not reported"
	sleep 0.3
	stop_reapd

	alive "$grower" || fail "$kind: the grower was killed, not the frozen adj 1000 process"
	[ "$(oom_kills "$MEMCG")" = 0 ] || fail "$kind: the kernel OOM killer acted"
	[ "$(events 'len(ev)')" = 1 ] || fail "$kind: expected exactly one kill"
	[ "$(events 'ev[0]["pid"]')" = "$victim" ] || fail "$kind: wrong victim"
	[ "$(events 'ev[0]["watchdog"] and ev[0]["exited"]')" = True ] ||
		fail "$kind: not the watchdog's kill, or the victim not seen dead"
	# cgroup v2 delivers SIGKILL to a frozen task, which may be gone before
	# the thaw looks (as in test-frozen.sh); a v1-frozen one cannot be.
	if [ "$kind" = v1 ]; then
		[ "$(events 'ev[0]["thawed"]')" = True ] || fail "$kind: the watchdog did not thaw the victim"
	fi
	! v2_died_unreaped "$kind" || return 0
	[ "$(events 'ev[0]["reaped"]')" = True ] || fail "$kind: the watchdog did not reap the victim"
	# Measured on the victim: what it had mapped (its RSS, read while frozen),
	# not its scan estimate, and nearly all of it, as the reap ran while frozen.
	[ "$(events "0.9 * $anon <= ev[0]['reaped_kib'] <= $rss + 1024")" = True ] ||
		fail "$kind: reaped_kib $(events 'ev[0]["reaped_kib"]') KiB, the victim had $anon KiB anon, $rss KiB resident"
	note "$kind: the watchdog reaped $(events 'ev[0]["reaped_kib"] // 1024') MiB of the frozen" \
	     "victim's $((anon / 1024)) MiB in $(events 'ev[0]["reap_ms"]') ms; thawed: $(events 'ev[0]["thawed"]'); dead after" \
	     "$(events 'ev[0]["kill_to_exit_ms"]') ms"
}

run v1
run v2
