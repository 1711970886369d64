#!/bin/bash
# reload_diff: a changed reload of the same shape (networks added to and
# removed from a zone of 513 networks, a flow's services changed) is
# programmed by its difference, one transaction a table: `nft monitor` in
# the gateway sees two new generations of segmentd's (the guard's flow
# marks, then the main table), holding only the changed
# intervals of the two address sets concerned (lgwan-net's, and the `any`
# zone's complement) and the rules of the one chain whose rules changed:
# no set is flushed, no other chain is touched, and the other chains keep
# their rule handles.  `segmentctl verify` finds the kernel equal to the
# compiled state; real packets follow the new policy (a host of an added
# network passes, one of a removed network and one on the removed port are
# dropped at the receiver).  A change of shape (a flow removed: its named
# counter goes) is programmed in full and says so.  The reload by
# difference is verified without dumping the sets it left alone, the
# address sets it changed confirmed element by element, also after other
# processes' commits that left our tables alone.  Both modes
# (ownership on and off: TWO_MODE_TESTS).
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control
CONF=$TOPO_DIR/segmentd.conf
NETS=$TOPO_DIR/lgwan-net.nets
gens() { grep -c "new generation .*(segmentd)" "$TOPO_DIR/monitor.log" || true; }
committed() { [ "$(gens)" -gt "$g0" ]; }
chain_handles() { topo_exec gw nft -a list chain inet "$SD_TABLE" "$1"; }

# lgwan-net: 172.20.0.0/16 and 512 /25s, none adjacent (512 intervals:
# more than a set the daemon refills whole)
nets() {   # nets SKIP: every /25 but SKIP
	local a b
	for a in 21 22; do
		for b in $(seq 0 255); do
			[ "172.$a.$b.0/25" = "$1" ] || echo "172.$a.$b.0/25"
		done
	done
}
sed 's|networks = \[ "172.20.0.0/16" \];|networks = [ "172.20.0.0/16" ]; networks_file = "lgwan-net.nets";|' \
	conf/segmentd.conf >"$CONF"
grep -q 'networks_file = "lgwan-net.nets"' "$CONF" || fail "could not give lgwan-net its networks_file"
nets none >"$NETS"
# b: 172.21.7.0/25 removed, 172.23.5.0/24 added; lgwan-services without
# tcp/25 and with tcp/8080
sed 's|"tcp/25", "udp/53", "tcp/53", "udp/123", "tcp/443" \]|"udp/53", "tcp/53", "udp/123", "tcp/443", "tcp/8080" ]|' \
	"$CONF" >"$TOPO_DIR/b.conf"
grep -q '"tcp/443", "tcp/8080" \]' "$TOPO_DIR/b.conf" || fail "could not change lgwan-services"
{ nets 172.21.7.0/25; echo 172.23.5.0/24; } >"$TOPO_DIR/b.nets"
# c: another shape: flow file-pull removed
sed '/name = "file-pull"/,/},/d' "$TOPO_DIR/b.conf" >"$TOPO_DIR/c.conf"

topo_build
topo_exec gw ip route add 172.21.0.0/16 dev lgw0
topo_exec gw ip route add 172.23.0.0/16 dev lgw0
topo_addr_add lgwan-net 172.21.7.10
topo_addr_add lgwan-net 172.23.5.10
sd_start "$CONF"
ctl verify >/dev/null || fail "verify after the start"
topo_expect "a: lgwan -> lgwan-net 172.21.7.10 tcp/443" pass lgwan tcp 10.2.8.10 172.21.7.10 443 || fail "a"
topo_expect "a: lgwan -> 172.23.5.10 (in no zone of lgw0)" drop lgwan tcp 10.2.8.10 172.23.5.10 443 || fail "a"
topo_expect "a: lgwan -> lgwan-net tcp/8080" drop lgwan tcp 10.2.8.10 172.20.1.10 8080 || fail "a"
topo_expect "a: lgwan -> lgwan-net tcp/25" pass lgwan tcp 10.2.8.10 172.20.1.10 25 || fail "a"

sd_monitor "$TOPO_DIR/monitor.log"
# the monitor's probe committed (another process's generations): a read
# proves the table again, so the reload needs no dump of what it leaves
ctl verify >/dev/null || fail "verify after the monitor's probe"
fwd0=$(chain_handles forward)
in0=$(chain_handles input)
g0=$(gens)
m0=$(wc -l <"$TOPO_DIR/monitor.log")

