#!/bin/bash
# Control socket: segmentctl against a real segmentd, in a private network
# and mount namespace with its own /run.  Every command and exit status of
# segmentctl(8): 0 OK, 1 FAIL, 2 ERROR, 3 unreachable, 64 usage; the socket
# mode; other users refused; a stopped daemon leaves no socket behind.
cd "$(dirname "$0")/../.."
. tests/lib/private.sh
need nft
need_built
tmp=$(mktemp -d)
chmod 0755 "$tmp"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	nft delete table inet segmentd 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# expect STATUS CMD...: runs segmentctl with CMD; its exit status must be
# STATUS.  Output in $tmp/out and $tmp/err.
expect() {
	local want=$1 rc=0; shift
	"$SEGMENTCTL" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" = "$want" ] ||
		fail "segmentctl $*: exit $rc, want $want: $(cat "$tmp/err")"
}

expect 3 status
grep -q "cannot reach segmentd at /run/segmentd/control: .*(is it running?)" \
	"$tmp/err" || fail "unreachable message: $(cat "$tmp/err")"

private_start "$PWD/conf/segmentd.conf"
[ "$(stat -c %a /run/segmentd/control)" = 600 ] || fail "socket mode"

expect 0 status
grep -q "protection:" "$tmp/out" || fail "status: $(cat "$tmp/out")"
expect 0 --json status
grep -q '"ruleset_sha256":"[0-9a-f]\{64\}"' "$tmp/out" || fail "status --json"
expect 0 status --json
expect 0 version
[ "$(cat "$tmp/out")" = "$("$SEGMENTCTL" --version | cut -d' ' -f2)" ] ||
	fail "daemon and client versions differ"
expect 0 show
grep -q "table inet segmentd" "$tmp/out" || fail "show: no table"
expect 0 verify
expect 0 reload
expect 0 events
grep -q reload "$tmp/out" || fail "events: no reload: $(cat "$tmp/out")"

# check FILE: relative paths are made absolute; invalid files FAIL
(cd conf && expect 0 check segmentd.conf)
printf 'zones = ( { name = "x"; } );\n' >"$tmp/bad.conf"
expect 1 check "$tmp/bad.conf"
grep -q "bad.conf:" "$tmp/out" || fail "check: no file:line: $(cat "$tmp/out")"
expect 1 check "$tmp/missing.conf"

# errors from the daemon, usage errors, other sockets
expect 2 frobnicate
grep -q "unknown command 'frobnicate'" "$tmp/err" || fail "unknown verb"
expect 64 Status
expect 64 status "a b"
expect 64
expect 64 -t 0 status
expect 64 -t 86401 status
expect 64 -t 4294967297 status     # not 1 s after a cast to int
expect 3 -s "$tmp/nothere" status
SEGMENTD_SOCKET=$tmp/nothere expect 3 status
SEGMENTD_SOCKET=$tmp/nothere expect 0 -s /run/segmentd/control status
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$SEGMENTCTL" status \
	2>"$tmp/err" || rc=$?
[ "$rc" = 3 ] && grep -q "Permission denied" "$tmp/err" ||
	fail "nobody: exit $rc: $(cat "$tmp/err")"

# a client that says nothing does not stall the daemon, and is dropped
python3 - <<'EOF' &
import socket
s = socket.socket(socket.AF_UNIX)
s.connect("/run/segmentd/control")
s.settimeout(10)
got = s.recv(100)
assert got == b"ERROR timeout\n", got
EOF
idle=$!
expect 0 status
wait "$idle" || fail "idle client: no ERROR timeout"

private_stop "$pid" "$tmp/log" || fail "the daemon did not stop cleanly"
pid=
[ ! -e /run/segmentd/control ] || fail "socket left behind"
expect 3 status
echo "control: ok"
