#!/bin/bash
# daemon: the long-running mode keeps the policy enforced whatever happens
# to the daemon, and reloads safely.
#  1. SIGKILL (also at random moments during start-up, 6 times) while a
#     forbidden UDP flood runs: the table persists, restarts adopt it, and
#     not one forbidden datagram arrives (counted in atena's namespace; the
#     same flood, before segmentd, reaches atena, and during the kills it
#     keeps arriving at the gateway).
#  2. Reload with a broken config: refused with file:line errors, the
#     ruleset fingerprint and listing unchanged, connections untouched.
#  3. Valid reload (segmentctl reload, then SIGHUP): a long-lived TCP
#     connection of a revoked flow is cut at once, one of a kept flow
#     survives, a granted flow passes.
#  4. Invalid config at start with no table: lockdown (nothing forwarded,
#     management reachable), status DEGRADED; a fixed config reloads.
#  5. Invalid config at start with our table there: the table is kept.
# Without table persistence (SEGMENTD_NO_PERSIST=1, tests/lib/mode.sh) the
# same, with the table unowned throughout: a killed daemon's table is a
# plain table, which stays as well.
. tests/lib/kernel.sh
. tests/lib/flood.sh
. tests/lib/mode.sh
HOLD=$PWD/$BUILD/tools/hold
[ -x "$HOLD" ] || topo_skip "$HOLD not built (make)"
export SEGMENTD_SOCKET=$TOPO_DIR/control
CONF=$TOPO_DIR/segmentd.conf
PORT=9999


