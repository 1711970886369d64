#!/bin/bash
# window: the main table, the guard table, or everything (`nft flush
# ruleset`, the first line of Debian's /etc/nftables.conf) deleted by
# another process, under a flood of forbidden new connections (internet
# vbrowser -> mynumber atena port 5353: UDP datagrams and TCP SYNs, each a
# new connection, WINDOW_PPS per second, counted in atena's own namespace).
# A two-mode test (tests/lib/mode.sh):
#
#   nopersist (as on Debian 12's 6.1: the main table unowned, the guard
#   table owned by the daemon while it runs, OWNER without PERSIST)
#     a. the main table deleted DELETES times: the guard table holds, 0
#        packets arrive, each deletion is restored;
#     b. deleting the guard table is refused (EPERM), DELETES times;
#     c. `nft flush ruleset` FLUSHES times: it deletes the main table and
#        skips the owned guard, which holds: 0 packets arrive.  Per flush:
#        the forbidden packets, the main table's restore time (the daemon's
#        log) and when allowed traffic (lg-terminals -> vbrowser tcp/3389,
#        new connections, probed one after another: ~50 ms each) passes
#        again, counted from the end of the nft command (its start-up
#        reads the whole ruleset first: seconds at 100k);
#   persist (both owned): the deletions are refused, `flush ruleset` skips
#   both tables; 0 packets arrive and nothing needs restoring.
# WINDOW_UNOWNED=1 (the config says ownership = false,
# tests/kernel/window_unowned.sh): as nopersist on any kernel, the guard
# still owned while the daemon runs.
# With SEGMENTD_NO_OWNER=1 (as before Linux 5.12: no OWNER either, both
# tables unowned) b restores the guard, and c deletes both: the guard comes
# back first in one tiny commit, but only once the flush's own commit has
# ended (the kernel frees the old table inside it: ~60 ms at 100k); what
# arrives before it is the open window (forbidden packets / flood rate),
# reported, not asserted.
# Either way the path is closed at the end.  A control first: the flood
# reaches atena with no segmentd.
#
# WINDOW_NETWORKS=N: the lgwan zone holds N IPv4 and N IPv6 networks
# (bench/gen-config.sh; tests/kernel/window_big.sh runs 100,000); default
# the shipped config.  Each phase ends with a "window: result ..." line
# (bench/window.sh collects them).  Timings are reported, never asserted.
. tests/lib/kernel.sh
. tests/lib/flood.sh
. tests/lib/mode.sh
DELETES=${DELETES:-50}
FLUSHES=${FLUSHES:-20}
WAIT=${WINDOW_WAIT:-5}     # s for a restore (and allowed traffic) to come back
FLOOD_RATE=${WINDOW_PPS:-20000}
export SEGMENTD_SOCKET=$TOPO_DIR/control
LOG=$TOPO_DIR/segmentd.log
CONF=conf/segmentd.conf
if [ -n "${WINDOW_NETWORKS:-}" ]; then
	CONF=$TOPO_DIR/window.conf
	bench/gen-config.sh "$WINDOW_NETWORKS" "$CONF" || fail "bench/gen-config.sh $WINDOW_NETWORKS"
fi
NETS=${WINDOW_NETWORKS:-shipped}
# a big table's first commit and read-back take seconds
[ "${WINDOW_NETWORKS:-0}" -lt 10000 ] || export SD_START_WAIT=${SD_START_WAIT:-120}
# WINDOW_UNOWNED=1: the config says ownership = false (the main table
# unowned on any kernel; the guard still owned while the daemon runs,
# unless SEGMENTD_NO_OWNER=1)
if [ -n "${WINDOW_UNOWNED:-}" ]; then
	sed 's/ownership = true;/ownership = false;/' "$CONF" >"$TOPO_DIR/unowned.conf"
	grep -q 'ownership = false;' "$TOPO_DIR/unowned.conf" || fail "could not turn ownership off"
	CONF=$TOPO_DIR/unowned.conf
	export SD_UNOWNED=1
fi
RMODE=$MODE${WINDOW_UNOWNED:+-ownership-off}${SEGMENTD_NO_OWNER:+-noowner}
# which tables another process cannot delete
main_owned() { mode_owned && [ -z "${WINDOW_UNOWNED:-}" ]; }
guard_owned() { mode_owned || [ -z "${SEGMENTD_NO_OWNER:-}" ]; }

topo_build
flood_init internet 10.3.1.10 mynumber 10.1.1.20 5353 both
flood_control
start=$(date +%s%N)
sd_start "$CONF" "$LOG"
echo "segmentd up in $(( ($(date +%s%N) - start) / 1000000 )) ms ($RMODE, networks: $NETS)"
restores() { grep -c "restored in" "$LOG" || true; }

