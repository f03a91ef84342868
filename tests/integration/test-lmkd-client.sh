#!/usr/bin/env bash
# A process manager talking lmkd's protocol registers three of our processes
# with LMK_PROCPRIO at adj 100, 500 and 900: their oom_score_adj changes, they
# die in adj order under pressure, LMK_GETKILLCNT and reapd's own killcount
# count them, the subscriber gets LMK_PROCKILL for each, and a 4th connection
# drops the other three, as lmkd does.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

test_memcg box 600
test_spawn low "$MEMCG" -- --size 100
LOW=$SPAWNED
test_spawn mid "$MEMCG" -- --size 100
MID=$SPAWNED
test_spawn high "$MEMCG" -- --size 100
HIGH=$SPAWNED
start_reapd --scope "$MEMCG" --mem-min 15% --lmkd-socket "$WORK/lmkd"

python3 "$HERE/lmkd-client.py" "$WORK/lmkd" "$WORK/registered" \
	"$LOW:100" "$MID:500" "$HIGH:900" > "$WORK/client.json" 2> "$WORK/client.err" &
CLIENT=$!
wait_until 10 test -f "$WORK/registered" || fail "the lmkd client did not register"
for p in "$LOW:100" "$MID:500" "$HIGH:900"; do
	[ "$(cat "/proc/${p%:*}/oom_score_adj")" = "${p#*:}" ] ||
		fail "pid ${p%:*} has adj $(cat "/proc/${p%:*}/oom_score_adj"), expected ${p#*:}"
done

# 300 MiB held; the grower stops at 450: the three must go, the grower may stay.
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 450 --adj 0
wait "$CLIENT" || fail "the lmkd client failed: $(cat "$WORK/client.err")"
killcount=$(python3 - "$WORK/control" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.send(b"killcount 100 900"); print(json.loads(s.recv(65536))["count"])
PY
)
stop_reapd

python3 - "$WORK/client.json" "$HIGH" "$MID" "$LOW" "$killcount" <<'PY' || fail "lmkd checks failed"
import json, sys
r = json.load(open(sys.argv[1]))
order = [k["pid"] for k in r["kills"]]
want = [int(p) for p in sys.argv[2:5]]
assert order == want, f"LMK_PROCKILL order {order}, expected {want} (adj 900, 500, 100)"
assert all(k["rss_kb"] >= 100 * 1024 for k in r["kills"]), r["kills"]
assert r["killcount"] == 3, f"LMK_GETKILLCNT 0..1000 = {r['killcount']}"
assert r["killcount_900"] == 1, f"LMK_GETKILLCNT 900..900 = {r['killcount_900']}"
assert int(sys.argv[5]) == 3, f"killcount 100 900 = {sys.argv[5]}"
assert r["dropped_on_4th"] == [True, True, True], r["dropped_on_4th"]
print("# kills in adj order", order, "; counts 3/3/1; a 4th connection dropped the others")
PY
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted"
