#!/bin/bash
# tests/kernel/deb.sh - the Debian package, installed, used and purged the
# way an admin would, under a real systemd booted in a container
# (tests/lib/container.sh; no network in there: apt installs offline).
#
#   host                                  container (systemd-nspawn -b,
#                                         --private-network: its own netns)
#   make deb (DEBOUT=$WORK/deb), lintian  /srv/segmentd-deb  (ro)
#   or SEGMENTD_DEB=path/to/the.deb
#
# Checks:
#   - lintian on the .deb: no errors (when lintian is installed);
#   - apt install: files in /usr/sbin, the unit pointing there, the config
#     a 0600 conffile, man pages, bash completion; the postinst says how
#     to go on; nothing enabled, nothing started, no table;
#   - the admin's step: a config written, segmentd --check, systemctl
#     enable --now -> active, the table owned;
#   - systemctl reload with a changed config -> ok, the table changes; a
#     broken config -> systemctl reload FAILS, the table is unchanged;
#   - an upgrade (apt reinstall) restarts the running daemon, the table
#     unchanged, the admin's config kept;
#   - systemctl stop -> the table stays;
#   - apt remove -> the daemon stopped, the table stays, the conffile too;
#     apt purge -> the files and the conffile gone, the table still there
#     (fail closed: only an admin removes the enforcement).
#
# Usage: tests/kernel/deb.sh   exit 0 pass, 77 skip (no root, no
# systemd-nspawn, no debhelper to build the package), else fail.  Building
# the package runs debian/rules in the checkout (debian/build, debian/segmentd)
# and takes about a minute; SEGMENTD_DEB skips it.

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

. tests/lib/rootfs.sh
. tests/lib/container.sh

CONF_IN=/etc/segmentd/segmentd.conf
DEBDIR_IN=/srv/segmentd-deb
WORK=
DEB=

cleanup() {
	local rc=$?
	container_teardown
	exit "$rc"
}

preflight() {
	# the package is built from the source with its own flags, never the
	# sanitizer build: .ci/run's first step (the plain build) tests it
	grep -q __asan_init "${BUILD:-build}/segmentd" 2>/dev/null &&
		skip "a sanitizer build: the package builds itself without the sanitizers (tested by the plain run)"
	container_preflight
	if [ -n "${SEGMENTD_DEB:-}" ]; then
		[ -r "$SEGMENTD_DEB" ] || { echo "SEGMENTD_DEB=$SEGMENTD_DEB: no such file" >&2; exit 1; }
		return 0
	fi
	command -v dh >/dev/null 2>&1 && command -v dpkg-checkbuilddeps >/dev/null 2>&1 ||
		skip "debhelper or dpkg-dev is not installed (make deps)"
	dpkg-checkbuilddeps >/dev/null 2>&1 ||
		skip "build dependencies missing: $(dpkg-checkbuilddeps 2>&1 | tail -n 1)"
}

# The package of this tree (make deb, the unit tests left to make check),
# or SEGMENTD_DEB; then lintian.
package() {
	local out
	mkdir "$WORK/deb"
	if [ -n "${SEGMENTD_DEB:-}" ]; then
		cp "$SEGMENTD_DEB" "$WORK/deb/"
	else
		say "make deb (DEBOUT=$WORK/deb)"
		DEB_BUILD_OPTIONS=nocheck make -s --no-print-directory deb \
			DEBOUT="$WORK/deb" >"$WORK/deb.log" 2>&1 ||
			{ tail -n 30 "$WORK/deb.log" >&2; fail "make deb"; return 1; }
	fi
	DEB=$(ls "$WORK"/deb/segmentd_*.deb 2>/dev/null | head -n 1)
	[ -n "$DEB" ] || { fail "no segmentd_*.deb in $WORK/deb"; return 1; }
	ok "package: $(basename "$DEB")"
	if ! command -v lintian >/dev/null 2>&1; then
		say "lintian: not installed, not run"
	elif out=$(lintian --fail-on error "$DEB" 2>&1); then
		ok "lintian: no errors ($(grep -c '^W:' <<<"$out") warnings)"
	else
		fail "lintian: $(grep '^E:' <<<"$out")"
	fi
}

# ctr_file_is PATH 'OWNER:GROUP MODE'
ctr_file_is() {
	local got
	got=$(ctr stat -c '%U:%G %a' "$1" 2>&1)
	[ "$got" = "$2" ] || { fail "$1 is '$got', not '$2'"; return 1; }
}

# apt inside, offline, without questions.
ctr_apt() {
	ctr_within 120 env DEBIAN_FRONTEND=noninteractive apt-get -y "$@"
}

dpkg_status() {
	ctr dpkg-query -W -f='${db:Status-Abbrev}' segmentd 2>/dev/null | tr -d ' '
}

