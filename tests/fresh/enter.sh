#!/bin/sh
# tests/fresh/enter.sh ROOT CMD... - runs CMD as root inside the root
# filesystem ROOT with every capability, the way a fresh machine would run
# it.  tests/fresh.sh calls it through
#
#   unshare -m --propagation private sh enter.sh ROOT CMD...
#
# so every mount below lives in a private mount namespace: the host never
# sees one, and they all go when the last process inside exits.  The pid
# namespace is the host's, as on a machine of its own (the kernel names
# processes by their global pid in nftables events), and so is the
# network namespace: apt reaches the mirror there; the tests make their
# own namespaces and never touch it.
#
# A plain chroot is not enough: `ip netns exec` needs a root it can mark
# rslave ("mount --make-rslave / failed") and `nsenter -a` would land in
# the host's /.  So ROOT becomes / by pivot_root, with /proc, /sys and
# /dev (with /dev/pts) from the host, and a tmpfs on /run, as a booted
# machine has.
set -eu
root=$1
shift

mount --bind "$root" "$root"            # pivot_root needs a mount point
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
mkdir -p "$root/run/lock"
# An optional cache of the .debs the nested systemd test downloads
# (tests/lib/rootfs.sh); a shortcut for the mirror, nothing is installed.
if [ -n "${FRESH_NESTED_DEBS:-}" ]; then
	mkdir -p "$root/var/cache/segmentd-test/debs"
	mount --bind "$FRESH_NESTED_DEBS" "$root/var/cache/segmentd-test/debs"
fi

cd "$root"
mkdir -p .old-root
pivot_root . .old-root
cd /
umount -l /.old-root
rmdir /.old-root

# What a root login on a new machine has: no locale, no variables of ours.
exec env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	TERM="${TERM:-dumb}" ${CI:+CI="$CI"} "$@"
