#!/usr/bin/env bash
# systemd's ManagedOOMPreference= on cgroup v2 (the lab; the host's v1
# memory controller has no user xattrs): inside the scope, an adj 1000
# process in a cgroup marked user.oomd_omit is never chosen and `reapctl
# victims` says so; a mark on a cgroup owned by another user than root or the
# scope's owner counts for nothing (systemd-oomd's rule), nor does the scope's
# own; an avoid cgroup is the last resort: its allocator is killed only once
# every other candidate is gone, and of the avoided only the fewest that do
# (its small adj 800 neighbour lives).
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_reapctl
require_memcg

test_memcg box 400
[ "$MEMCG_KIND" = v2 ] || skip "user.oomd_* xattrs need cgroup v2 (this memory controller is $MEMCG_KIND)"
mark() { python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], b"1")' "$1" "$2"; }
mark "$MEMCG" user.oomd_omit 2> /dev/null || skip "no user xattrs on $MEMCG"
test_cgroup "$MEMCG" omit && OMIT_CG=$NEWCG && mark "$OMIT_CG" user.oomd_omit
test_cgroup "$MEMCG" foreign && FOREIGN_CG=$NEWCG && mark "$FOREIGN_CG" user.oomd_omit
chown 65534 "$FOREIGN_CG"
test_cgroup "$MEMCG" avoid && AVOID_CG=$NEWCG && mark "$AVOID_CG" user.oomd_avoid
test_cgroup "$MEMCG" plain && PLAIN_CG=$NEWCG

test_spawn omitted "$OMIT_CG" -- --size 60 --adj 1000
OMITTED=$SPAWNED
test_spawn foreign "$FOREIGN_CG" -- --size 40 --adj 950
FOREIGN=$SPAWNED
test_spawn neighbour "$AVOID_CG" -- --size 20 --adj 800
NEIGHBOUR=$SPAWNED
test_spawn plain "$PLAIN_CG" -- --size 60 --adj 100
PLAIN=$SPAWNED

start_reapd --scope "$MEMCG" --mem-min 30%
ctl --json victims 20 > "$WORK/victims.json" || fail "reapctl victims failed"
why() { python3 -c 'import json, sys
for c in json.load(open(sys.argv[1]))["candidates"]:
    if c["pid"] == int(sys.argv[2]): print(c["why"], c["cgroup_preference"])' "$WORK/victims.json" "$1"; }
[ "$(why "$OMITTED")" = "omitted omit" ] || fail "victims shows the omitted one as '$(why "$OMITTED")'"
case "$(why "$NEIGHBOUR")" in *" avoid") ;; *) fail "victims shows the avoided one as '$(why "$NEIGHBOUR")'" ;; esac
case "$(why "$FOREIGN")" in *" none") ;; *) fail "a foreign cgroup's mark counted: '$(why "$FOREIGN")'" ;; esac
ctl victims 20 > "$WORK/victims.txt" || fail "reapctl victims failed"
grep -E "^ *$OMITTED .* omitted\$" "$WORK/victims.txt" > /dev/null &&
	grep -E "^ *\*? *$NEIGHBOUR .*\(avoid\)\$" "$WORK/victims.txt" > /dev/null ||
	fail "reapctl victims does not show omitted and (avoid): $(cat "$WORK/victims.txt")"

# The allocator sits in the avoid cgroup: killing foreign and plain cannot
# make room for it, so reapd must come to it, and its death alone is enough.
grow_until_killed "$AVOID_CG" 0 "the avoided allocator"

alive "$OMITTED" || fail "the omitted adj 1000 process was killed"
alive "$NEIGHBOUR" || fail "the small avoided neighbour was killed too"
dead "$FOREIGN" || fail "the process under a foreign cgroup's mark was spared"
dead "$PLAIN" || fail "the adj 100 process was spared while an avoided one died"
killed=$(events '" ".join(str(p) for p in sorted(e["pid"] for e in ev))')
want=$(printf '%s\n' "$FOREIGN" "$PLAIN" "$GROWER" | sort -n | paste -sd' ')
[ "$killed" = "$want" ] ||
	fail "killed $(events '[(e["pid"], e["comm"], e["oom_score_adj"]) for e in ev]'), expected $want (foreign, plain, the allocator)"
[ "$(events "[e['cgroup_preference'] for e in ev if e['pid'] == $GROWER]")" = "['avoid']" ] &&
	[ "$(events "sorted(set(e['cgroup_preference'] for e in ev if e['pid'] != $GROWER))")" = "['none']" ] ||
	fail "the events' cgroup_preference: $(events '[(e["comm"], e["cgroup_preference"]) for e in ev]')"
grep -q "killed pid $GROWER .*; last resort (its cgroup: ManagedOOMPreference=avoid)" "$WORK/reapd.log" ||
	fail "the allocator's kill line does not say it was the last resort: $(grep "killed pid $GROWER" "$WORK/reapd.log")"
[ "$(oom_kills "$MEMCG")" = 0 ] || fail "the kernel OOM killer acted: $(oom_kills "$MEMCG") kills"
note "killed in order: $(events '", ".join("%s adj %d" % (e["comm"], e["oom_score_adj"]) for e in ev)');" \
     "omit (adj 1000) and the small avoided neighbour spared; a foreign cgroup's mark ignored"
