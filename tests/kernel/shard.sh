#!/bin/bash
# shard: the ruleset lowered into shards (src/load/compile_shard.c) as the
# kernel runs it.  The daemon does not lower yet; the hooks build does for
# `--once` when SEGMENTD_TEST_SHARD=N says so (src/segmentd.c).
#   1. the shipped config with every address set of more than one interval
#      split (N=1: the cloud zone's complement in a piece per interval);
#   2. the shipped config with 5,000 more LGWAN networks per family
#      (bench/gen-config.sh) at the real size, N=2048.
# Each time `segmentd --once` programs it and verifies it (the kernel's
# read-back against the lowered ruleset as compiled: interval verdict maps
# and their chains included), the big sets are gone, the address vmaps are
# there, and the whole probe matrix of tests/lib/flows.list, judged at the
# receivers, passes exactly as unlowered.
cd "$(dirname "$0")/../.."
SEGMENTD=${BUILD:-build}/hooks/segmentd
. tests/lib/kernel.sh
. tests/lib/flows.sh

topo_build

# lowered CONF N LABEL SET...: --once, the table's shape (no SET: each is
# in shards), the probe matrix
lowered() {
	local conf=$1 n=$2 label=$3 vmaps set
	shift 3
	echo "== $label: segmentd --once, shards of at most $n intervals"
	topo_exec gw env SEGMENTD_TEST_SHARD="$n" "$SEGMENTD" --once -c "$conf" \
		>"$TOPO_DIR/once.out" 2>&1 || {
		tail -n 5 "$TOPO_DIR/once.out"; fail "$label: --once"; }
	tail -n 1 "$TOPO_DIR/once.out"
	for set in "$@"; do
		topo_exec gw nft list set inet "$SD_TABLE" "$set" >/dev/null 2>&1 &&
			fail "$label: $set is still one set"
	done
	vmaps=$(topo_exec gw nft list table inet "$SD_TABLE" |
		grep -c 'ip6\{0,1\} [sd]addr vmap @' || true)
	[ "$vmaps" -ge 2 ] || fail "$label: $vmaps address vmaps"
	echo "ok: $vmaps address vmaps, $* in shards"
	flows_run >"$TOPO_DIR/flows.out" || {
		cat "$TOPO_DIR/flows.out"; fail "$label: flows matrix"; }
	tail -n 1 "$TOPO_DIR/flows.out"
	echo "ok: every row as declared"
	topo_exec gw nft delete table inet "$SD_TABLE" 2>/dev/null || true
	topo_exec gw nft delete table inet "$SD_TABLE-guard" 2>/dev/null || true
}

sed 's/ownership = true;/ownership = false;/' conf/segmentd.conf \
	>"$TOPO_DIR/small.conf"
lowered "$TOPO_DIR/small.conf" 1 "shipped config" zone_cloud_v4 zone_cloud_v6

SEGMENTD_BASE_CONF=$TOPO_DIR/small.conf sh bench/gen-config.sh 5000 \
	"$TOPO_DIR/big.conf"
lowered "$TOPO_DIR/big.conf" 2048 "5,000 more LGWAN networks" \
	zone_cloud_v4 zone_cloud_v6 zone_lgwan_v4 zone_lgwan_v6
