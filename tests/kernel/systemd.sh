#!/bin/bash
# tests/kernel/systemd.sh - segmentd as a systemd service, under a real
# systemd booted in a container.
#
#   host                                 container (systemd-nspawn -b,
#                                        --private-network: its own netns)
#   cached rootfs (tests/lib/rootfs.sh)  /     overlay on a tmpfs (--volatile)
#   BUILD/segmentd               ro -->  /usr/local/sbin/segmentd
#   BUILD/segmentctl             ro -->  /usr/local/sbin/segmentctl
#   segmentd.service as `make install` writes it (`make units`,
#   PREFIX=/usr/local)           ro -->  /etc/systemd/system/segmentd.service
#   $WORK/etc/segmentd.conf      rw -->  /etc/segmentd/segmentd.conf
#
# Checks, all inside the container:
#   - started at boot (systemd.wants=, as if enabled), READY=1 before
#     network-pre.target;
#   - systemctl start -> active (Type=notify), the table with "flags owner";
#   - the sandbox in force (CAP_NET_ADMIN+CAP_CHOWN, NoNewPrivs, seccomp, /proc/sys
#     readable but read-only), segmentctl reaches the daemon;
#   - a foreign `nft add rule` is refused (EPERM);
#   - reload -> active, a reload line in the journal; a broken config ->
#     `systemctl reload` fails (ExecReload= is the synchronous segmentctl
#     reload), the table stays the same, the journal names file:line;
#   - SIGKILL, and a hung daemon under a 2 s watchdog: restarted, the table
#     never missing meanwhile; WATCHDOG=1 pings arrive;
#   - settings.control_group: its members use segmentctl, others do not;
#   - stop -> inactive, the table stays (no longer owned);
#   - `systemd-analyze verify` clean, `systemd-analyze security` <= 2.0.
#
# Usage: tests/kernel/systemd.sh [BUILD]   (or BUILD in the environment, as
# tests/run-kernel.sh sets it); exit 0 pass, 77 skip, else fail.  Nothing
# touches the host's network namespace; cleanup stops the container
# (SIGTERM to systemd-nspawn, SIGKILL after a bound) and removes $WORK and
# the run's cgroup (tests/lib/container.sh).

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac

. tests/lib/rootfs.sh
. tests/lib/container.sh

MAX_EXPOSURE=2.0
CONF_IN=/etc/segmentd/segmentd.conf
WORK=
WATCH_PID=

# The container has no sanitizer runtime: the service runs the plain build.
grep -q __asan_init "$BUILD/segmentd" 2>/dev/null &&
	skip "a sanitizer build cannot run inside the container"

cleanup() {
	local rc=$?
	[ -n "$WATCH_PID" ] && { touch "$WORK/watch.stop"; stop_pid "$WATCH_PID" 5; }
	container_teardown
	exit "$rc"
}

preflight() {
	container_preflight
	[ -x "$BUILD/segmentd" ] || skip "$BUILD/segmentd not built (make)"
	[ -x "$BUILD/segmentctl" ] || skip "$BUILD/segmentctl not built (make)"
	[ -r systemd/segmentd.service ] || { echo "no systemd/segmentd.service" >&2; exit 1; }
}

# The unit as `make install` (PREFIX=/usr/local) installs it, made in $WORK.
boot() {
	mkdir "$WORK/etc"
	install -m 0600 conf/segmentd.conf "$WORK/etc/segmentd.conf"
	make -s --no-print-directory BUILD="$WORK" PREFIX=/usr/local units ||
		{ fail "make units"; return 1; }
	grep -q '^ExecReload=/usr/local/sbin/segmentctl reload$' "$WORK/systemd/$UNIT" ||
		{ fail "the installed unit's ExecReload= is not /usr/local/sbin/segmentctl reload"; return 1; }
	container_boot \
		--bind-ro="$BUILD/segmentd:/usr/local/sbin/segmentd" \
		--bind-ro="$BUILD/segmentctl:/usr/local/sbin/segmentctl" \
		--bind-ro="$WORK/systemd/$UNIT:/etc/systemd/system/$UNIT" \
		--bind="$WORK/etc:/etc/segmentd" \
		systemd.wants="$UNIT"
}

