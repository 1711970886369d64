#!/bin/bash
# flows: the probe matrix of tests/lib/flows.list (shared with the demo)
# through a gateway programmed by `segmentd --once -c conf/segmentd.conf`:
# every declared flow passes (TCP, UDP, ICMP; IPv4 and IPv6), everything
# else, the reply directions, spoofed sources and the gateway itself are
# dropped.  Every row is also judged at its receiver (tests/lib/flows.sh):
# a drop is no reply and nothing arrived.  A control run first proves that
# the same probes that must be dropped do pass through the bare gateway and
# are counted at their receivers, so a drop means segmentd, and a leak would
# be seen (tests/kernel/leak_selftest.sh proves the latter with one).
. tests/lib/kernel.sh
. tests/lib/flows.sh
topo_build

echo "== control: no ruleset, the rows that must be dropped must pass"
grep -E '^[^#].*[[:space:]](drop|pass-until:[0-9-]+)[[:space:]]' "$FLOWS_LIST_DEFAULT" |
	sed -E 's/[[:space:]](drop|pass-until:[0-9-]+)[[:space:]]/ pass /' >"$TOPO_DIR/control.list"
if ! flows_run "$TOPO_DIR/control.list" >"$TOPO_DIR/control.out"; then
	cat "$TOPO_DIR/control.out"
	fail "the topology itself blocks traffic; the matrix would prove nothing"
fi
tail -n 1 "$TOPO_DIR/control.out"

echo "== segmentd --once -c conf/segmentd.conf"
sd_once conf/segmentd.conf
flows_run
