# tests/lib/mode.sh - the ownership mode a daemon test runs in.
# shellcheck shell=bash
# tests/run-kernel.sh runs the tests whose daemon relies on owning its
# table (drift, daemon, storm, faults, coexist) twice: as they are, and
# with SEGMENTD_NO_PERSIST=1 exported (reported as NAME@nopersist).  This
# kernel has NFT_TABLE_F_PERSIST, so with `ownership = true` the daemon
# owns its table (another process's nft gets EPERM); with the switch its
# persistence probe answers no, as on a kernel before 6.9 (Debian 12's
# 6.1): the same config runs unowned and the watchdog (restore on drift)
# is the only protection.  Run one test in the second mode by hand with
# `SEGMENTD_NO_PERSIST=1 bash tests/kernel/NAME.sh`.
#
#   MODE                  "persist" or "nopersist", for messages
#   mode_owned            true when `ownership = true` gives an owned table
#   MODE_PROTECTION       what `segmentctl status` says then: "owned" or
#                         "watchdog-only"
#   mode_flags_ok FLAGS   FLAGS (sd_table_flags' line) is what the table
#                         of a daemon with ownership on has in this mode:
#                         "owner" in it exactly when mode_owned
#   mode_wait_started LOG PID [SECONDS]
#                         waits until the daemon PID logged that it holds
#                         its table (programmed, kept or lockdown); 1 if
#                         it died or took longer (default 10 s)
#   mode_sd_start CONF [LOG]
#                         sd_start (tests/lib/segmentd.sh) in this mode:
#                         unowned there is no owner flag to wait for, so
#                         it waits for mode_wait_started and, when
#                         SEGMENTD_SOCKET is set, for the socket

if [ -n "${SEGMENTD_NO_PERSIST:-}" ]; then
	MODE=nopersist MODE_PROTECTION=watchdog-only
else
	MODE=persist MODE_PROTECTION=owned
fi

mode_owned() {
	[ "$MODE" = persist ]
}

mode_flags_ok() {
	case " $1 " in
	*[\ ,]owner[\ ,]*) mode_owned ;;
	*) ! mode_owned ;;
	esac
}

mode_wait_started() {
	local log=$1 pid=$2 tries=$(( ${3:-10} * 50 ))
	local started="table '[^']*' programmed from|keeping the ruleset already enforced|lockdown"
	until grep -qE "$started" "$log" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { echo "segmentd exited at start:"; cat "$log"; return 1; }
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || { echo "segmentd did not take its table in time:"; cat "$log"; return 1; }
		sleep 0.02
	done
}

mode_sd_start() {
	if mode_owned; then
		sd_start "$@"
		return
	fi
	local conf=$1 log=${2:-$TOPO_DIR/segmentd.log}
	SD_LOG=$log
	case $conf in /*) ;; *) conf=$PWD/$conf ;; esac
	# shellcheck disable=SC2016 # expanded by that sh
	topo_spawn gw "$log" unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0" -c "$1"' \
		"$SEGMENTD" "$conf"
	SD_PID=$TOPO_PID
	mode_wait_started "$log" "$SD_PID" || return 1
	[ -z "${SEGMENTD_SOCKET:-}" ] || topo_wait_until 10 test -S "$SEGMENTD_SOCKET" ||
		{ echo "segmentd did not open $SEGMENTD_SOCKET:"; cat "$log"; return 1; }
}