test_install() {
	local out f unit
	if ! out=$(ctr_apt install --no-install-recommends "$DEBDIR_IN/$(basename "$DEB")" 2>&1); then
		fail "apt install: $(tail -n 5 <<<"$out")"
		return 1
	fi
	[ "$(dpkg_status)" = ii ] || { fail "after apt install: dpkg status '$(dpkg_status)'"; return 1; }
	grep -qF "segmentd --check -c $CONF_IN && systemctl enable --now segmentd" <<<"$out" ||
		fail "apt install said nothing about checking the config and enabling the service"
	ok "apt install (offline): installed; it says: $(grep -m1 -F 'segmentd --check' <<<"$out" | sed 's/^ *//')"
	for f in /usr/sbin/segmentd /usr/sbin/segmentctl; do
		ctr_file_is "$f" "root:root 755"
	done
	for f in /lib/systemd/system/segmentd.service /lib/systemd/system/segmentd-metrics.service \
		/lib/systemd/system/segmentd-metrics.timer /usr/share/man/man8/segmentd.8.gz \
		/usr/share/man/man8/segmentctl.8.gz /usr/share/man/man5/segmentd.conf.5.gz \
		/usr/share/bash-completion/completions/segmentctl \
		/usr/share/doc/segmentd/README.Debian; do
		ctr_file_is "$f" "root:root 644"
	done
	ctr_file_is "$CONF_IN" "root:root 600"
	[ "$(ctr dpkg-query -W -f='${Conffiles}' segmentd | awk 'NF { print $1 }')" = "$CONF_IN" ] ||
		fail "$CONF_IN is not the package's conffile"
	unit=$(ctr cat /lib/systemd/system/segmentd.service)
	grep -qx 'ExecStart=/usr/sbin/segmentd -c /etc/segmentd/segmentd.conf' <<<"$unit" &&
		grep -qx 'ExecReload=/usr/sbin/segmentctl reload' <<<"$unit" &&
		! grep -qE '@SBINDIR@|^[^#]*/usr/local' <<<"$unit" ||
		fail "the installed unit does not run /usr/sbin: $(grep '^Exec' <<<"$unit" | tr '\n' ' ')"
	if out=$(ctr systemd-analyze verify --man=no segmentd.service segmentd-metrics.timer 2>&1) &&
		[ -z "$out" ]; then
		ok "files in place; the units point to /usr/sbin; systemd-analyze verify: clean"
	else
		fail "systemd-analyze verify: $out"
	fi
}

# Installing enables nothing and starts nothing.
test_not_enforcing() {
	local u state
	for u in "$UNIT" segmentd-metrics.timer; do
		state=$(ctr systemctl is-enabled "$u")
		[ "$state" = disabled ] || fail "$u is '$state' after install, not disabled"
		state=$(ctr systemctl is-active "$u")
		[ "$state" = inactive ] || fail "$u is '$state' after install, not inactive"
	done
	ctr pgrep -x segmentd >/dev/null 2>&1 && fail "a segmentd process runs after install"
	if table >/dev/null 2>&1; then
		fail "a table inet segmentd exists after install"
	else
		ok "after install: $UNIT and the metrics timer disabled and inactive, no table"
	fi
}

# The table without what tells its owner ("flags owner", "# progname
# segmentd"), which goes when the daemon stops.
table_rules() {
	local t
	t=$(table) || return 1
	sed -E '/^[[:space:]]*flags /d; s/[[:space:]]*# progname .*$//' <<<"$t"
}

# put_conf FILE: the admin writes FILE's text into the installed config
# (the file keeps its owner and mode).
put_conf() {
	ctr sh -c "cat >$CONF_IN" <"$1"
}

# The step README.Debian prescribes.
test_check_then_enable() {
	local out
	put_conf conf/examples/beta-city.conf || { fail "writing $CONF_IN"; return 1; }
	out=$(ctr segmentd --check -c "$CONF_IN" 2>&1) ||
		{ fail "segmentd --check: $out"; return 1; }
	if ! out=$(ctr_within 60 systemctl enable --now "$UNIT" 2>&1); then
		fail "systemctl enable --now $UNIT: $out"
		show_service
		return 1
	fi
	[ "$(ctr systemctl is-enabled "$UNIT")" = enabled ] || fail "not enabled after enable --now"
	is_active active || { fail "not active after enable --now"; show_service; return 1; }
	table_owned || { fail "no owned table inet segmentd after start"; return 1; }
	table_rules >"$WORK/table.beta"
	ok "check, enable --now: active, enabled; status: $(ctr systemctl show -p StatusText --value "$UNIT")"
}

