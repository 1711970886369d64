#!/usr/bin/env python3
"""nflog-seeds.py - writes the seed corpus of fuzz_nflog
(tests/fuzz/corpus/nflog/) and its hand-made regression inputs
(tests/fuzz/regressions/nflog/): datagrams of NFULNL_MSG_PACKET messages shaped
as nfnetlink_log's __build_packet_message() sends them for our `log group`
rules (packet header, prefix, interfaces, mark, hardware address, sequence
numbers, then the first NFLOG_COPY_RANGE bytes of the packet), with IPv4 and
IPv6 TCP/UDP/ICMP payloads, extension headers, fragments, cut payloads and
lengths that lie.  Deterministic: rerunning it rewrites the same files."""
import os
import socket
import struct

# linux/netfilter/nfnetlink_log.h, linux/netfilter/nfnetlink.h
PACKET_TYPE = (4 << 8) | 0          # NFNL_SUBSYS_ULOG, NFULNL_MSG_PACKET
PACKET_HDR, MARK, INDEV, OUTDEV, HWADDR, PAYLOAD, PREFIX = 1, 2, 4, 5, 8, 9, 10
SEQ, SEQ_GLOBAL, HWTYPE, HWHEADER, HWLEN = 12, 13, 15, 16, 17
ETH_P_IP, ETH_P_IPV6, ETH_P_ARP = 0x0800, 0x86DD, 0x0806
NF_INET_FORWARD = 2
COPY_RANGE = 96                     # NFLOG_COPY_RANGE in include/denied.h
GROUP = 5


def align4(b):
    return b + b"\0" * (-len(b) % 4)


def attr(kind, value, length=None):
    """One attribute; length: an nla_len that lies."""
    n = 4 + len(value) if length is None else length
    return align4(struct.pack("=HH", n, kind) + value)


def message(attrs, family=socket.AF_INET, kind=PACKET_TYPE, length=None):
    body = struct.pack("!BBH", family, 0, GROUP) + b"".join(attrs)
    n = 16 + len(body) if length is None else length
    return struct.pack("=IHHII", n, kind, 0, 0, 0) + body


def packet(prefix, payload, hw=ETH_P_IP, seq=1, family=socket.AF_INET):
    """A logged forward-hook drop, cut at the copy range like the kernel."""
    eth = bytes.fromhex("0200000000020200000000010800")
    return message([
        attr(PACKET_HDR, struct.pack("!HBB", hw, NF_INET_FORWARD, 0)),
        attr(PREFIX, prefix.encode() + b"\0"),
        attr(INDEV, struct.pack("!I", 3)),
        attr(OUTDEV, struct.pack("!I", 4)),
        attr(MARK, struct.pack("!I", 0)),
        attr(HWADDR, struct.pack("!H2x", 6) + eth[6:12] + b"\0\0"),
        attr(HWTYPE, struct.pack("!H", 1)),
        attr(HWLEN, struct.pack("!H", 14)),
        attr(HWHEADER, eth),
        attr(SEQ, struct.pack("!I", seq)),
        attr(SEQ_GLOBAL, struct.pack("!I", seq + 100)),
        attr(PAYLOAD, payload[:COPY_RANGE]),
    ], family)


def ipv4(proto, l4, src="192.0.2.10", dst="198.51.100.20", frag=0x4000,
         ihl=5, options=b""):
    total = 4 * ihl + len(l4)
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, frag, 64,
                       proto, 0, socket.inet_aton(src),
                       socket.inet_aton(dst)) + options + l4


def ipv6(nh, rest, src="2001:db8:1::10", dst="2001:db8:2::20"):
    return struct.pack("!IHBB16s16s", 6 << 28, len(rest), nh, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + rest


def tcp(dport, sport=40000):
    syn = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 10 << 4, 0x02,
                      64240, 0, 0)
    return syn + bytes.fromhex("020405b40402080a0000000100000000")


def udp(dport, data=b"\0" * 32, sport=40000):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp(kind, code=0):
    return struct.pack("!BBHHH", kind, code, 0, 1, 1) + b"\0" * 56