# Booted with systemd.wants=segmentd.service: early boot, sandbox and all,
# and READY=1 before network-pre.target is reached.
test_boot() {
	local ready pre
	is_active active || { fail "not active after boot"; show_service; return 1; }
	ready=$(monotonic "$UNIT")
	pre=$(monotonic network-pre.target)
	if [ "$pre" -gt 0 ] && [ "$ready" -gt 0 ] && [ "$ready" -le "$pre" ]; then
		ok "boot: active, READY=1 $(( pre - ready )) us before network-pre.target"
	else
		fail "boot: ready at $ready, network-pre.target at $pre (monotonic usec)"
	fi
	ctr_within 30 systemctl stop "$UNIT" || fail "systemctl stop after boot"
}

test_start() {
	local before
	if ! ctr_within 60 systemctl start "$UNIT"; then
		fail "systemctl start $UNIT"
		show_service
		return 1
	fi
	is_active active || { fail "not active after start"; show_service; return 1; }
	ok "start: active (Type=notify: READY=1 came), status:" \
		"$(ctr systemctl show -p StatusText --value "$UNIT")"
	before=$(table) || { fail "no table inet segmentd after start"; return 1; }
	grep -qE '^[[:space:]]*flags .*owner' <<<"$before" ||
		fail "the table has no 'flags owner': $(sed -n 2p <<<"$before")"
	echo "$before" >"$WORK/table.start"
	ok "table inet segmentd present, $(grep -m1 -E '^[[:space:]]*flags' <<<"$before" | tr -s '\t ' ' ')"
}

test_sandbox() {
	local pid status
	pid=$(main_pid)
	status=$(ctr cat "/proc/$pid/status")
	# CAP_CHOWN (bit 0) and CAP_NET_ADMIN (bit 12), nothing else
	grep -q '^CapEff:[[:space:]]*0000000000001001$' <<<"$status" ||
		fail "effective capabilities are not CAP_NET_ADMIN+CAP_CHOWN: $(grep CapEff <<<"$status")"
	grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$status" || fail "NoNewPrivs is off"
	grep -q '^Seccomp:[[:space:]]*2$' <<<"$status" || fail "no seccomp filter"
	ctr test -S /run/segmentd/control || fail "no control socket /run/segmentd/control"
	# In the service's mount namespace: /proc/sys and /proc/net readable
	# (no ProcSubset=pid), /proc/sys read-only, /home empty.
	ctr nsenter -t "$pid" -m cat /proc/sys/net/ipv4/ip_forward /proc/net/dev \
		>/dev/null || fail "the service cannot read /proc/sys/net or /proc/net"
	ctr nsenter -t "$pid" -m sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward' \
		2>/dev/null && fail "the service can write /proc/sys"
	ctr segmentctl status >/dev/null || fail "segmentctl status (root) failed"
	[ "$FAILED" -eq 0 ] && ok "sandbox: CapEff=CAP_NET_ADMIN+CAP_CHOWN, NoNewPrivs, seccomp;" \
		"/proc/sys readable, read-only; control socket in /run/segmentd" \
		"(segmentctl status works)"
}

test_foreign_change() {
	local out
	if out=$(ctr nft add rule inet segmentd forward accept 2>&1); then
		fail "'nft add rule inet segmentd forward accept' succeeded"
		return 1
	fi
	grep -q 'Operation not permitted' <<<"$out" ||
		fail "foreign change refused, but not with EPERM: $out"
	table | cmp -s - "$WORK/table.start" || fail "the table changed after a refused foreign rule"
	ok "foreign 'nft add rule' refused: $(echo "$out" | head -n 1)"
}

test_reload() {
	# the same config again: verified against the kernel, nothing committed
	local ok_re="reload: table 'segmentd' unchanged from .*nothing committed" n
	n=$(journal_count "$ok_re")
	ctr_within 30 systemctl reload "$UNIT" || { fail "systemctl reload"; return 1; }
	wait_until 15 journal_grows "$ok_re" "$n" || fail "no '$ok_re' line in the journal"
	is_active active || fail "not active after reload"
	table | cmp -s - "$WORK/table.start" || fail "reloading the same config changed the table"
	ok "reload: active, journal: $(ctr journalctl -q -u "$UNIT" -o cat | grep -E "$ok_re" | tail -n 1)"
}