cp "$TOPO_DIR/b.conf" "$CONF"
cp "$TOPO_DIR/b.nets" "$NETS"
ctl reload >"$TOPO_DIR/r.out" 2>&1 || fail "reload b: $(cat "$TOPO_DIR/r.out")"
# the difference: lgwan-net's set one /25 out and one /24 in; the `any`
# zone's complement the same around them (a few intervals each way)
read -r added removed rewritten unread sets < <(sed -n 's/.*by its difference (\([0-9]*\) element(s) added, \([0-9]*\) removed, \([0-9]*\) chain(s) rewritten; \([0-9]*\) of \([0-9]*\) set(s) verified without a dump).*/\1 \2 \3 \4 \5/p' "$TOPO_DIR/r.out") || true
[ -n "${rewritten:-}" ] || fail "reload b was not programmed by its difference: $(cat "$TOPO_DIR/r.out")"
echo "reload b: $added intervals added, $removed removed, $rewritten chain(s) rewritten; $unread of $sets sets verified without a dump"
[ "$rewritten" = 1 ] && [ "$added" -ge 2 ] && [ "$added" -le 64 ] && [ "$removed" -ge 2 ] && [ "$removed" -le 64 ] ||
	fail "reload b's difference is not what changed: $(cat "$TOPO_DIR/r.out")"
# verified without dumping the sets it left alone and the two address sets
# confirmed element by element (kernel/nft_prove.c): the one dumped is the
# main table's flow marks
[ "$unread" = $((sets - 1)) ] ||
	fail "reload b: $unread of $sets sets verified without a dump, want $((sets - 1))"
grep -q "verified with $unread of $sets set(s) not dumped, 2 of them confirmed element by element" "$SD_LOG" ||
	fail "the log does not say how it was verified: $(grep reload: "$SD_LOG")"
grep -q "reload: table '$SD_TABLE' updated from .* by its difference ([0-9]* set(s)" "$SD_LOG" ||
	fail "the log does not say so: $(grep reload: "$SD_LOG")"
topo_wait_until 5 committed || fail "reload b committed no generation"
sleep 0.3   # the monitor's last lines
# two: the guard's (a service more is a flow mark more) and the main table's
[ "$(gens)" = $((g0 + 2)) ] || fail "reload b: $(( $(gens) - g0 )) generations, want 2"
tail -n +"$((m0 + 1))" "$TOPO_DIR/monitor.log" >"$TOPO_DIR/b.monitor"
# what the one transaction held, by kind
el=$(grep -c "element inet $SD_TABLE " "$TOPO_DIR/b.monitor" || true)
ru=$(grep -c "rule inet $SD_TABLE " "$TOPO_DIR/b.monitor" || true)
chains=$(grep "rule inet $SD_TABLE " "$TOPO_DIR/b.monitor" | awk '{ print $5 }' | sort -u)
echo "reload b: $el element lines, $ru rule lines in chain(s) $chains"
grep -q "delete element inet $SD_TABLE .*172.21.7.0/25" "$TOPO_DIR/b.monitor" ||
	fail "172.21.7.0/25 was not deleted: $(cat "$TOPO_DIR/b.monitor")"
grep -q "add element inet $SD_TABLE .*172.23.5.0/24" "$TOPO_DIR/b.monitor" ||
	fail "172.23.5.0/24 was not added: $(cat "$TOPO_DIR/b.monitor")"
[ "$el" -le 16 ] || fail "reload b touched $el elements (a flushed set?): $(head -20 "$TOPO_DIR/b.monitor")"
[ "$(echo "$chains" | wc -w)" = 1 ] || fail "reload b rewrote rules in chains: $chains"
[ "$(chain_handles forward)" = "$fwd0" ] || fail "the forward chain's rules changed"
[ "$(chain_handles input)" = "$in0" ] || fail "the input chain's rules changed"
ctl verify >/dev/null || fail "verify after reload b"
topo_expect "b: 172.21.7.10 removed" drop lgwan tcp 10.2.8.10 172.21.7.10 443 || fail "b"
topo_expect "b: 172.23.5.10 added" pass lgwan tcp 10.2.8.10 172.23.5.10 443 || fail "b"
topo_expect "b: tcp/8080 added" pass lgwan tcp 10.2.8.10 172.20.1.10 8080 || fail "b"
topo_expect "b: tcp/25 removed" drop lgwan tcp 10.2.8.10 172.20.1.10 25 || fail "b"
topo_expect "b: tcp/443 kept" pass lgwan tcp 10.2.8.10 172.20.1.10 443 || fail "b"

