"""pcapgen -- build packets and write capture files, with the Python standard library only.

Used by tools/gen_demo_pcap.py and tools/gen_test_pcaps.py; importable from other tools:

    import random, sys; sys.path.insert(0, "tools")
    import pcapgen as pg

    cap = pg.Capture()
    clock = pg.Clock(pg.ts_from_iso("2024-01-02T03:04:05Z"))
    link = pg.eth_framer("02:00:00:00:00:01", "02:00:00:00:00:02")
    s = pg.TcpSession(cap, clock, ("192.0.2.1", 40000), ("192.0.2.2", 80), framer=link,
                      rng=random.Random(1))
    s.handshake()
    s.client(b"GET / HTTP/1.1\\r\\nHost: www.example.com\\r\\n\\r\\n")
    s.server(b"HTTP/1.1 204 No Content\\r\\n\\r\\n")
    s.close()
    cap.write_pcap("out.pcap")

What is here
  * time: integer nanoseconds everywhere (a float cannot hold a 2024 epoch time to the ns);
    ts_from_iso(), Clock (advances only when told, optional seeded jitter; never reads the wall clock)
  * writers: PcapWriter (classic pcap, us or ns magic, little- or big-endian), PcapngWriter
    (SHB, any number of IDBs with their own link type and if_tsresol, EPBs), Capture (collects
    packets from many concurrent "conversations" and writes them sorted by time)
  * link layers: ether() with 802.1Q / 802.1ad tags, sll(), sll2(), null_hdr(); raw IP = no header
  * IPv4 (options, overridable fields for malformed packets, fragmentation), IPv6 (hop-by-hop,
    routing incl. SRH type 4 and type 2, destination options, fragment header; fragmentation)
  * TCP (options MSS/WS/SACK-perm/TS/SACK), UDP, ICMPv4, ICMPv6 (echo, errors quoting the
    original packet), GRE, VXLAN -- all with correct checksums unless a field is overridden
  * TcpSession: handshake, data segmented at the MSS, ACKs, FIN or RST teardown, packet counts
  * payload builders: DNS, TLS (ClientHello/ServerHello/Certificate with a DER X.509 certificate),
    MIME mail, ZIP (optionally PKWARE-encrypted), OLE compound file, PE/MZ executable stub

Everything is deterministic: randomness comes only from the random.Random passed in.
"""

import base64
import calendar
import ipaddress
import random
import re
import struct
import zlib

# ----------------------------------------------------------------------------- constants

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

ETH_P_IPV4 = 0x0800
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_IPV6 = 0x86DD
ETH_P_TEB = 0x6558  # transparent Ethernet bridging (Ethernet over GRE)

IPPROTO_HOPOPTS = 0
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_GRE = 47
IPPROTO_ICMPV6 = 58
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60

VXLAN_PORT = 4789

NS_PER_S = 1_000_000_000

# ----------------------------------------------------------------------------- time


def ts_from_iso(text):
    """'2024-01-02T03:04:05.123456789Z' -> integer nanoseconds since the epoch (UTC only)."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", text)
    if not m:
        raise ValueError("expected YYYY-MM-DDTHH:MM:SS[.fffffffff]Z, got %r" % text)
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(9, "0")
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * NS_PER_S + int(frac)


def ns(seconds):
    """Seconds (int or float) -> integer nanoseconds, rounded."""
    return int(round(seconds * NS_PER_S))


class Clock:
    """A capture clock in integer nanoseconds. It moves only when advanced.

    With an rng, advance(s, jitter=j) adds a uniform random offset in [-j, +j] seconds.
    """

    def __init__(self, start_ns, rng=None):
        self.now = int(start_ns)
        self.rng = rng

    def advance(self, seconds, jitter=0.0):
        dt = seconds
        if jitter and self.rng is not None:
            dt += self.rng.uniform(-jitter, jitter)
        self.now += max(0, ns(dt))
        return self.now

    def advance_ns(self, n):
        self.now += int(n)
        return self.now

    def at(self, ts_ns):
        """Jump to an absolute time (may go backwards; Capture sorts on write)."""
        self.now = int(ts_ns)
        return self.now

    def fork(self, offset_s=0.0, rng=None):
        """A new clock starting at now + offset_s, for a conversation running in parallel."""
        return Clock(self.now + ns(offset_s), rng if rng is not None else self.rng)


# ----------------------------------------------------------------------------- helpers


def inet_checksum(data):
    """RFC 1071 Internet checksum of bytes, as an int to be stored big-endian."""
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_bytes(addr):
    """'192.0.2.1' / '2001:db8::1' / bytes -> packed address bytes."""
    if isinstance(addr, (bytes, bytearray)):
        return bytes(addr)
    return ipaddress.ip_address(addr).packed


def is_ipv6(addr):
    return len(ip_bytes(addr)) == 16


def mac_bytes(mac):
    """'02:00:00:00:00:01' (or '-' separated, or bytes) -> 6 bytes."""
    if isinstance(mac, (bytes, bytearray)):
        if len(mac) != 6:
            raise ValueError("MAC must be 6 bytes")
        return bytes(mac)
    b = bytes(int(x, 16) for x in re.split(r"[:-]", mac))
    if len(b) != 6:
        raise ValueError("bad MAC %r" % mac)
    return b


def pseudo_header(src, dst, proto, length):
    """IPv4 or IPv6 pseudo-header for TCP/UDP/ICMPv6 checksums."""
    s, d = ip_bytes(src), ip_bytes(dst)
    if len(s) == 4:
        return s + d + struct.pack("!BBH", 0, proto, length)
    return s + d + struct.pack("!IxxxB", length, proto)


def _fix_checksum(segment, offset, src, dst, proto, length=None, zero_is_ffff=False):
    """Return segment with the 16-bit checksum at offset filled in (pseudo-header included)."""
    if length is None:
        length = len(segment)
    c = inet_checksum(pseudo_header(src, dst, proto, length) + segment)
    if zero_is_ffff and c == 0:
        c = 0xFFFF
    return segment[:offset] + struct.pack("!H", c) + segment[offset + 2:]


# ----------------------------------------------------------------------------- writers


class PcapWriter:
    """Classic libpcap file writer.

    nanosecond=True writes the 0xa1b23c4d magic (ns timestamps), else 0xa1b2c3d4 (us).
    big_endian=True writes the whole file (header and records) in big-endian byte order.
    """

    def __init__(self, path_or_file, linktype=LINKTYPE_ETHERNET, snaplen=262144,
                 nanosecond=False, big_endian=False):
        self._own = isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__")
        self.f = open(path_or_file, "wb") if self._own else path_or_file
        self.nanosecond = nanosecond
        self.e = ">" if big_endian else "<"
        magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
        self.f.write(struct.pack(self.e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        self.count = 0

    def write(self, ts_ns, data, orig_len=None):
        """Write one record; data are the captured bytes, orig_len the length on the wire."""
        sec, frac = divmod(int(ts_ns), NS_PER_S)
        if not self.nanosecond:
            frac //= 1000
        if orig_len is None:
            orig_len = len(data)
        self.f.write(struct.pack(self.e + "IIII", sec, frac, len(data), orig_len))
        self.f.write(data)
        self.count += 1

    def close(self):
        if self._own:
            self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _pcapng_options(e, opts):
    """Encode [(code, bytes)] as pcapng options, terminated by opt_endofopt."""
    if not opts:
        return b""
    out = b""
    for code, value in opts:
        out += struct.pack(e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)
    return out + struct.pack(e + "HH", 0, 0)


class PcapngWriter:
    """pcapng writer: one Section Header Block, Interface Description Blocks, Enhanced Packet
    Blocks. Add all interfaces (add_interface) before writing packets that use them."""

    def __init__(self, path_or_file, big_endian=False, userappl="mamori pcapgen"):
        self._own = isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__")
        self.f = open(path_or_file, "wb") if self._own else path_or_file
        self.e = ">" if big_endian else "<"
        self.ifaces = []  # (linktype, tsresol exponent)
        opts = _pcapng_options(self.e, [(4, userappl.encode())]) if userappl else b""
        body = struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts
        self._block(0x0A0D0D0A, body)
        self.count = 0

    def _block(self, btype, body):
        total = 12 + len(body)
        self.f.write(struct.pack(self.e + "II", btype, total) + body + struct.pack(self.e + "I", total))

    def add_interface(self, linktype, snaplen=262144, tsresol=6, name=None, description=None):
        """Write an IDB and return its interface id. tsresol is the decimal exponent (6 = us,
        9 = ns); it is always written as an if_tsresol option."""
        opts = []
        if name:
            opts.append((2, name.encode()))
        if description:
            opts.append((3, description.encode()))
        opts.append((9, bytes([tsresol])))
        body = struct.pack(self.e + "HHI", linktype, 0, snaplen) + _pcapng_options(self.e, opts)
        self._block(1, body)
        self.ifaces.append((linktype, tsresol))
        return len(self.ifaces) - 1

    def write(self, iface, ts_ns, data, orig_len=None, comment=None):
        _, tsresol = self.ifaces[iface]
        if tsresol >= 9:
            units = int(ts_ns) * 10 ** (tsresol - 9)
        else:
            units = int(ts_ns) // 10 ** (9 - tsresol)
        if orig_len is None:
            orig_len = len(data)
        opts = _pcapng_options(self.e, [(1, comment.encode())]) if comment else b""
        body = struct.pack(self.e + "IIIII", iface, units >> 32, units & 0xFFFFFFFF,
                           len(data), orig_len)
        body += data + b"\0" * (-len(data) % 4) + opts
        self._block(6, body)
        self.count += 1

    def close(self):
        if self._own:
            self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Capture:
    """Collects packets (time, frame) from any number of conversations, then writes them in
    time order (stable: equal times keep insertion order).

    A record is (ts_ns, seq, frame, orig_len, iface); orig_len None means len(frame).
    """

    def __init__(self):
        self.records = []

    def add(self, ts_ns, frame, orig_len=None, iface=0):
        self.records.append((int(ts_ns), len(self.records), bytes(frame), orig_len, iface))

    def sorted(self):
        return sorted(self.records, key=lambda r: (r[0], r[1]))

    def __len__(self):
        return len(self.records)

    def write_pcap(self, path, linktype=LINKTYPE_ETHERNET, snaplen=262144, nanosecond=False,
                   big_endian=False, sort=True):
        recs = self.sorted() if sort else self.records
        with PcapWriter(path, linktype, snaplen, nanosecond, big_endian) as w:
            for ts, _, frame, orig, _ in recs:
                w.write(ts, frame, orig)
        return len(recs)

    def write_pcapng(self, path, interfaces, big_endian=False, sort=True):
        """interfaces: list of dicts with keys linktype, and optional tsresol, name, snaplen;
        the record's iface field indexes this list."""
        recs = self.sorted() if sort else self.records
        with PcapngWriter(path, big_endian) as w:
            for i in interfaces:
                w.add_interface(i["linktype"], i.get("snaplen", 262144), i.get("tsresol", 6),
                                i.get("name"), i.get("description"))
            for ts, _, frame, orig, iface in recs:
                w.write(iface, ts, frame, orig)
        return len(recs)


