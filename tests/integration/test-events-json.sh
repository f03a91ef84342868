#!/usr/bin/env bash
# Each kill event is one JSON object per line carrying every contract field
# with the right type, even for a process whose name is hostile.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

test_memcg box 400
hostile='a) R 1 (b"\'
test_spawn "$hostile" "$MEMCG" -- --size 150 --adj 800
VICTIM=$SPAWNED
start_reapd --scope "$MEMCG" --mem-min 20%
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 180 --adj 0
wait_until 30 dead "$VICTIM" || fail "the victim was never killed"
sleep 0.3
stop_reapd

python3 - "$WORK/events.json" "$VICTIM" "$hostile" <<'PY' || fail "bad event JSON"
import json, re, sys
path, victim, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [l for l in open(path) if l.strip()]
assert len(lines) == 1, f"{len(lines)} events"
e = json.loads(lines[0])
types = {
    "time": str, "pid": int, "comm": str, "uid": int, "oom_score_adj": int, "reason": str,
    "size_kib": int, "anon_kib": int, "reaped": bool, "kill_to_exit_ms": (int, float),
    "reap_ms": (int, float, type(None)), "freed_kib": int, "dry_run": bool,
}
for k, t in types.items():
    assert k in e, f"missing {k}"
    assert isinstance(e[k], t), f"{k} is {type(e[k]).__name__}"
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"]), e["time"]
assert e["pid"] == victim and e["comm"] == name, (e["pid"], e["comm"])
assert e["oom_score_adj"] == 800 and e["uid"] == 0
assert e["reason"] in ("low_mem", "psi_full", "psi_critical", "psi_sustained", "psi_some_low_mem",
                       "vmpressure_critical", "pressure_after_kill", "thrashing", "low_swap"), e["reason"]
assert e["size_kib"] >= 150 * 1024 and e["anon_kib"] >= 150 * 1024
assert e["dry_run"] is False and e["kill_to_exit_ms"] >= 0
# freed_kib is measured (the scope's usage), not copied: a 150 MiB private hog frees about that.
assert abs(e["freed_kib"] - e["anon_kib"]) <= e["anon_kib"] // 10, (e["freed_kib"], e["anon_kib"])
assert e["estimated_kib"] == e["size_kib"] and e["shmem_kib"] == 0
assert e["reaped"] is (e["reap_ms"] is not None)
print("# event:", lines[0].strip())
PY