DROP = "segmentd drop lgwan>internet: "
SEEDS = {
    "ipv4-tcp": packet(DROP, ipv4(6, tcp(443))),
    "ipv4-udp-spoof": packet("segmentd spoof lgwan: ", ipv4(17, udp(53))),
    "ipv4-icmp-echo": packet("segmentd drop internet>gateway: ",
                             ipv4(1, icmp(8))),
    "ipv4-options-sctp": packet("segmentd drop unzoned: ",
                                ipv4(132, udp(2905), ihl=6,
                                     options=b"\x01\x01\x01\x00")),
    "ipv4-later-fragment": packet(DROP, ipv4(17, udp(53), frag=0x00b9)),
    "ipv6-tcp": packet(DROP, ipv6(6, tcp(22)), ETH_P_IPV6,
                       family=socket.AF_INET6),
    "ipv6-icmpv6-echo": packet("segmentd drop mynumber>lgwan: ",
                               ipv6(58, icmp(128)), ETH_P_IPV6,
                               family=socket.AF_INET6),
    # hop-by-hop, then the first fragment of a UDP datagram
    "ipv6-ext-udp": packet(DROP, ipv6(0, bytes([44, 0, 1, 4, 0, 0, 0, 0]) +
                                      bytes([17, 0, 0, 1, 0, 0, 0, 7]) +
                                      udp(514)), ETH_P_IPV6,
                           family=socket.AF_INET6),
    "ipv6-later-fragment": packet(DROP, ipv6(44, bytes([6, 0, 0x05, 0xa8,
                                                         0, 0, 0, 9]) +
                                             tcp(80)), ETH_P_IPV6,
                                  family=socket.AF_INET6),
    # destination options longer than the copy range
    "ipv6-ext-cut": packet(DROP, ipv6(60, bytes([6, 20]) + b"\1" * 160),
                           ETH_P_IPV6, family=socket.AF_INET6),
    "ipv4-tcp-cut": packet(DROP, ipv4(6, tcp(443))[:22]),
    "ipv4-short": packet(DROP, ipv4(6, tcp(443))[:19]),
    "ipv4-ihl-lies": packet(DROP, ipv4(6, tcp(443), ihl=15)[:40]),
    "arp": packet(DROP, bytes(28), ETH_P_ARP),
    "foreign-prefix": packet("ulogd: ", ipv4(6, tcp(443))),
    "no-header": message([attr(PREFIX, DROP.encode() + b"\0"),
                          attr(PAYLOAD, ipv4(17, udp(123)))]),
    "prefix-unterminated": message([attr(PREFIX, b"segmentd drop a>b"),
                                    attr(PAYLOAD, ipv4(1, icmp(3, 3)))]),
    # attribute and message lengths past the end
    "attr-len-lies": message([attr(PACKET_HDR, struct.pack("!HBB", ETH_P_IP,
                                                           2, 0)),
                              attr(PREFIX, DROP.encode() + b"\0"),
                              attr(PAYLOAD, ipv4(6, tcp(25))[:40], 400)]),
    "msg-len-lies": packet(DROP, ipv4(6, tcp(443))) +
                    message([attr(PREFIX, DROP.encode() + b"\0")],
                            length=4096),
    "hdr-short": message([attr(PACKET_HDR, b"\x08\x00"),
                          attr(PREFIX, DROP.encode() + b"\0"),
                          attr(PAYLOAD, ipv4(6, tcp(25)))]),
    # three messages in one datagram (a burst), sequence gap, then a config
    "burst": packet(DROP, ipv4(6, tcp(443)), seq=7) +
             packet("segmentd drop lgwan>unzoned: ", ipv4(17, udp(161)),
                    seq=9) +
             message([], kind=(4 << 8) | 1),
}


# Inputs that once crashed, rebuilt by hand (the fix is named).
REGRESSIONS = {
    # a second message whose nlmsg_len (0xc60a0200) is past 2 GiB: libmnl's
    # mnl_nlmsg_ok() took it as negative, so consume() jumped past the
    # datagram (denied.c: message_ok)
    "msg-len-2gib": packet(DROP, ipv4(6, tcp(443))) +
                    struct.pack("=IHHII", 0xC60A0200, 0x6433, 0, 0, 0) +
                    bytes(27),
}


def write(kind, files):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), kind,
                       "nflog")
    os.makedirs(out, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main():
    write("corpus", SEEDS)
    write("regressions", REGRESSIONS)


if __name__ == "__main__":
    main()
