# tests/lib/private.sh - for the tests that need no topology, only their
# own network stack and their own /run (for the control socket):
# `. tests/lib/private.sh` re-executes the script inside a new network
# and mount namespace (nothing there is shared with the caller's) and, in
# there, mounts a tmpfs on /run and brings lo up.
# shellcheck shell=bash
if [ -z "${SEGMENTD_TEST_PRIVATE:-}" ]; then
	exec unshare -n -m --propagation private \
		env SEGMENTD_TEST_PRIVATE=1 "$0" "$@"
fi
mount -t tmpfs -o mode=0755 tmpfs /run
ip link set lo up
