#!/bin/bash
# reload_unchanged: a reload whose compiled ruleset equals the one enforced
# (and verified) commits nothing: `segmentctl reload` and the log say so,
# `nft monitor` in the gateway sees no new generation, every rule keeps its
# handle, and `segmentctl verify` still finds the kernel equal to the
# compiled state.  A real change afterwards is committed and enforced (a
# revoked flow drops at the receiver), and reloading it again is unchanged.
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control
CONF=$TOPO_DIR/segmentd.conf
handles() { topo_exec gw nft -a list table inet "$SD_TABLE" | grep -v '^[[:space:]]*flags'; }
gens() { grep -c "new generation .*(segmentd)" "$TOPO_DIR/monitor.log" || true; }
committed() { [ "$(gens)" -gt "$g0" ]; }

cp conf/segmentd.conf "$CONF"
sed '/name = "file-pull"/,/},/d' conf/segmentd.conf >"$TOPO_DIR/b.conf"
topo_build
sd_start "$CONF"
topo_expect "before: file-pull passes" pass lgwan tcp 10.2.8.10 10.3.2.40 443
sd_monitor "$TOPO_DIR/monitor.log"
h0=$(handles)
g0=$(gens)

ctl reload >"$TOPO_DIR/r.out" 2>&1 || fail "unchanged reload: $(cat "$TOPO_DIR/r.out")"
grep -q "unchanged, nothing committed" "$TOPO_DIR/r.out" ||
	fail "segmentctl reload does not say so: $(cat "$TOPO_DIR/r.out")"
grep -q "reload: table '$SD_TABLE' unchanged from .*nothing committed" "$SD_LOG" ||
	fail "the log does not say so"
ctl verify >/dev/null || fail "verify after the unchanged reload"
[ "$(handles)" = "$h0" ] || fail "rule handles changed: something was committed"
[ "$(gens)" = "$g0" ] || fail "segmentd committed a generation on an unchanged reload"
echo "unchanged reload: nothing committed ($(gens) segmentd generations seen)"

cp "$TOPO_DIR/b.conf" "$CONF"
ctl reload >"$TOPO_DIR/r2.out" 2>&1 || fail "changed reload: $(cat "$TOPO_DIR/r2.out")"
grep -q "nothing committed" "$TOPO_DIR/r2.out" && fail "a changed reload said unchanged"
topo_wait_until 5 committed || fail "the changed reload committed no generation"
ctl verify >/dev/null || fail "verify after the changed reload"
topo_expect "after: file-pull revoked" drop lgwan tcp 10.2.8.10 10.3.2.40 443
h1=$(handles); g1=$(gens)
ctl reload >"$TOPO_DIR/r3.out" 2>&1 || fail "second unchanged reload"
grep -q "unchanged, nothing committed" "$TOPO_DIR/r3.out" || fail "second reload: $(cat "$TOPO_DIR/r3.out")"
[ "$(handles)" = "$h1" ] && [ "$(gens)" = "$g1" ] || fail "second unchanged reload committed"
topo_stop "$MON" || true   # nft monitor ends on SIGTERM
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "reload_unchanged: all checks passed"
