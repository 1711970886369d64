#!/bin/bash
# scripts/demo.sh [BUILD] - segmentd on the shipped topology, in network
# namespaces that this script creates and removes (the machine's own network
# is never touched).
#
# Builds the zones of conf/segmentd.conf (tests/lib/topo.sh), starts
# segmentd in the gateway, then probes every declared flow (must pass) and
# the traffic the α model forbids (must be dropped) with real packets, and
# prints one line per probe.  Exit status 0 when every probe got what it
# expected.  Needs root; `make demo` builds first.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
. tests/lib/topo.sh
. tests/lib/segmentd.sh
. tests/lib/flows.sh
if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root (it builds network namespaces)" >&2
	exit 1
fi
topo_init "$BUILD"
sd_init "$BUILD"
CONF=conf/segmentd.conf

# A config that fails validation or file safety stops the demo here, with
# its errors, before any namespace or probe (the daemon would otherwise
# start DEGRADED, with a lockdown table, and every probe would fail).  The
# kernel's look at the batch happens in a network namespace of its own.
echo "checking $CONF (segmentd --check) ..."
if ! unshare -n "$SEGMENTD" --check -c "$CONF" >/dev/null; then
	echo "demo: $CONF is refused (the errors above); fix it and run make demo again" >&2
	exit 1
fi
trap topo_cleanup EXIT

cat <<'TXT'
segmentd demo: the zones of conf/segmentd.conf as network namespaces

    mynumber  (10.1.0.0/16, fd00:1::/48) --- mn0   +---------+
    lgwan     (10.2.0.0/16, fd00:2::/48) --- lg0   |         |
    internet  (10.3.0.0/16, fd00:3::/48) --- inet0 | gateway | wan0 --- cloud: security cloud
    lgwan-net (172.20.0.0/16)            --- lgw0  +---------+          (192.0.2.0/24) and the internet

TXT
echo "building the topology (namespaces $TOPO_ID-*) ..."
topo_build
echo "starting segmentd -c $CONF in the gateway ..."
if ! sd_start "$CONF"; then
	echo "demo: segmentd did not start" >&2
	exit 1
fi
sed 's/^/    | /' "$TOPO_DIR/segmentd.log"
echo "segmentd (pid $SD_PID) owns table inet $SD_TABLE ($(sd_table_flags)):" \
	"other processes cannot change it"
echo
rc=0
flows_run "$FLOWS_LIST_DEFAULT" || rc=1
echo
echo "stopping segmentd (SIGTERM): the table stays and keeps enforcing"
sd_stop || { echo "demo: segmentd exited with status $?" >&2; rc=1; }
# judged at the receiver too: no reply and nothing arrived at vbrowser
if ! sd_table >/dev/null 2>&1; then
	echo "demo: FAIL: the table is gone after SIGTERM" >&2
	rc=1
elif ! topo_expect "after SIGTERM: atena -> vbrowser tcp/443" drop \
	mynumber tcp 10.1.1.20 10.3.1.10 443 >"$TOPO_DIR/after.out"; then
	echo "demo: $(cat "$TOPO_DIR/after.out")" >&2
	rc=1
else
	echo "after SIGTERM: table inet $SD_TABLE still there; atena -> vbrowser tcp/443 still dropped"
fi
echo
[ "$rc" = 0 ] && echo "demo: every probe got what the config says" ||
	echo "demo: FAILED (see the rows marked FAIL)"
echo "cleaning up the namespaces ..."
exit "$rc"
