#!/usr/bin/env bash
# Lab part 2, in the guest: the Debian package under real systemd, with every
# hardening directive of its unit on.  The .deb (built on the host by
# lab/build-deb, copied into /lab) is installed, scoped to a test slice with a
# memory limit (so nothing else, this job least of all, can be a victim) and
# started with "systemctl enable --now reapd"; then each feature is checked
# under the hardening: READY, mlockall, SCHED_FIFO, the PSI trigger, a kill
# with process_mrelease, the Status= line, the journal's priorities, the kill
# hook as another user, the metrics file in a ReadWritePaths folder, the
# control socket for root, for a member of its group and not for others,
# reload, and stop within a second.  One line per check: "ok   CHECK: what was
# measured" or "FAIL CHECK: why"; the exit status is 1 when any failed.
set -uo pipefail
: "${SRC:?the source tree}" "${BUILD:?the build folder}"
. "$SRC/tests/lab/guest-lib.sh"

# This job is never a victim (it is outside the scope anyway).
echo -1000 > /proc/self/oom_score_adj
part_start=$(date +%s.%N)
guest_facts

failed=0
ok() { echo "ok   $1: $2"; }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# check NAME DETAIL CONDITION: ok or FAIL with DETAIL, as the shell code
# CONDITION (evaluated here) succeeds or not.
check() { if eval "$3"; then ok "$1" "$2"; else fail "$1" "$2"; fi; }
# wait_until SECONDS CMD...: polls CMD every 0.2 s; false if it has not
# succeeded after SECONDS.  The bounds are generous, far above what the waits
# take (the guest runs under TCG, at times next to other VMs): only a failure
# ever waits that long.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
prop() { systemctl show -P "$2" "$1"; }
# journal_field TEXT FIELD: FIELD of the last reapd.service journal entry
# whose message contains TEXT (empty when there is none).
journal_field() {
	journalctl -q -u reapd -o json --no-pager | python3 -c '
import json, sys
text, field, found = sys.argv[1], sys.argv[2], ""
for line in sys.stdin:
    e = json.loads(line)
    m = e.get("MESSAGE")
    if isinstance(m, list):
        m = bytes(m).decode(errors="replace")
    if m and text in m:
        found = str(e.get(field, ""))
print(found)' "$1" "$2"
}
in_journal() { grep -qF -- "$1" <<< "$(journalctl -q -u reapd -o cat --no-pager)"; }
# warnings [PID]: reapd's own journal lines at warning or worse (of PID only).
warnings() { journalctl -q -u reapd -t reapd -p warning -o cat --no-pager ${1:+_PID=$1}; }

SCOPE=/sys/fs/cgroup/lab.slice
SOCK=/run/reapd/control
METRICS_DIR=/var/lib/prometheus/node-exporter
METRICS=$METRICS_DIR/reapd.prom
EVENTS=/var/log/reapd/events.json
UNIT=/lib/systemd/system/reapd.service

# --- the package ------------------------------------------------------------
deb=$(ls /lab/reapd_*.deb 2> /dev/null | head -1)
[ -n "$deb" ] || guest_fail "no reapd_*.deb in /lab"
if dpkg -i "$deb" > /tmp/dpkg.log 2>&1; then
	enabled=$(systemctl is-enabled reapd 2> /dev/null) active=$(systemctl is-active reapd 2> /dev/null)
	check "package installed, unit disabled and stopped" \
		"$(basename "$deb"), is-enabled $enabled, is-active $active" \
		'[ "$enabled" = disabled ] && [ "$active" = inactive ]'
else
	sed 's/^/    /' /tmp/dpkg.log
	guest_fail "dpkg -i $deb failed"
fi

# Every directive of the source's unit is in the installed one, unchanged.
expected=$(sed 's|@SBINDIR@|/usr/sbin|g' "$SRC/contrib/reapd.service.in")
ndir=$(grep -c '^[A-Za-z]*=' "$SRC/contrib/reapd.service.in")
if d=$(diff <(echo "$expected") "$UNIT"); then
	ok "every hardening directive installed" "$ndir directives, the unit as in contrib/"
else
	fail "every hardening directive installed" "the installed unit differs: $d"
