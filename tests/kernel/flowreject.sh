#!/bin/bash
# flowreject: the kernel itself refuses objects of one flow, and says so
# with the flow's name and its config line; no fault injection.
#
# Ownership off.  The table is programmed without the flow "file-pull";
# then a foreign process adds to our table a *quota* named flow_file-pull
# (the name of the flow's counter, another object type).  Programming the
# full config: the flow's rules reference the counter flow_file-pull, the
# kernel finds no counter of that name and refuses them (ENOENT) ->
# `CONF:LINE: ... kernel rejected rule N of chain 'fwd_lgwan_internet' for
# flow 'file-pull': No such file or directory`, LINE the flow's line.
#  a. While another process owns a table named segmentd-bridge (so the
#     whole-table replacement through the bridge is refused too), the
#     transaction is aborted: `segmentd --once` exits 2, the kernel's table
#     is exactly as before, and file-pull's traffic still counts 0 at the
#     receiver.
#  b. Without that, the in-place refusal is reported the same way and the
#     table is replaced through the bridge: exit 0, the flow passes.
. tests/lib/kernel.sh
A=$TOPO_DIR/a.conf
B=$TOPO_DIR/b.conf
sed 's/ownership = true;/ownership = false;/' conf/segmentd.conf >"$A"
sed '/name = "file-pull"/,/},/d' "$A" >"$B"
grep -q 'ownership = false;' "$A" && ! grep -q file-pull "$B" || fail "cannot make the configs"
LINE=$(grep -n 'name = "file-pull"' "$A" | cut -d: -f1)
listing() { topo_exec gw nft -s list table inet segmentd; }

topo_build
sd_once "$B" >"$TOPO_DIR/once-b.out" 2>&1 || fail "programming without file-pull: $(cat "$TOPO_DIR/once-b.out")"
topo_exec gw nft add quota inet segmentd flow_file-pull '{ 1 mbytes }'
# another process holds a table named like our bridge table, owned
mkfifo "$TOPO_DIR/nft-in"
# (not topo_spawn: a background command's stdin would be /dev/null)
ip netns exec "$(topo_ns gw)" nft -i <>"$TOPO_DIR/nft-in" >"$TOPO_DIR/nft-i.out" 2>&1 &
NFT_PID=$!
TOPO_PIDS="$TOPO_PIDS $NFT_PID"
echo 'add table inet segmentd-bridge { flags owner; }' >"$TOPO_DIR/nft-in"
owned_bridge() { topo_exec gw nft list table inet segmentd-bridge | grep -q 'progname nft'; }
topo_wait_until 5 owned_bridge || fail "nft -i did not create the owned bridge table"
before=$(listing)

echo "== a. refused, whole: exit 2, the table as it was"
topo_arrivals_start internet 10.2.8.10 10.3.2.40 tcp 443
rc=0
sd_once "$A" >"$TOPO_DIR/once-a.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || cat "$TOPO_DIR/once-a.out"
[ "$rc" = 2 ] || fail "segmentd --once exit $rc, want 2 (kernel rejected)"
grep -E "^$A:$LINE: .*kernel rejected rule [0-9]+ of chain 'fwd_lgwan_internet' for flow 'file-pull': No such file or directory" \
	"$TOPO_DIR/once-a.out" >/dev/null ||
	{ cat "$TOPO_DIR/once-a.out"; fail "no 'kernel rejected ... for flow 'file-pull'' at $A:$LINE"; }
grep -m1 "for flow 'file-pull'" "$TOPO_DIR/once-a.out" | sed "s|$TOPO_DIR/||"
[ "$(listing)" = "$before" ] || { diff <(echo "$before") <(listing) || true; fail "the refused transaction changed the table"; }
if topo_expect "refused: file-pull (lg-terminals -> file-relay tcp/443)" drop lgwan tcp 10.2.8.10 10.3.2.40 443; then :; else
	fail "file-pull passes although its rules were refused"
fi
arrived=$(topo_arrivals_read internet)
[ "$arrived" = 0 ] || fail "$arrived file-pull packets reached file-relay after the refusal"
echo "ok: a: the kernel refused flow 'file-pull' (line $LINE) and the whole transaction: exit 2, table unchanged, 0 arrived"

echo "== b. refused in place, replaced through the bridge"
topo_stop "$NFT_PID" "nft -i" || true
topo_wait_until 5 sh -c "! ip netns exec '$(topo_ns gw)' nft list table inet segmentd-bridge" ||
	fail "the owned bridge table did not go with its owner"
sd_once "$A" >"$TOPO_DIR/once-a2.out" 2>&1 || fail "exit $? with the bridge free: $(cat "$TOPO_DIR/once-a2.out")"
grep -E "^$A:$LINE: .*kernel rejected rule [0-9]+ of chain 'fwd_lgwan_internet' for flow 'file-pull'" \
	"$TOPO_DIR/once-a2.out" >/dev/null || fail "the in-place refusal is not reported: $(cat "$TOPO_DIR/once-a2.out")"
grep -q "replacing it through a bridge table" "$TOPO_DIR/once-a2.out" || fail "no bridge replacement reported"
topo_expect "replaced: file-pull passes" pass lgwan tcp 10.2.8.10 10.3.2.40 443 || fail "file-pull does not pass"
echo "ok: b: the same refusal reported, the table replaced through the bridge, the flow passes"
echo "flowreject: all checks passed"
