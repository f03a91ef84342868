#!/usr/bin/env bash
# Lab part 1, in the guest: reapd on a real cgroup v2 memory controller.  The
# integration tests of what v2 changes (host-built binaries, shared at the
# host's path) against real v2 memory cgroups, with every capability, so the
# halves a host without them skips (a real adj -1000, the v2 freezer inside
# the scope) must run; then the v2-only checks (tests/lab/v2-*.sh: wake-ups
# from the scope's memory.pressure with 1 s windows and its memory.events, a
# victim in nested cgroups).  The whole suite runs on v2 too, in part 4.
set -euo pipefail
: "${SRC:?set by lab/run: the source tree}" "${BUILD:?set by lab/run: the build folder}"
. "$SRC/tests/lab/guest-lib.sh"

guest_facts
grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || guest_fail "no v2 memory controller"
# What a host lacks and this guest has: the tests must not skip it here.
export REAPD_TEST_REQUIRE="adj-1000 v2-freezer"
rc=0
meson test -C "$BUILD" --no-rebuild --logbase lab-v2 --print-errorlogs --num-processes 1 \
	${LAB_TESTS:-kill-order never-kill frozen watchdog-frozen dry-run events-json \
	scope-removed metrics-file deep-cgroup cg-preference} || rc=1
for t in "$SRC"/tests/lab/v2-*.sh; do
	guest_run_test "$t" || rc=1
done
exit $rc
