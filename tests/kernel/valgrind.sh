#!/bin/bash
# valgrind: a daemon scenario under memcheck (start, drift and restore,
# every segmentctl command, the conntrack sweep at start and ct-audit
# --repair, reload by SIGHUP and by segmentctl, a refused reload, a
# reload by difference and back, the degraded start, stop) and the one-shot
# modes: zero errors and zero definite leaks.
cd "$(dirname "$0")/../.."
. tests/lib/private.sh
need valgrind
need_built
# (the same test as tests/lib/skips.sh, which lets CI accept this skip)
grep -q __asan_init "$SEGMENTD" && skip "not on a sanitizer build (ASan)"
private_tmp
VG="valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9"
ctl() { "$SEGMENTCTL" "$@"; }
wait_ctl() {
	for _ in $(seq 300); do
		rc=0; ctl status >/dev/null 2>&1 || rc=$?
		[ "$rc" -le 1 ] && return 0
		sleep 0.05
	done
	fail "the daemon did not answer under valgrind"
}
check_log() {   # check_log LOG WHAT
	grep -q "ERROR SUMMARY: 0 errors" "$1" || { cat "$1"; fail "$2: memcheck errors"; }
	! grep -q "definitely lost: [1-9]" "$1" || { cat "$1"; fail "$2: definite leaks"; }
	echo "valgrind: $2: 0 errors, no definite leaks"
}

sed 's/ownership = true;/ownership = false;/' conf/segmentd.conf >"$tmp/a.conf"
# conntrack entries with a mark of ours that no flow has (0x80000001): the
# start sweep deletes the first, ct-audit --repair the second
stale() {
	conntrack -I -p udp -s 127.0.0.2 -d 127.0.0.3 --sport "$1" --dport 9 \
		-t 60 -m 2147483649 >/dev/null 2>&1
}
ct_stale_left() { conntrack -L -m 2147483649 2>/dev/null | grep -c udp || true; }
command -v conntrack >/dev/null || fail "conntrack (the CLI) not installed"
stale 1 || fail "conntrack -I"
$VG "$SEGMENTD" -c "$tmp/a.conf" 2>"$tmp/vg1.log" &
pid=$!
wait_ctl
nft delete table inet segmentd; sleep 0.5
# put back through the interim table (compile_interim.c), under memcheck
for _ in $(seq 100); do
	ctl events | grep -q "restored in .*by the interim table" && break
	sleep 0.1
done
ctl events | grep -q "restored in .*by the interim table" ||
	fail "the deleted table was not restored through the interim table: $(ctl events | tail -n 3)"
nft insert rule inet segmentd forward accept; sleep 0.5
nft delete element inet segmentd zone_lgwan_v4 '{ 10.2.0.0/16 }'; sleep 0.5
for c in status "--json status" events "--json events" show verify \
	 "check $PWD/conf/segmentd.conf" reload version; do
	ctl $c >/dev/null || fail "segmentctl $c"
done
[ "$(ct_stale_left)" = 0 ] || fail "the start sweep left a stale conntrack entry"
stale 2 || fail "conntrack -I"
rc=0; ctl ct-audit >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "ct-audit missed a stale entry (exit $rc)"
rc=0; ctl --json ct-audit >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "ct-audit --json (exit $rc)"
ctl ct-audit --repair >/dev/null || fail "ct-audit --repair"
[ "$(ct_stale_left)" = 0 ] || fail "ct-audit --repair left the stale entry"
cp "$tmp/a.conf" "$tmp/a.good"; echo 'garbage' >>"$tmp/a.conf"
ctl reload >/dev/null && fail "a broken reload was accepted"
cp "$tmp/a.good" "$tmp/a.conf"
kill -HUP "$pid"; sleep 1
# a reload by its difference (lg-admin one address more), and back
sed 's/addresses = \[ "10.2.9.10" \]/addresses = [ "10.2.9.10", "10.2.9.11" ]/' \
	"$tmp/a.good" >"$tmp/a.conf"
ctl reload >"$tmp/diff.out" || fail "a reload by difference: $(cat "$tmp/diff.out")"
grep -q "by its difference" "$tmp/diff.out" || fail "not by its difference: $(cat "$tmp/diff.out")"
cp "$tmp/a.good" "$tmp/a.conf"
ctl reload >/dev/null || fail "the reload back"
kill "$pid"; rc=0; wait "$pid" || rc=$?; pid=
[ "$rc" = 0 ] || { cat "$tmp/vg1.log"; fail "daemon exit $rc"; }
check_log "$tmp/vg1.log" "daemon: start, drift, control, reloads, stop"

nft delete table inet segmentd
echo 'garbage' >"$tmp/bad.conf"
$VG "$SEGMENTD" -c "$tmp/bad.conf" 2>"$tmp/vg2.log" &
pid=$!
wait_ctl
ctl reload >/dev/null 2>&1 || true
kill "$pid"; rc=0; wait "$pid" || rc=$?; pid=
[ "$rc" = 0 ] || { cat "$tmp/vg2.log"; fail "degraded daemon exit $rc"; }
check_log "$tmp/vg2.log" "daemon: degraded start (lockdown)"

for m in --check --print --once; do
	$VG "$SEGMENTD" $m -c conf/segmentd.conf >/dev/null 2>"$tmp/vg3.log" ||
		{ cat "$tmp/vg3.log"; fail "segmentd $m"; }
	check_log "$tmp/vg3.log" "segmentd $m"
done
rc=0; $VG "$SEGMENTD" --check -c "$tmp/bad.conf" >/dev/null 2>"$tmp/vg4.log" || rc=$?
[ "$rc" = 1 ] || fail "--check of a bad config: exit $rc"
check_log "$tmp/vg4.log" "segmentd --check (invalid config)"
echo "valgrind: PASS"
