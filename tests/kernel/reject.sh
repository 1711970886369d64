#!/bin/bash
# reject: the kernel refuses a reload's batch (as it would a feature it
# lacks; simulated with SEGMENTD_FAULT_REJECT, which appends a rule that
# jumps to a missing chain): the error is reported with what produced it,
# the old ruleset stays (same fingerprint, same listing, its flows still
# pass), a continuous forbidden flood gets nothing through; once the fault
# is gone the same reload applies.  The same for a reload by its
# difference (kernel/nft_update.c).  Also at start: `--once` exits 2.  The
# flood is counted in atena's namespace; before segmentd it reaches atena,
# and throughout it keeps arriving at the gateway.
# the test build: the fault hooks exist only there (Makefile: test-bins)
SEGMENTD=$PWD/${BUILD:-build}/hooks/segmentd
. tests/lib/kernel.sh
. tests/lib/flood.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control
export SEGMENTD_FAULT_REJECT=$TOPO_DIR/reject
CONF=$TOPO_DIR/segmentd.conf
PORT=9999

cp conf/segmentd.conf "$CONF"
sed '/name = "file-pull"/,/},/d' conf/segmentd.conf >"$TOPO_DIR/b.conf"
topo_build
flood_init internet 10.3.1.10 mynumber 10.1.1.20 "$PORT"
flood_control     # no table yet: the flood's path is open
sd_start "$CONF"
flood_start

sha0=$(sd_sha); rules0=$(sd_rules)
touch "$SEGMENTD_FAULT_REJECT"
cp "$TOPO_DIR/b.conf" "$CONF"
rc=0; ctl reload >"$TOPO_DIR/r.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "reload the kernel refuses: exit $rc, want 1: $(cat "$TOPO_DIR/r.out")"
grep -q "kernel rejected rule .* for fault injection" "$TOPO_DIR/r.out" ||
	fail "the refusal is not attributed: $(cat "$TOPO_DIR/r.out")"
grep -q "unchanged" "$TOPO_DIR/r.out" || fail "no 'unchanged' in: $(cat "$TOPO_DIR/r.out")"
echo "refused: $(grep -m1 'kernel rejected' "$TOPO_DIR/r.out")"
[ "$(sd_sha)" = "$sha0" ] || fail "the fingerprint changed"
[ "$(sd_rules)" = "$rules0" ] || fail "the ruleset changed"
ctl verify >/dev/null || fail "verify after the refused reload"
topo_expect "old ruleset: file-pull still passes" pass lgwan tcp 10.2.8.10 10.3.2.40 443
ctl events | grep -q "reload-failed" || fail "no reload-failed event"

rm -f "$SEGMENTD_FAULT_REJECT"
ctl reload >/dev/null || fail "the same reload without the fault"
topo_expect "new ruleset: file-pull revoked" drop lgwan tcp 10.2.8.10 10.3.2.40 443

# a reload by its difference the kernel refuses (lg-admin one address
# more: only set elements change), then in full: both refused, nothing
# changes; without the fault it applies by its difference
sed 's/addresses = \[ "10.2.9.10" \]/addresses = [ "10.2.9.10", "10.2.9.11" ]/' \
	"$TOPO_DIR/b.conf" >"$CONF"
cmp -s "$CONF" "$TOPO_DIR/b.conf" && fail "could not give lg-admin an address"
sha1=$(sd_sha); rules1=$(sd_rules)
touch "$SEGMENTD_FAULT_REJECT"
rc=0; ctl reload >"$TOPO_DIR/r2.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "reload by difference the kernel refuses: exit $rc, want 1: $(cat "$TOPO_DIR/r2.out")"
grep -q "by its difference failed (.*kernel rejected rule .* for fault injection" "$TOPO_DIR/r2.out" ||
	fail "the refused difference is not reported: $(cat "$TOPO_DIR/r2.out")"
[ "$(sd_sha)" = "$sha1" ] || fail "the fingerprint changed (by difference)"
[ "$(sd_rules)" = "$rules1" ] || fail "the ruleset changed (by difference)"
ctl verify >/dev/null || fail "verify after the refused reload by difference"
rm -f "$SEGMENTD_FAULT_REJECT"
ctl reload >"$TOPO_DIR/r3.out" 2>&1 || fail "the reload by difference without the fault: $(cat "$TOPO_DIR/r3.out")"
grep -q "by its difference (" "$TOPO_DIR/r3.out" || fail "not by its difference: $(cat "$TOPO_DIR/r3.out")"
ctl verify >/dev/null || fail "verify after the reload by difference"
echo "refused by difference, then applied: $(cat "$TOPO_DIR/r3.out")"
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"

touch "$SEGMENTD_FAULT_REJECT"
rc=0; sd_once conf/segmentd.conf >"$TOPO_DIR/once.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--once refused by the kernel: exit $rc, want 2"
topo_expect "after the refused --once: file-pull still revoked" drop lgwan tcp 10.2.8.10 10.3.2.40 443
rm -f "$SEGMENTD_FAULT_REJECT"
flood_stop
echo "reject: all checks passed"
