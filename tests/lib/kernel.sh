# tests/lib/kernel.sh - the common start of the topology tests in
# shellcheck shell=bash
# tests/kernel: `. tests/lib/kernel.sh` (from the repository root) sources
# topo.sh and segmentd.sh, checks the prerequisites (exit 77 when one is
# missing) and arms the cleanup of everything the test creates.
set -eu
. tests/lib/topo.sh
. tests/lib/segmentd.sh
topo_init "${BUILD:-build}"
sd_init "${BUILD:-build}"
trap topo_cleanup EXIT

# fail MESSAGE: the test failed (exit 1; the cleanup runs).
fail() {
	echo "FAIL: $*"
	exit 1
}
