# tests/lib/private.sh - for the tests that need no topology, only their
# own network stack and their own /run (for the control socket):
# `. tests/lib/private.sh` re-executes the script inside a new network
# and mount namespace (nothing there is shared with the caller's) and, in
# there, mounts a tmpfs on /run and brings lo up.  A test that starts the
# daemon ends it with `private_stop PID LOG || fail ...` (below).
# shellcheck shell=bash
if [ -z "${SEGMENTD_TEST_PRIVATE:-}" ]; then
	exec unshare -n -m --propagation private \
		env SEGMENTD_TEST_PRIVATE=1 "$0" "$@"
fi
mount -t tmpfs -o mode=0755 tmpfs /run
ip link set lo up
. tests/lib/sanitizer.sh

# private_stop PID LOG [WANT]: SIGTERM to the daemon PID (a child of this
# shell), waits for it (10 s, then SIGKILL), then exit_check: its exit
# status must be WANT (default 0) and LOG free of sanitizer reports.
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
