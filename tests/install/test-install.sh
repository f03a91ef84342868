#!/usr/bin/env bash
# What "meson install" puts in place, checked in a DESTDIR: every file where a
# system expects it, man pages that render without a warning, a systemd unit
# that systemd-analyze accepts, an example config that documents every setting
# at its default and that reapd accepts, and docs that name every option.
set -euo pipefail
BUILD=${1:?usage: test-install.sh BUILD_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DEST=$(mktemp -d /tmp/reapd-install.XXXXXX)
trap 'rm -rf "$DEST"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

meson install -C "$BUILD" --no-rebuild --destdir "$DEST" > "$DEST.log" 2>&1 ||
	{ cat "$DEST.log"; rm -f "$DEST.log"; fail "meson install failed"; }
rm -f "$DEST.log"
intro() { meson introspect "$BUILD" --buildoptions |
	python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}[sys.argv[1]])' "$1"; }
PREFIX=$(intro prefix)
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PREFIX/$1" ;; esac; }
SBIN=$DEST$(abs "$(intro sbindir)")
BIN=$DEST$(abs "$(intro bindir)")
MAN=$DEST$(abs "$(intro mandir)")
ETC=$DEST$(abs "$(intro sysconfdir)")
SHARE=$DEST$(abs "$(intro datadir)")

for f in "$SBIN/reapd" "$BIN/reapctl" "$SHARE/reapd/notify-desktop"; do
	[ -x "$f" ] || fail "not installed or not executable: ${f#"$DEST"}"
done
for f in "$MAN/man8/reapd.8" "$MAN/man1/reapctl.1" "$MAN/man5/reapd.conf.5" "$ETC/reapd.conf" \
	"$SHARE/reapd/desktop.conf"; do
	[ -f "$f" ] || fail "not installed: ${f#"$DEST"}"
done
UNIT=$(find "$DEST" -name reapd.service -path '*systemd/system*')
TMPFILES=$(find "$DEST" -name reapd.conf -path '*tmpfiles.d*')
[ -n "$UNIT" ] || fail "no systemd unit installed"
[ -n "$TMPFILES" ] || fail "no tmpfiles entry installed"
grep -q "^ExecStart=$(abs "$(intro sbindir)")/reapd " "$UNIT" || fail "the unit runs the wrong binary"
grep -q '^d /run/reapd ' "$TMPFILES" || fail "the tmpfiles entry does not make /run/reapd"
# reapd.conf(5)'s example writes events into a folder the unit must make at
# start: under ProtectSystem=strict reapd cannot, and without it does not start.
events=$(sed -n 's/^events = //p' "$SRC/docs/reapd.conf.5")
[ -n "$events" ] || fail "reapd.conf(5)'s example has no events file"
[ "$(dirname "$events")" = "/var/log/$(sed -n 's/^LogsDirectory=//p' "$UNIT")" ] ||
	fail "the unit does not make $(dirname "$events") (LogsDirectory=) for the example's events file"
[ -z "$(find "$DEST" -name 'memhog*' -o -name 'benchtool*' -o -name 'test-*')" ] ||
	fail "test or bench binaries installed"
"$SBIN/reapd" --version | grep '^reapd ' > /dev/null || fail "installed reapd does not run"
note "installed: $(cd "$DEST" && find . -type f | sort | tr '\n' ' ')"

# Man pages render without a single warning.
if command -v man > /dev/null; then
	for page in "$MAN"/man*/*; do
		out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 > /dev/null) ||
			fail "man cannot render $page"
		[ -z "$out" ] || fail "man warns on ${page##*/}: $out"
	done
	note "man pages render cleanly"
else
	note "no man: rendering not checked"
fi

# The unit, as systemd sees it (with the DESTDIR's binary and man pages).
if command -v systemd-analyze > /dev/null; then
	sed "s|^ExecStart=[^ ]*/reapd|ExecStart=$SBIN/reapd|" "$UNIT" > "$DEST/reapd.service"
	out=$(MANPATH=${MAN} systemd-analyze verify "$DEST/reapd.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
	note "systemd-analyze verify: clean"
else
	note "no systemd-analyze: the unit is not verified"
fi

# The example config: every setting, each at its default, and accepted.
options=$("$SBIN/reapd" --help | sed -n 's/^ *\(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' |
	grep -vxE 'config|check-config|help|version')
[ "$(echo "$options" | wc -l)" -gt 30 ] || fail "could not read the options from --help"
for o in $options; do
	grep -qE "^#$o = " "$ETC/reapd.conf" || fail "the example config lacks '$o'"
	grep -qF -- "\\-\\-${o//-/\\-}" "$SRC/docs/reapd.8" || fail "reapd(8) lacks --$o"
	grep -qE "^\.BR ${o//-/\\\\-} \" = " "$SRC/docs/reapd.conf.5" || fail "reapd.conf(5) lacks '$o'"
done
sed 's/^#\([a-z-]* = \)/\1/' "$ETC/reapd.conf" > "$DEST/uncommented.conf"
"$SBIN/reapd" --config "$DEST/uncommented.conf" --check-config > /dev/null ||
	fail "reapd refuses its own example config"
# The documented defaults are the defaults: the same settings as no file at all.
defaults() {
	grep -E "^#[a-z-]+ = " "$ETC/reapd.conf" | grep -vE '^#(prefer|avoid|ignore) = ' |
		sed 's/^#//' > "$DEST/defaults.conf"
}
defaults
python3 - "$SBIN/reapd" "$DEST/defaults.conf" <<'PY' || fail "a documented default is not the default"
import re, subprocess, sys
reapd, conf = sys.argv[1], sys.argv[2]
help_text = subprocess.run([reapd, "--help"], capture_output=True, text=True).stdout
for line in open(conf):
    name, value = [s.strip() for s in line.split("=", 1)]
    m = re.search(r"--%s .*\(([^()]*)\)\s*$" % re.escape(name), help_text, re.M)
    if not m:
        continue  # flags and settings --help gives no default for
    shown = m.group(1).split(";")[0].split(":")[0].strip()
    if value in ("yes", "no"):
        continue  # flags: their help text says what they do, not a default
    if shown != value and not (shown.startswith("auto") and value == "auto"):
        print(f"{name}: the example says {value!r}, --help says {shown!r}")
        sys.exit(1)
PY
note "the example config lists all $(echo "$options" | wc -l) settings at their defaults; reapd accepts it"
