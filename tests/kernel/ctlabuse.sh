#!/bin/bash
# ctlabuse: the control socket abused while the daemon enforces.  Garbage
# bytes, malformed UTF-8, NUL and control bytes, a 1 MiB request without a
# newline, a client that connects and never sends (dropped with "ERROR
# timeout" after the daemon's 2 s), one that trickles a byte at a time,
# 1,000 clients at once that send a request (many get "ERROR busy", every
# one gets an answer) and 1,000 that send nothing (they hold every slot
# until the timeout).  Throughout, `segmentctl status` from another client
# is answered: no call hangs, and an OK answer is never more than a few
# seconds away.  At the end the table is the one from the start
# (`segmentctl verify` exit 0, the same listing) and the daemon's RSS has
# not grown over repeated rounds.
#
# In a private network and mount namespace (own nftables, own /run).  The
# abusive clients are a Perl script (perl-base is essential in Debian).
cd "$(dirname "$0")/../.."
. tests/lib/private.sh
ROUNDS=${ROUNDS:-3}
need nft perl
need_built
ulimit -n 4096    # 1,000 client sockets in one process
tmp=$(mktemp -d)
pid=
prober=
cleanup() {
	[ -n "$prober" ] && kill "$prober" 2>/dev/null && wait "$prober" 2>/dev/null || true
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
SOCK=/run/segmentd/control
ctl() { "$SEGMENTCTL" "$@"; }
listing() { nft list table inet segmentd | grep -v 'packets [0-9]'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# abuse.pl SOCKET MODE ARGS: one kind of abusive client; prints one line.
#   send HEX          the bytes (hex), then the daemon's first answer line
#   trickle HEX SECS  one byte every 0.3 s; the answer line and the seconds
#   big BYTES         BYTES of 'a' without '\n'; answer line, bytes sent
#   idle              nothing; the answer line and the seconds it took
#   many N HEX        N clients connect at once, each sends HEX (may be
#                     empty); counts of their answers by first line
cat >"$tmp/abuse.pl" <<'PERL'
use strict;
use warnings;
use Socket;
use IO::Select;
use Fcntl;
use Time::HiRes qw(time sleep);
use Errno qw(EAGAIN EINPROGRESS EWOULDBLOCK);
$SIG{PIPE} = 'IGNORE';
my ($path, $mode, @args) = @ARGV;
my $addr = pack_sockaddr_un($path);

sub connect_nb {
	socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
	my $flags = fcntl($s, F_GETFL, 0);
	fcntl($s, F_SETFL, $flags | O_NONBLOCK);
	for (1 .. 500) {
		return $s if connect($s, $addr);
		die "connect: $!\n" unless $! == EAGAIN || $! == EINPROGRESS;
		sleep 0.01;       # backlog full: the daemon is accepting
	}
	die "connect: backlog stays full\n";
}
# Everything the daemon sends until it closes (or a reset, or timeout).
sub answer {
	my ($s, $timeout) = @_;
	my ($buf, $sel, $end) = ('', IO::Select->new($s), time + $timeout);
	while ((my $left = $end - time) > 0) {
		last unless $sel->can_read($left);
		my $n = sysread($s, my $chunk, 65536);
		next if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK);
		last if !$n;      # EOF, or ECONNRESET after the answer
		$buf .= $chunk;
	}
	return $buf;
}
sub first_line { my ($t) = @_; return $t eq '' ? '(no answer)' : (split /\n/, $t)[0]; }
sub write_all {    # bytes written before the daemon closed
	my ($s, $data, $timeout) = @_;
	my ($off, $sel, $end) = (0, IO::Select->new($s), time + $timeout);
	while ($off < length $data && time < $end) {
		my $n = syswrite($s, $data, length($data) - $off, $off);
		if (defined $n) { $off += $n; next; }
		last unless $! == EAGAIN || $! == EWOULDBLOCK;
		$sel->can_write(0.1);
	}
	return $off;
}

if ($mode eq 'send') {
	my $s = connect_nb();
	write_all($s, pack('H*', $args[0]), 5);
	print first_line(answer($s, 5)), "\n";
} elsif ($mode eq 'trickle') {
	my ($s, $t0) = (connect_nb(), time);
	my $data = pack('H*', $args[0]);
	my $sel = IO::Select->new($s);
	for my $i (0 .. length($data) - 1) {
		last if $sel->can_read(0.3);      # the daemon gave up on us
		last unless defined syswrite($s, $data, 1, $i);
	}
	my $a = answer($s, $args[1]);
	printf "%s after %.1f s\n", first_line($a), time - $t0;
} elsif ($mode eq 'big') {
	my $s = connect_nb();
	my $sent = write_all($s, 'a' x $args[0], 10);
	print first_line(answer($s, 5)), " (sent $sent bytes)\n";
} elsif ($mode eq 'idle') {
	my ($s, $t0) = (connect_nb(), time);
	my $a = answer($s, 10);
	printf "%s after %.1f s\n", first_line($a), time - $t0;
} elsif ($mode eq 'many') {
	my ($n, $req) = ($args[0], pack('H*', $args[1] // ''));
	my (@socks, %buf, %done);
	for (1 .. $n) {
		my $s = connect_nb();
		syswrite($s, $req) if length $req;
		push @socks, $s;
		$buf{fileno $s} = '';
	}
	my $sel = IO::Select->new(@socks);
	my $end = time + 15;
	while ($sel->count && time < $end) {
		for my $s ($sel->can_read(0.5)) {
			my $r = sysread($s, my $chunk, 4096);
			next if !defined $r && $! == EAGAIN;
			if ($r) { $buf{fileno $s} .= $chunk; next; }
			$done{fileno $s} = 1;
			$sel->remove($s);
		}
	}
	my %count;
	for my $s (@socks) {
		my $line = $done{fileno $s} ? first_line($buf{fileno $s}) : '(no answer)';
		$line = 'OK' if $line =~ /^OK/;
		$count{$line}++;
	}
	print join(', ', map { "$_: $count{$_}" } sort keys %count), "\n";
} else {
	die "abuse.pl: unknown mode $mode\n";
}
PERL
abuse() { perl "$tmp/abuse.pl" "$SOCK" "$@"; }
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# prober: `segmentctl status` every 0.1 s from its own client; one line
# per call: END_MS EXIT DURATION_MS
probe_loop() {
	while :; do
		local t0 rc=0
		t0=$(ms_now)
		ctl -t 10 status >/dev/null 2>&1 || rc=$?
		echo "$(ms_now) $rc $(( $(ms_now) - t0 ))"
		sleep 0.1
	done
}

# expect_line WHAT PATTERN LINE: LINE matches the extended regex PATTERN
expect_line() {
	echo "ctlabuse: $1: $3"
	echo "$3" | grep -Eq "$2" || fail "$1: got '$3', want /$2/"
}

# One round of every abuse; the first one reports what it saw.
round() {
	local r=$1 out idle_pid trickle_pid
	abuse idle >"$tmp/idle.out" & idle_pid=$!
	abuse trickle "$(hex 'status --json')" 10 >"$tmp/trickle.out" & trickle_pid=$!
	for i in 1 2 3 4 5 6 7 8; do
		{ head -c 300 /dev/urandom; printf '\n'; } >"$tmp/garbage"
		out=$(abuse send "$(od -An -v -tx1 "$tmp/garbage" | tr -d ' \n')")
		case $out in "ERROR "*) ;; *) fail "garbage $i: answer '$out'" ;; esac
	done
	[ "$r" -gt 1 ] || echo "ctlabuse: 8 x 300 random bytes: each answered ERROR (last: $out)"
	out=$(abuse send "737461747573c0af0a")          # status + overlong '/'
	[ "$r" -gt 1 ] || expect_line "overlong UTF-8" '^ERROR invalid UTF-8 in the request$' "$out"
	out=$(abuse send "636865636b202fc3280a")        # check /\xc3(
	[ "$r" -gt 1 ] || expect_line "truncated UTF-8" '^ERROR invalid UTF-8 in the request$' "$out"
	out=$(abuse send "636865636b20eda0800a")        # a UTF-16 surrogate
	[ "$r" -gt 1 ] || expect_line "surrogate" '^ERROR invalid UTF-8 in the request$' "$out"
	out=$(abuse send "7374610075730a")              # sta\0us
	[ "$r" -gt 1 ] || expect_line "NUL byte" '^ERROR NUL byte in the request$' "$out"
	out=$(abuse send "7374617475731b5b324a0a")      # an escape sequence
	[ "$r" -gt 1 ] || expect_line "escape sequence" '^ERROR control character in the request$' "$out"
	out=$(abuse send "0a")
	[ "$r" -gt 1 ] || expect_line "empty line" '^ERROR empty request$' "$out"
	out=$(abuse big $((1024 * 1024)))
	[ "$r" -gt 1 ] || expect_line "1 MiB without a newline" '^ERROR request too long ' "$out"
	out=$(abuse many 1000 "$(hex 'version
')")
	# every client gets an answer: OK, or busy when more than the daemon's
	# 64 are open at once (how many depends on the scheduler)
	[ "$r" -gt 1 ] || expect_line "1,000 clients sending 'version'" '^(ERROR busy: [0-9]+, )?OK: [0-9]+$' "$out"
	case $out in "ERROR busy: "*", OK: "*|"OK: 1000") ;; *) fail "round $r: 1,000 clients: $out" ;; esac
	out=$(abuse many 1000 "")
	[ "$r" -gt 1 ] || expect_line "1,000 silent clients" '^ERROR busy: [0-9]+, ERROR timeout: [0-9]+$' "$out"
	case $out in "ERROR busy: "*", ERROR timeout: "*) ;; *) fail "round $r: 1,000 silent clients: $out" ;; esac
	wait "$idle_pid" || fail "idle client"
	wait "$trickle_pid" || fail "trickling client"
	out=$(cat "$tmp/idle.out")
	[ "$r" -gt 1 ] || expect_line "silent client" '^ERROR timeout after [23]\.[0-9] s$' "$out"
	case $out in "ERROR timeout after "[23].*) ;; *) fail "round $r: silent client: $out" ;; esac
	out=$(cat "$tmp/trickle.out")
	[ "$r" -gt 1 ] || expect_line "a byte every 0.3 s" '^ERROR timeout after [23]\.[0-9] s$' "$out"
	kill -0 "$pid" 2>/dev/null || fail "round $r: the daemon died"
}

