# Helpers for the lab's guest-side scripts (sourced inside the VM).
guest_fail() { echo "FAIL: $*" >&2; exit 1; }
guest_note() { echo "# $*"; }

# What this guest is: printed once at the top of every part's output.
guest_facts() {
	guest_note "guest: $(uname -r), $(systemctl --version | head -1)," \
		"$(nproc) vCPU, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB," \
		"cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
}

# guest_run_test SCRIPT: runs one test script, prints its verdict and time.
guest_run_test() {
	local t=$1 start rc=0
	start=$(date +%s.%N)
	bash "$t" > "/tmp/$(basename "$t").log" 2>&1 || rc=$?
	case $rc in
	0) echo "ok   $(basename "$t" .sh) ($(guest_since "$start") s)" ;;
	77) echo "SKIP $(basename "$t" .sh): $(tail -1 "/tmp/$(basename "$t").log")" ;;
	*) echo "FAIL $(basename "$t" .sh) ($(guest_since "$start") s):"
	   sed 's/^/    /' "/tmp/$(basename "$t").log" ;;
	esac
	grep '^# ' "/tmp/$(basename "$t").log" | sed 's/^/    /' || true
	[ $rc -eq 0 ]
}
guest_since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
