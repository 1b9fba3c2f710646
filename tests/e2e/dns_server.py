"""A tiny authoritative DNS server for end-to-end tests (dnslib), on loopback UDP + TCP.

    records = {
        "remote.test": {"MX": [(10, "mx.remote.test")]},
        "mx.remote.test": {"A": ["127.0.0.1"], "AAAA": []},
        "plain.test": {"A": ["127.0.0.1"]},            # no MX: implicit MX
        "nomail.test": {"MX": [(0, ".")]},             # null MX (RFC 7505)
        "alias.test": {"CNAME": "mx.remote.test"},
        "txt.test": {"TXT": ["v=spf1 -all"]},
        "broken.test": "SERVFAIL",                     # or "REFUSED", "TIMEOUT" (no answer)
        "1.0.0.127.in-addr.arpa": {"PTR": ["client.test"]},   # reverse (reverse_name())
    }
    with DnsServer(records) as dns:
        dns.upstream            # "127.0.0.1:PORT", for dns-resolver --upstream
        dns.set("new.test", {"A": ["127.0.0.2"]})     # change the zone while running
        dns.queries             # [(name, type), ...] asked so far

A name that is listed answers NOERROR (records, or no data with the zone's SOA in the
authority section, RFC 2308); a name that is not listed answers NXDOMAIN with the SOA.
Run directly for manual tests: /usr/bin/python3 dns_server.py serves a demo zone and
prints its address.
"""

import socketserver
import struct
import threading

import ipaddress

from dnslib import AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, SOA, TXT, A, DNSLabel, DNSRecord

DEFAULT_TTL = 60
NEGATIVE_TTL = 30


class DnsServer:
    def __init__(self, records=None, ttl=DEFAULT_TTL, negative_ttl=NEGATIVE_TTL):
        self._lock = threading.Lock()
        self._records = {}
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.queries = []
        for name, value in (records or {}).items():
            self.set(name, value)
        self._udp = None
        self._tcp = None
        self._threads = []
        self.port = None

    # --- zone -------------------------------------------------------------------------

    @staticmethod
    def _key(name):
        return str(name).rstrip(".").lower()

    def set(self, name, value):
        with self._lock:
            self._records[self._key(name)] = value

    def remove(self, name):
        with self._lock:
            self._records.pop(self._key(name), None)

    @property
    def upstream(self):
        return f"127.0.0.1:{self.port}"

    def _soa(self, qname):
        # The SOA of the closest listed ancestor's zone; a fixed "test." zone otherwise.
        return RR(
            "test.",
            QTYPE.SOA,
            ttl=self.negative_ttl,
            rdata=SOA("ns.test.", "hostmaster.test.", (1, 3600, 600, 86400, self.negative_ttl)),
        )

    def answer(self, request):
        """The reply to a parsed request, or None to stay silent (TIMEOUT)."""
        reply = request.reply()
        q = request.q
        name = self._key(q.qname)
        qtype = QTYPE[q.qtype]
        with self._lock:
            self.queries.append((name, qtype))
            entry = self._records.get(name)
        if entry == "TIMEOUT":
            return None
        if entry in ("SERVFAIL", "REFUSED"):
            reply.header.rcode = getattr(RCODE, entry)
            return reply
        if entry is None:
            reply.header.rcode = RCODE.NXDOMAIN
            reply.add_auth(self._soa(name))
            return reply
        ttl = entry.get("ttl", self.ttl) if isinstance(entry, dict) else self.ttl
        if "CNAME" in entry and qtype != "CNAME":
            target = entry["CNAME"]
            reply.add_answer(RR(q.qname, QTYPE.CNAME, ttl=ttl, rdata=CNAME(target + ".")))
            with self._lock:
                tentry = self._records.get(self._key(target))
            if isinstance(tentry, dict):
                for rr in self._rrs(target, tentry, qtype, ttl):
                    reply.add_answer(rr)
            return reply
        rrs = self._rrs(q.qname, entry, qtype, ttl)
        for rr in rrs:
            reply.add_answer(rr)
        if not rrs:
            reply.add_auth(self._soa(name))
        return reply

    @staticmethod
    def _rrs(owner, entry, qtype, ttl):
        out = []
        for value in entry.get(qtype, []):
            if qtype == "A":
                out.append(RR(owner, QTYPE.A, ttl=ttl, rdata=A(value)))
            elif qtype == "AAAA":
                out.append(RR(owner, QTYPE.AAAA, ttl=ttl, rdata=AAAA(value)))
            elif qtype == "MX":
                pref, host = value
                label = DNSLabel([]) if host in (".", "") else DNSLabel(host + ".")
                out.append(RR(owner, QTYPE.MX, ttl=ttl, rdata=MX(label, pref)))
            elif qtype == "TXT":
                out.append(RR(owner, QTYPE.TXT, ttl=ttl, rdata=TXT(value)))
            elif qtype == "PTR":
                out.append(RR(owner, QTYPE.PTR, ttl=ttl, rdata=PTR(value + ".")))
        return out

    # --- sockets ------------------------------------------------------------------------

    def _handle(self, data):
        try:
            request = DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 - garbage in, silence out
            return None
        reply = self.answer(request)
        return None if reply is None else reply.pack()

    def start(self):
        server = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                out = server._handle(data)
                if out is not None:
                    sock.sendto(out, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self):
                sock = self.request
                sock.settimeout(5)
                try:
                    while True:
                        head = _recv_exact(sock, 2)
                        if head is None:
                            return
                        data = _recv_exact(sock, struct.unpack("!H", head)[0])
                        if data is None:
                            return
                        out = server._handle(data)
                        if out is None:
                            return
                        sock.sendall(struct.pack("!H", len(out)) + out)
                except OSError:
                    return

        class UdpServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
            daemon_threads = True

        class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        # One port for both UDP and TCP (DNS falls back to TCP on truncation).
        for _ in range(50):
            udp = UdpServer(("127.0.0.1", 0), Udp)
            port = udp.server_address[1]
            try:
                tcp = TcpServer(("127.0.0.1", port), Tcp)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError("no free port for the test DNS server")
        self._udp, self._tcp, self.port = udp, tcp, port
        for srv in (udp, tcp):
            t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                 daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self):
        for srv in (self._udp, self._tcp):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        self._udp = self._tcp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def reverse_name(ip):
    """The PTR owner name of an address: "1.0.0.127.in-addr.arpa", or the ip6.arpa nibbles."""
    return ipaddress.ip_address(ip).reverse_pointer


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


if __name__ == "__main__":
    demo = {
        "remote.test": {"MX": [(10, "mx.remote.test")]},
        "mx.remote.test": {"A": ["127.0.0.1"]},
        "plain.test": {"A": ["127.0.0.1"]},
        "nomail.test": {"MX": [(0, ".")]},
        "broken.test": "SERVFAIL",
    }
    srv = DnsServer(demo)
    srv.start()
    print(srv.upstream, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.stop()