private_start "$PWD/conf/segmentd.conf"
list0=$(listing)
probe_loop >"$tmp/probes" 2>/dev/null &
prober=$!

start=$(ms_now)
round 1
rss1=$(rss_kb)
for r in $(seq 2 "$ROUNDS"); do round "$r"; done
rss2=$(rss_kb)
kill "$prober"; wait "$prober" 2>/dev/null || true; prober=
echo "ctlabuse: $ROUNDS rounds in $(( $(ms_now) - start )) ms; daemon RSS" \
	"$rss1 kB after round 1, $rss2 kB after round $ROUNDS"
if grep -q __asan_init "$SEGMENTD"; then
	# ASan holds freed memory in quarantine: RSS says nothing there, and
	# its leak check at exit (the exit status below) says more.
	echo "ctlabuse: an ASan build: RSS bound not applied"
else
	[ "$rss2" -le $((rss1 + 2048)) ] || fail "RSS grew from $rss1 to $rss2 kB over $((ROUNDS - 1)) rounds"
fi

# The prober: no call hung, no answer but OK and "busy", OK never far away.
awk -v start="$start" '
	{ n++; if ($3 > slowest) slowest = $3
	  if ($2 == 0) { ok++; gap = $1 - last; if (last && gap > worst) worst = gap; last = $1 }
	  else if ($2 == 2) busy++; else bad++ }
	END { printf "%d %d %d %d %d %d\n", n, ok, busy, bad + 0, slowest, worst }
' "$tmp/probes" >"$tmp/probe.sum"
read -r calls ok busy bad slowest worst <"$tmp/probe.sum"
echo "ctlabuse: meanwhile $calls status calls: $ok OK, $busy busy, $bad other;" \
	"slowest call $slowest ms, longest wait between OKs $worst ms"
[ "$bad" = 0 ] || fail "status failed otherwise than busy: $(awk '$2 != 0 && $2 != 2' "$tmp/probes" | head -n 5)"
[ "$ok" -gt 0 ] || fail "no status call succeeded during the abuse"
[ "$slowest" -le 5000 ] || fail "a status call took $slowest ms"
[ "$worst" -le 5000 ] || fail "no OK status for $worst ms"

ctl verify >/dev/null || fail "verify after the abuse"
[ "$(listing)" = "$list0" ] || fail "the table changed"
private_stop "$pid" "$tmp/log" || fail "the daemon did not stop cleanly"
pid=
echo "ctlabuse: table unchanged and verified, clean stop; PASS"