test_bad_reload() {
	local err_re line n out
	cp "$WORK/etc/segmentd.conf" "$WORK/segmentd.conf.good"
	printf 'this is = not { libconfig\n' >>"$WORK/etc/segmentd.conf"
	line=$(wc -l <"$WORK/etc/segmentd.conf")
	err_re="$CONF_IN:$line: "
	n=$(journal_count "$err_re")
	# ExecReload= waits for the daemon's verdict: the reload failed, so
	# systemctl reload must fail too (a kill -HUP would say it worked).
	if out=$(ctr_within 30 systemctl reload "$UNIT" 2>&1); then
		fail "systemctl reload succeeded with a broken config"
	else
		ok "broken config: systemctl reload fails: $(head -n 1 <<<"$out")"
	fi
	if wait_until 15 journal_grows "$err_re" "$n"; then
		ok "broken config: journal: $(ctr journalctl -q -u "$UNIT" -o cat | grep -E "$err_re" | tail -n 1)"
	else
		fail "no '$err_re...' line in the journal after a broken reload"
		ctr journalctl -q -u "$UNIT" -o cat -n 10 >&2
	fi
	is_active active || fail "not active after a broken reload"
	if table | cmp -s - "$WORK/table.start"; then
		ok "broken config: the enforced table is unchanged"
	else
		fail "a broken reload changed the table"
	fi
	cat "$WORK/segmentd.conf.good" >"$WORK/etc/segmentd.conf"
	test_reload
}

# Lists the table every ~20 ms until $WORK/watch.stop exists; one line per
# attempt in $WORK/watch: "ok" or "missing".
table_watch() {
	while [ ! -e "$WORK/watch.stop" ]; do
		if ctr nft list table inet segmentd >/dev/null 2>&1; then
			echo ok
		else
			echo missing
		fi
		sleep 0.02
	done >"$WORK/watch"
}

watch_start() {
	rm -f "$WORK/watch" "$WORK/watch.stop"
	table_watch &
	WATCH_PID=$!
	wait_until 5 test -s "$WORK/watch"
}

# watch_end WHAT: stops the watcher; fails if the table was ever missing.
watch_end() {
	local total missing
	sleep 0.3               # a few more listings after the event
	touch "$WORK/watch.stop"
	wait "$WATCH_PID"
	WATCH_PID=
	total=$(wc -l <"$WORK/watch")
	missing=$(grep -c missing "$WORK/watch")
	[ "$total" -ge 5 ] || fail "only $total table listings during $1"
	if [ "$missing" -eq 0 ]; then
		ok "the table was there in all $total listings during $1"
	else
		fail "the table was missing in $missing of $total listings during $1"
	fi
	table_owned ||
		fail "after $1, the daemon does not own the table"
	table | cmp -s - "$WORK/table.start" || fail "the table differs after $1"
}

