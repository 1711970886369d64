#!/bin/bash
# notify: with a test socket as NOTIFY_SOCKET and a 1 s WATCHDOG_USEC, the
# daemon sends READY=1 only after its first commit, WATCHDOG=1 while its
# loop runs, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a reload,
# and STOPPING=1 at the end, in that order.
cd "$(dirname "$0")/../.."
. tests/lib/private.sh
need_built "$SEGMENTD" "$BUILD/tools/notify_listen"
tmp=$(mktemp -d)
lpid= dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null || true
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "notify: FAIL: $*"; echo "--- datagrams:"; cat "$tmp/dgrams"; exit 1; }

"$BUILD/tools/notify_listen" -r "$tmp/ready" "$tmp/notify" >"$tmp/dgrams" &
lpid=$!
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.02; done
NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=1000000 \
	"$SEGMENTD" -c conf/segmentd.conf 2>"$tmp/log" &
dpid=$!
for _ in $(seq 200); do grep -q READY=1 "$tmp/dgrams" && break; sleep 0.02; done
nft list table inet segmentd >/dev/null || fail "READY=1 came before the table existed"
sleep 1.2                                  # two watchdog periods at 500 ms
kill -HUP "$dpid"
for _ in $(seq 200); do [ "$(grep -c READY=1 "$tmp/dgrams")" -ge 2 ] && break; sleep 0.02; done
private_stop "$dpid" "$tmp/log" || fail "the daemon did not stop cleanly"
dpid=
sleep 0.1
order=$(sed -E 's/^(READY|RELOADING|WATCHDOG|STOPPING)=1.*/\1/' "$tmp/dgrams" | grep -E '^(READY|RELOADING|WATCHDOG|STOPPING)$' | uniq | tr '\n' ' ')
echo "notify: sequence: $order"
case "$order" in
"READY WATCHDOG RELOADING READY "*"STOPPING ") ;;
*) fail "unexpected order '$order'" ;;
esac
grep -q '^RELOADING=1 MONOTONIC_USEC=[0-9]\+' "$tmp/dgrams" || fail "RELOADING=1 without MONOTONIC_USEC"
[ "$(grep -c '^WATCHDOG=1' "$tmp/dgrams")" -ge 2 ] || fail "fewer than 2 watchdog pings in 1.2 s"
nft list table inet segmentd >/dev/null || fail "table gone after stop"
echo "notify: PASS"