cp "$TOPO_DIR/c.conf" "$CONF"
ctl reload >"$TOPO_DIR/r2.out" 2>&1 || fail "reload c: $(cat "$TOPO_DIR/r2.out")"
grep -q "by its difference" "$TOPO_DIR/r2.out" && fail "reload c (another shape) said by its difference"
grep -q "reload: table '$SD_TABLE' programmed from " "$SD_LOG" || fail "reload c: the log has no full programming"
ctl verify >/dev/null || fail "verify after reload c"
topo_expect "c: file-pull revoked" drop lgwan tcp 10.2.8.10 10.3.2.40 443 || fail "c"
topo_expect "c: 172.23.5.10 still added" pass lgwan tcp 10.2.8.10 172.23.5.10 443 || fail "c"

# another process commits (a table of its own): the watch sees those
# generations whole and none touches our tables, so the next reload by
# difference still needs no dump of what it leaves alone
topo_exec gw nft add table inet segmentd-test-other
topo_exec gw nft delete table inet segmentd-test-other
nets none >"$NETS"
ctl reload >"$TOPO_DIR/r3.out" 2>&1 || fail "reload d: $(cat "$TOPO_DIR/r3.out")"
read -r unread sets < <(sed -n 's/.*by its difference (.*; \([0-9]*\) of \([0-9]*\) set(s) verified without a dump).*/\1 \2/p' "$TOPO_DIR/r3.out") || true
[ -n "${sets:-}" ] || fail "reload d was not programmed by its difference: $(cat "$TOPO_DIR/r3.out")"
[ "$unread" = "$sets" ] || fail "reload d after another process's commit elsewhere: $unread of $sets sets verified without a dump, want all"
echo "reload d (after another process's commits elsewhere): $unread of $sets sets verified without a dump"
ctl verify >/dev/null || fail "verify after reload d"
topo_expect "d: 172.21.7.10 back" pass lgwan tcp 10.2.8.10 172.21.7.10 443 || fail "d"
topo_expect "d: 172.23.5.10 removed" drop lgwan tcp 10.2.8.10 172.23.5.10 443 || fail "d"

# another process changes our table: drift, restored; what was known of
# the table is gone, so the next reload by difference reads the table
# back whole (unless a verification proved it again meanwhile)
# (an owned table refuses the change: nothing to restore)
if topo_exec gw nft add element inet "$SD_TABLE" zone_lgwan-net_v4 '{ 172.30.0.0/16 }' 2>/dev/null; then
	topo_wait_until 5 grep -q "restored" "$SD_LOG" || fail "the change was not restored: $(tail -5 "$SD_LOG")"
else
	sd_owned || fail "an unowned table refused another process's change"
fi
{ nets none; echo 172.23.5.0/24; } >"$NETS"
ctl reload >"$TOPO_DIR/r4.out" 2>&1 || fail "reload e: $(cat "$TOPO_DIR/r4.out")"
grep -q "by its difference" "$TOPO_DIR/r4.out" || fail "reload e was not programmed by its difference: $(cat "$TOPO_DIR/r4.out")"
echo "reload e (after drift on our table): $(sed -n 's/.*; \([0-9]* of [0-9]*\) set(s) verified without a dump.*/\1/p' "$TOPO_DIR/r4.out") sets verified without a dump"
ctl verify >/dev/null || fail "verify after reload e"
topo_exec gw nft get element inet "$SD_TABLE" zone_lgwan-net_v4 '{ 172.30.1.1 }' >/dev/null 2>&1 &&
	fail "reload e: the other process's element is back"
topo_expect "e: 172.23.5.10 added" pass lgwan tcp 10.2.8.10 172.23.5.10 443 || fail "e"
topo_stop "$MON" || true
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "reload_diff: all checks passed"
