#!/usr/bin/env bash
# Installs what building and testing reapd needs on Debian/Ubuntu, only when
# something is missing.
ensure_deps() {
	local need=()
	command -v meson > /dev/null || need+=(meson)
	command -v ninja > /dev/null || need+=(ninja-build)
	command -v cc > /dev/null || need+=(gcc)
	# gcc without recommends leaves out the C library's headers (a minimal Debian has neither).
	[ -f /usr/include/stdio.h ] || need+=(libc6-dev)
	command -v pkg-config > /dev/null || need+=(pkg-config)
	command -v python3 > /dev/null || need+=(python3)
	pkg-config --exists cmocka 2> /dev/null || need+=(libcmocka-dev)
	# The install test renders the man pages.
	command -v man > /dev/null || need+=(man-db)
	command -v groff > /dev/null || need+=(groff-base)
	[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

# Makes sure clang can link libFuzzer (its runtime is a package of its own).
ensure_fuzz_deps() {
	local major
	command -v clang > /dev/null || apt_install clang
	if [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then
		major=$(clang -dumpversion | cut -d. -f1)
		apt_install "libclang-rt-$major-dev"
	fi
}

# What bench/run needs besides the build: gnuplot for the chart, taskset/chrt.
ensure_bench_deps() {
	command -v gnuplot > /dev/null || apt_install gnuplot-nox
	command -v chrt > /dev/null || apt_install util-linux
}

apt_install() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "reapd: missing $*; run as root or install them" >&2
		return 1
	fi
	echo "# installing $*"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q > /dev/null
	apt-get install -y -q --no-install-recommends "$@" > /dev/null
}

# build DIR [MESON_OPTIONS...]: configures (once) and builds reapd in DIR;
# with BUILD_TARGETS set (ninja's target names), only those.
build() {
	local dir=$1 log targets=()
	shift
	read -r -a targets <<< "${BUILD_TARGETS:-}"
	log=$(mktemp)
	if { [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@"; } > "$log" 2>&1 &&
		ninja -C "$dir" "${targets[@]}" >> "$log" 2>&1; then
		rm -f "$log"
		return 0
	fi
	cat "$log" >&2
	rm -f "$log"
	echo "reapd: the build in $dir failed" >&2
	return 1
}
