#!/bin/bash
# review: the auditor's and the change reviewer's commands on the shipped
# topology: `segmentctl audit` (text, Japanese, JSON) passes on a healthy
# gateway and fails when a zone interface disappears; `segmentctl metrics`
# exposes the counters real packets drove; `segmentctl diff` exits 0 for
# the running config and 1 with the flows a candidate adds.
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control

topo_build
sd_start conf/segmentd.conf
ctl audit >"$TOPO_DIR/audit.out" || { cat "$TOPO_DIR/audit.out"; fail "audit on a healthy gateway"; }
grep -q "^Result: PASS" "$TOPO_DIR/audit.out" || fail "no PASS result line"
grep -q "\[PASS\]  1. Ruleset" "$TOPO_DIR/audit.out" || fail "ruleset check missing"
grep -q "chukan-link" "$TOPO_DIR/audit.out" || fail "the isolated exception is not listed"
ctl audit --lang ja | grep -q "^結果: 合格" || fail "Japanese report"
ctl --json audit | grep -q '"result": "pass"' || fail "JSON report"
echo "ok: audit passes (en, ja, json)"

topo_expect "screen-transfer" pass lgwan tcp 10.2.8.10 10.3.1.10 3389
ctl metrics >"$TOPO_DIR/metrics.out" || fail "metrics"
grep -q '^segmentd_up 1$' "$TOPO_DIR/metrics.out" || fail "segmentd_up"
grep -q '^segmentd_in_sync 1$' "$TOPO_DIR/metrics.out" || fail "segmentd_in_sync"
grep -q '^segmentd_pair_new_connections_total{from="lgwan",to="internet"} 1$' "$TOPO_DIR/metrics.out" ||
	{ grep pair_new "$TOPO_DIR/metrics.out"; fail "the pair counter does not show the connection"; }
grep -q '^segmentd_flow_new_connections_total{flow="screen-transfer"} 1$' "$TOPO_DIR/metrics.out" ||
	fail "the flow counter does not show the connection"
echo "ok: metrics"

ctl diff conf/segmentd.conf >"$TOPO_DIR/diff.out" || { cat "$TOPO_DIR/diff.out"; fail "diff of the running config"; }
grep -q "no changes" "$TOPO_DIR/diff.out" || fail "diff of the running config: not 'no changes'"
rc=0; ctl diff tests/diff/flows.conf >"$TOPO_DIR/diff.out" || rc=$?
[ "$rc" = 1 ] || fail "diff of a changed config: exit $rc, want 1"
grep -q "^Flows added:" "$TOPO_DIR/diff.out" || { cat "$TOPO_DIR/diff.out"; fail "no added flows listed"; }
# the one load path: a candidate others may write is refused by diff as
# a reload would refuse it (file safety), not reviewed as if it were fine
cp tests/diff/flows.conf "$TOPO_DIR/unsafe.conf"
chmod 0666 "$TOPO_DIR/unsafe.conf"
ctl diff "$TOPO_DIR/unsafe.conf" >"$TOPO_DIR/diff.out" || true
# (the text is wrapped: joined into one line before the match)
tr -s ' \n' '  ' <"$TOPO_DIR/diff.out" | grep -q "would be refused.*refusing '[^']*/unsafe.conf'" ||
	{ cat "$TOPO_DIR/diff.out"; fail "diff passed a world-writable candidate"; }
echo "ok: diff"

topo_exec gw ip link del inet0
rc=0; ctl audit >"$TOPO_DIR/audit.out" || rc=$?
[ "$rc" = 1 ] || fail "audit with a missing interface: exit $rc, want 1"
grep -q "\[FAIL\]  8. Zone interfaces" "$TOPO_DIR/audit.out" || { cat "$TOPO_DIR/audit.out"; fail "no interface failure"; }
grep -q "inet0" "$TOPO_DIR/audit.out" || fail "the missing interface is not named"
echo "ok: audit fails when a zone interface is missing"
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "review: all checks passed"
