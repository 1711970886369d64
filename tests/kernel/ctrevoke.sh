#!/bin/bash
# ctrevoke: revoking a flow deletes its conntrack entries, and ct-audit
# finds and removes a forged entry.
#  1. A long-lived TCP connection of an allowed flow (intake -> lg-staging
#     tcp/8443, a flow added to conf/segmentd.conf for this test) carries
#     data; a reload without the flow leaves no entry of it in the
#     gateway's conntrack table right after the reload, and its bytes stop
#     arriving at the server.  Reloading the flow back does not revive the
#     old connection (the gateway runs nf_conntrack_tcp_loose=0, so its
#     mid-stream segments are INVALID, not a new connection), while a new
#     connection of the flow passes.
#  2. A forged entry (`conntrack -I`) with the flow's valid mark for a
#     forbidden tuple (intake -> lg-staging udp/3389) lets that tuple's
#     packets through (control); `segmentctl ct-audit` reports it (exit 1),
#     `--repair` deletes it and records a forged-state event, and then the
#     tuple's packets are dropped, counted at the receiver.
#  3. A flow added by `reload --confirm` that is not confirmed: the revert
#     deletes its connection's entry, and its bytes stop arriving.
. tests/lib/kernel.sh
topo_require_cmd conntrack
PY=/usr/bin/python3
[ -x "$PY" ] || topo_skip "python3 not installed"
export SEGMENTD_SOCKET=$TOPO_DIR/control
SRC=10.1.1.50 DST=10.2.1.60 PORT=8443

topo_build
topo_exec gw sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0

CONF=$TOPO_DIR/segmentd.conf
WITH=$TOPO_DIR/with.conf
WITHOUT=$TOPO_DIR/without.conf
sed 's|^flows = (|&\n  { name = "ct-long"; from = "intake"; to = "lg-staging"; services = [ "tcp/8443" ];\n    comment = "ctrevoke test flow"; justification = "test of conntrack revocation"; },|' \
	conf/segmentd.conf >"$WITH"
grep -q '"ct-long"' "$WITH" || fail "could not add the test flow to the config"
cp conf/segmentd.conf "$WITHOUT"
"$SEGMENTD" --check -c "$WITH" >/dev/null 2>&1 || fail "the test config is invalid"
cp "$WITH" "$CONF"
sd_start "$CONF"

# The server counts the bytes it receives (all connections); the client
# sends a byte every 50 ms on one connection and never gives up.
cat >"$TOPO_DIR/srv.py" <<'PYEOF'
import os, socket, sys, threading
out, total, lock = sys.argv[3], [0], threading.Lock()
def save():
    with open(out + ".tmp", "w") as f: f.write("%d\n" % total[0])
    os.rename(out + ".tmp", out)
def serve(c):
    c.send(b"ctrevoke\n")
    while True:
        b = c.recv(4096)
        if not b: return
        with lock:
            total[0] += len(b); save()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16); save()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
cat >"$TOPO_DIR/cli.py" <<'PYEOF'
import socket, sys, time
c = socket.socket(); c.bind((sys.argv[1], 0)); c.connect((sys.argv[2], int(sys.argv[3])))
print(c.getsockname()[1], flush=True)
while True:
    try: c.send(b"x")
    except OSError: pass
    time.sleep(0.05)
PYEOF
topo_spawn lgwan "$TOPO_DIR/srv.log" "$PY" "$TOPO_DIR/srv.py" "$DST" "$PORT" "$TOPO_DIR/received"
topo_wait_file "$TOPO_DIR/received" "$TOPO_PID" 10 || fail "server did not start"
topo_spawn mynumber "$TOPO_DIR/cli.log" "$PY" "$TOPO_DIR/cli.py" "$SRC" "$DST" "$PORT"
received() { cat "$TOPO_DIR/received"; }
topo_wait_until 10 sh -c "[ \$(cat '$TOPO_DIR/received') -gt 5 ]" ||
	{ cat "$TOPO_DIR/cli.log" "$TOPO_DIR/srv.log"; ctl show | grep -n 8443;
	  fail "the allowed long-lived connection carries no data"; }
echo "ok: long-lived connection established ($(received) bytes)"

entries() { topo_exec gw conntrack -L -p tcp -s "$SRC" -d "$DST" --dport "$PORT" 2>/dev/null; }
MARK=$(entries | sed -n 's/.* mark=\([0-9]*\).*/\1/p' | head -n 1)
{ [ -n "$MARK" ] && [ "$MARK" -ge 2147483648 ]; } ||
	fail "the connection's conntrack entry carries no flow mark: $(entries)"
echo "ok: conntrack entry marked $MARK"

echo "== reload without the flow"
cp "$WITHOUT" "$CONF"
ctl reload >/dev/null || fail "reload failed"
if [ -n "$(entries)" ]; then
	entries
	fail "the revoked flow's conntrack entry is still there after the reload"
fi
echo "ok: no conntrack entry of the revoked flow right after the reload"
grep -q "revocation: 1 conntrack entry of .* removed flow mark.* deleted" "$SD_LOG" ||
	{ cat "$SD_LOG"; fail "no revocation logged"; }
ctl --json status | grep -q '"conntrack_revoked":1,' || fail "status does not count the revocation"
ctl metrics | grep -q '^segmentd_conntrack_revoked_total 1$' || fail "metrics do not count the revocation"
sleep 0.3
before=$(received)
sleep 1
[ "$(received)" -eq "$before" ] || fail "the revoked connection still delivers bytes"
echo "ok: the revoked connection delivers nothing ($before bytes in total)"

