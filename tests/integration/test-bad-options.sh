#!/usr/bin/env bash
# Bad options: a one-line error naming the option and the value, exit status 2,
# nothing started.  Needs no root.
. "$(dirname "$0")/lib.sh"
require_binaries

conf=$WORK/bad.conf
printf 'mem-min = 5%%\nmin-adj = lots\n' > "$conf"
unreadable=$WORK/unreadable.conf
echo "mem-min = 5%" > "$unreadable"
chmod 000 "$unreadable"

check() {
	local want=$1 err status
	shift
	set +e
	"$REAPD" "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null
	status=$?
	set -e
	err=$(cat "$WORK/err")
	[ "$status" = 2 ] || fail "reapd $*: exit $status, expected 2 ($err)"
	[ "$(wc -l < "$WORK/err")" = 1 ] || fail "reapd $*: not one line: $err"
	[[ $err == *"$want"* ]] || fail "reapd $*: '$err' does not say '$want'"
	[ ! -s "$WORK/out" ] || fail "reapd $*: printed to stdout"
}

check "unknown option '--bogus'" --bogus
check "--mem-min: invalid value '150%'" --mem-min 150%
check "--mem-min: invalid value '10XB'" --mem-min 10XB
check "--swap-min: invalid value 'lots'" --swap-min lots
check "--target: invalid value '1.5G'" --target 1.5G
check "--min-adj: invalid value '-1000'" --min-adj -1000
check "--prefer: invalid value '(chrome'" --prefer '(chrome'
check "--ignore: invalid value '*'" --ignore '*'
check "--reaper-threads: invalid value '0'" --reaper-threads 0
check "--kill-timeout: invalid value '-5'" --kill-timeout -5
check "--scope: invalid value '$WORK'" --scope "$WORK"
check "--scope: invalid value '/nonexistent/cgroup'" --scope /nonexistent/cgroup
check "--scope: missing value" --scope
check "min-adj: invalid value 'lots'" --config "$conf"
check "--config: cannot read '/nonexistent.conf'" --config /nonexistent.conf
check "--events: invalid value '/nonexistent/dir/ev.json'" --events /nonexistent/dir/ev.json
if [ "$(id -u)" -ne 0 ]; then
	check "--config: cannot read '$unreadable'" --config "$unreadable"
fi
note "every bad option: exit 2 with one line naming it"
