#!/usr/bin/env bash
# Lab part 4, in a clean guest (the base image: no compiler, no meson, no
# cmocka): a fresh clone of the project, and the README's two commands run as
# a newcomer runs them — the demo, then the test command (with REAPD_LAB=skip,
# no lab inside the lab, a short fuzz run, and REAPD_TEST_SANITIZERS=toolchain:
# no sanitized tree is built, a small program is built and run with each
# sanitizer to prove the packages the command installs; the host runs the
# sanitized suites.  With the sanitized trees built and their unit tests run,
# this part took 2017 to 3345 s under TCG beside the other parts, past its
# limit once).  Both must succeed; the
# commands are read from README.md itself, so they are the ones it documents.
set -euo pipefail
. /lab/guest-lib.sh
guest_facts
for tool in cc gcc meson ninja clang; do
	! command -v "$tool" > /dev/null || guest_fail "not a clean machine: $tool is installed"
done
[ -d /lab/reapd/.git ] || guest_fail "no clone in the share"
git clone -q /lab/reapd /root/reapd
cd /root/reapd
guest_note "clone: $(git log -1 --format='%h %s' | cut -c1-72)"

# The commands in README's quick start, in order: every line of its sh blocks.
mapfile -t cmds < <(awk '/^   ```sh$/ { on = 1; next } /^   ```$/ { on = 0 } on { sub(/^ +/, ""); print }' README.md)
[ ${#cmds[@]} -eq 2 ] || guest_fail "expected the README's two commands, found: ${cmds[*]}"
rc=0 i=0
for cmd in "${cmds[@]}"; do
	i=$((i + 1))
	# The whole output, for the host: build/lab/part-4/out/command-N.log.
	log=/lab/out/command-$i.log
	# Root already; a minimal Debian has no sudo.
	run=${cmd#sudo }
	[ "$run" != "$cmd" ] && command -v sudo > /dev/null && run=$cmd
	echo "== \$ $cmd"
	start=$(date +%s)
	if REAPD_LAB=skip REAPD_FUZZ_SECONDS=${LAB_FUZZ_SECONDS:-2} REAPD_TEST_SANITIZERS=toolchain \
		bash -c "$run" > "$log" 2>&1; then
		echo "ok   $cmd ($(($(date +%s) - start)) s)"
		case $cmd in
		*demo*) grep -E 'killed|survivor|kernel OOM' "$log" | sed 's/^/    /' ;;
		*) grep -E '^== |^Ok:|^Fail:|^Skipped:|skipped' "$log" | sed 's/^/    /' ;;
		esac
	else
		echo "FAIL $cmd (exit $?, $(($(date +%s) - start)) s):"
		tail -60 "$log" | sed 's/^/    /'
		# A failed test's own output, from meson's log: what the tail above
		# cannot say (the last CI lost the reason of a unit test this way).
		testlog=/root/reapd/build/meson-logs/testlog.txt
		if [ -f "$testlog" ]; then
			awk '/^=+ [0-9]+\/[0-9]+ =+$/ { if (bad) printf "%s", sec; sec = ""; bad = 0 }
			     /^result: / && !/exit status (0|77)$/ { bad = 1 }
			     { sec = sec $0 "\n" }
			     END { if (bad) printf "%s", sec }' "$testlog" | tail -150 | sed 's/^/    | /'
		fi
		rc=1
	fi
done
# The demo's promise: a kill in the sandbox, nothing left behind.
ls -d /sys/fs/cgroup/reapd-* 2> /dev/null && { echo "FAIL: a cgroup was left behind"; rc=1; }
exit $rc
