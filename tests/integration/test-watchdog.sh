# The watchdog: when the main loop is stuck (here, for real: its thread held
# in a ptrace stop while the rest of reapd runs on) and memory keeps running
# out, the watchdog thread kills the next victim by itself, and says so; once
# the loop runs again, that kill is reported like its own (events, metrics).
# (It used to block the loop with a full events FIFO; events are written off
# the loop now.)
. "$(dirname "$0")/lib.sh"
require_root
require_binaries
require_memcg
# A failure while the loop is held must let it go, or SIGTERM would never be read.
eval "lib_$(declare -f fail)"
fail() { touch "$WORK/release"; sleep 0.3; lib_fail "$@"; }

# freeze_loop PID: holds reapd's main thread (its tid is the pid) in a ptrace
# stop just after it next wakes and arms the watchdog's timer, that is, busy
# in an iteration, until $WORK/release appears; the other threads run on.
# Sets FREEZER; $WORK/frozen appears once the loop is held.
freeze_loop() {
	python3 - "$1" "$WORK/frozen" "$WORK/release" <<'PY' &
import ctypes, os, platform, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
tid, frozen, release = int(sys.argv[1]), sys.argv[2], sys.argv[3]
SYSCALL, DETACH, SEIZE, INTERRUPT, GET_SYSCALL_INFO = 24, 17, 0x4206, 0x4207, 0x420E
TIMERFD_SETTIME = {"x86_64": 286, "aarch64": 86}[platform.machine()]
WALL = 0x40000000

def pt(req, addr=0, data=0):
    ctypes.set_errno(0)
    r = libc.ptrace(req, tid, ctypes.c_void_p(addr), ctypes.c_void_p(data))
    if r == -1 and ctypes.get_errno():
        sys.exit(f"ptrace {req:#x}: {os.strerror(ctypes.get_errno())}")
    return r

pt(SEIZE, 0, 1)  # PTRACE_O_TRACESYSGOOD
pt(INTERRUPT)
os.waitpid(tid, WALL)
info = ctypes.create_string_buffer(88)
arming = False
while True:
    pt(SYSCALL)
    os.waitpid(tid, WALL)
    pt(GET_SYSCALL_INFO, len(info), ctypes.addressof(info))
    op = info.raw[0]
    if op == 1:  # entry: timerfd_settime with a non-zero it_value arms the watchdog
        nr, = struct.unpack_from("Q", info.raw, 24)
        args = struct.unpack_from("6Q", info.raw, 32)
        arming = False
        if nr == TIMERFD_SETTIME and args[2]:
            with open(f"/proc/{tid}/mem", "rb", buffering=0) as mem:
                mem.seek(args[2] + 16)
                arming = any(struct.unpack("qq", mem.read(16)))
    elif op == 2 and arming:  # its exit: the loop is busy, the timer runs; hold it here
        break
open(frozen, "w").close()
while not os.path.exists(release):
    time.sleep(0.05)
pt(DETACH)
PY
	FREEZER=$!
}

test_memcg box 600
"$REAPD" --config none --control none --scope "$MEMCG" --mem-min 30% --max-victims 1 \
	--events "$WORK/events.json" --metrics-file "$WORK/reapd.prom" --watchdog 1000 \
	> "$WORK/reapd.log" 2>&1 &
REAPD_PID=$!
wait_until 10 grep -q 'psi:' "$WORK/reapd.log" || fail "reapd did not start"
# The loop kills the first victim; 330 MiB left in use: above the mark again.
test_spawn first "$MEMCG" -- --size 100 --adj 900
FIRST=$SPAWNED
test_spawn grower1 "$MEMCG" -- --size 10 --grow --rate 200 --max 330 --adj 0
GROWER1=$SPAWNED
wait_until 30 dead "$FIRST" || fail "the loop did not kill the first victim"
kill -KILL "$GROWER1"
wait_until 5 dead "$GROWER1" || fail "grower1 did not go"
sleep 0.3
# The loop is held at its next wake-up, before it can act on it.
freeze_loop "$REAPD_PID"
sleep 0.5
kill -0 "$FREEZER" 2>/dev/null || fail "cannot trace the main loop"
# 100 MiB + up to 350 MiB: below 180 MiB available, and the loop cannot act.
test_spawn second "$MEMCG" -- --size 100 --adj 800
SECOND=$SPAWNED
test_spawn grower "$MEMCG" -- --size 10 --grow --rate 200 --max 350 --adj 0
wait_until 15 test -e "$WORK/frozen" || fail "the main loop was never held"
wait_until 15 dead "$SECOND" || fail "the watchdog did not kill the second victim"
wait_until 5 grep -q "watchdog: the main loop has been stuck for [0-9]* ms; killed pid $SECOND (second)" \
	"$WORK/reapd.log" || fail "no watchdog line"
touch "$WORK/release"
# The loop goes on: the watchdog's kill becomes an event and a metric.
wait_until 10 grep -q "\"pid\":$SECOND,.*\"watchdog\":true" "$WORK/events.json" ||
	fail "the watchdog's kill was not reported as an event: $(cat "$WORK/events.json")"
grep -q "\"pid\":$SECOND,.*\"exited\":true" "$WORK/events.json" ||
	fail "the watchdog's victim was not confirmed dead"
grep -q "\"pid\":$FIRST,.*\"watchdog\":false" "$WORK/events.json" ||
	fail "the loop's own kill is missing or marked as the watchdog's"
stop_reapd
grep -qx 'reapd_watchdog_kills_total 1' "$WORK/reapd.prom" ||
	fail "metrics: $(grep watchdog "$WORK/reapd.prom")"
note "$(grep -o 'watchdog: the main loop has been stuck for [0-9]* ms' "$WORK/reapd.log" | head -1); it killed the second victim itself"