# ----------------------------------------------------------------------------- link layers


def _ethertype_of(payload):
    v = payload[0] >> 4 if payload else 0
    return ETH_P_IPV6 if v == 6 else ETH_P_IPV4


def arp(op, sha, spa, tha, tpa):
    """ARP for IPv4 over Ethernet (RFC 826): op 1 request, 2 reply; MACs as text, addresses
    as dotted quads. The payload of ether(..., ethertype=ETH_P_ARP)."""
    return (struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac_bytes(sha) +
            ipaddress.IPv4Address(spa).packed + mac_bytes(tha) +
            ipaddress.IPv4Address(tpa).packed)


def vlan_tag(vid, tpid=ETH_P_8021Q, pcp=0, dei=0):
    """A VLAN tag description for ether(vlans=...)."""
    return (tpid, vid, pcp, dei)


def ether(dst, src, payload, ethertype=None, vlans=()):
    """Ethernet II frame (no FCS). vlans: outermost first; each an int VLAN id (802.1Q) or a
    tuple (tpid, vid[, pcp[, dei]]), e.g. [(0x88a8, 100), (0x8100, 20)] for QinQ.
    ethertype defaults from the IP version nibble of payload."""
    if ethertype is None:
        ethertype = _ethertype_of(payload)
    tags = []
    for v in vlans:
        if isinstance(v, int):
            v = (ETH_P_8021Q, v)
        tpid, vid = v[0], v[1]
        pcp = v[2] if len(v) > 2 else 0
        dei = v[3] if len(v) > 3 else 0
        tags.append((tpid, (pcp << 13) | (dei << 12) | (vid & 0xFFF)))
    hdr = mac_bytes(dst) + mac_bytes(src)
    for tpid, tci in tags:  # TPID, TCI, [TPID, TCI ...], then the real ethertype
        hdr += struct.pack("!HH", tpid, tci)
    return hdr + struct.pack("!H", ethertype) + payload


# Linux cooked capture packet types
SLL_HOST, SLL_BROADCAST, SLL_MULTICAST, SLL_OTHERHOST, SLL_OUTGOING = 0, 1, 2, 3, 4


def sll(payload, proto=None, pkttype=SLL_HOST, hatype=1, addr=b""):
    """Linux cooked capture v1 header (LINKTYPE_LINUX_SLL, 16 bytes)."""
    if proto is None:
        proto = _ethertype_of(payload)
    a = mac_bytes(addr) if isinstance(addr, str) else bytes(addr)
    return struct.pack("!HHH", pkttype, hatype, len(a)) + a.ljust(8, b"\0")[:8] + \
        struct.pack("!H", proto) + payload


def sll2(payload, proto=None, ifindex=1, pkttype=SLL_HOST, hatype=1, addr=b""):
    """Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2, 20 bytes)."""
    if proto is None:
        proto = _ethertype_of(payload)
    a = mac_bytes(addr) if isinstance(addr, str) else bytes(addr)
    return struct.pack("!HHIHBB", proto, 0, ifindex, hatype, pkttype, len(a)) + \
        a.ljust(8, b"\0")[:8] + payload


AF_INET = 2
AF_INET6_BSD = 24     # NetBSD/OpenBSD/FreeBSD-ish value seen in DLT_NULL captures
AF_INET6_FREEBSD = 28
AF_INET6_DARWIN = 30


def null_hdr(payload, family=None, big_endian=False):
    """BSD loopback (LINKTYPE_NULL) header: 4-byte address family in the writer's byte order."""
    if family is None:
        family = AF_INET6_BSD if _ethertype_of(payload) == ETH_P_IPV6 else AF_INET
    return struct.pack(">I" if big_endian else "<I", family) + payload


def eth_framer(client_mac, server_mac, vlans=()):
    """framer(ip_packet, from_client) for TcpSession etc.: Ethernet between two MACs."""
    cm, sm = mac_bytes(client_mac), mac_bytes(server_mac)

    def frame(ip, from_client):
        return ether(sm, cm, ip, vlans=vlans) if from_client else ether(cm, sm, ip, vlans=vlans)
    return frame


def raw_framer(ip, from_client):
    """framer for LINKTYPE_RAW: the IP packet itself."""
    return ip


# ----------------------------------------------------------------------------- IPv4


