#!/bin/bash
# confirm: `segmentctl reload --confirm SECONDS`.
#  1. confirmed in time: the new config stays.
#  2. not confirmed: the previous config is programmed again at the
#     deadline (a revoked flow passes again, a granted one is dropped).
#     A revert the kernel refuses (SEGMENTD_FAULT_REJECT, the test build)
#     leaves the reload pending and is tried again each second: once the
#     fault is gone the previous config is back.
#  3. the daemon is killed inside the window: on restart the previous
#     config is enforced (an unconfirmed config is never trusted across a
#     restart), not the one on disk.
#  4. the caller's SSH session (SSH_CONNECTION) would be cut off by the
#     new management policy: segmentctl warns before applying.
#  5. the file changes on disk between the parse and the apply (the test
#     build's SEGMENTD_FAULT_PAUSE holds the apply): the config digest,
#     the applied copy and a later rollback are the bytes that were
#     parsed and enforced, not the file as it is afterwards.
# the test build: the fault hooks exist only there (Makefile: test-bins)
SEGMENTD=$PWD/${BUILD:-build}/hooks/segmentd
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/run/control
export SEGMENTD_FAULT_REJECT=$TOPO_DIR/reject
export SEGMENTD_FAULT_PAUSE=$TOPO_DIR/pause
mkdir -p "$TOPO_DIR/run"
CONF=$TOPO_DIR/segmentd.conf

# B: file-pull revoked, management ssh moved from lg-admin to lg-mail
sed '/name = "file-pull"/,/},/d' conf/segmentd.conf |
	sed 's/from = "lg-admin"; services = \[ "tcp\/22"/from = "lg-mail"; services = [ "tcp\/22"/' >"$TOPO_DIR/b.conf"
grep -q file-pull "$TOPO_DIR/b.conf" && fail "b.conf still has file-pull"
cp conf/segmentd.conf "$CONF"
topo_build
sd_start "$CONF"
A() { topo_expect "$1: file-pull (only in A)" pass lgwan tcp 10.2.8.10 10.3.2.40 443; }
B() { topo_expect "$1: file-pull revoked (B)" drop lgwan tcp 10.2.8.10 10.3.2.40 443; }
A "start"

echo "== 1. confirmed"
cp "$TOPO_DIR/b.conf" "$CONF"
ctl reload --confirm 30 >"$TOPO_DIR/r.out" || fail "reload --confirm: $(cat "$TOPO_DIR/r.out")"
grep -q "segmentctl confirm" "$TOPO_DIR/r.out" || fail "no confirmation hint: $(cat "$TOPO_DIR/r.out")"
B "applied"
ctl reload >/dev/null 2>&1 && fail "a second reload was accepted while one waits"
ctl confirm >/dev/null || fail "confirm"
ctl confirm >/dev/null && fail "confirming twice succeeded"
[ -e "$TOPO_DIR/run/rollback" ] && fail "the rollback copy is left after confirm"
B "confirmed"

echo "== 2. not confirmed: reverted at the deadline"
cp conf/segmentd.conf "$CONF"; ctl reload >/dev/null || fail "reload back to A"
A "back to A"
cp "$TOPO_DIR/b.conf" "$CONF"
ctl reload --confirm 2 >/dev/null || fail "reload --confirm 2"
B "applied"
topo_wait_until 6 grep -q "not confirmed within 2 s" "$TOPO_DIR/segmentd.log" ||
	fail "no revert logged: $(tail -n 5 "$TOPO_DIR/segmentd.log")"
A "reverted"
ctl verify >/dev/null || fail "kernel differs after the revert"
[ -e "$TOPO_DIR/run/rollback" ] && fail "the rollback copy is left after the revert"
ctl reload --confirm 2 >/dev/null || fail "reload --confirm 2 (refused revert)"
B "applied again"
touch "$SEGMENTD_FAULT_REJECT"
topo_wait_until 6 grep -q "reverting failed" "$TOPO_DIR/segmentd.log" ||
	fail "the refused revert was not logged: $(tail -n 5 "$TOPO_DIR/segmentd.log")"
