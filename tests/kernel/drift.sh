#!/bin/bash
# Drift: with ownership off, every kind of tampering from `nft` is noticed,
# attributed to that nft process (pid and name), and restored; with
# ownership on, the kernel refuses the same tampering and nothing changes.
# Without table persistence (SEGMENTD_NO_PERSIST=1, as on kernels before
# 6.9; tests/lib/mode.sh) ownership on cannot be had: the daemon says so,
# runs unowned, and the same tampering is restored and attributed instead.
# After a reload that renames the table, tampering with the new one is seen
# as it happens too (the watch follows the name).
cd "$(dirname "$0")/../.."
# Re-run inside a private network and mount namespace with its own /run.
. tests/lib/private.sh
. tests/lib/mode.sh
need nft
need_built
private_tmp

start() { private_start "$1"; }
stop() { private_stop "$pid" "$tmp/log" || fail "the daemon did not stop cleanly"; pid=; }
ruleset_sha() { "$SEGMENTCTL" --json status | sed 's/.*"ruleset_sha256":"\([0-9a-f]*\)".*/\1/'; }
listing() { nft list table inet segmentd | grep -v 'packets [0-9]'; }

# nft_then_restore NAME CMD...: runs nft with CMD (its pid in npid), then
# waits up to 2 s for one more restore in the log.
nft_then_restore() {
	local name=$1; shift
	local before=$(grep -c restored "$tmp/log" || true)
	nft "$@" &
	npid=$!
	wait "$npid" || fail "$name: nft failed"
	for _ in $(seq 200); do
		[ "$(grep -c restored "$tmp/log" || true)" -gt "$before" ] && break
		sleep 0.01
	done
}

# tamper NAME CMD...: runs nft with CMD, then waits for the restore naming
# that nft's pid; the kernel must then match what segmentd programmed.
tamper() {
	local name=$1; shift
	nft_then_restore "$name" "$@"
	grep -q "changed by nft (pid $npid)" "$tmp/log" ||
		fail "$name: drift not attributed to nft pid $npid"
	sleep 0.15   # the confirming verification after a restore
	"$SEGMENTCTL" verify >/dev/null || fail "$name: kernel differs after restore"
	[ "$(ruleset_sha)" = "$sha0" ] || fail "$name: fingerprint changed"
	[ "$(listing)" = "$list0" ] || fail "$name: listing changed"
	echo "drift: $name: restored, attributed to nft pid $npid"
}

sed 's/ownership = true;/ownership = false;/' conf/segmentd.conf > "$tmp/unowned.conf"
start "$tmp/unowned.conf"
sha0=$(ruleset_sha)
list0=$(listing)
handle=$(nft -a list chain inet segmentd forward | awk '/vmap/ {print $NF}')
tamper "delete a rule" delete rule inet segmentd forward handle "$handle"
tamper "flush a chain" flush chain inet segmentd fwd_lgwan_internet
tamper "delete the table" delete table inet segmentd
tamper "add an accept rule" insert rule inet segmentd forward accept
tamper "delete a set element" delete element inet segmentd zone_mynumber_v4 '{ 10.1.0.0/16 }'
tamper "add a set element" add element inet segmentd host_lg-mail_v4 '{ 10.2.99.0/24 }'
tamper "change the table flags" add table inet segmentd '{ flags dormant; }'
tamper "add a chain" add chain inet segmentd sneaky
tamper "add a base chain" add chain inet segmentd early "{ type filter hook forward priority -10; policy accept; }"
n=$("$SEGMENTCTL" events | grep -c ' drift ')
[ "$n" -ge 9 ] || fail "events lists $n drift events, want >= 9"

# A reload that renames the table: the watch follows the new name, so
# tampering with it is seen as it happens (not at the periodic check),
# attributed and restored.
sed 's/^\([[:space:]]*\)table = "segmentd";/\1table = "segmentd-renamed";/' "$tmp/unowned.conf" >"$tmp/renamed.conf"
grep -q 'table = "segmentd-renamed";' "$tmp/renamed.conf" || fail "could not rename the table"
cp "$tmp/renamed.conf" "$tmp/unowned.conf"
"$SEGMENTCTL" reload >"$tmp/reload.out" 2>&1 || fail "reload renaming the table: $(cat "$tmp/reload.out")"
renamed0=$(nft list table inet segmentd-renamed | grep -v 'packets [0-9]') || fail "no renamed table"
nft_then_restore renamed insert rule inet segmentd-renamed forward accept
grep -q "table 'segmentd-renamed' changed by nft (pid $npid)" "$tmp/log" ||
	fail "renamed: the tamper was not seen as it happened: $(tail -5 "$tmp/log")"
sleep 0.15   # the confirming verification after a restore
[ "$(nft list table inet segmentd-renamed | grep -v 'packets [0-9]')" = "$renamed0" ] ||
	fail "renamed: the table was not restored"
echo "drift: renamed table: tamper seen, attributed to nft pid $npid and restored"
stop
nft delete table inet segmentd
nft delete table inet segmentd-renamed

# Ownership on: the kernel refuses, nothing changes, nothing to restore.
# Without persistence: unowned, and each tamper is restored.
start conf/segmentd.conf
sha0=$(ruleset_sha)
list0=$(listing)
"$SEGMENTCTL" status | grep -q "^protection: *$MODE_PROTECTION\$" ||
	fail "$MODE: status does not say protection $MODE_PROTECTION: $("$SEGMENTCTL" status)"
flags=$(nft list table inet segmentd | sed -n 's/^\t\(flags[^;]*\);\{0,1\}$/\1/p')   # the table's
mode_flags_ok "$flags" || fail "$MODE: the table's flags are '$flags'"
tampers=("insert rule inet segmentd forward accept"
	 "flush chain inet segmentd fwd_lgwan_internet"
	 "delete table inet segmentd"
	 "delete element inet segmentd zone_mynumber_v4 { 10.1.0.0/16 }"
	 "add table inet segmentd { flags dormant; }")
if ! mode_owned; then
	grep -q "no persistent table ownership" "$tmp/log" ||
		fail "nopersist: no warning that the table runs unowned"
	n0=$("$SEGMENTCTL" events | grep -c ' drift ' || true)
	for cmd in "${tampers[@]}"; do
		# shellcheck disable=SC2086 # the nft words
		tamper "ownership on, unowned: $cmd" $cmd
	done
	n=$(( $("$SEGMENTCTL" events | grep -c ' drift ') - n0 ))
	[ "$n" -ge 5 ] || fail "nopersist: events lists $n drift events more, want >= 5"
	echo "drift: ownership on without persistence: table unowned ('$flags'), 5 tampers restored and attributed"
	stop
	nft list table inet segmentd >/dev/null || fail "table gone after stop"
	echo "drift: PASS ($MODE)"
	exit 0
fi
for cmd in "${tampers[@]}"; do
	# shellcheck disable=SC2086 # the nft words
	if out=$(nft $cmd 2>&1); then
		fail "owned: 'nft $cmd' succeeded"
	fi
	echo "$out" | grep -q "Operation not permitted" ||
		fail "owned: 'nft $cmd' failed without EPERM: $out"
done
[ "$(ruleset_sha)" = "$sha0" ] || fail "owned: fingerprint changed"
[ "$(listing)" = "$list0" ] || fail "owned: listing changed"
grep -q "drift:" "$tmp/log" && fail "owned: drift reported although refused"
echo "drift: owned: 5 tampering attempts refused with EPERM, table unchanged"
stop
nft list table inet segmentd >/dev/null || fail "table gone after stop"
echo "drift: PASS ($MODE)"