def ipv4(src, dst, proto, payload, *, ttl=64, ident=0, tos=0, df=False, mf=False,
         frag_offset=0, options=b"", pad_options=True, ihl=None, total_length=None,
         checksum=None, reserved_flag=False):
    """IPv4 packet. frag_offset is in bytes (multiple of 8). Options are padded with EOL to a
    multiple of 4 unless pad_options=False. ihl/total_length/checksum override the computed
    values (for malformed packets); the checksum is computed over the header as written."""
    if pad_options and len(options) % 4:
        options = options + b"\0" * (-len(options) % 4)
    hlen = 20 + len(options)
    if ihl is None:
        ihl = hlen // 4
    if total_length is None:
        total_length = hlen + len(payload)
    flags = (0x8000 if reserved_flag else 0) | (0x4000 if df else 0) | (0x2000 if mf else 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), tos, total_length & 0xFFFF,
                      ident & 0xFFFF, flags | ((frag_offset // 8) & 0x1FFF), ttl, proto, 0,
                      ip_bytes(src), ip_bytes(dst)) + options
    if checksum is None:
        checksum = inet_checksum(hdr)
    hdr = hdr[:10] + struct.pack("!H", checksum) + hdr[12:]
    return hdr + payload


def ipv4_header_len(pkt):
    return (pkt[0] & 0xF) * 4


def ipv4_fragment_piece(pkt, offset, length, more, data=None):
    """One fragment of the unfragmented IPv4 packet pkt: payload bytes [offset, offset+length)
    (offset a multiple of 8), MF=more. data replaces the payload bytes (for overlap tests).
    Options are copied into every fragment (as if all were copy-flagged)."""
    hl = ipv4_header_len(pkt)
    hdr, payload = pkt[:hl], pkt[hl:]
    piece = payload[offset:offset + length] if data is None else data
    _, tos, _, ident, fl, ttl, proto, _, src, dst = struct.unpack("!BBHHHBBH4s4s", hdr[:20])
    return ipv4(src, dst, proto, piece, ttl=ttl, ident=ident, tos=tos, df=False, mf=more,
                frag_offset=offset, options=hdr[20:])


def ipv4_fragment(pkt, piece_size):
    """Split an IPv4 packet into fragments carrying piece_size payload bytes each (multiple of
    8, the last one shorter). Returns the fragments in order."""
    if piece_size % 8:
        raise ValueError("fragment payload size must be a multiple of 8")
    n = len(pkt) - ipv4_header_len(pkt)
    out = []
    for off in range(0, n, piece_size):
        ln = min(piece_size, n - off)
        out.append(ipv4_fragment_piece(pkt, off, ln, more=off + ln < n))
    return out


# IPv4 option helpers
def ipopt_rr(slots=1):
    """Record Route option with empty slots."""
    return struct.pack("!BBB", 7, 3 + 4 * slots, 4) + b"\0" * 4 * slots


def ipopt_router_alert():
    return bytes([0x94, 4, 0, 0])


# ----------------------------------------------------------------------------- IPv6


class Ext:
    """An IPv6 extension header: proto is its own header number, build(nh) returns its bytes
    given the next-header value."""

    def __init__(self, proto, build):
        self.proto = proto
        self.build = build


def _pad_tlv(opts):
    """Pad a TLV option area so that 2 + len is a multiple of 8 (Pad1 / PadN)."""
    need = -(2 + len(opts)) % 8
    if need == 1:
        return opts + b"\0"
    if need >= 2:
        return opts + bytes([1, need - 2]) + b"\0" * (need - 2)
    return opts


def _tlv_ext(proto, options):
    body = _pad_tlv(options)

    def build(nh):
        return struct.pack("!BB", nh, (2 + len(body)) // 8 - 1) + body
    return Ext(proto, build)


def ext_hbh(options=b""):
    """Hop-by-hop options header (options as raw TLVs, padded automatically)."""
    return _tlv_ext(IPPROTO_HOPOPTS, options)


def ext_dstopts(options=b""):
    """Destination options header (options as raw TLVs, padded automatically)."""
    return _tlv_ext(IPPROTO_DSTOPTS, options)


def ext_routing(rtype, segments_left, data):
    """Generic routing header: data is everything after the 4 fixed bytes (total length must be a
    multiple of 8)."""
    if (4 + len(data)) % 8:
        raise ValueError("routing header length must be a multiple of 8")

    def build(nh):
        return struct.pack("!BBBB", nh, (4 + len(data)) // 8 - 1, rtype, segments_left) + data
    return Ext(IPPROTO_ROUTING, build)


def ext_srh(segments, segments_left=0, tag=0):
    """Segment Routing Header (routing type 4). segments[0] is the LAST segment (the final
    destination), as in RFC 8754. With segments_left=0 the packet is at its final destination,
    which is then the IPv6 destination address."""
    segs = b"".join(ip_bytes(s) for s in segments)
    return ext_routing(4, segments_left, struct.pack("!BBH", len(segments) - 1, 0, tag) + segs)


def ext_routing_type2(home_address, segments_left=1):
    """Type 2 routing header (Mobile IPv6): carries the home address."""
    return ext_routing(2, segments_left, b"\0" * 4 + ip_bytes(home_address))


def ext_fragment(offset, more, ident):
    """Fragment header; offset in bytes (multiple of 8)."""
    def build(nh):
        return struct.pack("!BBHI", nh, 0, (offset // 8) << 3 | (1 if more else 0), ident)
    return Ext(IPPROTO_FRAGMENT, build)


def ext_raw(proto, data):
    """An extension header given verbatim (data includes its own next-header byte)."""
    return Ext(proto, lambda nh: data)


def ipv6(src, dst, nh, payload, *, ext=(), hlim=64, tc=0, flow_label=0, payload_length=None):
    """IPv6 packet. nh is the upper-layer protocol of payload; ext is a list of Ext headers in
    order, chained automatically. payload_length overrides the computed value."""
    chain = b""
    nexts = [e.proto for e in ext] + [nh]
    for i, e in enumerate(ext):
        chain += e.build(nexts[i + 1])
    body = chain + payload
    if payload_length is None:
        payload_length = len(body)
    first = nexts[0]
    return struct.pack("!IHBB16s16s", (6 << 28) | (tc << 20) | (flow_label & 0xFFFFF),
                       payload_length & 0xFFFF, first, hlim, ip_bytes(src), ip_bytes(dst)) + body


def ipv6_fragment(src, dst, nh, upper, piece_size, ident, *, unfrag_ext=(), hlim=64,
                  order=None):
    """Fragment an upper-layer payload (e.g. a complete UDP datagram with its checksum) into
    IPv6 fragments of piece_size bytes (multiple of 8). unfrag_ext go before the fragment header
    in each fragment. order: optional list of fragment indexes giving the emission order."""
    if piece_size % 8:
        raise ValueError("fragment payload size must be a multiple of 8")
    frags = []
    for off in range(0, len(upper), piece_size):
        piece = upper[off:off + piece_size]
        more = off + len(piece) < len(upper)
        frags.append(ipv6(src, dst, nh, piece, hlim=hlim,
                          ext=list(unfrag_ext) + [ext_fragment(off, more, ident)]))
    if order is not None:
        frags = [frags[i] for i in order]
    return frags


def ip_packet(src, dst, proto, payload, **kw):
    """IPv4 or IPv6 packet depending on the address family; kw go to ipv4()/ipv6()
    (ttl is mapped to hlim for IPv6)."""
    if is_ipv6(src):
        if "ttl" in kw:
            kw["hlim"] = kw.pop("ttl")
        for k in ("ident", "df", "tos"):
            kw.pop(k, None)
        return ipv6(src, dst, proto, payload, **kw)
    return ipv4(src, dst, proto, payload, **kw)


# ----------------------------------------------------------------------------- TCP / UDP

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG, TCP_ECE, TCP_CWR = (
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
_FLAG_LETTERS = {"F": TCP_FIN, "S": TCP_SYN, "R": TCP_RST, "P": TCP_PSH, "A": TCP_ACK,
                 "U": TCP_URG, "E": TCP_ECE, "C": TCP_CWR}


def tcp_flags(flags):
    """'SA' -> 0x12; ints pass through."""
    if isinstance(flags, int):
        return flags
    v = 0
    for ch in flags:
        v |= _FLAG_LETTERS[ch]
    return v


def opt_nop():
    return b"\x01"


def opt_eol():
    return b"\x00"


def opt_mss(mss):
    return struct.pack("!BBH", 2, 4, mss)


def opt_ws(shift):
    return struct.pack("!BBB", 3, 3, shift)


def opt_sack_perm():
    return b"\x04\x02"


def opt_sack(blocks):
    """SACK option with [(left, right), ...] edges."""
    return struct.pack("!BB", 5, 2 + 8 * len(blocks)) + b"".join(
        struct.pack("!II", l & 0xFFFFFFFF, r & 0xFFFFFFFF) for l, r in blocks)


def opt_ts(val, ecr):
    return struct.pack("!BBII", 8, 10, val & 0xFFFFFFFF, ecr & 0xFFFFFFFF)


def tcp_options(*opts):
    """Concatenate options and pad with EOL to a multiple of 4."""
    b = b"".join(opts)
    return b + b"\0" * (-len(b) % 4)


def tcp(src, dst, sport, dport, *, seq=0, ack=0, flags="S", payload=b"", window=64240,
        options=b"", urg=0, data_offset=None, checksum=None):
    """TCP segment with the checksum computed over the pseudo-header (src/dst decide IPv4 or
    IPv6). options must already be a multiple of 4 bytes unless data_offset is overridden."""
    if data_offset is None:
        if len(options) % 4:
            raise ValueError("TCP options must be padded to 4 bytes (use tcp_options)")
        data_offset = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (data_offset & 0xF) << 4, tcp_flags(flags), window, 0, urg) + options + payload
    if checksum is not None:
        return seg[:16] + struct.pack("!H", checksum) + seg[18:]
    return _fix_checksum(seg, 16, src, dst, IPPROTO_TCP)


def udp(src, dst, sport, dport, payload, *, length=None, checksum=None):
    """UDP datagram; the checksum covers the pseudo-header (using the real datagram length)."""
    real = 8 + len(payload)
    seg = struct.pack("!HHHH", sport, dport, real if length is None else length, 0) + payload
    if checksum is not None:
        return seg[:6] + struct.pack("!H", checksum) + seg[8:]
    return _fix_checksum(seg, 6, src, dst, IPPROTO_UDP, zero_is_ffff=True)


def udp_packet(src, dst, sport, dport, payload, **ipkw):
    """IP + UDP in one call."""
    return ip_packet(src, dst, IPPROTO_UDP, udp(src, dst, sport, dport, payload), **ipkw)


# ----------------------------------------------------------------------------- ICMP


def icmp4(itype, code, rest=b"\0\0\0\0", body=b"", checksum=None):
    """ICMPv4 message: type, code, checksum, 4 bytes 'rest of header', body."""
    msg = struct.pack("!BBH", itype, code, 0) + rest + body
    if checksum is None:
        checksum = inet_checksum(msg)
    return msg[:2] + struct.pack("!H", checksum) + msg[4:]


def icmp4_echo(ident, seq, data=b"", reply=False):
    return icmp4(0 if reply else 8, 0, struct.pack("!HH", ident, seq), data)


def icmp4_error(itype, code, original, rest=b"\0\0\0\0", quote=None):
    """ICMPv4 error (e.g. 3/3 port unreachable, 11/0 TTL exceeded) quoting the original IP
    packet: by default its IP header + the first 8 bytes of its payload (RFC 792)."""
    if quote is None:
        quote = ipv4_header_len(original) + 8
    return icmp4(itype, code, rest, original[:quote])


def icmp6(src, dst, itype, code, rest=b"\0\0\0\0", body=b""):
    """ICMPv6 message with the checksum over the IPv6 pseudo-header."""
    msg = struct.pack("!BBH", itype, code, 0) + rest + body
    return _fix_checksum(msg, 2, src, dst, IPPROTO_ICMPV6)


def icmp6_echo(src, dst, ident, seq, data=b"", reply=False):
    return icmp6(src, dst, 129 if reply else 128, 0, struct.pack("!HH", ident, seq), data)


def icmp6_error(src, dst, itype, code, original, rest=b"\0\0\0\0", quote=None):
    """ICMPv6 error (e.g. 1/4 port unreachable) from src to dst quoting as much of the original
    packet as fits in the minimum MTU (1280 - 40 - 8 bytes) unless quote is given."""
    if quote is None:
        quote = 1280 - 48
    return icmp6(src, dst, itype, code, rest, original[:quote])


# ----------------------------------------------------------------------------- tunnels


def gre(proto, payload, key=None, seq=None, with_checksum=False):
    """GRE header (RFC 2784/2890) + payload; proto 0x0800 for IPv4, 0x6558 for Ethernet."""
    flags = (0x8000 if with_checksum else 0) | (0x2000 if key is not None else 0) | \
        (0x1000 if seq is not None else 0)
    hdr = struct.pack("!HH", flags, proto)
    if with_checksum:
        hdr += b"\0\0\0\0"
    if key is not None:
        hdr += struct.pack("!I", key)
    if seq is not None:
        hdr += struct.pack("!I", seq)
    pkt = hdr + payload
    if with_checksum:
        pkt = pkt[:4] + struct.pack("!H", inet_checksum(pkt)) + pkt[6:]
    return pkt


def vxlan(vni, inner_frame):
    """VXLAN header (I flag set) + inner Ethernet frame; put it in UDP to port 4789."""
    return struct.pack("!BxxxI", 0x08, (vni & 0xFFFFFF) << 8) + inner_frame


# ----------------------------------------------------------------------------- TCP session


class TcpSession:
    """A TCP conversation between client and server written into a Capture.

    framer(ip_packet, from_client) -> link-layer frame (eth_framer, raw_framer, a tunnel...).
    ipkw: extra arguments for every ip_packet() call (e.g. {"ext": [ext_hbh()]} for IPv6).
    The session's clock advances by about `rtt/2` between a packet and its answer (with a
    seeded jitter of +-20 %); callers advance it explicitly for think times. Counts of packets
    written per direction are in pkts_c2s / pkts_s2c.
    """

    def __init__(self, cap, clock, client, server, *, framer, rng=None, mss=1460, rtt=0.002,
                 use_ts=True, window=64240, wscale=7, isn_client=None, isn_server=None,
                 ttl_client=64, ttl_server=64, iface=0, ipkw=None):
        self.cap, self.clock, self.framer = cap, clock, framer
        self.ipkw = dict(ipkw or {})  # extra ip_packet() arguments, e.g. {"ext": [...]}
        self.rng = rng or random.Random(0)
        self.cip, self.cport = client
        self.sip, self.sport = server
        self.mss, self.rtt, self.use_ts = mss, rtt, use_ts
        self.window, self.wscale = window, wscale
        self.ttl_c, self.ttl_s = ttl_client, ttl_server
        self.iface = iface
        self.c_seq = isn_client if isn_client is not None else self.rng.getrandbits(32)
        self.s_seq = isn_server if isn_server is not None else self.rng.getrandbits(32)
        # next expected sequence numbers of the peer (also right for a mid-stream start)
        self.c_ack, self.s_ack = self.s_seq, self.c_seq
        self.ts_c = self.rng.getrandbits(31)
        self.ts_s = self.rng.getrandbits(31)
        self.ipid_c = self.rng.getrandbits(16)
        self.ipid_s = self.rng.getrandbits(16)
        self.pkts_c2s = self.pkts_s2c = 0
        self.ts_ok = use_ts

    # -- low level
    def _tsval(self, from_client):
        ms = self.clock.now // 1_000_000
        return ((self.ts_c if from_client else self.ts_s) + ms) & 0xFFFFFFFF

    def emit(self, from_client, flags, payload=b"", options=None, seq=None, ack=None,
             window=None):
        """Write one segment at the current clock time; updates sequence numbers."""
        flags = tcp_flags(flags)
        if from_client:
            src, dst, sp, dp = self.cip, self.sip, self.cport, self.sport
            s = self.c_seq if seq is None else seq
            a = self.c_ack if ack is None else ack
        else:
            src, dst, sp, dp = self.sip, self.cip, self.sport, self.cport
            s = self.s_seq if seq is None else seq
            a = self.s_ack if ack is None else ack
        if not flags & TCP_ACK:
            a = 0
        if options is None:
            options = b""
            if self.ts_ok and not flags & TCP_RST:
                ecr = self._tsval(not from_client) if flags & TCP_ACK else 0
                options = tcp_options(opt_nop(), opt_nop(), opt_ts(self._tsval(from_client), ecr))
        win = window if window is not None else (
            self.window if flags & TCP_SYN else self.window >> self.wscale if self.wscale else
            self.window)
        if flags & TCP_RST and not flags & TCP_ACK:
            win = 0
        seg = tcp(src, dst, sp, dp, seq=s, ack=a, flags=flags, payload=payload, window=win,
                  options=options)
        if from_client:
            self.ipid_c = (self.ipid_c + 1) & 0xFFFF
            ip = ip_packet(src, dst, IPPROTO_TCP, seg, ttl=self.ttl_c, ident=self.ipid_c, df=True,
                           **self.ipkw)
            self.pkts_c2s += 1
        else:
            self.ipid_s = (self.ipid_s + 1) & 0xFFFF
            ip = ip_packet(src, dst, IPPROTO_TCP, seg, ttl=self.ttl_s, ident=self.ipid_s, df=True,
                           **self.ipkw)
            self.pkts_s2c += 1
        self.cap.add(self.clock.now, self.framer(ip, from_client), iface=self.iface)
        adv = len(payload) + (1 if flags & TCP_SYN else 0) + (1 if flags & TCP_FIN else 0)
        if seq is None:
            if from_client:
                self.c_seq = (self.c_seq + adv) & 0xFFFFFFFF
            else:
                self.s_seq = (self.s_seq + adv) & 0xFFFFFFFF
        if adv:
            if from_client:
                self.s_ack = self.c_seq if seq is None else (s + adv) & 0xFFFFFFFF
            else:
                self.c_ack = self.s_seq if seq is None else (s + adv) & 0xFFFFFFFF
        return ip

    def wait(self, seconds, jitter=0.2):
        """Advance the clock by seconds (+- jitter * seconds)."""
        self.clock.advance(seconds, seconds * jitter)

    def half_rtt(self):
        self.wait(self.rtt / 2)

    def _syn_options(self, from_client):
        if self.use_ts:
            ecr = 0 if from_client else self._tsval(True)
            return tcp_options(opt_mss(self.mss), opt_sack_perm(),
                               opt_ts(self._tsval(from_client), ecr), opt_nop(),
                               opt_ws(self.wscale))
        return tcp_options(opt_mss(self.mss), opt_nop(), opt_ws(self.wscale), opt_nop(),
                           opt_nop(), opt_sack_perm())

    # -- handshake / teardown
    def syn(self):
        self.emit(True, "S", options=self._syn_options(True))

    def syn_ack(self):
        self.emit(False, "SA", options=self._syn_options(False))

    def handshake(self):
        """SYN, SYN-ACK, ACK (3 packets: 2 to server, 1 to client)."""
        self.syn()
        self.half_rtt()
        self.syn_ack()
        self.half_rtt()
        self.emit(True, "A")
        self.wait(0.0002)

    def ack(self, from_client):
        self.emit(from_client, "A")

    def send(self, from_client, data, *, ack_every=2, final_ack=False, gap=0.00005):
        """Send data from one side, cut at the MSS; the last segment carries PSH. The receiver
        sends a pure ACK after every `ack_every` full segments when more data follow (delayed
        ACK), and after the last segment if final_ack. Returns the number of data segments."""
        segs = [data[i:i + self.mss] for i in range(0, len(data), self.mss)] or [b""]
        for i, chunk in enumerate(segs):
            last = i == len(segs) - 1
            self.emit(from_client, "PA" if last else "A", chunk)
            if not last:
                self.wait(gap)
                if ack_every and (i + 1) % ack_every == 0:
                    self.emit(not from_client, "A")
                    self.wait(gap)
        if final_ack:
            self.half_rtt()
            self.emit(not from_client, "A")
        return len(segs)

    def client(self, data, **kw):
        """Client -> server data; the clock then advances by rtt/2."""
        n = self.send(True, data, **kw)
        self.half_rtt()
        return n

    def server(self, data, **kw):
        """Server -> client data; the clock then advances by rtt/2."""
        n = self.send(False, data, **kw)
        self.half_rtt()
        return n

    def close(self, by_client=True):
        """FIN-ACK, FIN-ACK, ACK (3 packets; the closer sends 2)."""
        self.emit(by_client, "FA")
        self.half_rtt()
        self.emit(not by_client, "FA")
        self.half_rtt()
        self.emit(by_client, "A")

    def close4(self, by_client=True):
        """FIN-ACK, ACK, FIN-ACK, ACK (4 packets, 2 per side)."""
        self.emit(by_client, "FA")
        self.half_rtt()
        self.emit(not by_client, "A")
        self.wait(0.0001)
        self.emit(not by_client, "FA")
        self.half_rtt()
        self.emit(by_client, "A")

    def reset(self, by_client=False, with_ack=True):
        """RST (or RST-ACK) from one side: 1 packet."""
        self.emit(by_client, "RA" if with_ack else "R")

    def counts(self):
        return {"toserver": self.pkts_c2s, "toclient": self.pkts_s2c}


def udp_exchange(cap, clock, framer, client, server, request, response=None, *, rtt=0.001,
                 ident=None, ttl=64, iface=0):
    """A UDP request (and optional response) written into cap. Returns (c2s, s2c) counts."""
    (cip, cp), (sip, sp) = client, server
    ip = udp_packet(cip, sip, cp, sp, request, ttl=ttl, ident=ident or 0)
    cap.add(clock.now, framer(ip, True), iface=iface)
    if response is None:
        return 1, 0
    clock.advance(rtt, rtt * 0.2)
    ip = udp_packet(sip, cip, sp, cp, response, ttl=ttl, ident=(ident or 0) + 1)
    cap.add(clock.now, framer(ip, False), iface=iface)
    return 1, 1


# ----------------------------------------------------------------------------- DNS

DNS_TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(qid, name, qtype="A", rd=True):
    """A DNS query message with one question (class IN)."""
    flags = 0x0100 if rd else 0
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + dns_name(name) + \
        struct.pack("!HH", DNS_TYPES.get(qtype, qtype) if isinstance(qtype, str) else qtype, 1)


def dns_response(qid, name, qtype, answers, rcode=0, aa=False, ra=True):
    """A DNS response to dns_query(qid, name, qtype). answers: [(type, ttl, value)] with value
    an address string for A/AAAA, a name for CNAME/NS/PTR, (pref, name) for MX, text for TXT.
    Answer owner names point at the question name (0xC00C); after a CNAME, later records are
    owned by the CNAME target (written in full)."""
    qt = DNS_TYPES[qtype] if isinstance(qtype, str) else qtype
    flags = 0x8000 | 0x0100 | (0x0400 if aa else 0) | (0x0080 if ra else 0) | rcode
    msg = struct.pack("!HHHHHH", qid, flags, 1, len(answers), 0, 0) + dns_name(name) + \
        struct.pack("!HH", qt, 1)
    owner = b"\xc0\x0c"
    for atype, ttl, value in answers:
        t = DNS_TYPES[atype] if isinstance(atype, str) else atype
        if t in (1, 28):
            rdata = ip_bytes(value)
        elif t in (2, 5, 12):
            rdata = dns_name(value)
        elif t == 15:
            rdata = struct.pack("!H", value[0]) + dns_name(value[1])
        elif t == 16:
            v = value.encode()
            rdata = bytes([len(v)]) + v
        else:
            rdata = bytes(value)
        msg += owner + struct.pack("!HHIH", t, 1, ttl, len(rdata)) + rdata
        if t == 5:
            owner = dns_name(value)
    return msg


# ----------------------------------------------------------------------------- DER / X.509


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def der_int(v):
    if isinstance(v, (bytes, bytearray)):
        b = bytes(v).lstrip(b"\0") or b"\0"
    else:
        b = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
    if b[0] & 0x80:
        b = b"\0" + b
    return der(0x02, b)


def der_oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return der(0x06, out)


def der_seq(*items):
    return der(0x30, b"".join(items))


def der_set(*items):
    return der(0x31, b"".join(items))


def _der_name(attrs):
    """attrs: [(oid, value)]; C uses PrintableString, others UTF8String."""
    rdns = []
    for oid, value in attrs:
        tag = 0x13 if oid == "2.5.4.6" else 0x0C
        rdns.append(der_set(der_seq(der_oid(oid), der(tag, value.encode()))))
    return der_seq(*rdns)


def x509_certificate(rng, subject_cn, issuer_cn, *, san=(), org="Example Org",
                     issuer_org="Example CA", country="JP", not_before="240101000000Z",
                     not_after="250101000000Z", serial=None, key_bits=2048, is_ca=False):
    """A structurally valid DER X.509 v3 certificate (sha256WithRSA, RSA key) with random
    modulus and signature: it parses like a real certificate but does not verify."""
    sha256rsa = der_seq(der_oid("1.2.840.113549.1.1.11"), der(0x05, b""))
    subject = _der_name([("2.5.4.6", country), ("2.5.4.10", org), ("2.5.4.3", subject_cn)])
    issuer = _der_name([("2.5.4.6", country), ("2.5.4.10", issuer_org), ("2.5.4.3", issuer_cn)])
    modulus = bytearray(rng.getrandbits(8) for _ in range(key_bits // 8))
    modulus[0] |= 0x80
    modulus[-1] |= 1
    rsakey = der_seq(der_int(bytes(modulus)), der_int(65537))
    spki = der_seq(der_seq(der_oid("1.2.840.113549.1.1.1"), der(0x05, b"")),
                   der(0x03, b"\0" + rsakey))
    exts = []
    if san:
        names = b"".join(der(0x82, n.encode()) for n in san)
        exts.append(der_seq(der_oid("2.5.29.17"), der(0x04, der_seq(names))))
    bc = der_seq(der(0x01, b"\xff")) if is_ca else der_seq()
    exts.append(der_seq(der_oid("2.5.29.19"), der(0x01, b"\xff"), der(0x04, bc)))
    ku = der(0x03, b"\x01\x06") if is_ca else der(0x03, b"\x05\xa0")
    exts.append(der_seq(der_oid("2.5.29.15"), der(0x01, b"\xff"), der(0x04, ku)))
    if serial is None:
        serial = rng.getrandbits(63) | 1
    tbs = der_seq(der(0xA0, der_int(2)), der_int(serial), sha256rsa, issuer,
                  der_seq(der(0x17, not_before.encode()), der(0x17, not_after.encode())),
                  subject, spki, der(0xA3, der_seq(*exts)))
    sig = bytes(rng.getrandbits(8) for _ in range(key_bits // 8))
    return der_seq(tbs, sha256rsa, der(0x03, b"\0" + sig))


# ----------------------------------------------------------------------------- TLS


def tls_record(ctype, body, version=0x0303):
    return struct.pack("!BHH", ctype, version, len(body)) + body


def tls_handshake(htype, body):
    return struct.pack("!B", htype) + len(body).to_bytes(3, "big") + body


def _ext(etype, data):
    return struct.pack("!HH", etype, len(data)) + data


# Cipher suite lists modelled on a current browser (TLS 1.3 + 1.2 suites) and an older client.
CIPHERS_BROWSER = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
                   0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
CIPHERS_TLS12 = [0xC02C, 0xC02B, 0xC030, 0xC02F, 0xC024, 0xC023, 0xC028, 0xC027, 0xC00A,
                 0xC009, 0xC014, 0xC013, 0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F, 0x000A]


def tls_client_hello(rng, sni, *, tls13=True, ciphers=None, alpn=("h2", "http/1.1"),
                     session_id=True, groups=(0x001D, 0x0017, 0x0018), record_version=0x0301):
    """A TLS ClientHello record (1.2 or 1.3 style) with server_name, supported_groups,
    ec_point_formats, signature_algorithms, ALPN, and for 1.3 supported_versions, key_share and
    psk_key_exchange_modes. sni=None leaves out the server_name extension."""
    if ciphers is None:
        ciphers = CIPHERS_BROWSER if tls13 else CIPHERS_TLS12
    exts = b""
    if sni:
        name = sni.encode()
        exts += _ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    exts += _ext(23, b"")  # extended_master_secret
    exts += _ext(0xFF01, b"\0")  # renegotiation_info
    g = b"".join(struct.pack("!H", x) for x in groups)
    exts += _ext(10, struct.pack("!H", len(g)) + g)
    exts += _ext(11, b"\x01\x00")
    if tls13:
        exts += _ext(35, b"")  # session_ticket
    if alpn:
        lst = b"".join(bytes([len(p)]) + p.encode() for p in alpn)
        exts += _ext(16, struct.pack("!H", len(lst)) + lst)
    exts += _ext(5, b"\x01\x00\x00\x00\x00")  # status_request
    sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    s = b"".join(struct.pack("!H", x) for x in sigs)
    exts += _ext(13, struct.pack("!H", len(s)) + s)
    if tls13:
        key = bytes(rng.getrandbits(8) for _ in range(32))
        ks = struct.pack("!HH", 0x001D, 32) + key
        exts += _ext(51, struct.pack("!H", len(ks)) + ks)
        exts += _ext(45, b"\x01\x01")
        exts += _ext(43, b"\x04\x03\x04\x03\x03")
    sid = bytes(rng.getrandbits(8) for _ in range(32)) if session_id else b""
    cs = b"".join(struct.pack("!H", c) for c in ciphers)
    body = struct.pack("!H", 0x0303) + bytes(rng.getrandbits(8) for _ in range(32)) + \
        bytes([len(sid)]) + sid + struct.pack("!H", len(cs)) + cs + b"\x01\x00" + \
        struct.pack("!H", len(exts)) + exts
    return tls_record(22, tls_handshake(1, body), record_version)


def tls_server_hello(rng, *, tls13=True, cipher=None, session_id=b"", alpn=None):
    """A ServerHello record. For TLS 1.3 it carries supported_versions(0x0304) and key_share;
    session_id should echo the client's (pass the 32 bytes or b'')."""
    if cipher is None:
        cipher = 0x1302 if tls13 else 0xC02F
    exts = b""
    if tls13:
        exts += _ext(43, b"\x03\x04")
        exts += _ext(51, struct.pack("!HH", 0x001D, 32) +
                     bytes(rng.getrandbits(8) for _ in range(32)))
    else:
        exts += _ext(0xFF01, b"\0") + _ext(23, b"") + _ext(11, b"\x01\x00")
        if alpn:
            p = alpn.encode()
            exts += _ext(16, struct.pack("!HB", len(p) + 1, len(p)) + p)
    body = struct.pack("!H", 0x0303) + bytes(rng.getrandbits(8) for _ in range(32)) + \
        bytes([len(session_id)]) + session_id + struct.pack("!HB", cipher, 0) + \
        struct.pack("!H", len(exts)) + exts
    return tls_record(22, tls_handshake(2, body))


def tls_certificate(certs):
    """A Certificate handshake (TLS 1.2 form) in its own record; certs: list of DER blobs."""
    lst = b"".join(len(c).to_bytes(3, "big") + c for c in certs)
    return tls_record(22, tls_handshake(11, len(lst).to_bytes(3, "big") + lst))


def tls12_server_flight(rng, certs, cipher=0xC02F):
    """ServerHello + Certificate + ServerKeyExchange (ECDHE x25519) + ServerHelloDone as one
    record each (TLS 1.2)."""
    ske = b"\x03\x00\x1d\x20" + bytes(rng.getrandbits(8) for _ in range(32)) + \
        struct.pack("!HH", 0x0804, 256) + bytes(rng.getrandbits(8) for _ in range(256))
    return (tls_server_hello(rng, tls13=False, cipher=cipher) + tls_certificate(certs) +
            tls_record(22, tls_handshake(12, ske)) + tls_record(22, tls_handshake(14, b"")))


def tls12_client_finish(rng):
    """ClientKeyExchange + ChangeCipherSpec + encrypted Finished (TLS 1.2)."""
    cke = b"\x20" + bytes(rng.getrandbits(8) for _ in range(32))
    return (tls_record(22, tls_handshake(16, cke)) + tls_record(20, b"\x01") +
            tls_record(22, bytes(rng.getrandbits(8) for _ in range(40))))


def tls12_server_finish(rng):
    """NewSessionTicket-less ChangeCipherSpec + encrypted Finished (TLS 1.2)."""
    return tls_record(20, b"\x01") + tls_record(22, bytes(rng.getrandbits(8) for _ in range(40)))


def tls13_server_flight(rng, session_id=b"", encrypted_len=2400):
    """ServerHello + ChangeCipherSpec + encrypted records (EncryptedExtensions, Certificate,
    CertificateVerify, Finished are opaque application_data in TLS 1.3)."""
    return (tls_server_hello(rng, tls13=True, session_id=session_id) + tls_record(20, b"\x01") +
            tls_appdata(rng, encrypted_len))


def tls_appdata(rng, n, max_record=16384 + 256):
    """Opaque application_data records totalling n payload bytes."""
    out = b""
    while n > 0:
        k = min(n, max_record)
        out += tls_record(23, bytes(rng.getrandbits(8) for _ in range(k)))
        n -= k
    return out


# ----------------------------------------------------------------------------- mail (MIME)


def b64_lines(data, width=76):
    """base64 text broken into CRLF-terminated lines of `width` characters."""
    s = base64.b64encode(data).decode()
    return "".join(s[i:i + width] + "\r\n" for i in range(0, len(s), width))


def mime_encode_header(text):
    """RFC 2047 encoded-word (UTF-8, base64) for non-ASCII header text; ASCII passes through."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return "=?UTF-8?B?%s?=" % base64.b64encode(text.encode()).decode()


def mime_message(headers, text, attachments=(), boundary="----=_Part_0_1", text_encoding=None):
    """An RFC 5322 message (CRLF line ends). headers: [(name, value)] in order (non-ASCII values
    are written as RFC 2047 encoded-words). With attachments [(filename, content_type, data)] it
    becomes multipart/mixed with a text/plain part and one base64 part per attachment. The text
    part is 7bit if ASCII, else base64 (or as text_encoding says: "7bit", "8bit", "base64")."""
    head = "".join("%s: %s\r\n" % (k, mime_encode_header(v)) for k, v in headers)
    head += "MIME-Version: 1.0\r\n"
    raw = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if text_encoding is None:
        text_encoding = "7bit" if all(ord(ch) < 128 for ch in raw) else "base64"
    if text_encoding == "base64":
        tbody = b64_lines(raw.encode())
    else:
        tbody = raw if raw.endswith("\r\n") else raw + "\r\n"
    tpart = ("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: %s\r\n"
             % text_encoding)
    if not attachments:
        return (head + tpart + "\r\n" + tbody).encode()
    head += 'Content-Type: multipart/mixed; boundary="%s"\r\n' % boundary
    body = "This is a multi-part message in MIME format.\r\n\r\n"
    body += "--%s\r\n%s\r\n%s" % (boundary, tpart, tbody)
    for fname, ctype, data in attachments:
        body += ("\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                 "Content-Transfer-Encoding: base64\r\n"
                 "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n" %
                 (boundary, ctype, fname, fname)) + b64_lines(data)
    body += "\r\n--%s--\r\n" % boundary
    return (head + "\r\n" + body).encode()


def smtp_dot_stuff(message):
    """DATA payload: leading dots doubled, terminated with CRLF.CRLF."""
    lines = message.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    out = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
    return out + b".\r\n"


# ----------------------------------------------------------------------------- ZIP


def _dos_datetime(t):
    y, mo, d, h, mi, s = t
    return ((h << 11) | (mi << 5) | (s // 2)), (((y - 1980) << 9) | (mo << 5) | d)


class _ZipCrypto:
    """Traditional PKWARE encryption (APPNOTE 6.1), the 'password-protected ZIP' of Emotet mail."""

    _table = None

    def __init__(self, password):
        if _ZipCrypto._table is None:
            tab = []
            for i in range(256):
                c = i
                for _ in range(8):
                    c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
                tab.append(c)
            _ZipCrypto._table = tab
        self.k = [0x12345678, 0x23456789, 0x34567890]
        for ch in password:
            self._update(ch)

    def _crc(self, crc, b):
        return (crc >> 8) ^ self._table[(crc ^ b) & 0xFF]

    def _update(self, b):
        k = self.k
        k[0] = self._crc(k[0], b)
        k[1] = (k[1] + (k[0] & 0xFF)) & 0xFFFFFFFF
        k[1] = (k[1] * 134775813 + 1) & 0xFFFFFFFF
        k[2] = self._crc(k[2], k[1] >> 24)

    def encrypt(self, data):
        out = bytearray()
        for p in data:
            t = (self.k[2] | 2) & 0xFFFF
            out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(p)
        return bytes(out)


def zip_archive(entries, *, password=None, rng=None, mtime=(2024, 4, 22, 18, 3, 12),
                deflate=True):
    """A ZIP file. entries: [(name, data)]. With password, every entry is encrypted with
    traditional PKWARE encryption (general-purpose flag bit 0 set in the local header and the
    central directory); python's zipfile can extract it with that password."""
    rng = rng or random.Random(0)
    dtime, ddate = _dos_datetime(mtime)
    local, central = b"", b""
    for name, data in entries:
        crc = zlib.crc32(data) & 0xFFFFFFFF
        if deflate:
            co = zlib.compressobj(9, zlib.DEFLATED, -15)
            comp = co.compress(data) + co.flush()
            method = 8
        else:
            comp, method = data, 0
        flags = 0
        if password is not None:
            flags |= 1
            zc = _ZipCrypto(password.encode())
            header = bytes(rng.getrandbits(8) for _ in range(11)) + bytes([crc >> 24])
            comp = zc.encrypt(header + comp)
        fname = name.encode()
        lh = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, dtime, ddate, crc,
                         len(comp), len(data), len(fname), 0) + fname
        offset = len(local)
        local += lh + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, dtime,
                               ddate, crc, len(comp), len(data), len(fname), 0, 0, 0, 0,
                               0x20, offset) + fname
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                       len(local), 0)
    return local + central + eocd


# ----------------------------------------------------------------------------- OLE / VBA


def ovba_compress(data):
    """MS-OVBA 'compressed container' using literal tokens only (valid, no compression):
    signature 0x01, then chunks of up to 4096 decompressed bytes."""
    out = b"\x01"
    for i in range(0, len(data), 4096):
        chunk = data[i:i + 4096]
        tokens = b""
        for j in range(0, len(chunk), 8):
            tokens += b"\x00" + chunk[j:j + 8]
        size = 2 + len(tokens)
        out += struct.pack("<H", ((size - 3) & 0x0FFF) | 0x3000 | 0x8000) + tokens
    return out


def ole_cfb(streams):
    """A Compound File Binary (OLE2, version 3, 512-byte sectors) holding the given streams:
    {"PROJECT": b"...", "VBA/dir": b"..."} ('/' separates storages). Streams < 4096 bytes go to
    the mini stream as the format requires. Sibling trees are balanced binary trees, all black."""
    ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF

    # entries: dicts with name, type (1 storage, 2 stream, 5 root), data, children
    root = {"name": "Root Entry", "type": 5, "children": {}}
    for path, data in streams.items():
        node = root
        parts = path.split("/")
        for p in parts[:-1]:
            node = node["children"].setdefault(p, {"name": p, "type": 1, "children": {}})
        node["children"][parts[-1]] = {"name": parts[-1], "type": 2, "data": data,
                                       "children": {}}
    entries = []

    def assign(node):
        node["id"] = len(entries)
        entries.append(node)
        for c in node["children"].values():
            assign(c)
    assign(root)

    def key(n):
        return (len(n["name"]), n["name"].upper())

    def tree(nodes):
        if not nodes:
            return NOSTREAM
        mid = len(nodes) // 2
        n = nodes[mid]
        n["left"] = tree(nodes[:mid])
        n["right"] = tree(nodes[mid + 1:])
        return n["id"]
    for e in entries:
        e.setdefault("left", NOSTREAM)
        e.setdefault("right", NOSTREAM)
    for e in entries:
        e["child"] = tree(sorted(e["children"].values(), key=key))

    # mini stream and big streams
    ministream, minifat = b"", []
    big = []
    for e in entries:
        if e["type"] != 2:
            continue
        d = e["data"]
        e["size"] = len(d)
        if not d:
            e["start"] = ENDOFCHAIN
        elif len(d) < 4096:
            first = len(ministream) // 64
            n = (len(d) + 63) // 64
            minifat += [first + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]
            e["start"] = first
            ministream += d + b"\0" * (-len(d) % 64)
        else:
            big.append(e)
    n_dir = (len(entries) + 3) // 4
    n_minifat = (len(minifat) * 4 + 511) // 512
    n_mini = (len(ministream) + 511) // 512
    n_big = [(len(e["data"]) + 511) // 512 for e in big]
    n_fat = 1
    while True:
        total = n_fat + n_dir + n_minifat + n_mini + sum(n_big)
        if n_fat * 128 >= total:
            break
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for this writer")
    fat = [FATSECT] * n_fat
    pos = n_fat

    def chain(n):
        nonlocal pos
        start = pos
        for i in range(n):
            fat.append(pos + 1 if i < n - 1 else ENDOFCHAIN)
            pos += 1
        return start if n else ENDOFCHAIN
    dir_start = chain(n_dir)
    minifat_start = chain(n_minifat)
    mini_start = chain(n_mini)
    for e, n in zip(big, n_big):
        e["start"] = chain(n)
    fat += [FREESECT] * (n_fat * 128 - len(fat))
    root["start"], root["size"] = mini_start, len(ministream)

    def dirent(e):
        name = e["name"].encode("utf-16-le") + b"\0\0"
        return (name.ljust(64, b"\0") + struct.pack("<HBBIII", len(name), e["type"], 1,
                                                     e["left"], e["right"], e["child"]) +
                b"\0" * 16 + b"\0" * 4 + b"\0" * 16 +
                struct.pack("<IQ", e.get("start", 0), e.get("size", 0)))
    dirdata = b"".join(dirent(e) for e in entries)
    empty = b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + \
        b"\0" * 36 + struct.pack("<IQ", 0, 0)
    dirdata += empty * (n_dir * 4 - len(entries))
    mf = b"".join(struct.pack("<I", x) for x in minifat)
    mf += struct.pack("<I", FREESECT) * ((n_minifat * 512 - len(mf)) // 4)
    difat = [i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 +
              struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6 +
              struct.pack("<IIIIIIIII", 0, n_fat, dir_start, 0, 4096,
                          minifat_start if n_minifat else ENDOFCHAIN, n_minifat,
                          ENDOFCHAIN, 0) +
              b"".join(struct.pack("<I", x) for x in difat))
    body = b"".join(struct.pack("<I", x) for x in fat) + dirdata + mf + \
        ministream + b"\0" * (n_mini * 512 - len(ministream))
    for e, n in zip(big, n_big):
        body += e["data"] + b"\0" * (n * 512 - len(e["data"]))
    return header + body


def vba_project_bin(module_source, module="ThisDocument"):
    """A vbaProject.bin: an OLE file with the storages/streams of a VBA project (PROJECT,
    VBA/_VBA_PROJECT, VBA/dir, VBA/<module>); the module source is MS-OVBA compressed. The dir
    stream is a placeholder, so Office would not load it, but its layout is that of a real one."""
    project = ('ID="{3B5E2C8A-9F1D-4C6E-8A7B-2D4F6E8A0C1B}"\r\nDocument=%s/&H00000000\r\n'
               'Name="Project"\r\nHelpContextID="0"\r\nVersionCompatible32="393222000"\r\n'
               'CMG="C2C0B7C1BBC1BBC1"\r\nDPB="ADAF6D8E6E8E6E"\r\nGC="2F2DEDEE"\r\n\r\n'
               '[Host Extender Info]\r\n&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};'
               'VBE;&H00000000\r\n' % module).encode()
    src = ('Attribute VB_Name = "%s"\r\n' % module).encode() + module_source
    return ole_cfb({
        "PROJECT": project,
        "PROJECTwm": module.encode() + b"\0" + module.encode("utf-16-le") + b"\0\0\0\0",
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
        "VBA/dir": ovba_compress(struct.pack("<HIIHII", 0x0001, 4, 1, 0x0002, 4, 0x0411)),
        "VBA/" + module: ovba_compress(src),
    })


def word97_doc(pieces):
    """A Word 97-2003 binary document ([MS-DOC]) whose text is the pieces given, each
    (text, utf16): a Word 97 FIB (fWhichTblStm: 1Table) and the text from 0x800 in the
    WordDocument stream, the piece table (Clx) in the 1Table stream. Enough for a reader of the
    text; Word itself wants more (styles, section and paragraph properties)."""
    text, pcds, cps, fc = b"", b"", [0], 0x800
    for t, utf16 in pieces:
        raw = t.encode("utf-16-le") if utf16 else t.encode("cp1252")
        pcds += struct.pack("<HIH", 0, fc if utf16 else (fc * 2) | 0x40000000, 0)
        cps.append(cps[-1] + len(t))
        text += raw
        fc += len(raw)
    plc = b"".join(struct.pack("<I", c) for c in cps) + pcds
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    table = b"\0" * 0x200 + clx  # other tables first, as Word writes them
    wd = bytearray(max(0x800 + len(text), 4608))
    struct.pack_into("<HHHH", wd, 0, 0xA5EC, 0x00C1, 0, 0x0409)
    struct.pack_into("<HH", wd, 0x0A, 0x0200, 0x00BF)
    struct.pack_into("<H", wd, 32, 14)    # csw
    struct.pack_into("<H", wd, 62, 22)    # cslw
    struct.pack_into("<I", wd, 64 + 12, cps[-1])  # ccpText
    struct.pack_into("<H", wd, 152, 0x5D)  # cbRgFcLcb
    struct.pack_into("<II", wd, 0x1A2, 0x200, len(clx))  # fcClx, lcbClx
    wd[0x800:0x800 + len(text)] = text
    return ole_cfb({"WordDocument": bytes(wd), "1Table": table})


# ----------------------------------------------------------------------------- PNG


def png_image(rng, width, height):
    """A valid RGB PNG (IHDR, IDAT, IEND with CRCs) of random pixels."""
    def chunk(ctype, data):
        return struct.pack("!I", len(data)) + ctype + data + \
            struct.pack("!I", zlib.crc32(ctype + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + bytes(rng.getrandbits(8) for _ in range(width * 3))
                   for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- PE


def pe_executable(rng, size=4096, timestamp=0x6627A1C0):
    """A small PE32 image: MZ header with DOS stub, PE signature, COFF header, optional header,
    one .text section; the code bytes are random (it is not runnable)."""
    stub = bytes.fromhex("0e1fba0e00b409cd21b8014ccd21") + \
        b"This program cannot be run in DOS mode.\r\r\n$" + b"\0" * 7
    mz = struct.pack("<2sHHHHHHHHHHHHH", b"MZ", 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0,
                     0x40, 0) + b"\0" * 32 + struct.pack("<I", 0x80)
    dos = (mz + stub).ljust(0x80, b"\0")
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x014C, 1, timestamp, 0, 0, 0xE0, 0x0102)
    opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", 0x10B, 14, 0, size - 0x200, 0, 0,
                      0x1000, 0x1000, 0x2000, 0x400000, 0x1000, 0x200, 6, 0, 0, 0, 6, 0, 0,
                      0x2000, 0x200, 0, 2, 0x8140, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    opt += b"\0" * (0xE0 - len(opt))
    sect = struct.pack("<8sIIIIIIHHI", b".text", size - 0x200, 0x1000, size - 0x200, 0x200, 0,
                       0, 0, 0, 0x60000020)
    head = (dos + coff + opt + sect).ljust(0x200, b"\0")
    return head + bytes(rng.getrandbits(8) for _ in range(size - 0x200))


def run_cases(doc, cases, prefix):
    """Command line of a case generator: [--out DIR] [CASE ...] (default: every case).

    cases maps a name to a function(case_dir) returning an object with a `cap` (a Capture),
    written to DIR/<prefix><name>/input.pcap.
    """
    import argparse
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "tests", "pcap")))
    ap.add_argument("cases", nargs="*", choices=sorted(cases) + [[]], default=[])
    a = ap.parse_args()
    for name in a.cases or sorted(cases):
        d = os.path.join(a.out, prefix + name)
        os.makedirs(d, exist_ok=True)
        w = cases[name](d)
        n = w.cap.write_pcap(os.path.join(d, "input.pcap"))
        print("%s: %d packets" % (os.path.join(d, "input.pcap"), n))
