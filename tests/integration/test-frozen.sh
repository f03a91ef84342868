#!/usr/bin/env bash
# A victim in a frozen cgroup cannot run, so it cannot exit and give its memory
# back by itself.  reapd must reap its memory while it is still frozen, then
# thaw it so it dies.  Run once with the v1 freezer and once with cgroup v2's
# cgroup.freeze, where each exists.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

run() {
	local kind=$1 victim grower
	test_memcg "box-$kind" 500
	freeze_setup "$kind" || { lacking "$kind-freezer" "no $kind freezer here: skipped that half"; return 0; }
	rm -f "$WORK/events.json"
	spawn_frozen "frozen-$kind" --size 200 --adj 1000
	victim=$SPAWNED

	start_reapd --scope "$MEMCG" --mem-min 15%
	test_spawn "grower-$kind" "$MEMCG" -- --size 10 --grow --rate 150 --max 250 --adj 0
	grower=$SPAWNED
	wait_until 30 dead "$victim" || fail "$kind: the frozen victim never died"
	sleep 0.3
	stop_reapd

	alive "$grower" || fail "$kind: the grower was killed, not the frozen adj 1000 process"
	[ "$(oom_kills "$MEMCG")" = 0 ] || fail "$kind: the kernel OOM killer acted"
	[ "$(events 'len(ev)')" = 1 ] || fail "$kind: expected exactly one kill"
	[ "$(events 'ev[0]["pid"]')" = "$victim" ] || fail "$kind: wrong victim"
	! v2_died_unreaped "$kind" || return 0
	[ "$(events 'ev[0]["reaped"] and ev[0]["exited"]')" = True ] ||
		fail "$kind: victim not reaped and dead"
	# The reaper thaws only after the reap and only what it finds frozen.  A
	# v1-frozen victim cannot die before that; cgroup v2 delivers SIGKILL to
	# a frozen task, which may then be gone before the thaw looks (seen in
	# the lab: dead 4.1 ms after the signal, "thawed" false).
	if [ "$kind" = v1 ]; then
		[ "$(events 'ev[0]["thawed"]')" = True ] || fail "$kind: victim not thawed"
	fi
	[ "$(events 'ev[0]["reaped_kib"] >= 0.9 * ev[0]["anon_kib"]')" = True ] ||
		fail "$kind: the reap released too little while frozen"
	note "$kind: frozen victim reaped $(events 'ev[0]["reaped_kib"] // 1024') MiB in" \
	     "$(events 'ev[0]["reap_ms"]') ms; thawed: $(events 'ev[0]["thawed"]'); dead after" \
	     "$(events 'ev[0]["kill_to_exit_ms"]') ms"
}

run v1
run v2
