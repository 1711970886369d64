#!/bin/bash
# monitor: the daemon follows its NFLOG group: forbidden packets between
# real namespaces show up in `segmentctl denied` (zone pair, source,
# destination, protocol/port, count), a new tuple is logged once, and
# allowed traffic does not appear.
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control

topo_build
sd_start conf/segmentd.conf
topo_expect "allowed: screen-transfer" pass lgwan tcp 10.2.8.10 10.3.1.10 3389
for i in 1 2 3; do
	topo_exec mynumber "$PROBE" tcp -t 200 -s 10.1.1.20 10.3.1.10 443 >/dev/null 2>&1 || true
done
topo_exec internet "$PROBE" udp -t 200 -s 10.3.5.5 10.2.1.25 53 >/dev/null 2>&1 || true
topo_wait_until 5 sh -c "'$SEGMENTCTL' -s '$SEGMENTD_SOCKET' denied | grep -q 'mynumber>internet'" ||
	fail "no mynumber>internet tuple: $(ctl denied)"
ctl denied >"$TOPO_DIR/denied.out"
cat "$TOPO_DIR/denied.out"
grep -A1 'mynumber>internet  tcp/443' "$TOPO_DIR/denied.out" | grep -q '10.1.1.20 -> 10.3.1.10' ||
	fail "the tuple's source/destination/port are not shown"
grep -q '^ *3  mynumber>internet' "$TOPO_DIR/denied.out" || fail "count 3 not shown"
grep -q 'internet>lgwan *udp/53' "$TOPO_DIR/denied.out" || fail "no internet>lgwan udp/53 tuple"
grep -q 'tcp/3389' "$TOPO_DIR/denied.out" && fail "allowed traffic listed as denied"
ctl --json denied | grep -q '"pair":"mynumber>internet"' || fail "json: $(ctl --json denied)"
n=$(grep -c "denied: new tuple mynumber>internet" "$TOPO_DIR/segmentd.log" || true)
[ "$n" = 1 ] || fail "the new tuple was logged $n times, want once"
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "monitor: all checks passed"