fi
if v=$(systemd-analyze verify "$UNIT" 2>&1) && [ -z "$v" ]; then
	ok "systemd-analyze verify" "no complaint from $(systemctl --version | head -1)"
else
	fail "systemd-analyze verify" "$v"
fi

# --- what the test needs around it --------------------------------------------
useradd --system --no-create-home --shell /usr/sbin/nologin labhook
useradd --system --no-create-home --shell /usr/sbin/nologin labctl
useradd --system --no-create-home --shell /usr/sbin/nologin labother
hook_uid=$(id -u labhook)
# The scope: a slice with a memory limit; only its processes may be killed.
cat > /etc/systemd/system/lab.slice << 'EOF'
[Slice]
MemoryMax=256M
MemorySwapMax=0
EOF
systemctl daemon-reload
systemctl start lab.slice
wait_until 30 test -f "$SCOPE/memory.max" || guest_fail "no $SCOPE/memory.max"
# node_exporter's textfile folder, which its package would make: the unit's
# ReadWritePaths names it with "-" (used when it exists).  /var/log/reapd is
# not made here: the events file of reapd.conf(5)'s example goes there on a
# fresh install, so the package must see to it.
mkdir -p "$METRICS_DIR"
cat > /etc/reapd.conf << EOF
scope = $SCOPE
mem-min = 30%
events = $EVENTS
metrics-file = $METRICS
kill-hook = echo "lab-hook uid=\$(id -u) gid=\$(id -g) victim=\$REAPD_PID reaped=\$REAPD_REAPED"
kill-hook-user = labhook
EOF

# --- start ----------------------------------------------------------------------
t0=$(date +%s%N)
if ! systemctl enable --now reapd > /tmp/enable.log 2>&1; then
	sed 's/^/    /' /tmp/enable.log
	journalctl -u reapd --no-pager | tail -20 | sed 's/^/    /'
	guest_fail "systemctl enable --now reapd failed"
fi
start_ms=$((($(date +%s%N) - t0) / 1000000))
pid=$(prop reapd MainPID)
status=$(prop reapd StatusText)
check "enable --now: READY reached" \
	"$(prop reapd ActiveState)/$(prop reapd SubState) in $start_ms ms, $(systemctl is-enabled reapd), pid $pid, Status=\"$status\"" \
	'[ "$(prop reapd ActiveState)" = active ] && [ "$(systemctl is-enabled reapd)" = enabled ] &&
	 [ "$pid" -gt 0 ] && [[ $status == "Watching $SCOPE; no kills yet" ]]'
w=$(warnings)
check "no warning at start under the hardening" "${w:-none}" '[ -z "$w" ]'
if [ -f "$EVENTS" ]; then ev_file=present; else ev_file=missing; fi
check "the events file's folder" "/var/log/reapd $(stat -c '%A %U:%G' /var/log/reapd 2> /dev/null), $EVENTS $ev_file" \
	'[ -d /var/log/reapd ] && [ -f "$EVENTS" ]'

