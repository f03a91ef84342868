# Shared by the lab's scripts (sourced).
LAB_CACHE=${REAPD_LAB_CACHE:-/var/cache/reapd-lab}

lab_log() { echo "lab: $*" >&2; }
lab_die() { echo "lab: $*" >&2; exit 1; }
lab_need_root() { [ "$(id -u)" -eq 0 ] || lab_die "needs root"; }

# lab_ensure_host_tools CMD:PACKAGE...: installs the packages whose command is missing.
lab_ensure_host_tools() {
	local pair need=()
	for pair in "$@"; do
		command -v "${pair%%:*}" > /dev/null || need+=("${pair#*:}")
	done
	[ ${#need[@]} -eq 0 ] || lab_apt_install "${need[@]}"
}

# lab_apt_install PACKAGE...: installs them from Debian's registry, with hard timeouts.
lab_apt_install() {
	lab_log "installing $*"
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get update -q > /dev/null &&
		timeout 900 apt-get install -y -q --no-install-recommends "$@" > /dev/null ||
		lab_die "could not install $*"
}