test_reload() {
	local out err_re line
	put_conf conf/segmentd.conf
	if ! out=$(ctr_within 30 systemctl reload "$UNIT" 2>&1); then
		fail "systemctl reload (valid config): $out"
		return 1
	fi
	table_rules >"$WORK/table.good"
	if cmp -s "$WORK/table.beta" "$WORK/table.good"; then
		fail "reload to another valid config left the table as it was"
	else
		ok "systemctl reload (another valid config): ok, the table changed"
	fi
	cp conf/segmentd.conf "$WORK/broken.conf"
	printf 'this is = not { libconfig\n' >>"$WORK/broken.conf"
	line=$(wc -l <"$WORK/broken.conf")
	err_re="$CONF_IN:$line: "
	put_conf "$WORK/broken.conf"
	if out=$(ctr_within 30 systemctl reload "$UNIT" 2>&1); then
		fail "systemctl reload succeeded with a broken config"
	else
		ok "systemctl reload (broken config) fails: $(head -n 1 <<<"$out")"
	fi
	is_active active || fail "not active after a failed reload"
	table_rules | cmp -s - "$WORK/table.good" || fail "a failed reload changed the table"
	[ "$(journal_count "$err_re")" -gt 0 ] ||
		fail "no '$err_re...' line in the journal after a failed reload"
	[ "$FAILED" -eq 0 ] && ok "after the failed reload: active, the table unchanged; journal:" \
		"$(ctr journalctl -q -u "$UNIT" -o cat | grep -E "$err_re" | tail -n 1)"
	put_conf conf/segmentd.conf
}

# An upgrade (here a reinstall) restarts a running daemon (try-restart);
# the table stays, and the new daemon owns it again.
test_upgrade() {
	local old out
	old=$(main_pid)
	if ! out=$(ctr_apt install --reinstall "$DEBDIR_IN/$(basename "$DEB")" 2>&1); then
		fail "apt reinstall: $(tail -n 5 <<<"$out")"
		return 1
	fi
	grep -qF 'segmentd --check' <<<"$out" &&
		fail "an upgrade repeats the first-install message"
	is_active active || fail "not active after an upgrade"
	[ "$(main_pid)" != "$old" ] || fail "an upgrade did not restart the daemon (main pid $old)"
	table_owned || fail "the table is not owned after an upgrade"
	table_rules | cmp -s - "$WORK/table.good" || fail "an upgrade changed the table"
	ctr cat "$CONF_IN" | cmp -s - conf/segmentd.conf || fail "an upgrade replaced the admin's $CONF_IN"
	[ "$FAILED" -eq 0 ] && ok "upgrade (apt reinstall): restarted (main pid $old -> $(main_pid)), the table unchanged and owned, the admin's config kept"
}

test_stop() {
	ctr_within 30 systemctl stop "$UNIT" || fail "systemctl stop"
	is_active inactive || fail "not inactive after stop"
	if table_rules | cmp -s - "$WORK/table.good"; then
		ok "stop: inactive, the table stays as it was (no longer owned)"
	else
		fail "after stop the table is gone or changed"
	fi
}

# Removing stops a running daemon and keeps the table and the conffile;
# purging deletes the conffile, the table still stays.
test_remove_purge() {
	local f left
	ctr_within 60 systemctl start "$UNIT" || { fail "systemctl start"; return 1; }
	ctr_apt remove segmentd >"$WORK/remove.log" 2>&1 ||
		{ fail "apt remove: $(tail -n 5 "$WORK/remove.log")"; return 1; }
	[ "$(dpkg_status)" = rc ] || fail "after apt remove: dpkg status '$(dpkg_status)', not rc"
	is_active active && fail "segmentd still active after apt remove"
	ctr pgrep -x segmentd >/dev/null 2>&1 && fail "a segmentd process runs after apt remove"
	ctr test -e /usr/sbin/segmentd && fail "/usr/sbin/segmentd is still there after apt remove"
	ctr test -e "$CONF_IN" || fail "apt remove deleted the conffile $CONF_IN"
	table >/dev/null 2>&1 || fail "apt remove deleted the table"
	[ "$FAILED" -eq 0 ] && ok "apt remove: the daemon stopped, the table and $CONF_IN stay"
	ctr_apt purge segmentd >"$WORK/purge.log" 2>&1 ||
		{ fail "apt purge: $(tail -n 5 "$WORK/purge.log")"; return 1; }
	[ -z "$(dpkg_status)" ] || [ "$(dpkg_status)" = un ] ||
		fail "after apt purge: dpkg status '$(dpkg_status)'"
	left=
	for f in /etc/segmentd /usr/sbin/segmentctl /lib/systemd/system/segmentd.service \
		/lib/systemd/system/segmentd-metrics.timer /usr/share/doc/segmentd \
		/usr/share/bash-completion/completions/segmentctl \
		/etc/systemd/system/sysinit.target.wants/segmentd.service; do
		ctr test -e "$f" -o -L "$f" && left="$left $f"
	done
	[ -z "$left" ] || fail "left after apt purge:$left"
	if table_rules | cmp -s - "$WORK/table.good"; then
		ok "apt purge: the files and the conffile gone; the table stays enforcing"
	else
		fail "the table is gone or changed after apt purge"
	fi
}

preflight
rootfs_ensure
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segmentd-deb.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT TERM

package || exit 1
container_boot --bind-ro="$WORK/deb:$DEBDIR_IN" || exit 1
test_install || exit 1
test_not_enforcing
test_check_then_enable || exit 1
test_reload
test_upgrade
test_stop
test_remove_purge

if [ "$FAILED" -gt 0 ]; then
	say "$FAILED check(s) FAILED"
	exit 1
fi
say "deb: all checks passed"
