#!/bin/bash
# badreload: a running daemon asked to reload each invalid config of
# tests/bad/ (copied over its config file, then `segmentctl reload`)
# refuses every one: segmentctl exits 1, its output has the error the
# file's "# expect: LINE: error: MESSAGE" line announces (as
# "segmentd.conf:LINE: error: MESSAGE", or the include's name), the
# kernel's table, read by nft itself (`nft -s list table`), is still what
# was compiled from the valid config (its `segmentd --print` loaded with
# `nft -f` into a scratch network namespace and listed there), and the
# daemon lives on.  At the end a valid config reloads, the kernel's table
# is still the compiled one and `segmentctl verify` agrees.
#
# In a private network and mount namespace (own nftables, own /run); the
# .inc and .nets files of tests/bad lie next to the config for the include
# and networks_file cases.
cd "$(dirname "$0")/../.."
. tests/lib/private.sh
need nft
need_built
private_tmp
ctl() { "$SEGMENTCTL" "$@"; }
CONF=$tmp/segmentd.conf
# The kernel's table as nft lists it (stateless), without what only the
# owner adds (the "# progname" comment, "flags owner").
listing() {
	nft -s list table inet segmentd | sed -e 's/ # progname .*//' -e '/^[[:space:]]*flags owner$/{N;s/.*flags owner\n$//;T;d}'
}
# What was compiled: --print of CONF loaded into a scratch namespace.
compiled() {
	"$SEGMENTD" --print -c "$1" >"$tmp/print.nft" || fail "segmentd --print -c $1"
	unshare -n sh -c 'nft -f "$1" && nft -s list table inet segmentd' sh "$tmp/print.nft" ||
		fail "the compiled table of $1 does not load into a scratch namespace"
}

cp conf/segmentd.conf "$CONF"
cp tests/bad/*.inc tests/bad/*.nets "$tmp/"
private_start "$CONF"
table0=$(compiled conf/segmentd.conf)
[ "$(listing)" = "$table0" ] || {
	diff <(echo "$table0") <(listing) || true
	fail "at start the kernel's table is not the compiled one"
}
echo "badreload: enforcing; the kernel's table is the compiled one"

start=$(date +%s%N)
n=0
for f in tests/bad/*.conf; do
	name=$(basename "$f")
	want=$(sed -n '1s/^# expect: //p' "$f")
	[ -n "$want" ] || fail "$name: no '# expect:' first line"
	# The daemon's file is segmentd.conf: messages naming the bad file
	# by its name (duplicates: "at NAME:20") name it so.
	want=${want//$name/segmentd.conf}
	case $want in error:*) want=": $want" ;; *) want=":$want" ;; esac
	cp "$f" "$CONF"
	rc=0
	ctl reload >"$tmp/out" 2>&1 || rc=$?
	sed "s|$tmp/||g" "$tmp/out" >"$tmp/out.rel"
	[ "$rc" = 1 ] || fail "$name: segmentctl reload exit $rc, want 1: $(cat "$tmp/out.rel")"
	grep -qF -- "$want" "$tmp/out.rel" ||
		fail "$name: expected '$want' in the reload output:
$(cat "$tmp/out.rel")"
	grep -q "reload refused: the enforced ruleset is unchanged" "$tmp/out.rel" ||
		fail "$name: no 'reload refused' line: $(cat "$tmp/out.rel")"
	kill -0 "$pid" 2>/dev/null || fail "$name: the daemon died"
	[ "$(listing)" = "$table0" ] || {
		diff <(echo "$table0") <(listing) || true
		fail "$name: the kernel's table is no longer the compiled one"
	}
	n=$((n + 1))
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$n" -ge 50 ] || fail "only $n invalid configs in tests/bad (want at least 50)"
echo "badreload: $n invalid configs refused in $ms ms, each with its expected" \
	"error; the kernel's table still the compiled one, daemon alive"

cp conf/segmentd.conf "$CONF"
ctl reload >"$tmp/out" 2>&1 || fail "a valid reload after the refused ones: $(cat "$tmp/out")"
ctl verify >/dev/null || fail "verify after the valid reload"
[ "$(listing)" = "$table0" ] || fail "after the valid reload the kernel's table is not the compiled one"
failed=$(ctl events | grep -c ' reload-failed ' || true)
[ "$failed" -gt 0 ] || fail "no reload-failed in the events"
grep -q "ERROR: .*Sanitizer\|runtime error:\|Assertion" "$tmp/log" && fail "the daemon log has a sanitizer or assertion report"
kill "$pid"; rc=0; wait "$pid" || rc=$?; pid=
[ "$rc" = 0 ] || fail "daemon exit status $rc on SIGTERM"
echo "badreload: valid reload accepted, verify ok, clean stop; PASS"