# stats LIST...: "median M max X" of numbers (or "-" for none)
stats() {
	[ $# -gt 0 ] || { echo "median - max -"; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		printf "median %s max %s\n", v[int((NR + 1) / 2)], v[NR] }'
}

# restore_times FROM-LINE: the main restore times (ms) logged after line
# FROM-LINE of the log, one per line; guard_times: the guard's
restore_times() { tail -n "+$(( $1 + 1 ))" "$LOG" | sed -n 's/.* restored in \([0-9.]*\) ms.*/\1/p'; }
guard_times() { tail -n "+$(( $1 + 1 ))" "$LOG" | sed -n 's/.*guard back after \([0-9.]*\) ms.*/\1/p'; }
log_lines() { wc -l <"$LOG"; }

# tamper WHAT OWNED NFT-ARGS...: once; OWNED no: waits for the restore
# (WAIT s); OWNED yes: a deletion must be refused (EPERM), and `flush
# ruleset` (which the kernel runs without error, skipping the tables
# another process owns) must leave the tables as compiled.  TAMPER_DONE:
# when the nft command returned (date +%s%N), its commit just before;
# with TAMPER_NOWAIT set it returns then (TAMPER_N: the restores before).
tamper() {
	local what=$1 owned=$2 n out
	shift 2
	n=$(restores)
	if [ "$owned" = yes ]; then
		if out=$(topo_exec gw nft "$@" 2>&1); then
			[ "$*" = "flush ruleset" ] || fail "$what: nft $* was not refused (owned)"
			"$SEGMENTCTL" verify >/dev/null || fail "$what: owned tables changed by nft $*"
			TAMPER_DONE=$(date +%s%N)   # nothing to wait for: the probe's floor
		else
			grep -q "Operation not permitted" <<<"$out" ||
				fail "$what: nft $* failed, but not with EPERM: $out"
		fi
		return 0
	fi
	topo_exec gw nft "$@" || fail "$what: nft $* failed"
	TAMPER_DONE=$(date +%s%N) TAMPER_N=$n
	[ -z "${TAMPER_NOWAIT:-}" ] || return 0
	topo_wait_until "$WAIT" sh -c "[ \$(grep -c 'restored in' '$LOG') -gt $n ]" ||
		{ tail -n 20 "$LOG"; fail "$what: not restored within $WAIT s"; }
}

yes_if() { if "$@"; then echo yes; else echo no; fi; }

# interim_checks PHASE FROM-LINE N: each of the N restores of a main table
# that was gone (logged after FROM-LINE) went through the interim table
# (compile_interim.c: the same policy, the any zone's complement left
# out), and none is left in the kernel.
interim_checks() {
	local got
	got=$(tail -n "+$(( $2 + 1 ))" "$LOG" | grep -c "restored in .* by the interim table" || true)
	[ "$got" = "$3" ] || { tail -n 20 "$LOG"; fail "$1: $got of $3 restores by the interim table"; }
	if topo_exec gw nft list tables | grep -q 'segmentd-interim'; then
		fail "$1: the interim table is left: $(topo_exec gw nft list tables | tr '\n' ' ')"
	fi
	echo "ok: $1: the main table put back through the interim table $3 times, none left"
}

# single NAME TABLE OWNED: phase a or b
single() {
	local phase=$1 table=$2 owned=$3 i from
	echo "== $phase. table $table deleted $DELETES times ($RMODE; owned: $owned)"
	from=$(log_lines)
	flood_start
	for ((i = 1; i <= DELETES; i++)); do
		tamper "$phase: delete $table $i" "$owned" delete table inet "$table"
	done
	flood_stop
	"$SEGMENTCTL" verify >/dev/null || fail "$phase: verify after the deletions"
	# shellcheck disable=SC2046 # one number per word
	echo "window: result mode=$RMODE networks=$NETS phase=$phase tamper=delete-$table" \
		"events=$DELETES forbidden=0 restore_ms $(stats $(restore_times "$from"))"
	echo "ok: $phase: 0 forbidden packets while $table was deleted $DELETES times"
	[ "$table" != segmentd ] || [ "$owned" = yes ] || interim_checks "$phase" "$from" "$DELETES"
}

# allowed_back T0: ms from T0 (date +%s%N) until a new allowed connection
# passes (lg-terminals -> vbrowser tcp/3389); fails after WAIT s
allowed_back() {
	local t0=$1 now
	while :; do
		now=$(date +%s%N)
		if topo_exec lgwan "$PROBE" tcp -t 100 -s 10.2.8.10 10.3.1.10 3389 >/dev/null 2>&1; then
			echo $(( (now - t0) / 1000000 ))
			return 0
		fi
		[ $(( (now - t0) / 1000000 )) -lt $((WAIT * 1000)) ] || return 1
	done
}

single a segmentd "$(yes_if main_owned)"

# A read of a big table takes seconds; a deletion meanwhile must cut it
# short and be restored at once, not after the read: `segmentctl verify`
# answers "changed while it was read".  (Unowned main table, 10k+
# networks; retried if the read was over before the deletion came.)
cut_short() {
	local try out n
	for try in 1 2 3; do
		n=$(restores)
		"$SEGMENTCTL" verify >"$TOPO_DIR/verify.out" 2>&1 &
		local vpid=$!
		sleep 0.1
		topo_exec gw nft delete table inet segmentd || fail "cut short: nft delete table failed"
		wait "$vpid" || true
		out=$(cat "$TOPO_DIR/verify.out")
		topo_wait_until "$WAIT" sh -c "[ \$(grep -c 'restored in' '$LOG') -gt $n ]" ||
			fail "cut short: not restored within $WAIT s"
		if grep -q "changed while it was read" <<<"$out"; then
			echo "ok: a verification under way was cut short by the deletion: $out"
			return 0
		fi
		echo "cut short, try $try: the read ended first: $out"
	done
	fail "cut short: no verification was cut short in 3 tries"
}
if ! main_owned && [ "${WINDOW_NETWORKS:-0}" -ge 10000 ]; then
	cut_short
fi
single b segmentd-guard "$(yes_if guard_owned)"

echo "== c. nft flush ruleset $FLUSHES times ($RMODE)"
from=$(log_lines)
flood_start
rx0=$(flood_gw_rx)
t_start=$(date +%s%N)
leaks=() backs=() windows=()
for ((i = 1; i <= FLUSHES; i++)); do
	flood_count_peek
	before=$FLOOD_GOT
	TAMPER_N=
	TAMPER_NOWAIT=1 tamper "c: flush $i" "$(yes_if main_owned)" flush ruleset
	# probing while the daemon restores: its restore line comes only
	# after the read-back that confirms the table (seconds at 100k)
	back=$(allowed_back "$TAMPER_DONE") || fail "c: flush $i: allowed traffic not back within $WAIT s"
	if [ -n "$TAMPER_N" ]; then
		topo_wait_until "$WAIT" sh -c "[ \$(grep -c 'restored in' '$LOG') -gt $TAMPER_N ]" ||
			{ tail -n 20 "$LOG"; fail "c: flush $i: not restored within $WAIT s"; }
	fi
	topo_wait_until "$WAIT" "$SEGMENTCTL" verify >/dev/null ||
		fail "c: flush $i: the tables are not as compiled $WAIT s later"
	flood_count_peek
	leaks+=($((FLOOD_GOT - before)))
	backs+=("$back")
done
ms=$(( ($(date +%s%N) - t_start) / 1000000 ))
rx=$(( $(flood_gw_rx) - rx0 ))
rate=$(( rx * 1000 / (ms > 0 ? ms : 1) ))
flood_stop_leaky() {
	# flood_stop without its "nothing arrived" verdict: c reports
	local got
	flood_count_peek
	got=$FLOOD_GOT
	flood_count_read
	flood_count_start    # flood_stop reads this one: nothing after the last restore
	sleep 0.3
	flood_stop
	FLOOD_GOT=$got
}
flood_stop_leaky
for l in "${leaks[@]}"; do
	windows+=("$(awk -v l="$l" -v r="$rate" 'BEGIN { printf "%.2f", (r > 0 ? l * 1000 / r : 0) }')")
done
total=0
for l in "${leaks[@]}"; do total=$((total + l)); done
[ "$total" = "$FLOOD_GOT" ] || fail "c: the per-flush counts ($total) do not add up to the total ($FLOOD_GOT)"
main_owned || interim_checks c "$from" "$FLUSHES"
# shellcheck disable=SC2046 # one number per word
{
	echo "window: result mode=$RMODE networks=$NETS phase=c tamper=flush-ruleset" \
		"events=$FLUSHES rate_pps=$rate forbidden=$FLOOD_GOT" \
		"forbidden_per_flush $(stats "${leaks[@]}")" \
		"window_ms $(stats "${windows[@]}")" \
		"guard_ms $(stats $(guard_times "$from"))" \
		"restore_ms $(stats $(restore_times "$from"))" \
		"allowed_back_ms $(stats "${backs[@]}")"
}
echo "c: $FLUSHES flushes under $rate forbidden packets/s: $FLOOD_GOT arrived at atena" \
	"(per flush: $(stats "${leaks[@]}"); open window in ms $(stats "${windows[@]}"));" \
	"allowed traffic back after (ms) $(stats "${backs[@]}")"
if guard_owned; then
	[ "$FLOOD_GOT" = 0 ] || fail "c: the guard is owned, yet $FLOOD_GOT forbidden packets arrived"
fi
if main_owned; then
	[ "$(restores)" = 0 ] || fail "owned: the daemon restored something"
fi
sd_stop || fail "segmentd exit status on SIGTERM"
echo "window: all checks passed"
