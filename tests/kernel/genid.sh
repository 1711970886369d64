#!/bin/bash
# genid: a batch computed from a dump of an unowned table carries the
# dump's generation (NFNL_BATCH_GENID), so a change another process commits
# between the read and our commit makes the kernel refuse the stale batch;
# segmentd reads the table again and commits what is right.  The change in
# between is simulated with SEGMENTD_FAULT_STALE_GENID (while its file
# exists, the next such batch carries a generation one ahead; the file is
# removed when used).  Unowned as on a kernel before 6.9 (a reload and a
# second --once); owned (6.9+, this kernel): no generation is sent, as no
# other process can change the table, and the file stays.
# the test build: the fault hooks exist only there (Makefile: test-bins)
SEGMENTD=$PWD/${BUILD:-build}/hooks/segmentd
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control
export SEGMENTD_FAULT_STALE_GENID=$TOPO_DIR/stale
CONF=$TOPO_DIR/segmentd.conf
LOG=$TOPO_DIR/segmentd.log
STALE="changed by another process between its read and our commit"

cp conf/segmentd.conf "$CONF"
sed '/name = "file-pull"/,/},/d' conf/segmentd.conf >"$TOPO_DIR/b.conf"
topo_build

echo "== a. reload of an unowned table, its batch refused once as stale"
SEGMENTD_NO_PERSIST=1 sd_start "$CONF" "$LOG"
topo_expect "before: file-pull passes" pass lgwan tcp 10.2.8.10 10.3.2.40 443
touch "$SEGMENTD_FAULT_STALE_GENID"
cp "$TOPO_DIR/b.conf" "$CONF"
ctl reload >"$TOPO_DIR/r.out" 2>&1 || fail "reload: $(cat "$TOPO_DIR/r.out")"
[ ! -e "$SEGMENTD_FAULT_STALE_GENID" ] ||
	fail "the reload's batch carried no generation (the fault file is unused)"
grep -q "$STALE" "$LOG" "$TOPO_DIR/r.out" ||
	fail "the kernel did not refuse the stale batch: $(tail -n 5 "$LOG")"
echo "refused, then read again: $(grep -h "$STALE" "$LOG" "$TOPO_DIR/r.out" | head -n 1)"
ctl verify >/dev/null || fail "verify after the retried reload"
topo_expect "after: file-pull revoked (the retried batch committed)" drop lgwan tcp 10.2.8.10 10.3.2.40 443
n=$(grep -c "$STALE" "$LOG")
cp conf/segmentd.conf "$CONF"
ctl reload >"$TOPO_DIR/r2.out" 2>&1 || fail "reload back: $(cat "$TOPO_DIR/r2.out")"
[ "$(grep -c "$STALE" "$LOG")" = "$n" ] && ! grep -q "$STALE" "$TOPO_DIR/r2.out" ||
	fail "a reload without the fault was refused as stale"
topo_expect "reloaded back: file-pull passes" pass lgwan tcp 10.2.8.10 10.3.2.40 443
sd_stop || fail "segmentd did not stop cleanly"

echo "== b. --once over an unowned table left by an earlier --once"
export SEGMENTD_NO_PERSIST=1
sd_once "$TOPO_DIR/b.conf" >"$TOPO_DIR/o1.out" 2>&1 || fail "--once: $(cat "$TOPO_DIR/o1.out")"
touch "$SEGMENTD_FAULT_STALE_GENID"
sd_once "$CONF" >"$TOPO_DIR/o2.out" 2>&1 || fail "--once with a stale batch: $(cat "$TOPO_DIR/o2.out")"
[ ! -e "$SEGMENTD_FAULT_STALE_GENID" ] || fail "--once: no generation on its batch"
grep -q "$STALE" "$TOPO_DIR/o2.out" || fail "--once: not refused: $(cat "$TOPO_DIR/o2.out")"
topo_expect "--once retried: file-pull passes" pass lgwan tcp 10.2.8.10 10.3.2.40 443
topo_exec gw nft delete table inet "$SD_TABLE" 2>/dev/null
topo_exec gw nft delete table inet "$SD_TABLE-guard" 2>/dev/null
unset SEGMENTD_NO_PERSIST
rm -f "$SEGMENTD_FAULT_STALE_GENID"

echo "== c. owned (this kernel's persistence): no generation sent"
sd_start "$CONF" "$LOG.c"
if sd_owned; then
	touch "$SEGMENTD_FAULT_STALE_GENID"
	cp "$TOPO_DIR/b.conf" "$CONF"
	ctl reload >/dev/null 2>&1 || fail "owned reload"
	[ -e "$SEGMENTD_FAULT_STALE_GENID" ] ||
		fail "an owned table's batch carried a generation"
	! grep -q "$STALE" "$LOG.c" || fail "owned: refused as stale"
	topo_expect "owned reload: file-pull revoked" drop lgwan tcp 10.2.8.10 10.3.2.40 443
	echo "ok: owned table, no generation on the batch"
else
	echo "note: this kernel has no table persistence; part c is part a"
fi
sd_stop || fail "segmentd did not stop cleanly"
echo "genid: all checks passed"
