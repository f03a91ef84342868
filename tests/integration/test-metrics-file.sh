#!/usr/bin/env bash
# --metrics-file: the Prometheus text is there from the start, replaced
# atomically (a reader never sees half a file), updated at once after a kill,
# well-formed, and never written through a symlink planted at its temp name.
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg

mkdir "$WORK/textfile"
PROM=$WORK/textfile/reapd.prom
# A planted symlink at the temp name must be replaced, not followed.
echo precious > "$WORK/target"
ln -s "$WORK/target" "$PROM.tmp"

test_memcg box 400
start_reapd --scope "$MEMCG" --mem-min 30% --metrics-file "$PROM" --metrics-interval 1
wait_until 5 test -s "$PROM" || fail "no metrics file after start"
[ "$(cat "$WORK/target")" = precious ] || fail "the write went through the symlink"

# A reader races the writer over several replacements (the interval is 1 s;
# 120 s only bounds a machine that is very slow): every version it reads is complete.
python3 "$HERE/../../scripts/lib/promcheck.py" --watch 4 120 "$PROM" > "$WORK/reader.out" 2>&1 &
READER=$!
test_spawn victim "$MEMCG" -- --size 100 --adj 900
VICTIM=$SPAWNED
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 150 --max 200 --adj 0
wait_until 30 dead "$VICTIM" || fail "the victim was never killed"
# After a kill the file says so well before the next interval.
wait_until 2 grep -q '^reapd_kills_total{reason="[a-z_]*"} 1$' "$PROM" ||
	fail "the kill is not in the metrics file: $(grep kills_total "$PROM")"
# The round that chose it is counted too (the daemon once gave its rounds no metrics).
rounds=$(awk '$1 == "reapd_rounds_total" { print $2 }' "$PROM")
[ "${rounds:-0}" -ge 1 ] || fail "reapd_rounds_total is ${rounds:-missing} after a kill"
grep -q '^reapd_scan_seconds_count [1-9]' "$PROM" || fail "no scan timed: $(grep scan_seconds_count "$PROM")"
wait "$READER" || fail "a reader saw a broken file: $(cat "$WORK/reader.out")"

# The format, checked by promtool where it exists, by a strict parser otherwise.
if command -v promtool > /dev/null; then
	promtool check metrics < "$PROM" || fail "promtool rejects the file"
fi
python3 "$HERE/../../scripts/lib/promcheck.py" "$PROM" || fail "malformed exposition text"
stop_reapd
[ -z "$(find "$WORK/textfile" -name '*.tmp')" ] || fail "a temp file was left behind"
note "metrics file: present, atomic, updated after the kill, well-formed"
