# tests/lib/skips.sh - which skips a CI run accepts.
# shellcheck shell=sh
# Sourced by tests/run-kernel.sh and tests/run-unit.sh.
#
# A test skips (exit 77, the reason on its output) when a prerequisite is
# missing.  Outside CI that is reported and is no failure.  Under CI
# (CI=true, as .ci/run is run) a skip fails the run, unless it is one of
# these, on the build named and with a reason that says so:
#
#   kernel/valgrind  on a sanitizer build: memcheck cannot run a binary
#                    built with ASan; .ci/run's first step (make check, the
#                    plain build) runs it
#   kernel/systemd   on a sanitizer build: the container has no sanitizer
#                    runtime; the first step boots the plain build
#   kernel/deb       on a sanitizer build: the package is built from the
#                    source with its own flags; the first step tests it
#   kernel/alloc     on a sanitizer build: ASan cannot run under an
#                    address-space limit; the first step runs it
#
# Nothing else: not root, a tool, a package mirror or a binary missing, a
# test case a unit test binary left out (a ": skipped" line) all fail CI.
#
#   skips_ci                         true under CI
#   skips_accepted KIND/NAME BUILD REASON
#                                    true if this skip is no failure now

skips_ci() {
	[ "${CI:-}" = true ]
}

# A sanitizer build: the daemon carries the ASan runtime (the test scripts'
# own guess from the directory name, *san*, agrees for make SANITIZE=1).
skips_sanitized() {
	grep -q __asan_init "$1/segmentd" 2>/dev/null
}

skips_accepted() {
	skips_ci || return 0
	case $1 in
	kernel/valgrind | kernel/systemd | kernel/deb | kernel/alloc)
		skips_sanitized "$2" && case $3 in *sanitizer*) return 0 ;; esac ;;
	esac
	return 1
}