B "revert refused"
ctl reload >/dev/null 2>&1 && fail "a reload was accepted while the refused revert is pending"
rm -f "$SEGMENTD_FAULT_REJECT"
topo_wait_until 4 sh -c "grep -c 'not confirmed within 2 s' '$TOPO_DIR/segmentd.log' | grep -qx 2" ||
	fail "the revert was not tried again: $(tail -n 5 "$TOPO_DIR/segmentd.log")"
A "reverted on the retry"
ctl verify >/dev/null || fail "kernel differs after the retried revert"
ctl confirm >/dev/null 2>&1 && fail "confirm succeeded with nothing pending"

echo "== 3. killed inside the window: the restart reverts"
ctl reload --confirm 60 >/dev/null || fail "reload --confirm 60"
B "applied"
kill -KILL "$SD_PID"; wait "$SD_PID" 2>/dev/null || true; SD_PID=
[ -e "$TOPO_DIR/run/rollback/deadline" ] || fail "no rollback saved for the restart"
sd_start "$CONF"
grep -q "reverting to the previous config" "$TOPO_DIR/segmentd.log" ||
	fail "restart did not say it reverts: $(cat "$TOPO_DIR/segmentd.log")"
A "restarted"
ctl events | grep -q "unconfirmed reload reverted" || fail "no event for the revert at start"

echo "== 4. SSH session warning"
out=$(SSH_CONNECTION="10.2.9.10 50000 10.2.0.1 22" ctl reload --confirm 30 2>&1) || true
echo "$out" | grep -q "WARNING: your SSH session from 10.2.9.10 to port 22 would NOT be allowed" ||
	fail "no SSH warning: $out"
ctl confirm >/dev/null
cp conf/segmentd.conf "$CONF"
out=$(SSH_CONNECTION="10.2.9.10 50000 10.2.0.1 22" ctl reload 2>&1) || fail "reload A: $out"
echo "$out" | grep -q WARNING && fail "a warning although lg-admin keeps ssh: $out"
echo "ok: warned for a session the new policy cuts off, not otherwise"

echo "== 5. the file changes between the parse and the apply"
A "before"
cp "$TOPO_DIR/b.conf" "$CONF"
touch "$SEGMENTD_FAULT_PAUSE"
ctl reload >"$TOPO_DIR/r5.out" 2>&1 &
reload_pid=$!
topo_wait_until 10 test -e "$SEGMENTD_FAULT_PAUSE.paused" ||
	fail "the reload never reached its apply: $(cat "$TOPO_DIR/r5.out")"
cp conf/segmentd.conf "$CONF"      # A on disk while B is being applied
rm -f "$SEGMENTD_FAULT_PAUSE" "$SEGMENTD_FAULT_PAUSE.paused"
wait "$reload_pid" || fail "the paused reload failed: $(cat "$TOPO_DIR/r5.out")"
B "applied what was parsed"
want=$(sha256sum <"$TOPO_DIR/b.conf" | cut -d' ' -f1)
disk=$(sha256sum <"$CONF" | cut -d' ' -f1)
got=$(ctl status --json | grep -o '"config_sha256": *"[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
[ "$got" = "$want" ] ||
	fail "config_sha256 $got is not the parsed file's $want (the file on disk: $disk)"
cmp -s "$TOPO_DIR/run/applied$CONF" "$TOPO_DIR/b.conf" ||
	fail "the applied copy is not the parsed file"
# the rollback of the next reload is that copy: a restart inside its
# window enforces B (parsed, enforced), not A (on disk at the time)
ctl reload --confirm 60 >/dev/null || fail "reload --confirm 60 (A)"
A "A applied, unconfirmed"
kill -KILL "$SD_PID"; wait "$SD_PID" 2>/dev/null || true; SD_PID=
sd_start "$CONF"
B "restarted: the rollback is what was enforced"
echo "ok: digest, applied copy and rollback are the bytes parsed"
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "confirm: all checks passed"
