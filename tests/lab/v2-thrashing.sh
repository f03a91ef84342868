#!/usr/bin/env bash
# Lab (pure cgroup v2): the thrashing reason fires for real.  In a 64 MiB
# scope, a reader goes over a 128 MiB file again and again: the kernel evicts
# its pages and reads them back, every pass, while "available" memory stays
# high (clean page cache counts as available) and no other reason can fire.
# reapd must kill the reader for "thrashing" and nothing else.  First the
# same reader over a 24 MiB file, which fits: no kill, and reapctl status
# shows the figure under its limit.
. "$(dirname "$0")/../integration/lib.sh"
require_root
require_binaries
require_reapctl
require_memcg
[ "$MEMCG_KIND" = v2 ] || skip "not a cgroup v2 memory controller"
grep -qw workingset_refault_file /proc/vmstat || skip "no workingset_refault_file (kernel before 5.9)"

test_memcg box 64
[ -f "$MEMCG/memory.swap.max" ] && echo 0 > "$MEMCG/memory.swap.max"
# On the root filesystem: on tmpfs the pages would be shared memory, not file cache.
export TMPDIR=/var/tmp
test_spawn bystander "$MEMCG" -- --size 8 --adj 0
BYSTANDER=$SPAWNED
# Only thrashing may kill: the stall reasons that could fire while swap is
# "free" (none here, but the rule must not depend on it) are off.
start_reapd --scope "$MEMCG" --mem-min 5% --psi-critical 0 --psi-sustain 0 --verbose

# The control: a file that fits.
test_spawn fits "$MEMCG" -- --size 16 --file-mib 24 --reread --adj 500
FITS=$SPAWNED
sleep 8
alive "$FITS" || fail "a reader whose file fits was killed: $(events 'ev')"
ctl --json status > "$WORK/status.json" || fail "reapctl status failed"
python3 - "$WORK/status.json" <<'PY' || fail "status: $(cat "$WORK/status.json")"
import json, sys
t = json.load(open(sys.argv[1]))["thrashing"]
assert t["measured"] and t["percent"] <= t["limit_percent"] == 100, t
PY
note "a reader of a 24 MiB file in 64 MiB: $(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["thrashing"]; print(t["percent"], "% of the LRU, limit", t["limit_percent"], "%")' "$WORK/status.json")"
kill -TERM "$FITS"
wait_until 10 dead "$FITS" || fail "the fitting reader did not end"

before=$(awk '$1 == "workingset_refault_file" { print $2 }' "$MEMCG/memory.stat")
# Not waited for: it thrashes from its first read-back, before it says "ready".
sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" -n thrasher --size 16 --file-mib 128 --reread --adj 500' \
	sh "$MEMCG" "$MEMHOG" > "$WORK/thrasher.out" 2>&1 &
THRASHER=$!
disown "$THRASHER"
wait_until 120 dead "$THRASHER" || fail "the thrashing reader was never killed (refaults: $before -> $(awk '$1 == "workingset_refault_file" { print $2 }' "$MEMCG/memory.stat")); $(grep -c 'round ' "$WORK/reapd.log") rounds"
after=$(awk '$1 == "workingset_refault_file" { print $2 }' "$MEMCG/memory.stat")
sleep 1
stop_reapd
alive "$BYSTANDER" || fail "the bystander (adj 0) was killed"
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted"
[ "$(events 'len(ev)')" = 1 ] || fail "expected one kill: $(events '[(e["pid"], e["reason"]) for e in ev]')"
[ "$(events 'ev[0]["pid"]')" = "$THRASHER" ] || fail "the kill was not the thrashing reader"
reason=$(events 'ev[0]["reason"]')
[ "$reason" = thrashing ] || fail "the reader was killed for $reason, not thrashing"
line=$(grep -m1 'round thrashing:' "$WORK/reapd.log") || fail "no round thrashing in the log"
pct=$(sed -nE 's/.*thrashing ([0-9]+) % \(limit ([0-9]+) %\).*/\1 \2/p' <<< "$line")
read -r p l <<< "$pct"
[ -n "$p" ] && [ "$p" -gt "$l" ] || fail "the round's figure is not over its limit: $line"
avail=$(sed -nE 's/.*avail ([0-9]+) KiB \(mark ([0-9]+)\).*/\1 \2/p' <<< "$line")
read -r a m <<< "$avail"
note "the reader of a 128 MiB file in 64 MiB killed for thrashing at $p % of the LRU (limit $l %)," \
	"available $((a / 1024)) MiB (mark $((m / 1024)) MiB); $((after - before)) file refaults while it lived"