# The hardening as the kernel applies it to the running process.
caps=$(python3 -c '
import sys
names = {"CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_KILL": 5, "CAP_SETGID": 6,
         "CAP_SETUID": 7, "CAP_IPC_LOCK": 14, "CAP_SYS_PTRACE": 19, "CAP_SYS_NICE": 23,
         "CAP_SYS_RESOURCE": 24}
print("%016x" % sum(1 << names[n] for n in sys.argv[1:]))' \
	$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT"))
st() { awk -v k="$1:" '$1 == k { print $2 }' /proc/"$pid"/status; }
check "the process is confined" \
	"NoNewPrivs $(st NoNewPrivs), Seccomp $(st Seccomp), CapBnd $(st CapBnd), CapEff $(st CapEff) (unit: $caps), oom_score_adj $(cat /proc/"$pid"/oom_score_adj)" \
	'[ "$(st NoNewPrivs)" = 1 ] && [ "$(st Seccomp)" = 2 ] && [ "$(st CapBnd)" = "$caps" ] &&
	 [ "$(st CapEff)" = "$caps" ] && [ "$(cat /proc/"$pid"/oom_score_adj)" = -1000 ]'
ro=$(nsenter -t "$pid" -m sh -c 'touch /etc/lab-probe; touch /var/lab-probe' 2>&1 | grep -c 'Read-only file system')
rw=$(nsenter -t "$pid" -m sh -c "for d in $METRICS_DIR /var/log/reapd; do touch \$d/.probe && rm \$d/.probe && echo \$d; done" | wc -l)
ifs=$(tail -n +3 /proc/"$pid"/net/dev | awk -F: '{ gsub(/ /, "", $1); print $1 }' | tr '\n' ' ')
check "its namespaces" \
	"/etc and /var read-only ($ro of 2 refused), $METRICS_DIR and /var/log/reapd writable ($rw of 2), interfaces: $ifs" \
	'[ "$ro" = 2 ] && [ "$rw" = 2 ] && [ "$ifs" = "lo " ]'

# --- self-protection and the kernel's notifications ---------------------------
vmlck=$(st VmLck)
check "mlockall" "VmLck $vmlck kB, VmRSS $(st VmRSS) kB" '[ "${vmlck:-0}" -gt 0 ]'
main_sched=$(chrt -p "$pid" | tr '\n' ' ')
# The threads: the reapers (2 by default) and the others, by policy/priority.
threads=$(for t in /proc/"$pid"/task/*; do
	[ "${t##*/}" = "$pid" ] || chrt -p "${t##*/}" | awk '{ print $NF }' | paste -sd/
done | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
# The loop at 3, its threads at 2: priority 1 is left to the victims it boosts.
fifo2=$(echo "$threads" | tr ',' '\n' | awk '$1 == "SCHED_FIFO/2" { print substr($2, 2) }')
check "SCHED_FIFO" "main thread $(chrt -p "$pid" | awk '{ print $NF }' | paste -sd/); its threads: $threads" \
	'[[ $main_sched == *SCHED_FIFO*"priority: 3"* ]] && [ "${fifo2:-0}" -ge 2 ]'
psi_line=$(journalctl -q -u reapd -t reapd -o cat --no-pager | grep '^psi: ' | sed -n 1p)
psi_fds=$(for f in /proc/"$pid"/fd/*; do readlink "$f"; done | grep -c "^$SCOPE/memory.pressure$")
check "PSI triggers" "\"$psi_line\", $psi_fds fd(s) on $SCOPE/memory.pressure" \
	'[[ $psi_line == "psi: some 100 ms/1000 ms, full 100 ms/1000 ms, critical full 700 ms/1000 ms;"* ]] && [ "$psi_fds" -ge 1 ]'

# --- the control socket -------------------------------------------------------------
sock_group=$(stat -c %G "$SOCK")
check "control socket" "$(stat -c '%A %U:%G' "$SOCK") $SOCK" \
	'[ "$(stat -c %a "$SOCK")" = 660 ]'
out=$(reapctl status 2>&1)
rc=$?
scope_shown=$(echo "$out" | awk '$1 == "scope:" { print $2 }')
check "reapctl status as root" "exit $rc, scope: $scope_shown" '[ $rc -eq 0 ] && [ "$scope_shown" = "$SCOPE" ]'
runuser -u labctl -- reapctl status > /dev/null 2>&1
before=$?
usermod -a -G "$sock_group" labctl
out=$(runuser -u labctl -- reapctl status 2>&1)
rc=$?
check "reapctl status as a member of the socket's group" \
	"labctl: exit $before before joining group $sock_group, exit $rc after" \
	'[ $before -eq 4 ] && [ $rc -eq 0 ] && [[ $out == *"$SCOPE"* ]]'
out=$(runuser -u labother -- reapctl status 2>&1)
rc=$?
check "reapctl status refused to a non-member" "labother: exit $rc, \"$out\"" '[ $rc -eq 4 ]'

# --- a kill ---------------------------------------------------------------------------
metrics_kills() { cat "$METRICS" 2> /dev/null | awk '/^reapd_kills_total/ { n += $2 } END { print n + 0 }'; }
kills_before=$(metrics_kills)
metrics_mtime=$(stat -c %y "$METRICS" 2> /dev/null)
check "metrics file at start" "$METRICS: ${metrics_mtime:-missing}, $kills_before kills" \
	'[ -n "$metrics_mtime" ] && [ "$kills_before" = 0 ]'
# The victim must still hold its memory when the reap starts, or the reap
# finds nothing (ESRCH) and this check measures a race with the victim's own
# exit, not process_mrelease: a victim that runs when signalled, on a host
# busy with another VM, can drop its mm before the worker's next syscall.
# So the hog first fills 150 MiB at full speed and holds it; then its unit
# gets 0.1 % of a CPU (cpu.max 1000 per 1000000 us), eaten at the start of
# every period by a spinner in the same unit, so the signalled hog cannot run
# for most of a second.  A second process then takes the scope below the mark.
HOG_CG=$SCOPE/lab-hog.service
systemd-run --quiet --unit lab-hog --slice lab.slice -p CPUQuota=100% \
	sh -c 'while :; do :; done & exec "$0" "$@"' \
	"$BUILD/tools/memhog" --name lab-hog --adj 500 --size 150
hog=$(prop lab-hog MainPID)
hog_ready() { grep -q "^memhog $hog ready " <<< "$(journalctl -q -u lab-hog -o cat --no-pager)"; }
wait_until 300 hog_ready || fail "the hog's 150 MiB" "no ready line from memhog in 300 s"
echo "1000 1000000" > "$HOG_CG/cpu.max"
check "the hog held to 0.1 % of a CPU" "$HOG_CG/cpu.max: $(cat "$HOG_CG/cpu.max"), $(($(cat "$HOG_CG/memory.current") >> 20)) MiB charged" \
	'[ "$(cat "$HOG_CG/cpu.max")" = "1000 1000000" ]'
systemd-run --quiet --unit lab-push --slice lab.slice \
	"$BUILD/tools/memhog" --quiet --name lab-push --size 60
if wait_until 300 in_journal "killed pid $hog "; then
	line=$(journalctl -q -u reapd -t reapd -o cat --no-pager | grep "killed pid $hog " | sed -n 1p)
	prio=$(journal_field "killed pid $hog " PRIORITY)
	facility=$(journal_field "killed pid $hog " SYSLOG_FACILITY)
	check "kill line in the journal" "\"$line\"" true
	check "its priority" "PRIORITY=$prio (info), SYSLOG_FACILITY=$facility (daemon)" \
		'[ "$prio" = 6 ] && [ "$facility" = 3 ]'
	reaped=$(echo "$line" | sed -n 's/.*; reaped \([0-9.]*\) MiB in \([0-9.]*\) ms.*/\1 MiB in \2 ms/p')
	ev=$(grep "\"pid\":$hog," "$EVENTS" 2> /dev/null | tail -1)
	ev_reaped=$(echo "$ev" | python3 -c 'import json, sys; e = json.loads(sys.stdin.read() or "{}"); print(e.get("reaped"), e.get("reaped_kib"), e.get("reason"))')
	check "process_mrelease" "reaped ${reaped:-nothing}; event: reaped, reaped_kib, reason = $ev_reaped" \
		'[ -n "$reaped" ] && [ "${reaped%% *}" != 0.0 ] && [[ $ev_reaped == "True "[1-9]* ]]'
	# The boost (after the reap): the hog moved out of its unit's cpu.max to
	# the root cgroup, so its exit is not held to 0.1 % of a CPU; its memory
	# stays charged where it was (v2 never moves a charge) and is uncharged
	# there as it is freed.
	ev_boost=$(echo "$ev" | python3 -c 'import json, sys; e = json.loads(sys.stdin.read() or "{}"); print(e.get("boosted"), e.get("boosted_threads"), e.get("cpu_limit_lifted"))')
	exited=$(echo "$line" | sed -n 's/.*; exited in \([0-9.]*\) ms.*/\1/p')
	check "boost: the victim out of its cpu.max" \
		"event: boosted, boosted_threads, cpu_limit_lifted = $ev_boost; exited in ${exited:-?} ms after SIGKILL" \
		'[[ $ev_boost == "True "[1-9]*" True" ]]'
	hog_mib=$(($(cat "$HOG_CG/memory.current") >> 20))
	check "its memory uncharged in its own cgroup" "$HOG_CG/memory.current: $hog_mib MiB after the kill (150 MiB before)" \
		'[ "$hog_mib" -lt 20 ]'
	oom=$(awk '$1 == "oom_kill" { print $2 }' "$SCOPE/memory.events")
	check "no kernel OOM kill in the scope" "memory.events oom_kill $oom" '[ "$oom" = 0 ]'
else
	fail "kill line in the journal" "no \"killed pid $hog\" in 300 s; hog: $(prop lab-hog ActiveState), $(cat "$SCOPE/memory.current") bytes in the scope"
fi
status=$(prop reapd StatusText)
shown=$(systemctl status --no-pager reapd 2> /dev/null | grep 'Status:' | sed -n 1p | sed 's/^ *//')
check "Status= after the kill" "$shown" \
	'[[ $status == "Watching $SCOPE; 1 kills, the last pid $hog (lab-hog), "*" MiB" ]] &&
	 [[ $shown == "Status: \"$status\"" ]]'
if wait_until 120 in_journal "lab-hook uid="; then
	hook=$(journalctl -q -u reapd -o cat --no-pager | grep 'lab-hook uid=' | sed -n 1p)
	check "kill hook as another user" "\"$hook\" (labhook is uid $hook_uid)" \
		'[[ $hook == "lab-hook uid=$hook_uid gid=$(id -g labhook) victim=$hog reaped=1" ]]'
else
	fail "kill hook as another user" "no line from the hook in 120 s"
fi
# The kernel's wake-ups by source, e.g. "psi 3, memory.events 12".
metrics_wakeups() {
	sed -n 's/^reapd_pressure_events_total{source="\([^"]*\)"} \([0-9]*\)$/\1 \2/p' "$METRICS" | paste -sd, | sed 's/,/, /g'
}
metrics_counted() { [ "$(metrics_kills)" -ge 1 ]; }
if wait_until 120 metrics_counted; then
	check "metrics file in a ReadWritePaths folder" \
		"$METRICS rewritten ($(stat -c %y "$METRICS")), kills $(metrics_kills), reaped $(awk '/^reapd_reaped_total/ { print $2 }' "$METRICS"), wake-ups: $(metrics_wakeups)" \
		'[ "$(stat -c %y "$METRICS")" != "$metrics_mtime" ]'
else
	fail "metrics file in a ReadWritePaths folder" "kills still $(metrics_kills) after 120 s"
fi
w=$(warnings)
check "no warning after the kill" "${w:-none}" '[ -z "$w" ]'

# --- reload -----------------------------------------------------------------------------
min_adj() { reapctl --json status | python3 -c 'import json, sys; print(json.load(sys.stdin)["config"]["min_adj"])'; }
adj_before=$(min_adj)
echo "min-adj = 100" >> /etc/reapd.conf
reloads=$(journalctl -q -u reapd -t reapd -o cat --no-pager | grep -c '^reloaded the settings')
systemctl reload reapd
rc=$?
reloaded() { [ "$(journalctl -q -u reapd -t reapd -o cat --no-pager | grep -c '^reloaded the settings')" -gt "$reloads" ]; }
if wait_until 120 reloaded; then
	check "systemctl reload" \
		"exit $rc, min_adj $adj_before -> $(min_adj), same pid ($(prop reapd MainPID)), Status=\"$(prop reapd StatusText)\"" \
		'[ $rc -eq 0 ] && [ "$(min_adj)" = 100 ] && [ "$(prop reapd MainPID)" = "$pid" ] &&
		 [[ $(prop reapd StatusText) == *"settings reloaded" ]]'
else
	fail "systemctl reload" "exit $rc, no \"reloaded the settings\" in 120 s"
fi
sed -i 's/^min-adj = 100$/min-adj = lots/' /etc/reapd.conf
systemctl reload reapd
rc=$?
if wait_until 120 in_journal "reload failed, keeping the old settings"; then
	prio=$(journal_field "reload failed, keeping the old settings" PRIORITY)
	check "a bad config on reload keeps the old settings" \
		"exit $rc, $(prop reapd ActiveState), min_adj $(min_adj), its warning at PRIORITY=$prio, Status=\"$(prop reapd StatusText)\"" \
		'[ "$(prop reapd ActiveState)" = active ] && [ "$(min_adj)" = 100 ] && [ "$prio" = 4 ] &&
		 [[ $(prop reapd StatusText) == "Reload failed, old settings kept: "* ]]'
else
	fail "a bad config on reload keeps the old settings" \
		"exit $rc, Status=\"$(prop reapd StatusText)\", $(prop reapd ActiveState)"
fi

# --- stop -------------------------------------------------------------------------------
t0=$(date +%s%N)
systemctl stop reapd
rc=$?
stop_ms=$((($(date +%s%N) - t0) / 1000000))
a=$(prop reapd ActiveExitTimestampMonotonic)
i=$(prop reapd InactiveEnterTimestampMonotonic)
unit_ms=$(((i - a) / 1000))
check "systemctl stop ends it within a second" \
	"deactivating -> inactive in $unit_ms ms (systemctl stop took $stop_ms ms), result $(prop reapd Result), exit status $(prop reapd ExecMainStatus)" \
	'[ $rc -eq 0 ] && [ "$unit_ms" -lt 1000 ] && [ "$(prop reapd Result)" = success ] &&
	 [ "$(prop reapd ExecMainStatus)" = 0 ] && ! kill -0 "$pid" 2> /dev/null'
systemctl stop lab-hog lab-push 2> /dev/null
systemctl reset-failed lab-hog lab-push 2> /dev/null

# --- the desktop hook -----------------------------------------------------------------
# notify-desktop run as root (no kill-hook-user) switches to the victim's user
# and reaches the session bus in /run/user/UID, with the packaged drop-in.  A
# stand-in notify-send prints who it runs as and the bus (to the journal);
# the "bus" is a bound socket nobody listens on: the hook only tests for it.
useradd --system --no-create-home --shell /usr/sbin/nologin labdesk
desk_uid=$(id -u labdesk)
install -d -m 0700 -o labdesk -g labdesk /run/user/"$desk_uid"
runuser -u labdesk -- python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	/run/user/"$desk_uid"/bus
printf '%s\n' '#!/bin/sh' \
	'echo "lab-notify uid=$(id -u) groups=$(id -G | tr " " ,) $DBUS_SESSION_BUS_ADDRESS"' \
	> /usr/local/bin/notify-send
chmod 755 /usr/local/bin/notify-send
mkdir -p /etc/systemd/system/reapd.service.d
ln -s /usr/share/reapd/desktop.conf /etc/systemd/system/reapd.service.d/
systemctl daemon-reload
printf '%s\n' "scope = $SCOPE" "mem-min = 30%" "kill-hook = /usr/share/reapd/notify-desktop" \
	> /etc/reapd.conf
systemctl start reapd
systemd-run --quiet --unit lab-hog2 --slice lab.slice -p User=labdesk \
	"$BUILD/tools/memhog" --quiet --name lab-desk-hog --adj 500 --grow --rate 20 --max 1024
hog=$(prop lab-hog2 MainPID)
if wait_until 300 in_journal "killed pid $hog " && wait_until 120 in_journal "lab-notify uid="; then
	note=$(journalctl -q -u reapd -o cat --no-pager | grep 'lab-notify uid=' | sed -n 1p)
	check "notify-desktop reaches the victim's user" "\"$note\" (labdesk is uid $desk_uid)" \
		'[[ $note == "lab-notify uid=$desk_uid groups=$(id -g labdesk) unix:path=/run/user/$desk_uid/bus" ]]'
else
	fail "notify-desktop reaches the victim's user" \
		"no notification in the journal; $(journalctl -q -u reapd -o cat --no-pager | grep -m1 'kill hook' || echo 'the hook said nothing')"
fi
w=$(warnings "$(prop reapd MainPID)")
check "no warning with the desktop drop-in" "${w:-none}" '[ -z "$w" ]'
systemctl stop reapd lab-hog2 2> /dev/null
systemctl reset-failed lab-hog2 2> /dev/null

guest_note "part 2: $failed check(s) failed, $(guest_since "$part_start") s in the guest"
if [ $failed -gt 0 ]; then
	echo "--- journalctl -u reapd"
	journalctl -u reapd --no-pager | tail -40 | sed 's/^/    /'
fi
[ $failed -eq 0 ]
