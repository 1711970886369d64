#!/bin/bash
# denied: the denied-traffic monitor against a real NFLOG group.  The Check
# binary's kernel suite (DENIED_KERNEL_TEST=1) runs each test in a network
# namespace of its own (unshare in the forked test process): an nft rule
# `log prefix "segmentd drop a>b: " group 7` on the output hook, packets to
# 127.0.0.2 and ::1 (UDP, a TCP SYN, an ICMP echo), then:
#  - denied_read aggregates them per tuple (pair, addresses, protocol, port
#    or ICMP type) with the right counts; new-tuple callbacks are rate
#    limited and the rest counted as suppressed;
#  - a second socket cannot take the group (EPERM); closing frees it;
#  - a receive buffer overrun is counted (ENOBUFS) and not fatal, and the
#    sequence numbers account for every message lost;
#  - the caller's own network namespace keeps its ruleset.
# The daemon's use of the module (segmentctl denied) is tested elsewhere.
set -eu
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
TEST=$BUILD/tests/test_denied
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[ -x "$TEST" ] || { echo "SKIP: $TEST not built (make unit-bins)"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: nft not installed"; exit 77; }
unshare -n true 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }

before=$(nft list ruleset)
rc=0
DENIED_KERNEL_TEST=1 CK_DEFAULT_TIMEOUT=60 "$TEST" || rc=$?
if [ "$(nft list ruleset)" != "$before" ]; then
	echo "FAIL: the ruleset of the caller's network namespace changed"
	exit 1
fi
echo "ok: the caller's network namespace is unchanged"
[ "$rc" = 0 ] || { echo "FAIL: the kernel suite of test_denied failed"; exit 1; }
echo "denied: all checks passed"
