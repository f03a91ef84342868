#!/usr/bin/env bash
# Processes at adj 0, 500, 900 and a grower at 300 in a limited cgroup: the 900
# dies first, then the 500, then the grower; the 0 survives, and the kernel's
# OOM killer never has to act in the cgroup.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

test_memcg box 600
test_spawn keep0 "$MEMCG" -- --size 100 --adj 0
KEEP=$SPAWNED
test_spawn adj500 "$MEMCG" -- --size 100 --adj 500
A500=$SPAWNED
test_spawn adj900 "$MEMCG" -- --size 100 --adj 900
A900=$SPAWNED

start_reapd --scope "$MEMCG" --mem-min 15%
test_spawn grower "$MEMCG" -- --size 20 --grow --rate 150 --adj 300
GROWER=$SPAWNED

wait_until 60 dead "$GROWER" || fail "the grower was never killed"
sleep 0.5
stop_reapd

alive "$KEEP" || fail "the adj 0 process was killed"
dead "$A900" || fail "the adj 900 process survived"
dead "$A500" || fail "the adj 500 process survived"
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted: $(oom_kills "$MEMCG") kills"

order=$(events '" ".join(str(e["pid"]) for e in ev)')
[ "$order" = "$A900 $A500 $GROWER" ] ||
	fail "kill order $order, expected $A900 (900) $A500 (500) $GROWER (grower)"
[ "$(events 'all(e["exited"] and not e["dry_run"] for e in ev)')" = True ] ||
	fail "not every kill was confirmed"
note "killed in order: adj 900, adj 500, grower; adj 0 survived; no kernel OOM kill"
