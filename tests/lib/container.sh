# shellcheck shell=bash
# tests/lib/container.sh - boot the cached rootfs (tests/lib/rootfs.sh) with
# systemd as its init in systemd-nspawn, in a network namespace of its own,
# and run commands and segmentd's unit inside it.  Sourced by
# tests/kernel/systemd.sh and tests/kernel/deb.sh (after rootfs.sh).
#
#   container_preflight      exits 77 unless root, systemd-nspawn, nsenter
#                            and debootstrap (or a cached rootfs) are there
#   container_boot ARG...    boots it; ARGs go to systemd-nspawn after its
#                            own options (--bind=..., then init arguments
#                            like systemd.wants=UNIT); console in
#                            $WORK/nspawn.log
#   ctr CMD..., ctr_within SECONDS CMD...   CMD inside the container
#   container_teardown       stops it, removes its cgroups, run
#                            directories and $WORK; on failure shows UNIT's
#                            journal and the console first
#   say, ok, fail, skip      report (fail counts in FAILED, the test goes on)
#
# The caller sets WORK (a directory of its own) before container_boot, UNIT
# (default segmentd.service), and calls container_teardown from its EXIT
# trap.  Nothing touches the host's network namespace.

UNIT=${UNIT:-segmentd.service}
MACHINE=segmentd-test-$$
T0=$EPOCHREALTIME
NSPAWN_PID=
CPID=
CGROUPS=
NSPAWN_RUNDIR_OURS=
FAILED=0

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

say() {
	printf '[%5.1fs] %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$T0" 'BEGIN { print a - b }')" "$*"
}

fail() {
	echo "FAIL: $*" >&2
	FAILED=$((FAILED + 1))
}

ok() {
	say "ok: $*"
}

# ctr CMD...: CMD in every namespace of the container, with a clean
# environment (the host's NOTIFY_SOCKET, SYSTEMD_* must not leak in), killed
# after 30 s; ctr_within SECONDS CMD...: the same with another bound.
ctr() {
	ctr_within 30 "$@"
}

