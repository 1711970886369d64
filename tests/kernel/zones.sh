#!/bin/bash
# zones: many zones, cost that grows with the flows.  The shipped config
# plus EXTRA (default 995) zones zx0..zxN (interfaces xe0.., networks in
# 10.100.0.0/14 and beyond: no overlap with the topology) and FLOWS
# (default 2000) flows among them: 1,000 zones in all.  `segmentd --once`
# programs it; the table has fwd_ chains only for pairs with a flow (no
# fwd_mynumber_internet, whose pair has none) and no chain of an extra pair
# without a flow.  Then the whole probe matrix of tests/lib/flows.list
# (pairs with and without flows, spoofed sources, the gateway), judged at
# the receivers, must pass exactly as with the shipped config.
. tests/lib/kernel.sh
. tests/lib/flows.sh
EXTRA=${EXTRA:-995}
FLOWS=${FLOWS:-2000}
CONF=$TOPO_DIR/zones.conf

awk -v n="$EXTRA" -v f="$FLOWS" '
	/^zones = \(/ { sect = "zones" }
	/^flows = \(/ { sect = "flows" }
	/^\);/ && sect == "zones" {
		for (i = 0; i < n; i++)
			printf "  , { name = \"zx%d\"; class = \"general\"; interfaces = [ \"xe%d\" ]; networks = [ \"10.%d.%d.0/24\" ]; }\n", i, i, 100 + int(i / 256), i % 256
		sect = ""
	}
	/^\);/ && sect == "flows" {
		for (k = 0; k < f; k++) {
			a = k % n; b = (k * 7 + 1) % n
			if (a == b) b = (b + 1) % n
			printf "  , { name = \"fx%d\"; from = \"zx%d\"; to = \"zx%d\"; services = [ \"tcp/%d\" ]; comment = \"many zones\"; }\n", k, a, b, 1000 + k
		}
		sect = ""
	}
	{ print }
' conf/segmentd.conf >"$CONF"

topo_build
echo "== segmentd --once with $((EXTRA + 5)) zones and $FLOWS extra flows"
sd_once "$CONF" >"$TOPO_DIR/once.out" 2>&1 || { tail -n 5 "$TOPO_DIR/once.out"; fail "--once"; }
tail -n 1 "$TOPO_DIR/once.out"
chains=$(topo_exec gw nft list table inet "$SD_TABLE" | grep -c "chain fwd_")
pairs=$(grep -c '^  , { name = "fx' "$CONF")
echo "fwd_ chains: $chains (extra flows: $pairs)"
[ "$chains" -le $((pairs + 20)) ] || fail "$chains fwd_ chains for $pairs extra flows: a chain per pair of zones?"
topo_exec gw nft list chain inet "$SD_TABLE" fwd_mynumber_internet >/dev/null 2>&1 &&
	fail "fwd_mynumber_internet exists: mynumber has no flow to internet"
topo_exec gw nft list chain inet "$SD_TABLE" fwd_zx0_zx2 >/dev/null 2>&1 &&
	fail "fwd_zx0_zx2 exists: no flow from zx0 to zx2"
topo_exec gw nft list chain inet "$SD_TABLE" fwd_zx0_zx1 >/dev/null 2>&1 ||
	fail "no fwd_zx0_zx1: flow fx0 goes from zx0 to zx1"
echo "ok: chains only for the pairs with a flow"

echo "== the probe matrix, judged at the receivers"
flows_run >"$TOPO_DIR/flows.out" || { cat "$TOPO_DIR/flows.out"; fail "flows matrix with $((EXTRA + 5)) zones"; }
tail -n 1 "$TOPO_DIR/flows.out"
echo "ok: every row as declared with $((EXTRA + 5)) zones"