echo "== reload with the flow again"
cp "$WITH" "$CONF"
ctl reload >/dev/null || fail "reload failed"
before=$(received)
sleep 1.5
[ "$(received)" -eq "$before" ] || fail "re-adding the flow revived the old connection"
echo "ok: the old connection stays cut after the flow is re-added"
topo_expect "a new connection of the re-added flow" pass mynumber tcp "$SRC" "$DST" "$PORT"
ctl ct-audit >"$TOPO_DIR/audit0" || { cat "$TOPO_DIR/audit0"; fail "ct-audit reports legitimate entries"; }

echo "== forged entry: valid flow mark, forbidden tuple udp/3389"
FPORT=$(topo_sport_take 1)
topo_expect "control: udp/3389 is forbidden" drop mynumber udp "$SRC" "$DST" 3389
topo_exec gw conntrack -I -p udp -s "$SRC" -d "$DST" --sport "$FPORT" --dport 3389 \
	-r "$DST" -q "$SRC" --reply-port-src 3389 --reply-port-dst "$FPORT" \
	-t 120 -u SEEN_REPLY,ASSURED -m "$MARK" >/dev/null 2>&1 || fail "conntrack -I failed"
topo_exec mynumber "$PROBE" udp -t 1000 -p "$FPORT" -s "$SRC" "$DST" 3389 ||
	fail "control: the forged entry does not let its tuple through (the test would prove nothing)"
echo "ok: control: the forged entry lets udp/3389 through"
rc=0
ctl ct-audit >"$TOPO_DIR/audit1" || rc=$?
cat "$TOPO_DIR/audit1"
[ "$rc" = 1 ] || fail "ct-audit exit status $rc, expected 1"
grep -q "flow 'ct-long': udp $SRC:$FPORT -> $DST:3389 .*protocol not the service's" "$TOPO_DIR/audit1" ||
	fail "ct-audit does not name the forged entry"
ctl --json ct-audit | grep -q '"mismatches":1,' || fail "ct-audit --json"
rc=0
ctl ct-audit --repair >"$TOPO_DIR/audit2" || rc=$?
cat "$TOPO_DIR/audit2"
[ "$rc" = 0 ] || fail "ct-audit --repair exit status $rc, expected 0"
ctl events | grep -q "forged-state.*udp $SRC:$FPORT" || fail "no forged-state event"
# the same tuple, judged at the receiver
topo_count_add lgwan forged udp "$SRC" "$DST" 3389 "$FPORT"
topo_count_arm
rc=0
topo_exec mynumber "$PROBE" udp -t 1000 -p "$FPORT" -s "$SRC" "$DST" 3389 || rc=$?
topo_count_read
n=$(topo_count_get forged)
{ [ "$rc" = 1 ] && [ "$n" = 0 ]; } ||
	fail "after --repair the forged tuple is not dropped (probe exit $rc, $n packets arrived)"
echo "ok: after --repair the forged tuple is dropped (0 packets arrived)"
ctl ct-audit >/dev/null || fail "ct-audit still finds mismatches after --repair"

echo "== a flow added by an unconfirmed reload: the revert cuts its connection"
NEWCONF=$TOPO_DIR/new.conf
sed 's|^flows = (|&\n  { name = "ct-new"; from = "intake"; to = "lg-staging"; services = [ "tcp/8444" ];\n    comment = "ctrevoke test flow"; justification = "test of conntrack revocation"; },|' \
	"$WITH" >"$NEWCONF"
"$SEGMENTD" --check -c "$NEWCONF" >/dev/null 2>&1 || fail "the second test config is invalid"
topo_spawn lgwan "$TOPO_DIR/srv2.log" "$PY" "$TOPO_DIR/srv.py" "$DST" 8444 "$TOPO_DIR/received2"
topo_wait_file "$TOPO_DIR/received2" "$TOPO_PID" 10 || fail "second server did not start"
cp "$NEWCONF" "$CONF"
ctl reload --confirm 3 >/dev/null || fail "reload --confirm"
topo_spawn mynumber "$TOPO_DIR/cli2.log" "$PY" "$TOPO_DIR/cli.py" "$SRC" "$DST" 8444
topo_wait_until 10 sh -c "[ \$(cat '$TOPO_DIR/received2') -gt 5 ]" ||
	fail "the connection of the unconfirmed flow carries no data"
entries2() { topo_exec gw conntrack -L -p tcp -s "$SRC" -d "$DST" --dport 8444 2>/dev/null; }
[ -n "$(entries2)" ] || fail "no conntrack entry of the unconfirmed flow"
topo_wait_until 15 grep -q "reload not confirmed within 3 s" "$SD_LOG" ||
	{ cat "$SD_LOG"; fail "the unconfirmed reload was not reverted"; }
[ "$(grep -c "revocation: 1 conntrack entry of 1 removed flow mark deleted" "$SD_LOG")" = 2 ] ||
	{ cat "$SD_LOG"; fail "the revert logged no revocation"; }
[ -z "$(entries2)" ] || fail "the reverted flow's conntrack entry is still there"
sleep 0.3
before=$(cat "$TOPO_DIR/received2")
sleep 1
[ "$(cat "$TOPO_DIR/received2")" -eq "$before" ] || fail "the reverted flow's connection still delivers bytes"
echo "ok: the revert deleted the unconfirmed flow's entry; its connection delivers nothing"

sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "ctrevoke: all checks passed"
