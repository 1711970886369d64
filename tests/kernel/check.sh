#!/bin/bash
# check: `segmentd --check` in a private network namespace (unshare -n):
#  - exits 0 for conf/segmentd.conf and every conf/examples/*.conf, and
#    commits nothing (no table in that namespace afterwards);
#  - exits 1 for broken copies of the shipped config, naming every problem
#    as "file:line: error:" with the right line, and for every
#    tests/bad/*.conf with an "error:" message;
#  - exits 2 as an unprivileged user (the kernel refuses), on a copy that
#    user can read; exits 1 naming the directory that user cannot enter;
#  - leaves the caller's own network namespace as it was (same ruleset).
set -eu
BUILD=${BUILD:-build}
SEGMENTD=${SEGMENTD:-$PWD/$BUILD/segmentd}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (unshare -n)"; exit 77; }
[ -x "$SEGMENTD" ] || { echo "SKIP: $SEGMENTD not built (make)"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: nft not installed"; exit 77; }
# setpriv (util-linux, installed by scripts/deps.sh) is not optional: a
# part of this test must not quietly go missing.
for tool in unshare setpriv; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: $tool not installed (scripts/deps.sh installs util-linux)"; exit 1; }
done

if [ "${1:-}" != --inside ]; then
	before=$(nft list ruleset)
	rc=0
	unshare -n env SEGMENTD="$SEGMENTD" bash "$0" --inside || rc=$?
	if [ "$(nft list ruleset)" != "$before" ]; then
		echo "FAIL: the ruleset of the caller's network namespace changed"
		exit 1
	fi
	echo "ok: the caller's network namespace is unchanged"
	exit "$rc"
fi

# ---- inside the private network namespace ----
# $tmp is root's (0700); $pub is readable by everyone, for part 6.
tmp=$(mktemp -d /tmp/segmentd-check.XXXXXX)
pub=$(mktemp -d /tmp/segmentd-check-pub.XXXXXX)
trap 'rm -rf "$tmp" "$pub"' EXIT
chmod 0755 "$pub"
ip link set lo up
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# check FILE: runs --check; sets RC, stderr in $tmp/err.
check() {
	RC=0
	"$SEGMENTD" --check -c "$1" >"$tmp/out" 2>"$tmp/err" || RC=$?
}

for conf in conf/segmentd.conf conf/examples/*.conf; do
	[ -e "$conf" ] || continue
	check "$conf"
	if [ "$RC" != 0 ]; then
		fail "$conf: exit $RC, expected 0:"
		sed 's/^/    /' "$tmp/err"
	elif [ -n "$(nft list tables)" ]; then
		fail "$conf: --check left a table behind: $(nft list tables)"
		nft flush ruleset
	else
		echo "ok: $conf: valid, nothing committed"
	fi
done

# expect_errors FILE LINE...: exit 1, and "FILE:LINE: error:" for each LINE.
expect_errors() {
	local file=$1 line
	shift
	for line in "$@"; do
		if [ -z "$line" ]; then
			fail "$(basename "$file"): the edit of conf/segmentd.conf did not apply"
			return
		fi
	done
	check "$file"
	if [ "$RC" != 1 ]; then
		fail "$(basename "$file"): exit $RC, expected 1"
		sed 's/^/    /' "$tmp/err"
		return
	fi
	for line in "$@"; do
		if ! grep -q "^$file:$line: error: " "$tmp/err"; then
			fail "$(basename "$file"): no '$file:$line: error:' in:"
			sed 's/^/    /' "$tmp/err"
			return
		fi
	done
	echo "ok: $(basename "$file"): exit 1, errors at line(s) $*"
}

# line_of PATTERN FILE: the number of the first line matching PATTERN.
line_of() {
	grep -n -m 1 -- "$1" "$2" | cut -d: -f1
}

# 1. a flow naming a host that does not exist
bad=$tmp/unknown-host.conf
sed 's/to = "lg-mail"/to = "no-such-host"/' conf/segmentd.conf >"$bad"
expect_errors "$bad" "$(line_of 'no-such-host' "$bad")"

# 2. a syntax error (a line that is no setting)
bad=$tmp/syntax.conf
awk '{ print } /^version = 1;/ { print "this is not a setting" }' conf/segmentd.conf >"$bad"
expect_errors "$bad" "$(line_of 'this is not a setting' "$bad")"

# 3. two problems in one file: both are reported, each with its line
bad=$tmp/two-errors.conf
sed -e 's/to = "lg-mail"/to = "no-such-host"/' \
	-e 's|services = \[ "tcp/8080" \]|services = [ "tcp/80800" ]|' conf/segmentd.conf >"$bad"
expect_errors "$bad" "$(line_of 'no-such-host' "$bad")" "$(line_of 'tcp/80800' "$bad")"

# 4. a host address outside its zone's networks
bad=$tmp/outside-zone.conf
sed 's/"10.2.1.25"/"10.9.1.25"/' conf/segmentd.conf >"$bad"
expect_errors "$bad" "$(line_of '10.9.1.25' "$bad")"

# 5. the project's collection of broken configs: each exits 1 with errors
count=0
for bad in tests/bad/*.conf; do
	[ -e "$bad" ] || continue
	check "$bad"
	count=$((count + 1))
	if [ "$RC" != 1 ] || ! grep -Eq '^[^ ]+: error: ' "$tmp/err"; then
		fail "$bad: exit $RC (expected 1) with stderr:"
		sed 's/^/    /' "$tmp/err" | head -n 5
	fi
done
[ -n "$(nft list tables)" ] && fail "a table was committed: $(nft list tables)"
echo "ok: $count configs of tests/bad: exit 1 with an error message"

# 6. the kernel refuses: exit 2 with the kernel's reason (here: no
# CAP_NET_ADMIN, as an unprivileged user).  That user (nobody) cannot
# enter /root (0700), where a root user's checkout usually is: it reads a
# copy in a directory of its own reach (/tmp is sticky, root's: safe).
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
cp conf/segmentd.conf "$pub/segmentd.conf"
chmod 0644 "$pub/segmentd.conf"
rc=0
nobody "$SEGMENTD" --check -c "$pub/segmentd.conf" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "kernel rejected.*Operation not permitted" "$tmp/err"; then
	echo "ok: kernel refusal: exit 2, $(head -n 1 "$tmp/err")"
else
	fail "kernel refusal: exit $rc, stderr: $(cat "$tmp/err")"
fi

# 7. a user who cannot enter a directory above the config is told which
# directory, its owner and mode, and what to do: a copy in $tmp/open
# (0755) below $tmp (0700), read through the working directory, as a
# checkout in /root/segmentd is.
mkdir -m 0755 "$tmp/open"
cp conf/segmentd.conf "$tmp/open/closed.conf"
chmod 0644 "$tmp/open/closed.conf"
rc=0
(cd "$tmp/open" && nobody "$SEGMENTD" --check -c closed.conf) 2>"$tmp/err" || rc=$?
want="cannot check 'closed.conf' (Permission denied): directory '$tmp' (root:root 0700) cannot be entered by user 'nobody' (uid 65534)"
if [ "$rc" = 1 ] && grep -qF "$want" "$tmp/err"; then
	echo "ok: a directory nobody cannot enter: exit 1, named with its owner and mode"
else
	fail "a directory nobody cannot enter: exit $rc, stderr: $(cat "$tmp/err")"
fi

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "check: all checks passed"
