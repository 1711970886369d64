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
# (sd_start, tests/lib/segmentd.sh, starts the daemon in either mode.)

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