ctr_within() {
	local secs=$1
	shift
	timeout "$secs" nsenter -t "$CPID" -a env -i \
		PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
		SYSTEMD_PAGER= \
		SYSTEMD_COLORS=0 "$@"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s.
wait_until() {
	local end
	end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

alive() {
	kill -0 "$1" 2>/dev/null
}

gone() {
	! alive "$1"
}

# stop_pid PID SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
stop_pid() {
	local pid=$1 end
	end=$(($(date +%s) + $2))
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	while alive "$pid" && [ "$(date +%s)" -lt "$end" ]; do
		sleep 0.1
	done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

container_preflight() {
	[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
	local c
	for c in systemd-nspawn nsenter; do
		command -v "$c" >/dev/null 2>&1 || skip "'$c' is not installed"
	done
	command -v debootstrap >/dev/null 2>&1 || [ -r "$ROOTFS_STAMP" ] ||
		skip "'debootstrap' is not installed and no cached rootfs"
}


# With --keep-unit and no systemd on the host, systemd-nspawn puts its
# "payload" and "supervisor" cgroups below the cgroup it starts in, and the
# container's systemd builds its tree there: two runs started from one
# cgroup would share (and kill) each other's units.  So each run gets a
# cgroup of its own, in each hierarchy systemd tracks processes with (v1
# name=systemd, the v2 one); cgroup_remove deletes it after the container.
cgroup_create() {
	local line rel dir
	while IFS= read -r line; do
		rel=${line#*:*:}
		case $line in
		*:name=systemd:*) dir=/sys/fs/cgroup/systemd$rel ;;
		0::*)   if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
				dir=/sys/fs/cgroup/unified$rel
			elif [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
				dir=/sys/fs/cgroup$rel
			else
				continue
			fi ;;
		*) continue ;;
		esac
		dir=${dir%/}/$MACHINE
		mkdir "$dir" || { fail "cannot create cgroup $dir"; return 1; }
		CGROUPS="$CGROUPS $dir"
	done </proc/self/cgroup
}

# cgroup_enter: moves the calling (sub)shell into the run's cgroups.
cgroup_enter() {
	local dir
	for dir in $CGROUPS; do
		echo "$BASHPID" >"$dir/cgroup.procs" || return 1
	done
}

cgroup_remove() {
	local dir
	for dir in $CGROUPS; do
		[ -d "$dir" ] || continue
		find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$dir" ] && echo "warning: cgroup $dir still in use" >&2
	done
	CGROUPS=
}

container_pid1() {
	local pid
	for pid in $(cat /proc/"$NSPAWN_PID"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = systemd ] && { echo "$pid"; return 0; }
	done
	return 1
}

boot_finished() {
	case $(ctr systemctl is-system-running 2>/dev/null) in
	running|degraded) return 0 ;;
	*) return 1 ;;
	esac
}

container_boot() {
	local state
	say "booting $MACHINE on $ROOTFS"
	cgroup_create || return 1
	[ -e /run/systemd/nspawn ] || NSPAWN_RUNDIR_OURS=1
	( cgroup_enter || exit 1
	  exec systemd-nspawn --quiet -D "$ROOTFS" --volatile=overlay \
		--private-network --register=no --keep-unit -b \
		--machine="$MACHINE" "$@" ) >"$WORK/nspawn.log" 2>&1 </dev/null &
	NSPAWN_PID=$!
	wait_until 20 container_pid1 || {
		alive "$NSPAWN_PID" || wait "$NSPAWN_PID"
		fail "no container init under systemd-nspawn ($NSPAWN_PID)"
		return 1
	}
	CPID=$(container_pid1)
	wait_until 60 boot_finished || {
		fail "the container did not finish booting in 60 s" \
			"($(ctr systemctl is-system-running 2>&1))"
		return 1
	}
	state=$(ctr systemctl is-system-running)
	say "container up (init pid $CPID, system $state)"
	[ "$state" = running ] || ctr systemctl --failed --no-legend >&2
}

container_teardown() {
	if [ "$FAILED" -gt 0 ] && [ -n "$CPID" ] && alive "$CPID"; then
		echo "--- journal of $UNIT (last 40 lines)" >&2
		ctr_within 10 journalctl -q -u "$UNIT" --no-pager -n 40 >&2
	fi
	if [ -n "$NSPAWN_PID" ] && alive "$NSPAWN_PID"; then
		# SIGTERM asks the container's systemd to power off.
		stop_pid "$NSPAWN_PID" 20
		# If nspawn had to be killed, its init may live on: killing
		# a pid namespace's init ends every process in it.
		if [ -n "$CPID" ] && alive "$CPID"; then
			kill -KILL "$CPID" 2>/dev/null
			wait_until 5 gone "$CPID"
		fi
	fi
	# systemd-nspawn leaves its run directories behind where /run is not
	# a tmpfs; remove them if this run made them and nobody uses them.
	rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null
	[ -n "$NSPAWN_RUNDIR_OURS" ] && rmdir /run/systemd/nspawn/propagate \
		/run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null
	cgroup_remove
	if [ "$FAILED" -gt 0 ] && [ -n "$WORK" ] && [ -s "$WORK/nspawn.log" ]; then
		echo "--- container console (last 15 lines)" >&2
		tail -n 15 "$WORK/nspawn.log" >&2
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
}

# segmentd's unit in the container.

is_active() {
	[ "$(ctr systemctl is-active "$UNIT")" = "$1" ]
}

main_pid() {
	ctr systemctl show -p MainPID --value "$UNIT"
}

table() {
	ctr nft -s list table inet segmentd
}

# Never `table | grep -q`: under pipefail, grep's early exit fails nft
# with EPIPE.
table_owned() {
	local t
	t=$(table) || return 1
	grep -qE '^[[:space:]]*flags .*owner' <<<"$t"
}

# journal_count REGEX: the service's journal lines matching REGEX.
journal_count() {
	ctr journalctl -q -u "$UNIT" -o cat --no-pager | grep -cE "$1"
}

journal_grows() {
	[ "$(journal_count "$1")" -gt "$2" ]
}

show_service() {
	ctr systemctl status --no-pager -n 30 "$UNIT" >&2
}

monotonic() {
	ctr systemctl show -p ActiveEnterTimestampMonotonic --value "$1"
}
