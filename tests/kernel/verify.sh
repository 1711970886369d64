#!/bin/bash
# verify: the kernel is compared with what was compiled, never with an
# earlier read of itself.  A fault (SEGMENTD_FAULT_DROP_ELEM) leaves one
# set element out of the next batch sent, as a truncated message would;
# the commit succeeds, the table is wrong.  It must be reported as a
# failed apply:
#   at start (--once): exit 2, nothing claimed "programmed";
#   on a reload by difference (kernel/nft_update.c): the mismatch is
#     reported (found although the sets the commit left alone are not
#     dumped: the changed set fails its element-by-element proof,
#     kernel/nft_prove.c, and is read) and the ruleset programmed in
#     full, then verified equal;
#   on a reload in full: the reload fails (reload-failed) and the previous
#     ruleset is programmed again: the kernel lists exactly what it listed
#     before;
#   on restore (the table deleted, ownership off): the restore is reported
#     FAILED and retried until the kernel holds the compiled ruleset (the
#     fault passes over the interim table, which is not read back: the
#     main table that follows is; the failure removes the interim table,
#     the guard holds, and none is left at the end).
cd "$(dirname "$0")/../.."
. tests/lib/private.sh
# the test build: the fault hooks exist only there (Makefile: test-bins)
SEGMENTD=$BUILD/hooks/segmentd
need_built
private_tmp
listing() { nft list table inet segmentd | grep -v 'packets [0-9]'; }
export SEGMENTD_FAULT_DROP_ELEM=$tmp/fault
wait_for() {   # wait_for SECONDS CMD...
	local tries=$(($1 * 50)); shift
	until "$@"; do
		tries=$((tries - 1)); [ "$tries" -gt 0 ] || return 1; sleep 0.02
	done
}

sed 's/ownership = true;/ownership = false;/' conf/segmentd.conf >"$tmp/a.conf"
# b: one more address for lg-admin (a reload that changes a set)
sed 's/addresses = \[ "10.2.9.10" \]/addresses = [ "10.2.9.10", "10.2.9.11" ]/' \
	"$tmp/a.conf" >"$tmp/b.conf"
cmp -s "$tmp/a.conf" "$tmp/b.conf" && fail "b.conf is not a change"
# c: b and one flow more (a counter object more: programmed in full)
sed 's/^flows = (/flows = (\n  { name = "ntp-test"; from = "lg-admin"; to = "chukan"; services = [ "udp\/123" ]; },/' \
	"$tmp/b.conf" >"$tmp/c.conf"
grep -q '"ntp-test"' "$tmp/c.conf" || fail "could not add a flow to c.conf"
cp "$tmp/a.conf" "$tmp/daemon.conf"

# --once
touch "$tmp/fault"
rc=0
"$SEGMENTD" --once -c "$tmp/a.conf" >"$tmp/once.out" 2>&1 || rc=$?
[ ! -e "$tmp/fault" ] || fail "--once: the fault was not injected"
[ "$rc" = 2 ] || fail "--once with a dropped element: exit $rc, want 2: $(cat "$tmp/once.out")"
grep -q "differs from the compiled ruleset" "$tmp/once.out" || fail "--once: $(cat "$tmp/once.out")"
grep -q programmed "$tmp/once.out" && fail "--once claimed success: $(cat "$tmp/once.out")"
echo "verify: --once: $(grep -m1 differs "$tmp/once.out")"
"$SEGMENTD" --once -c "$tmp/a.conf" 2>/dev/null || fail "--once without the fault failed"
list_a=$(listing)
nft delete table inet segmentd

# the daemon, then a reload with the fault
"$SEGMENTD" -c "$tmp/daemon.conf" 2>"$tmp/log" &
pid=$!
wait_for 10 "$SEGMENTCTL" status >/dev/null 2>&1 || fail "daemon did not answer"
[ "$(listing)" = "$list_a" ] || fail "the daemon programmed something else than --once"
cp "$tmp/b.conf" "$tmp/daemon.conf"
touch "$tmp/fault"
rc=0
"$SEGMENTCTL" reload >"$tmp/reload.out" 2>&1 || rc=$?
[ ! -e "$tmp/fault" ] || fail "reload by difference: the fault was not injected"
[ "$rc" = 0 ] || fail "reload by difference: not programmed in full after the mismatch: $(cat "$tmp/reload.out")"
grep -q "by its difference failed" "$tmp/reload.out" || fail "reload by difference: no failure reported: $(cat "$tmp/reload.out")"
grep -q "differs from the compiled ruleset" "$tmp/reload.out" || fail "reload by difference: no mismatch reported"
# found with the sets it left alone not dumped (nft_prove.c): the set that
# lost its element was not confirmed element by element, so it was read
grep -q "confirmed element by element not dumped" "$tmp/reload.out" ||
	fail "reload by difference: the table was read in full, not by the sets that changed"
grep -q "by its difference (" "$tmp/reload.out" && fail "reload by difference: claimed a success by difference"
"$SEGMENTCTL" verify >/dev/null || fail "verify after the reload by difference"
list_b=$(listing)
[ "$list_b" != "$list_a" ] || fail "reload by difference: the kernel lists what it listed before"
echo "verify: reload by difference: $(grep -m1 'by its difference failed' "$tmp/reload.out" | cut -c1-100)..., then in full"

cp "$tmp/c.conf" "$tmp/daemon.conf"
touch "$tmp/fault"
rc=0
"$SEGMENTCTL" reload >"$tmp/reload.out" 2>&1 || rc=$?
[ ! -e "$tmp/fault" ] || fail "reload: the fault was not injected"
[ "$rc" != 0 ] || fail "reload with a dropped element succeeded: $(cat "$tmp/reload.out")"
grep -q "differs from the compiled ruleset" "$tmp/reload.out" "$tmp/log" || fail "reload: no mismatch reported"
"$SEGMENTCTL" events | grep -q ' reload-failed ' || fail "no reload-failed event"
[ "$(listing)" = "$list_b" ] || fail "after the failed reload the kernel does not hold the previous ruleset"
"$SEGMENTCTL" verify >/dev/null || fail "verify after the failed reload"
echo "verify: reload: failed (exit $rc), the previous ruleset is back"

# a restore with the fault (the config file now differs: it is not read)
touch "$tmp/fault"
nft delete table inet segmentd
wait_for 10 grep -q "restoring table 'segmentd' failed" "$tmp/log" || fail "restore: no failure reported"
wait_for 10 sh -c "grep -A100 'restoring table .segmentd. failed' '$tmp/log' | grep -q 'restored in'" ||
	fail "restore: not retried"
"$SEGMENTCTL" events | grep -q 'restore FAILED' || fail "restore: no 'restore FAILED' event"
[ ! -e "$tmp/fault" ] || fail "restore: the fault was not injected"
wait_for 5 "$SEGMENTCTL" verify >/dev/null || fail "verify after the restore"
grep -q "restoring table 'segmentd' failed.*its interim table removed: the guard holds" "$tmp/log" ||
	fail "restore: the interim table was not put first, or not removed after the failure"
! nft list tables | grep -q 'segmentd-interim' || fail "restore: the interim table is left"
[ "$(listing)" = "$list_b" ] || fail "after the restore the kernel does not hold the compiled ruleset"
echo "verify: restore: $(grep -m1 "restoring table 'segmentd' failed" "$tmp/log" | sed 's/.*drift: //'), then restored"
private_stop "$pid" "$tmp/log" || fail "the daemon did not stop cleanly"
pid=
echo "verify: PASS"
