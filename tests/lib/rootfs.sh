# shellcheck shell=bash
# tests/lib/rootfs.sh - a minimal Debian rootfs that boots systemd in
# systemd-nspawn, built once with debootstrap and cached outside the repo.
# Sourced by bash scripts (tests/kernel/systemd.sh, tests/kernel/deb.sh).
#
#   rootfs_ensure    sets ROOTFS to a ready tree, building it when it is
#                    missing, stale (other suite or packages) or broken;
#                    exits 77 when debootstrap is missing or the mirror
#                    cannot be reached
#
# Environment: SEGMENTD_ROOTFS_CACHE (default /var/cache/segmentd-test),
# SEGMENTD_ROOTFS_MIRROR (default http://deb.debian.org/debian).
#
# The tree is shared by every run and never booted directly: boot it with
# `systemd-nspawn --volatile=overlay`, so what a run writes goes to a tmpfs
# and the cache stays as debootstrap left it.  Builds are serialised with
# flock(1); a build goes to a temporary directory that is renamed into
# place, and the stamp file is written last, so a half-built tree is never
# taken for a good one.

ROOTFS_CACHE=${SEGMENTD_ROOTFS_CACHE:-/var/cache/segmentd-test}
ROOTFS_MIRROR=${SEGMENTD_ROOTFS_MIRROR:-http://deb.debian.org/debian}
ROOTFS_SUITE=bookworm
# procps: /bin/kill, which tests/kernel/systemd.sh runs inside (kill -STOP
# for the watchdog check; every real Debian has it, minbase does not).  The
# unit's ExecReload= no longer needs it (segmentctl reload).  apt (in
# minbase) installs the .deb offline: its dependencies are all here.
ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,nftables,iproute2,netbase,procps,libnftnl11,libmnl0,libconfig9
ROOTFS=$ROOTFS_CACHE/rootfs
ROOTFS_STAMP=$ROOTFS_CACHE/rootfs.stamp

# A missing prerequisite is a skip, except under CI: the systemd test is
# the only test of boot order, the watchdog and the sandbox, and may not
# quietly not run there.
rootfs_skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $* (the container tests may not skip in CI)" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

rootfs_stamp_text() {
	echo "suite=$ROOTFS_SUITE variant=minbase packages=$ROOTFS_PACKAGES"
}

# rootfs_usable: the stamp matches and the tree can still run what the
# tests need (a tree emptied or damaged behind our back is rebuilt).
rootfs_usable() {
	[ -r "$ROOTFS_STAMP" ] || return 1
	[ "$(cat "$ROOTFS_STAMP")" = "$(rootfs_stamp_text)" ] || return 1
	[ -x "$ROOTFS/lib/systemd/systemd" ] || return 1
	chroot "$ROOTFS" /usr/sbin/nft --version >/dev/null 2>&1 || return 1
	chroot "$ROOTFS" /bin/systemctl --version >/dev/null 2>&1 || return 1
	chroot "$ROOTFS" /usr/bin/systemd-analyze --version >/dev/null 2>&1 || return 1
	[ -x "$ROOTFS/bin/kill" ] || return 1
	ls "$ROOTFS"/usr/lib/*/libnftnl.so.11 "$ROOTFS"/usr/lib/*/libmnl.so.0 \
		"$ROOTFS"/usr/lib/*/libconfig.so.9 >/dev/null 2>&1
}

rootfs_mirror_ask() {
	local url=$ROOTFS_MIRROR/dists/$ROOTFS_SUITE/Release
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null --max-time 15 "$url"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O /dev/null --timeout=15 --tries=1 "$url"
	else
		return 0        # no way to ask: let debootstrap find out
	fi
}

# Three tries, 5 and 15 s apart: a mirror that hiccups is not "unreachable".
rootfs_mirror_reachable() {
	local pause
	for pause in 5 15 0; do
		rootfs_mirror_ask && return 0
		[ "$pause" = 0 ] || sleep "$pause"
	done
	return 1
}

# One-time adjustments of a fresh tree, for a quick and quiet boot.
rootfs_configure() {
	local root=$1 unit
	echo segmentd-test >"$root/etc/hostname"
	# The container has no terminals to serve and needs no timers.
	for unit in console-getty.service getty@.service apt-daily.timer \
		apt-daily-upgrade.timer dpkg-db-backup.timer \
		e2scrub_all.timer fstrim.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$unit"
	done
	# A journal in /run only: nothing of a run survives it.
	mkdir -p "$root/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\n' \
		>"$root/etc/systemd/journald.conf.d/segmentd-test.conf"
}

rootfs_build() {
	local new=$ROOTFS_CACHE/rootfs.new log=$ROOTFS_CACHE/debootstrap.log
	command -v debootstrap >/dev/null 2>&1 ||
		rootfs_skip "debootstrap is not installed (apt-get install debootstrap)"
	rootfs_mirror_reachable ||
		rootfs_skip "the Debian mirror $ROOTFS_MIRROR cannot be reached"
	rm -rf "$new" "$ROOTFS" "$ROOTFS_STAMP"
	mkdir -p "$ROOTFS_CACHE/debs"
	echo "rootfs: building $ROOTFS_SUITE in $ROOTFS (once; log in $log)" >&2
	if ! debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" \
		--cache-dir="$ROOTFS_CACHE/debs" "$ROOTFS_SUITE" "$new" \
		"$ROOTFS_MIRROR" >"$log" 2>&1; then
		rm -rf "$new"
		if grep -qiE "couldn't download|failed getting release|unable to fetch|temporary failure resolving" "$log"; then
			rootfs_skip "debootstrap could not download from $ROOTFS_MIRROR (see $log)"
		fi
		echo "rootfs: debootstrap failed:" >&2
		tail -n 20 "$log" >&2
		return 1
	fi
	rootfs_configure "$new"
	mv "$new" "$ROOTFS"
	rootfs_stamp_text >"$ROOTFS_STAMP"
}

rootfs_ensure() {
	[ "$(id -u)" = 0 ] || rootfs_skip "needs root (debootstrap, chroot)"
	mkdir -p "$ROOTFS_CACHE" || rootfs_skip "cannot create $ROOTFS_CACHE"
	rootfs_usable && return 0
	# Serialise builds; whoever waited re-checks before building again.
	(
		flock 9 || exit 1
		rootfs_usable && exit 0
		rootfs_build
	) 9>"$ROOTFS_CACHE/lock" || exit $?
	rootfs_usable || { echo "rootfs: $ROOTFS is not usable after a build" >&2; return 1; }
}