restarted() {
	local pid
	pid=$(main_pid)
	[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$1" ] && is_active active
}

test_crash_restart() {
	local old
	old=$(main_pid)
	watch_start
	ctr systemctl kill -s KILL "$UNIT" || fail "systemctl kill -s KILL"
	if wait_until 20 restarted "$old"; then
		ok "SIGKILL: restarted (main pid $old -> $(main_pid)," \
			"NRestarts=$(ctr systemctl show -p NRestarts --value "$UNIT"))"
	else
		fail "not restarted within 20 s after SIGKILL"
		show_service
	fi
	watch_end "the restart after SIGKILL"
}

watchdog_pinged_after() {
	[ "$(ctr systemctl show -p WatchdogTimestampMonotonic --value "$UNIT")" -gt "$1" ]
}

# The daemon pings (WATCHDOG=1); and a hung daemon (SIGSTOP) is killed and
# restarted by the watchdog, here shortened to 2 s by a runtime drop-in.
test_watchdog() {
	local t old dropin=/run/systemd/system/$UNIT.d
	t=$(ctr systemctl show -p WatchdogTimestampMonotonic --value "$UNIT")
	if wait_until 5 watchdog_pinged_after "$t"; then
		ok "watchdog: WatchdogUSec=$(ctr systemctl show -p WatchdogUSec --value "$UNIT"), WATCHDOG=1 pings arrive"
	else
		fail "no WATCHDOG=1 ping within 5 s"
	fi
	ctr mkdir -p "$dropin"
	printf '[Service]\nWatchdogSec=2s\nTimeoutAbortSec=2s\n' |
		ctr sh -c "cat >$dropin/test-watchdog.conf"
	ctr systemctl daemon-reload
	ctr_within 30 systemctl restart "$UNIT" || fail "restart with a 2 s watchdog"
	old=$(main_pid)
	watch_start
	ctr kill -STOP "$old"
	if wait_until 20 restarted "$old"; then
		ok "hung daemon (SIGSTOP): watchdog restarted it (main pid $old -> $(main_pid));" \
			"journal: $(ctr journalctl -q -u "$UNIT" -o cat | grep -m1 'Watchdog timeout')"
	else
		fail "a hung daemon was not restarted by the watchdog within 20 s"
		show_service
	fi
	watch_end "the watchdog restart"
	ctr rm -rf "$dropin"
	ctr systemctl daemon-reload
	ctr_within 30 systemctl restart "$UNIT" || fail "restart with the shipped unit"
}

# settings.control_group alone (no drop-in): a member of the group may use
# segmentctl, others may not.
test_control_group() {
	local mode
	cp "$WORK/etc/segmentd.conf" "$WORK/segmentd.conf.good"
	sed -i 's/^\([[:space:]]*\)table = "segmentd";/&\n\1control_group = "adm";/' \
		"$WORK/etc/segmentd.conf"
	grep -q 'control_group = "adm"' "$WORK/etc/segmentd.conf" ||
		{ fail "could not add control_group to the config"; return 1; }
	ctr_within 30 systemctl restart "$UNIT" || fail "restart with control_group"
	mode=$(ctr stat -c '%U:%G %a' /run/segmentd /run/segmentd/control | tr '\n' ' ')
	[ "$mode" = "root:root 755 root:adm 660 " ] ||
		fail "control group: /run/segmentd and its socket are '$mode'"
	if ctr setpriv --reuid=daemon --regid=daemon --groups=adm segmentctl status >/dev/null; then
		ok "control group: a member of adm uses segmentctl ($mode)"
	else
		fail "control group: a member of adm cannot use segmentctl"
		ctr journalctl -q -u "$UNIT" -o cat -n 5 >&2
	fi
	ctr setpriv --reuid=daemon --regid=daemon --clear-groups segmentctl status \
		>/dev/null 2>&1 && fail "control group: a non-member used segmentctl"
	cat "$WORK/segmentd.conf.good" >"$WORK/etc/segmentd.conf"
	ctr_within 30 systemctl restart "$UNIT" || fail "restart with the shipped config"
}

test_stop() {
	ctr_within 30 systemctl stop "$UNIT" || fail "systemctl stop"
	is_active inactive || fail "not inactive after stop: $(ctr systemctl is-active "$UNIT")"
	if ! table >/dev/null 2>&1; then
		fail "the table is gone after stop"
	elif table_owned; then
		fail "the table is still owned after stop"
	else
		ok "stop: inactive; the table stays, no longer owned (persistent)"
	fi
}

# `--man=no`: the container has neither man(1) nor the pages; instead each
# man: page of Documentation= must be in the tree (man/NAME.SECTION).
test_verify() {
	local out doc page
	if out=$(ctr systemd-analyze verify --man=no "/etc/systemd/system/$UNIT" 2>&1) &&
		[ -z "$out" ]; then
		ok "systemd-analyze verify: clean"
	else
		fail "systemd-analyze verify: $out"
	fi
	for doc in $(sed -n 's/^Documentation=//p' systemd/segmentd.service); do
		case $doc in
		man:*\(*\))
			page=${doc#man:}
			page="man/${page%%(*}.$(echo "${page#*(}" | tr -d ')')"
			[ -f "$page" ] || fail "Documentation=$doc: no $page in the tree" ;;
		esac
	done
}

exposure_ok() {
	echo "$1" | awk -v max="$MAX_EXPOSURE" \
		'/Overall exposure level/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+$/) { v = $i; found = 1 } }
		 END { if (!found) exit 2; print v; exit (v + 0 <= max + 0) ? 0 : 1 }'
}

test_security() {
	local out v how
	for how in offline online; do
		if [ "$how" = offline ]; then
			out=$(ctr systemd-analyze security --offline=true --no-pager "/etc/systemd/system/$UNIT" 2>&1)
		else
			out=$(ctr systemd-analyze security --no-pager "$UNIT" 2>&1)
		fi
		if v=$(exposure_ok "$out"); then
			ok "systemd-analyze security ($how): exposure $v <= $MAX_EXPOSURE"
		else
			fail "systemd-analyze security ($how): exposure '${v:-?}' > $MAX_EXPOSURE"
			grep '✗' <<<"$out" >&2
		fi
	done
}

preflight
rootfs_ensure
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-systemd.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT TERM

boot || exit 1
test_boot || exit 1
test_start || exit 1
test_sandbox
test_foreign_change
test_reload
test_bad_reload
test_crash_restart
test_watchdog
test_control_group
test_stop
test_verify
test_security

if [ "$FAILED" -gt 0 ]; then
	say "$FAILED check(s) FAILED"
	exit 1
fi
say "systemd: all checks passed"
