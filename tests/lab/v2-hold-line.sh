#!/usr/bin/env bash
# Lab (pure cgroup v2): --hold-line for real, on cgroupfs.
#  1. A hold a crashed reapd left (memory.high lowered, the old value in the
#     cgroup's user.reapd.memory_high) is put back at start, the option off.
#  2. Fast allocators back to back (600 MiB with THP into a 512 MiB scope,
#     no swap), with --hold-line: rounds hold memory.high and put it back;
#     after reapd stops it is what it was and the xattr is gone.  The same
#     run without the option beside it: the kernel OOM kills of each are
#     reported (a measurement, not a check: it depends on the machine).
#     And a fork fan-out, 2 runs with and 2 without, interleaved.
#  3. A memory.high the user set: one above the hold's value comes back
#     exact; one below it is never raised (no hold at all).
. "$(dirname "$0")/../integration/lib.sh"
require_root
require_binaries
require_reapctl
require_memcg
[ "$MEMCG_KIND" = v2 ] || skip "not a cgroup v2 memory controller"

XATTR=user.reapd.memory_high
HOGS=${LAB_HOLD_HOGS:-4} # lab part 1 runs beside part 4: kept short
get_saved() {
	python3 -c 'import os, sys
try:
    print(os.getxattr(sys.argv[1], sys.argv[2]).decode())
except OSError:
    print("")' "$1" "$XATTR"
}
set_saved() { python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())' "$1" "$XATTR" "$2"; }

# --- 1. left by a crash ----------------------------------------------------
test_memcg left 512
echo $((496 << 20)) > "$MEMCG/memory.high"
set_saved "$MEMCG" max 2> /dev/null || skip "no user xattrs on cgroupfs (a kernel before 5.7)"
start_reapd --scope "$MEMCG"
[ "$(cat "$MEMCG/memory.high")" = max ] ||
	fail "a hold left by a crashed run was not put back: memory.high $(cat "$MEMCG/memory.high")"
[ -z "$(get_saved "$MEMCG")" ] || fail "the xattr is still there: $(get_saved "$MEMCG")"
grep -q 'still held by a reapd that did not finish; put back to max' "$WORK/reapd.log" ||
	fail "no word of the hold put back: $(grep 'hold the line' "$WORK/reapd.log")"
stop_reapd
note "a hold left by a crashed run (memory.high 496 MiB, $XATTR=max): put back to max at start, the xattr removed"

# --- 2. fast allocators, held and not --------------------------------------
[ -f "$MEMCG/memory.swap.max" ] && echo 0 > "$MEMCG/memory.swap.max"
# run_hogs ARGS...: $HOGS hogs one after another under a reapd with ARGS;
# sets OOMS (kernel OOM kills), KILLS (reapd's) and HOLDS (from its status).
run_hogs() {
	local before
	before=$(oom_kills "$MEMCG")
	rm -f "$WORK/events.json"
	start_reapd --scope "$MEMCG" "$@"
	for i in $(seq "$HOGS"); do
		CG=$MEMCG sh -c 'echo $$ > "$CG/cgroup.procs" && exec "$@"' sh \
			"$MEMHOG" -n "hog$i" --size 600 --thp --adj 500 --quiet || true
	done
	HOLDS=$(ctl --json status | python3 -c 'import json, sys; print(json.load(sys.stdin)["hold_line"]["holds"])')
	stop_reapd
	OOMS=$(($(oom_kills "$MEMCG") - before))
	KILLS=$(events 'len(ev)')
}

run_hogs
plain_ooms=$OOMS plain_kills=$KILLS
[ "$HOLDS" = 0 ] || fail "memory.high was held without --hold-line ($HOLDS holds)"
run_hogs --hold-line
[ "$HOLDS" -ge 1 ] || fail "--hold-line: $KILLS kills, but memory.high was never held"
[ "$(cat "$MEMCG/memory.high")" = max ] || fail "--hold-line: memory.high left at $(cat "$MEMCG/memory.high")"
[ -z "$(get_saved "$MEMCG")" ] || fail "--hold-line: the xattr was left: $(get_saved "$MEMCG")"
note "$HOGS hogs of 600 MiB (THP) back to back into 512 MiB, no swap: without --hold-line" \
	"$plain_kills kills by reapd, $plain_ooms by the kernel; with it $KILLS by reapd," \
	"$OOMS by the kernel, memory.high held $HOLDS times and put back to max"

# A fork fan-out: 300 children of 2 MiB at once, more than the scope holds,
# for 6 s under a reapd with ARGS (then the cgroup is killed); adds the
# kernel's OOM kills and reapd's to FAN_OOMS_<label> and FAN_KILLS_<label>.
empty() { [ ! -s "$1/cgroup.procs" ]; }
fan_out() {
	local label=$1 before parent
	shift
	before=$(oom_kills "$MEMCG")
	rm -f "$WORK/events.json"
	start_reapd --scope "$MEMCG" "$@"
	CG=$MEMCG sh -c 'echo $$ > "$CG/cgroup.procs" && exec "$@"' sh \
		"$MEMHOG" -n fan --size 0 --children 300 --child-size 2 --adj 500 --quiet > /dev/null 2>&1 &
	parent=$!
	sleep 6
	echo 1 > "$MEMCG/cgroup.kill"
	wait "$parent" 2> /dev/null || true
	wait_until 20 empty "$MEMCG" || fail "fan-out: the scope did not empty after cgroup.kill"
	stop_reapd
	eval "FAN_OOMS_$label=\$((FAN_OOMS_$label + $(oom_kills "$MEMCG") - before))"
	eval "FAN_KILLS_$label=\$((FAN_KILLS_$label + $(events 'len(ev)')))"
}
FAN_OOMS_plain=0 FAN_KILLS_plain=0 FAN_OOMS_held=0 FAN_KILLS_held=0
for run in 1 2; do
	fan_out plain
	fan_out held --hold-line
done
[ "$(cat "$MEMCG/memory.high")" = max ] || fail "fan-out: memory.high left at $(cat "$MEMCG/memory.high")"
note "fork fan-out (300 x 2 MiB at once into 512 MiB), 2 runs each, interleaved: kernel OOM" \
	"kills $FAN_OOMS_plain without --hold-line ($FAN_KILLS_plain kills by reapd)," \
	"$FAN_OOMS_held with it ($FAN_KILLS_held by reapd)"

# --- 3. a value the user set ------------------------------------------------
echo $((505 << 20)) > "$MEMCG/memory.high"
HOGS=2 run_hogs --hold-line
[ "$(cat "$MEMCG/memory.high")" = $((505 << 20)) ] ||
	fail "memory.high 505 MiB came back as $(cat "$MEMCG/memory.high")"
[ "$HOLDS" -ge 1 ] || fail "a memory.high above the hold's value (505 MiB) was never held"
echo $((490 << 20)) > "$MEMCG/memory.high"
HOGS=2 run_hogs --hold-line
[ "$(cat "$MEMCG/memory.high")" = $((490 << 20)) ] ||
	fail "memory.high 490 MiB (below the hold's 496) came back as $(cat "$MEMCG/memory.high")"
[ "$HOLDS" = 0 ] || fail "a memory.high below the hold's value was written $HOLDS times"
note "memory.high set by the user: 505 MiB held and put back exact, 490 MiB (below the hold) never touched"
