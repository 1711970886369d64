# tests/lib/segmentd.sh - running segmentd in the gateway namespace of
# shellcheck shell=bash
# tests/lib/topo.sh.  Source topo.sh first.
#
#   sd_init BUILD          SEGMENTD (default BUILD/segmentd; the SEGMENTD
#                          environment variable overrides it); exit 77 if
#                          it is not built
#   sd_once CONF           segmentd --once -c CONF in the gateway
#   sd_start CONF [LOG]    segmentd -c CONF in the foreground mode, in the
#                          background (private /run), waits until it owns
#                          its table; pid in SD_PID, log in SD_LOG
#                          (default TOPO_DIR/segmentd.log)
#   sd_stop [WANT]         SIGTERM, waits; returns 1 (saying why) unless
#                          the exit status is WANT (default 0) and the log
#                          holds no sanitizer report.  Every test that
#                          starts the daemon ends with `sd_stop || fail`.
#   sd_table               nft -s list table inet $SD_TABLE (gateway)
#   sd_table_flags         the table's "flags" line (e.g. "flags owner")

SD_TABLE=${SD_TABLE:-segmentd}
. tests/lib/sanitizer.sh

sd_init() {
	local build=${1:-build}
	case $build in /*) ;; *) build=$PWD/$build ;; esac
	SEGMENTD=${SEGMENTD:-$build/segmentd}
	case $SEGMENTD in /*) ;; *) SEGMENTD=$PWD/$SEGMENTD ;; esac
	[ -x "$SEGMENTD" ] || topo_skip "$SEGMENTD not built (make)"
	SEGMENTCTL=$build/segmentctl
	[ -x "$SEGMENTCTL" ] || topo_skip "$SEGMENTCTL not built (make)"
	SD_PID=
}

# ctl ARGS...: segmentctl on the test's daemon (the socket the test
# exported in SEGMENTD_SOCKET).
ctl() {
	"$SEGMENTCTL" -s "${SEGMENTD_SOCKET:?the test sets SEGMENTD_SOCKET}" "$@"
}

# sd_monitor LOG: `nft monitor` in the gateway into LOG, listening once it
# returns (it has reported a commit of a probe table); MON is its pid.
sd_monitor() {
	local tries=50
	topo_spawn gw "$1" nft monitor
	MON=$TOPO_PID
	until grep -q "new generation" "$1" 2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "nft monitor reports no commit"
		topo_exec gw nft add table inet segmentd-test-probe
		topo_exec gw nft delete table inet segmentd-test-probe
		sleep 0.1
	done
}

# sd_sha: the enforced ruleset's fingerprint, as the daemon reports it.
sd_sha() {
	ctl --json status | sed -n 's/.*"ruleset_sha256":"\([0-9a-f]*\)".*/\1/p'
}

# sd_rules: the gateway's table as nft lists it, without the ownership flag
# and the committing process's name (what a restore may change).
sd_rules() {
	sd_table | grep -v '^[[:space:]]*flags' | sed 's/ *# progname .*$//'
}

sd_once() {
	topo_exec gw "$SEGMENTD" --once -c "$1"
}

sd_table() {
	topo_exec gw nft -s list table inet "$SD_TABLE"
}

sd_table_flags() {
	sd_table 2>/dev/null | sed -n 's/^[[:space:]]*\(flags[^;]*\);\{0,1\}$/\1/p' | head -n 1
}

sd_owned() {
	sd_table_flags | grep -qw owner
}

# sd_held: our table is there, owned (unless the kernel is made to lack
# persistence: SEGMENTD_NO_PERSIST=1, where it runs unowned).
sd_held() {
	if [ -n "${SEGMENTD_NO_PERSIST:-}" ]; then
		sd_table >/dev/null 2>&1
	else
		sd_owned
	fi
}

# sd_ready LOG: the daemon has its table: it owns it, or (as on kernels
# without persistence, SEGMENTD_NO_PERSIST=1, or with a config that says
# ownership = false: SD_UNOWNED=1) it logged that it programmed, kept or
# locked it down.
sd_ready() {
	sd_owned && return 0
	[ -n "${SEGMENTD_NO_PERSIST:-}${SD_UNOWNED:-}" ] &&
		grep -qE "table '[^']*' programmed from|keeping the ruleset already enforced|lockdown" \
			"$1" 2>/dev/null
}

# sd_start CONF [LOG]: the daemon in a private mount namespace with its own
# /run (tmpfs), so a control socket never collides with the host's.
sd_start() {
	local conf=$1 log=${2:-$TOPO_DIR/segmentd.log}
	SD_LOG=$log
	case $conf in /*) ;; *) conf=$PWD/$conf ;; esac
	# shellcheck disable=SC2016 # expanded by that sh
	topo_spawn gw "$log" unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0" -c "$1"' \
		"$SEGMENTD" "$conf"
	SD_PID=$TOPO_PID
	# SD_START_WAIT: seconds for the first commit (a 100k-network table on a
	# sanitizer build takes longer than the default 10)
	local wait=${SD_START_WAIT:-10}
	local until=$((SECONDS + wait))   # a listing of 100k networks takes seconds
	until sd_ready "$log"; do
		if ! kill -0 "$SD_PID" 2>/dev/null; then
			echo "segmentd exited before owning its table:" >&2
			cat "$log" >&2
			return 1
		fi
		if [ "$SECONDS" -ge "$until" ]; then
			echo "segmentd did not take its table within $wait s:" >&2
			cat "$log" >&2
			return 1
		fi
		sleep 0.02
	done
	# the control socket comes up just after the first commit
	if [ -n "${SEGMENTD_SOCKET:-}" ]; then
		tries=500
		until [ -S "$SEGMENTD_SOCKET" ]; do
			tries=$((tries - 1))
			if [ "$tries" -le 0 ] || ! kill -0 "$SD_PID" 2>/dev/null; then
				echo "segmentd did not open $SEGMENTD_SOCKET:" >&2
				cat "$log" >&2
				return 1
			fi
			sleep 0.02
		done
	fi
}

sd_stop() {
	local pid=$SD_PID rc=0
	[ -n "$pid" ] || { echo "sd_stop: no daemon running"; return 1; }
	SD_PID=
	topo_stop "$pid" segmentd || rc=$?
	exit_check segmentd "$rc" "${SD_LOG:-$TOPO_DIR/segmentd.log}" "${1:-0}"
}

# sd_spawn_in NS LOG SOCKET CONF [ARG...]: a daemon in namespace NS with its
# own /run (tmpfs, private mounts) and control socket SOCKET, for tests
# with more than one gateway; waits for the socket.  TOPO_PID is its pid.
sd_spawn_in() {
	local ns=$1 log=$2 sock=$3 conf=$4 tries=500
	shift 4
	# shellcheck disable=SC2016 # expanded by that sh
	topo_spawn "$ns" "$log" env SEGMENTD_SOCKET="$sock" \
		unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0" -c "$@"' \
		"$SEGMENTD" "$conf" "$@"
	until [ -S "$sock" ]; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ] || ! kill -0 "$TOPO_PID" 2>/dev/null; then
			cat "$log"
			echo "segmentd in $ns did not come up" >&2
			return 1
		fi
		sleep 0.02
	done
}
