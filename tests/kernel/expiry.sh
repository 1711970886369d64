#!/bin/bash
# expiry: a flow with an expiry date stops being allowed at 00:00 UTC of the
# day after, without an admin action: the daemon's timer fires, logs a
# NOTICE, records an expiry event and replaces the ruleset without drift.
# The clock is faked (libfaketime) to a few seconds before the expiry of
# mynumber-intake (2027-03-31); timers run on the real monotonic clock.
. tests/lib/kernel.sh
# libfaketime preloaded into the daemon itself (not the faketime wrapper:
# it forks, and SIGTERM would end the wrapper, never the daemon, whose exit
# status and leak report the test must see)
LIBFAKETIME=$(dpkg-query -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -n 1)
[ -n "$LIBFAKETIME" ] || topo_skip "libfaketime not installed"
export SEGMENTD_SOCKET=$TOPO_DIR/control
# libfaketime is preloaded: an ASan build must not insist on coming first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

topo_build
FAKETIME_START="2027-03-31 23:59:57"
# shellcheck disable=SC2016 # expanded by that sh
topo_spawn gw "$TOPO_DIR/segmentd.log" env LD_PRELOAD="$LIBFAKETIME" \
	FAKETIME="@$FAKETIME_START" unshare -m --propagation private \
	sh -c 'mount -t tmpfs tmpfs /run && exec "$0" -c "$1"' \
	"$SEGMENTD" "$PWD/conf/segmentd.conf"
SD_PID=$TOPO_PID
topo_wait_until 10 "$SEGMENTCTL" -s "$SEGMENTD_SOCKET" status || {
	cat "$TOPO_DIR/segmentd.log"; fail "daemon did not start"; }
topo_expect "before expiry: mynumber-intake passes" pass mynumber tcp 10.1.1.50 10.2.1.60 443
topo_wait_until 10 grep -q "flow 'mynumber-intake' expired" "$TOPO_DIR/segmentd.log" || {
	cat "$TOPO_DIR/segmentd.log"; fail "no expiry logged"; }
echo "logged: $(grep -m1 expired "$TOPO_DIR/segmentd.log")"
topo_expect "after expiry: mynumber-intake dropped" drop mynumber tcp 10.1.1.50 10.2.1.60 443
topo_expect "after expiry: chukan-link still passes" pass mynumber tcp 10.1.1.20 172.20.1.10 443
"$SEGMENTCTL" -s "$SEGMENTD_SOCKET" events | grep -q ' expiry ' || fail "no expiry event"
"$SEGMENTCTL" -s "$SEGMENTD_SOCKET" verify >/dev/null || fail "kernel differs after the expiry replace"
grep -q "drift" "$TOPO_DIR/segmentd.log" && fail "the expiry replace was seen as drift"
sd_stop || fail "segmentd did not stop cleanly (exit status, sanitizer report)"
echo "expiry: all checks passed"
