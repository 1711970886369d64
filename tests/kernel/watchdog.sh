#!/bin/bash
# watchdog: the keep wing when nftables events fail it, and the stop.  The
# daemon runs with ownership off (so other processes can change its table)
# and verify_interval = VERIFY_MS; "the table is ours" always means the
# kernel's own listing (`nft -s list table`) equals what `segmentd --print`
# of the same config gives when loaded with `nft -f` into a scratch network
# namespace, never the daemon's own digest.
#  a. Events lost (ENOBUFS): the daemon is stopped (SIGSTOP) while another
#     table's transactions overflow its event socket until the kernel
#     counts drops (/proc/net/netlink); then an accept is inserted in a
#     forward chain of ours.  On SIGCONT the daemon must log the WARNING
#     `events were lost`, compare in full and restore the table.
#  b. A change that raises no event: a foreign `nft -i` replaces our table
#     by one it owns and holds it; the periodic check (no event tells of
#     the flags) must log a `(no event)` drift.  When that process exits,
#     the kernel deletes its table silently (owner release: no event, no
#     generation change); the table must be ours again within
#     verify_interval.
#  c. SIGTERM: the log says `stopping on signal 15; the table stays
#     enforced`, exit 0, and the table is still ours afterwards.
. tests/lib/kernel.sh
export SEGMENTD_SOCKET=$TOPO_DIR/control
VERIFY_MS=${VERIFY_MS:-500}
CONF=$TOPO_DIR/unowned.conf
LOG=$TOPO_DIR/segmentd.log

sed -e 's/ownership = true;/ownership = false;/' \
	-e "s/^settings = {/settings = {\n  verify_interval = $VERIFY_MS;/" conf/segmentd.conf >"$CONF"
grep -q 'ownership = false;' "$CONF" && grep -q "verify_interval = $VERIFY_MS;" "$CONF" ||
	fail "cannot make the unowned config"

# What was compiled, read back from a kernel: --print loaded into a
# scratch namespace.  And what the gateway's kernel has.
"$SEGMENTD" --print -c "$CONF" >"$TOPO_DIR/print.nft" || fail "segmentd --print"
# shellcheck disable=SC2016 # expanded by that sh
COMPILED=$(unshare -n sh -c 'nft -f "$1" && nft -s list table inet segmentd' sh "$TOPO_DIR/print.nft") ||
	fail "the compiled table does not load into a scratch namespace"
kernel_listing() { topo_exec gw nft -s list table inet segmentd 2>/dev/null; }
is_ours() { [ "$(kernel_listing)" = "$COMPILED" ]; }

topo_build
# shellcheck disable=SC2016 # expanded by that sh
topo_spawn gw "$LOG" unshare -m --propagation private \
	sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0" -c "$1"' "$SEGMENTD" "$CONF"
SD_PID=$TOPO_PID
topo_wait_until 10 ctl status || { cat "$LOG"; fail "the daemon did not come up"; }
is_ours || { diff <(echo "$COMPILED") <(kernel_listing); fail "at start the table is not what was compiled"; }
echo "ok: running unowned (verify_interval $VERIFY_MS ms); the kernel's listing equals the compiled one"

echo "== a. events lost (ENOBUFS)"
# one transaction of about 6,000 events in a table that is not ours
awk 'BEGIN {
	print "add table inet noise\nadd chain inet noise c"
	for (i = 0; i < 3000; i++)
		printf "add rule inet noise c counter comment \"noise %d: a comment long enough to make each event a few hundred bytes\"\n", i
	print "delete table inet noise"
}' >"$TOPO_DIR/noise.nft"
netlink_drops() {   # drops counted on the gateway's netfilter netlink sockets
	# shellcheck disable=SC2016 # awk's fields
	topo_exec gw awk 'NR > 1 && $2 == 12 { d += $9 } END { print d + 0 }' /proc/net/netlink
}
drops0=$(netlink_drops)
kill -STOP "$SD_PID"
batches=0
while [ "$(netlink_drops)" -le "$drops0" ]; do
	[ "$batches" -lt 200 ] || { kill -CONT "$SD_PID"; fail "200 batches of events did not overflow the event socket"; }
	topo_exec gw nft -f "$TOPO_DIR/noise.nft" || { kill -CONT "$SD_PID"; fail "noise batch"; }
	batches=$((batches + 1))
done
topo_exec gw nft insert rule inet segmentd in_internet udp dport 9999 accept
kill -CONT "$SD_PID"
echo "the kernel dropped $(( $(netlink_drops) - drops0 )) event message(s) after $batches noise transactions;" \
	"then an accept was inserted in in_internet"
topo_wait_until 10 grep -q "nftables events were lost (ENOBUFS)" "$LOG" ||
	{ cat "$LOG"; fail "no WARNING 'events were lost' after the overflow"; }
topo_wait_until 10 is_ours ||
	{ diff <(echo "$COMPILED") <(kernel_listing); fail "the table is not restored after the lost events"; }
grep -m1 "events were lost" "$LOG"
grep -m1 "resync: table" "$LOG" || fail "no full comparison (resync) logged"
echo "ok: a: lost events reported, compared in full and the table restored"

echo "== b. a change that raises no event"
mkfifo "$TOPO_DIR/nft-in"
# (not topo_spawn: a background command's stdin would be /dev/null)
ip netns exec "$(topo_ns gw)" nft -i <>"$TOPO_DIR/nft-in" >"$TOPO_DIR/nft-i.out" 2>&1 &
NFT_PID=$!
TOPO_PIDS="$TOPO_PIDS $NFT_PID"
exec 7>"$TOPO_DIR/nft-in"
echo 'delete table inet segmentd; add table inet segmentd { flags owner; }' >&7
owned_by_nft() { topo_exec gw nft list table inet segmentd | grep -q 'progname nft'; }
topo_wait_until 5 owned_by_nft || fail "nft -i did not take the table over: $(cat "$TOPO_DIR/nft-i.out")"
topo_wait_until 10 grep -q "drift: table 'segmentd' flags changed (no event)" "$LOG" ||
	{ cat "$LOG"; fail "the periodic check logged no '(no event)' drift"; }
grep -m1 "(no event)" "$LOG"
exec 7>&-
t0=$(date +%s%N)
topo_stop "$NFT_PID" "nft -i" || true
topo_wait_until 10 is_ours ||
	{ diff <(echo "$COMPILED") <(kernel_listing); fail "the table is not restored after the silent deletion"; }
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "the owning nft exited (its table deleted by the kernel, no event): ours again within $ms ms"
# polling granularity and a loaded 2-core machine: twice the interval
[ "$ms" -le $((VERIFY_MS * 2 + 500)) ] || fail "restored after $ms ms, verify_interval is $VERIFY_MS ms"
echo "ok: b: '(no event)' drift logged, table restored within verify_interval"

echo "== c. SIGTERM"
SD_PID_WAS=$SD_PID
topo_stop "$SD_PID" segmentd || fail "exit status on SIGTERM"
grep -q "stopping on signal 15; the table stays enforced" "$LOG" ||
	{ cat "$LOG"; fail "no 'stopping on signal 15; the table stays enforced'"; }
kill -0 "$SD_PID_WAS" 2>/dev/null && fail "the daemon is still running"
is_ours || fail "after the stop the table is not what was compiled"
echo "ok: c: stop message logged, exit 0, the table stays as compiled"
echo "watchdog: all checks passed"