# config A: the shipped one plus two flows for long-lived connections;
# config B: hold-cut revoked, ntp-via-sc granted.
make_configs() {
	awk '
	/^hosts = \(/ { print; print "  { name = \"sc-ntp\"; zone = \"cloud\"; role = \"security-cloud\"; addresses = [ \"192.0.2.123\" ]; },"; next }
	/^flows = \(/ { print
		print "  { name = \"hold-keep\"; from = \"lg-terminals\"; to = \"vbrowser\"; services = [ \"tcp/7001\" ]; comment = \"test\"; },"
		print "  { name = \"hold-cut\"; from = \"lg-terminals\"; to = \"file-relay\"; services = [ \"tcp/7002\" ]; comment = \"test\"; },"
		next }
	{ print }' conf/segmentd.conf >"$TOPO_DIR/a.conf"
	sed '/name = "hold-cut"/d; /^flows = (/a\  { name = "ntp-via-sc"; from = "internet"; to = "sc-ntp"; services = [ "udp/123" ]; comment = "test"; },' \
		"$TOPO_DIR/a.conf" >"$TOPO_DIR/b.conf"
	cp "$TOPO_DIR/a.conf" "$CONF"
}

hold_start() {   # hold_start NAME DST PORT: a connection from lg-terminals
	rm -f "$TOPO_DIR/$1.ready"
	topo_spawn lgwan "$TOPO_DIR/$1.out" "$HOLD" client -s 10.2.8.10 -r "$TOPO_DIR/$1.ready" "$2" "$3"
	eval "HOLD_$1=$TOPO_PID"
	topo_wait_file "$TOPO_DIR/$1.ready" "$TOPO_PID" || fail "hold $1 did not connect: $(cat "$TOPO_DIR/$1.out")"
}
alive() { kill -0 "$(eval echo "\$HOLD_$1")" 2>/dev/null; }

topo_build
flood_init internet 10.3.1.10 mynumber 10.1.1.20 "$PORT"
flood_control     # no table yet: the flood's path is open
topo_addr_add cloud 192.0.2.123
make_configs
for p in 7001 7002; do
	rm -f "$TOPO_DIR/hs$p.ready"
	topo_spawn internet "$TOPO_DIR/hs$p.out" "$HOLD" serve -r "$TOPO_DIR/hs$p.ready" "$p"
	topo_wait_file "$TOPO_DIR/hs$p.ready" "$TOPO_PID" || fail "hold server $p"
done

echo "== 1. SIGKILL never opens a path"
sd_start "$CONF"
flood_start
kill -KILL "$SD_PID"; wait "$SD_PID" 2>/dev/null || true; SD_PID=
sd_table >/dev/null || fail "the table vanished with the killed daemon"
flags=$(sd_table_flags)
if mode_owned; then
	echo "after SIGKILL: table kept, '$flags' (orphaned, persistent)"
else
	echo "after SIGKILL: table kept (unowned: a plain table outlives its creator)"
fi
topo_expect "killed: screen-transfer still passes" pass lgwan tcp 10.2.8.10 10.3.1.10 3389
for i in 1 2 3 4 5 6; do
	topo_spawn gw "$TOPO_DIR/kill$i.log" unshare -m --propagation private \
		sh -c 'mount -t tmpfs tmpfs /run && exec "$0" -c "$1"' "$SEGMENTD" "$CONF"
	sleep "0.0$((RANDOM % 9))"
	kill -KILL "$TOPO_PID" 2>/dev/null || true
	wait "$TOPO_PID" 2>/dev/null || true
	sd_table >/dev/null || fail "table missing after SIGKILL $i during start"
done
sd_start "$CONF"
mode_flags_ok "$(sd_table_flags)" || fail "$MODE: the restarted daemon's table has '$(sd_table_flags)'"
ctl status | grep -q "^protection: *$MODE_PROTECTION\$" || fail "$MODE: status: $(ctl status)"
echo "restart: table adopted (protection: $MODE_PROTECTION)"
flood_stop

echo "== 2. a broken reload keeps everything"
hold_start keep 10.3.1.10 7001
hold_start cut 10.3.2.40 7002
sha0=$(sd_sha); rules0=$(sd_rules)
[ -n "$sha0" ] || fail "no fingerprint from segmentctl status"
printf 'zones = ( { name = "x"; class = "nope"; } );\n' >>"$CONF"
rc=0; ctl reload >"$TOPO_DIR/reload.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "broken reload: segmentctl exit $rc, want 1: $(cat "$TOPO_DIR/reload.out")"
grep -q "segmentd.conf:[0-9]*: error:" "$TOPO_DIR/reload.out" ||
	fail "broken reload: no file:line error in: $(cat "$TOPO_DIR/reload.out")"
echo "broken reload refused: $(grep -m1 error: "$TOPO_DIR/reload.out")"
[ "$(sd_sha)" = "$sha0" ] || fail "broken reload changed the fingerprint"
[ "$(sd_rules)" = "$rules0" ] || fail "broken reload changed the ruleset"
alive keep && alive cut || fail "a connection died on a refused reload"

echo "== 3. a valid reload revokes and grants"
cp "$TOPO_DIR/b.conf" "$CONF"
ctl reload >"$TOPO_DIR/reload.out" 2>&1 || fail "reload B: $(cat "$TOPO_DIR/reload.out")"
topo_wait_until 3 sh -c "! kill -0 $HOLD_cut" || fail "the revoked flow's connection survived the reload"
echo "revoked hold-cut: $(cat "$TOPO_DIR/cut.out")"
sleep 0.3
alive keep || fail "the kept flow's connection was cut: $(cat "$TOPO_DIR/keep.out")"
echo "kept hold-keep: still alive"
topo_expect "granted ntp-via-sc udp/123" pass internet udp 10.3.5.5 192.0.2.123 123
topo_expect "revoked hold-cut, new connection" drop lgwan tcp 10.2.8.10 10.3.2.40 7002
[ "$(sd_sha)" != "$sha0" ] || fail "the fingerprint did not change with the ruleset"
cp "$TOPO_DIR/a.conf" "$CONF"
kill -HUP "$SD_PID"
topo_wait_until 5 sh -c "ip netns exec $(topo_ns lgwan) $PROBE tcp -t 300 -s 10.2.8.10 10.3.2.40 7002" ||
	fail "SIGHUP reload to A did not grant hold-cut again"
echo "SIGHUP reload: hold-cut granted again"
alive keep || fail "hold-keep died on the SIGHUP reload"
ctl events | grep -q ' reload ' || fail "no reload in the events"

echo "== 4. invalid config at start, no table: lockdown"
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
topo_exec gw nft delete table inet segmentd
echo 'version = 1; zones = ( );' >"$CONF"
sd_start "$CONF"
rc=0; ctl status >"$TOPO_DIR/status.out" || rc=$?
grep -q DEGRADED "$TOPO_DIR/status.out" || fail "status does not say DEGRADED: $(cat "$TOPO_DIR/status.out")"
[ "$rc" = 1 ] || fail "degraded status exit $rc, want 1"
topo_expect "lockdown: screen-transfer dropped" drop lgwan tcp 10.2.8.10 10.3.1.10 3389
topo_expect "lockdown: forbidden still dropped" drop internet udp 10.3.1.10 10.1.1.20 53
topo_expect "lockdown: the gateway reachable (ssh)" pass lgwan tcp 10.2.9.10 10.2.0.1 22
cp "$TOPO_DIR/a.conf" "$CONF"
ctl reload >/dev/null || fail "reload after fixing the config"
topo_expect "fixed: screen-transfer passes" pass lgwan tcp 10.2.8.10 10.3.1.10 3389

echo "== 5. invalid config at start, our table there: kept"
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
rules0=$(sd_rules)
echo 'garbage' >"$CONF"
sd_start "$CONF"
[ "$(sd_rules)" = "$rules0" ] || fail "the existing table was changed"
mode_flags_ok "$(sd_table_flags)" || fail "$MODE: the kept table has '$(sd_table_flags)' under the degraded daemon"
topo_expect "kept: screen-transfer passes" pass lgwan tcp 10.2.8.10 10.3.1.10 3389
topo_expect "kept: forbidden dropped" drop mynumber tcp 10.1.1.20 10.3.1.10 443
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "daemon: all checks passed"
