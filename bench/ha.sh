#!/bin/bash
# bench/ha.sh [BUILD] - the failover figures of a redundant pair, written to
# bench/results-ha.txt: tests/kernel/ha.sh run once (real keepalived and
# conntrackd in network namespaces, forbidden floods throughout), its
# per-scenario figures kept: takeover (keepalived's MASTER notify after the
# master was cut off), allowed UDP outage (longest run of lost 10 ms
# echoes), TCP stall (longest silence of a connection pushing every 10 ms)
# and the forbidden packets counted at the receivers, per scenario (start,
# failover, failback, revoke, skew, forged, degraded, invalid, split,
# heal; skew and degraded: how long no node was MASTER; split: when both
# were, and when the yielding one stopped forwarding).  One run on a shared
# machine: indicative figures, not a timed assert (the test asserts only the
# targets: takeover <= 1.0 s, outage <= 0.5 s, TCP alive, 0 forbidden).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
out=bench/results-ha.txt
report=$(mktemp)
trap 'rm -f "$report"' EXIT
HA_REPORT=$report BUILD=$BUILD bash tests/kernel/ha.sh
{
	echo "# bench/ha.sh: tests/kernel/ha.sh figures, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "# tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' (+ uncommitted changes in src/ include/)'); one run"
	echo "# keepalived $(dpkg-query -W -f '${Version}' keepalived 2>/dev/null), conntrackd $(dpkg-query -W -f '${Version}' conntrackd 2>/dev/null), kernel $(uname -r), $(nproc) CPUs (shared)"
	cat "$report"
} >"$out"
cat "$out"
