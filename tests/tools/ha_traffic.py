#!/usr/bin/python3
"""ha_traffic.py - the traffic of tests/kernel/ha.sh (allowed and forbidden).

  ha_traffic.py serve ADDR TCPPORT UDPPORT READYFILE
      A TCP server that pushes 8 bytes every 10 ms to each client (and
      swallows what the client sends) and a UDP echo, on ADDR.
  ha_traffic.py client SRC DST TCPPORT UDPPORT REPORTFILE
      One long-lived TCP connection (8 bytes every 10 ms each way) and a UDP
      echo every 10 ms with a sequence number.  On SIGUSR1 it appends one
      line to REPORTFILE for the time since the last SIGUSR1 (or the start):
        tcp=alive|dead stall_ms=N udp_sent=N udp_lost=N outage_ms=N
      stall_ms: the longest time without a byte from the server;
      outage_ms: the longest run of lost echoes times 10 ms.  Exits on
      SIGTERM.
  ha_traffic.py syn SRC DST PORT RATE
      Nonblocking TCP connection attempts (SYNs) at about RATE per second
      until SIGTERM; prints the number of attempts.

Every step stamps nothing on the wire that a receiver must trust: the test
counts forbidden packets at the receivers with nftables counters.
"""
import os
import select
import signal
import socket
import struct
import sys
import time

TICK = 0.010


def serve(addr, tport, uport, ready):
    ts = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ts.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ts.bind((addr, int(tport)))
    ts.listen(16)
    ts.setblocking(False)
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind((addr, int(uport)))
    us.setblocking(False)
    with open(ready + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(ready + ".tmp", ready)
    clients = []
    nxt = time.monotonic()
    while True:
        r, _, _ = select.select([ts, us] + clients, [], [], max(0, nxt - time.monotonic()))
        for s in r:
            if s is ts:
                c, _ = ts.accept()
                c.setblocking(False)
                clients.append(c)
            elif s is us:
                try:
                    d, peer = us.recvfrom(64)
                    us.sendto(d, peer)
                except OSError:
                    pass
            else:
                try:
                    if not s.recv(4096):
                        raise OSError
                except OSError:
                    clients.remove(s)
                    s.close()
        if time.monotonic() >= nxt:
            nxt += TICK
            for c in list(clients):
                try:
                    c.send(b"pushpush")
                except BlockingIOError:
                    pass
                except OSError:
                    clients.remove(c)
                    c.close()


class Window:
    def __init__(self):
        self.reset(time.monotonic())

    def reset(self, now):
        self.start = now
        self.last_rx = now
        self.stall = 0.0
        self.sent = {}

    def report(self, now, alive, acked):
        stall = max(self.stall, now - self.last_rx)
        lost_seqs = sorted(s for s in self.sent if s not in acked)
        # the last 0.3 s of echoes may still be on their way
        lost_seqs = [s for s in lost_seqs if self.sent[s] < now - 0.3]
        run = best = 0
        prev = None
        for s in lost_seqs:
            run = run + 1 if prev is not None and s == prev + 1 else 1
            best = max(best, run)
            prev = s
        return "tcp=%s stall_ms=%d udp_sent=%d udp_lost=%d outage_ms=%d\n" % (
            "alive" if alive else "dead", stall * 1000, len(self.sent),
            len(lost_seqs), best * TICK * 1000)


def client(src, dst, tport, uport, out):
    flag = {"usr1": False, "term": False}
    signal.signal(signal.SIGUSR1, lambda *_: flag.__setitem__("usr1", True))
    signal.signal(signal.SIGTERM, lambda *_: flag.__setitem__("term", True))
    tc = socket.create_connection((dst, int(tport)), timeout=5, source_address=(src, 0))
    tc.setblocking(False)
    uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    uc.bind((src, 0))
    uc.connect((dst, int(uport)))
    uc.setblocking(False)
    alive = True
    seq = 0
    acked = set()
    w = Window()
    nxt = time.monotonic()
    while not flag["term"]:
        socks = [uc] + ([tc] if alive else [])
        try:
            r, _, _ = select.select(socks, [], [], max(0, nxt - time.monotonic()))
        except InterruptedError:
            r = []
        now = time.monotonic()
        if tc in r:
            try:
                if not tc.recv(65536):
                    alive = False
                else:
                    w.stall = max(w.stall, now - w.last_rx)
                    w.last_rx = now
            except BlockingIOError:
                pass
            except OSError:
                alive = False
        if uc in r:
            try:
                while True:
                    acked.add(struct.unpack("!I", uc.recv(64)[:4])[0])
            except (BlockingIOError, ConnectionRefusedError, struct.error):
                pass
        if now >= nxt:
            nxt += TICK
            if nxt < now:
                nxt = now + TICK
            seq += 1
            w.sent[seq] = now
            try:
                uc.send(struct.pack("!I", seq))
            except OSError:
                pass
            if alive:
                try:
                    tc.send(b"clientxx")
                except BlockingIOError:
                    pass
                except OSError:
                    alive = False
        if flag["usr1"]:
            flag["usr1"] = False
            with open(out, "a") as f:
                f.write(w.report(now, alive, acked))
            acked = set()
            w.reset(now)


def syn(src, dst, port, rate):
    flag = {"term": False}
    signal.signal(signal.SIGTERM, lambda *_: flag.__setitem__("term", True))
    gap = 1.0 / float(rate)
    n = 0
    pending = []
    while not flag["term"]:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            s.connect_ex((dst, int(port)))
            n += 1
        except OSError:
            pass
        pending.append(s)
        if len(pending) > 200:
            pending.pop(0).close()
        time.sleep(gap)
    print(n)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"serve": serve, "client": client, "syn": syn}[cmd](*args)
