#!/bin/bash
# expiry_clock: flow expiries follow the wall clock when it is stepped, as
# NTP does on a gateway whose unit starts before time sync.  The daemon sees
# a faked time (libfaketime, read from a file it re-reads) 4 hours before
# the expiry of mynumber-intake (2027-03-31, so 2027-04-01 00:00:00 UTC).
# The test then steps the faked time to 3 s before the expiry and makes the
# kernel announce a clock step (tests/tools/clockset sets the real clock to
# its own value: nothing moves).  The expiry timer is cancelled by the step
# (TFD_TIMER_CANCEL_ON_SET), re-armed on the new time, and the flow stops
# being allowed within seconds; a timer computed once from the old time
# would wait 4 hours.
. tests/lib/kernel.sh
LIBFAKETIME=$(dpkg-query -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -n 1)
[ -n "$LIBFAKETIME" ] || topo_skip "libfaketime not installed"
CLOCKSET=$PWD/$BUILD/tools/clockset
[ -x "$CLOCKSET" ] || topo_skip "$CLOCKSET not built (make tools)"
export SEGMENTD_SOCKET=$TOPO_DIR/control
EXPIRY=$(date -u -d "2027-04-01 00:00:00" +%s)

# faked_at SECONDS_BEFORE_EXPIRY: the faked clock, as an offset from the
# real one, in the file the daemon's libfaketime re-reads on every call.
faked_at() {
	echo "+$((EXPIRY - $1 - $(date +%s)))" >"$TOPO_DIR/faketime"
}

topo_build
faked_at 14400
# shellcheck disable=SC2016 # expanded by that sh
topo_spawn gw "$TOPO_DIR/segmentd.log" env LD_PRELOAD="$LIBFAKETIME" \
	FAKETIME_TIMESTAMP_FILE="$TOPO_DIR/faketime" FAKETIME_NO_CACHE=1 \
	DONT_FAKE_MONOTONIC=1 \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	unshare -m --propagation private \
	sh -c 'mount -t tmpfs tmpfs /run && exec "$0" -c "$1"' \
	"$SEGMENTD" "$PWD/conf/segmentd.conf"
SD_PID=$TOPO_PID
topo_wait_until 10 "$SEGMENTCTL" -s "$SEGMENTD_SOCKET" status || {
	cat "$TOPO_DIR/segmentd.log"; fail "daemon did not start"; }
topo_expect "4 h before expiry: mynumber-intake passes" pass mynumber tcp 10.1.1.50 10.2.1.60 443

# Without a clock step the faked time moves, but the armed timer does not:
# nothing may expire (the timer is on the wall clock, not recomputed).
faked_at 3
sleep 5
grep -q "expired" "$TOPO_DIR/segmentd.log" && fail "expired without a clock step (the faked time leaked into the test)"

"$CLOCKSET" || fail "cannot announce a clock step"
topo_wait_until 10 grep -q "the system clock was set" "$TOPO_DIR/segmentd.log" || {
	cat "$TOPO_DIR/segmentd.log"; fail "the clock step was not noticed"; }
topo_wait_until 10 grep -q "flow 'mynumber-intake' expired" "$TOPO_DIR/segmentd.log" || {
	cat "$TOPO_DIR/segmentd.log"; fail "no expiry after the clock step"; }
echo "logged: $(grep -m1 "clock was set" "$TOPO_DIR/segmentd.log")"
echo "logged: $(grep -m1 expired "$TOPO_DIR/segmentd.log")"
topo_expect "after the step: mynumber-intake dropped" drop mynumber tcp 10.1.1.50 10.2.1.60 443
topo_expect "after the step: chukan-link still passes" pass mynumber tcp 10.1.1.20 172.20.1.10 443
"$SEGMENTCTL" -s "$SEGMENTD_SOCKET" verify >/dev/null || fail "kernel differs after the expiry replace"
[ "$(grep -c "flow 'mynumber-intake' expired" "$TOPO_DIR/segmentd.log")" = 1 ] ||
	fail "the expiry was applied more than once"
sd_stop || fail "segmentd exit status on SIGTERM"
echo "expiry_clock: all checks passed"
