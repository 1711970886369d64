#!/bin/sh
# scripts/deps.sh - installs the Debian packages that building segmentd, its
# tests, the demo, the man pages and the Debian package need, but only
# those that are missing (quiet when all are there).  tests/fresh.sh proves
# the list on a fresh minbase system: a package missing here fails it.
#
#   python3                       tests/kernel/control.sh
#   iptables                      foreign hooks (legacy iptables rules)
#   perl                          tests/kernel/ctlabuse.sh
#   util-linux                    setpriv (tests/kernel/check.sh), unshare
#   debootstrap, systemd-container, curl, ca-certificates
#                                 tests/kernel/systemd.sh's container
#   conntrack                     tests/kernel/ctrevoke.sh (conntrack -L/-I)
#   keepalived, conntrackd        tests/kernel/ha.sh (started by the test in
#                                 namespaces, never as the packaged services)
#   man-db, groff                 man -l man/segmentd.8 (Japanese text needs
#                                 a UTF-8 locale: LANG=C.UTF-8, in libc)
#   build-essential, debhelper ... bash-completion
#                                 make deb (dpkg-checkbuilddeps), lintian,
#                                 the completion
#
# For Debian 12 (bookworm), as root; `make deps` runs it and
# `make check` / `make demo` run it first.
#
#   scripts/deps.sh          install what is missing
#   scripts/deps.sh --list   print the missing packages, install nothing
set -eu

PACKAGES="
gcc make libc6-dev pkg-config
libnftnl-dev libmnl-dev libconfig-dev
check valgrind clang libclang-rt-14-dev
nftables iproute2 iputils-ping procps util-linux iperf3 faketime time
iptables python3 perl
conntrack conntrackd keepalived
debootstrap systemd-container curl ca-certificates
man-db groff
build-essential debhelper dpkg-dev fakeroot lintian bash-completion
"

# The packages of $PACKAGES that are not installed (dpkg -s would also
# accept a removed package whose config files are left).
missing() {
	for p in $PACKAGES; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$status" = installed ] || printf '%s ' "$p"
	done
}

command -v dpkg-query >/dev/null 2>&1 || {
	echo "deps: no dpkg-query: install these by hand:$PACKAGES" >&2
	exit 1
}
todo=$(missing)
if [ "${1:-}" = --list ]; then
	[ -z "$todo" ] || echo "$todo"
	exit 0
fi
[ -n "$todo" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: $todo" >&2
	echo "deps: run as root (or: apt-get install $todo)" >&2
	exit 1
fi
echo "deps: installing $todo"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
# keepalived and conntrackd are for the tests, which start their own
# instances in namespaces: their packaged services must not start on the
# host (policy-rc.d 101 = "action forbidden"; only ours is removed).
policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi
trap 'rm -f "$log" ${policy:+"$policy"}' EXIT
# A mirror that fails now and then is retried (three tries, 10 s apart).
tries=0
# shellcheck disable=SC2086 # one word per package
until { apt-get update -qq && apt-get install -y -qq --no-install-recommends $todo; } >"$log" 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -ge 3 ]; then
		cat "$log" >&2
		echo "deps: apt-get failed $tries times" >&2
		exit 1
	fi
	echo "deps: apt-get failed (try $tries of 3); again in 10 s:" \
		"$(tail -n 1 "$log")" >&2
	sleep 10
done
todo=$(missing)
if [ -n "$todo" ]; then
	echo "deps: still missing after apt-get install: $todo" >&2
	exit 1
fi
echo "deps: done"
