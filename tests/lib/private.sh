# tests/lib/private.sh - the common start of the tests that need no
# topology, only their own network stack and their own /run (for the
# control socket).  From the repository root, as the first thing a test
# does:
#     . tests/lib/private.sh
# It sets NAME (the test's), BUILD (absolute), SEGMENTD and SEGMENTCTL
# (the release build's; a test of the fault hooks sets SEGMENTD to
# $BUILD/hooks/segmentd after), skips (exit 77) unless root, re-executes
# the script inside a new network and mount namespace (nothing there is
# shared with the caller's) and, in there, mounts a tmpfs on /run and
# brings lo up.  Then:
#   need PROGRAM...       skip unless each is on PATH
#   need_built FILE...    skip unless each is built (default: the daemon
#                         and segmentctl)
#   private_tmp           a scratch $tmp and the daemon's $pid, cleaned up
#   private_start CONF    the daemon on CONF (log in $tmp/log), $pid set,
#                         fails unless it answers `status` within 5 s
#   private_stop PID LOG  stops and judges it (below)
#   fail MESSAGE          exit 1, with the end of $tmp/log when there is one
# shellcheck shell=bash
set -eu
NAME=$(basename "$0" .sh)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
SEGMENTD=$BUILD/segmentd
SEGMENTCTL=$BUILD/segmentctl
skip() { echo "$NAME: SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network and mount namespaces)"
if [ -z "${SEGMENTD_TEST_PRIVATE:-}" ]; then
	exec unshare -n -m --propagation private \
		env SEGMENTD_TEST_PRIVATE=1 "$0" "$@"
fi
mount -t tmpfs -o mode=0755 tmpfs /run
ip link set lo up
. tests/lib/sanitizer.sh

need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || skip "$p not installed"
	done
}

need_built() {
	local f
	[ $# -gt 0 ] || set -- "$SEGMENTD" "$SEGMENTCTL"
	for f in "$@"; do
		[ -x "$f" ] || skip "$f not built (make; the hooks build: make test-bins)"
	done
}

fail() {
	echo "$NAME: FAIL: $*"
	if [ -s "${tmp:-/nonexistent}/log" ]; then
		echo "--- daemon log (last 40 lines):"
		tail -n 40 "$tmp/log"
	fi
	exit 1
}

private_start() {
	"$SEGMENTD" -c "$1" 2>"$tmp/log" &
	pid=$!
	for _ in $(seq 250); do
		"$SEGMENTCTL" status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || fail "the daemon exited at start"
		sleep 0.02
	done
	fail "the daemon did not answer within 5 s"
}

private_stop() {
	local pid=$1 tries=500 rc=0
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		tries=$((tries - 1))
		sleep 0.02
	done
	kill -KILL "$pid" 2>/dev/null && echo "segmentd ignored SIGTERM for 10 s"
	wait "$pid" || rc=$?
	exit_check segmentd "$rc" "$2" "${3:-0}"
}

# private_tmp: a scratch directory in $tmp and the daemon's pid in $pid
# (set it when starting one): both cleaned up at exit.
private_tmp() {
	tmp=$(mktemp -d)
	pid=
	trap private_cleanup EXIT
}

private_cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
