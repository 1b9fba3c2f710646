"""End-to-end test of outbound-relay's per-destination concurrency limit
(--max_per_destination): two slow sink MX hosts record how many connections (and
transactions) they have open at once while many single-recipient messages to each domain
are due together. Each must see at most N at any moment, and the limit must be per
destination: together they see more than N.
"""

import asyncio
import base64
import os
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dns_server import DnsServer  # noqa: E402

LIMIT = 2        # --max_per_destination
MESSAGES = 10    # per domain
DATA_DELAY = 0.3  # seconds the sink takes to answer the final dot
WAIT = 60


class Counter:
    """Current and highest number of something open at once, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.max = 0

    def up(self):
        with self.lock:
            self.now += 1
            self.max = max(self.max, self.now)

    def down(self):
        with self.lock:
            self.now -= 1


class SlowSink:
    """A minimal SMTP server on host:port (own thread, asyncio) that accepts everything,
    answers the end of DATA after DATA_DELAY, and counts concurrent connections and
    transactions (MAIL to the reply to the final dot); `both` is shared between sinks."""

    def __init__(self, host, port, both):
        self.host, self.port = host, port
        self.connections, self.transactions, self.both = Counter(), Counter(), both
        self.delivered = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None

    def start(self):
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self.handle, self.host, self.port), self.loop).result(10)
        return self

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def handle(self, reader, writer):
        self.connections.up()
        self.both.up()
        in_transaction = False
        try:
            writer.write(b"220 sink ESMTP\r\n")
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb == b"EHLO" or verb == b"HELO":
                    writer.write(b"250-sink\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    if not in_transaction:
                        in_transaction = True
                        self.transactions.up()
                    writer.write(b"250 2.1.0 ok\r\n")
                elif verb == b"RCPT":
                    writer.write(b"250 2.1.5 ok\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    while True:
                        data = await reader.readline()
                        if not data or data == b".\r\n":
                            break
                    await asyncio.sleep(DATA_DELAY)
                    self.delivered += 1
                    writer.write(b"250 2.0.0 queued\r\n")
                    in_transaction = False
                    self.transactions.down()
                elif verb == b"RSET":
                    writer.write(b"250 2.0.0 ok\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"502 5.5.2 what\r\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if in_transaction:
                self.transactions.down()
            self.connections.down()
            self.both.down()
            writer.close()


class RelayConcurrencyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = harness.missing_binaries(["dns-resolver", "outbound-relay", "mailctl"])
        if missing:
            raise unittest.SkipTest(f"not built yet: {', '.join(missing)}")
        port = harness.free_port()
        cls.both = Counter()
        cls.sinks = {d: SlowSink(ip, port, cls.both).start()
                     for d, ip in (("one.test", "127.0.0.6"), ("two.test", "127.0.0.7"))}
        for sink in cls.sinks.values():
            cls.addClassCleanup(sink.stop)
        cls.dns = DnsServer({"one.test": {"MX": [(10, "mx.one.test")]},
                             "mx.one.test": {"A": ["127.0.0.6"]},
                             "two.test": {"MX": [(10, "mx.two.test")]},
                             "mx.two.test": {"A": ["127.0.0.7"]}}).start()
        cls.addClassCleanup(cls.dns.stop)
        cls.suite = harness.Suite(
            upstream=cls.dns.upstream, remote_smtp_port=port,
            services=("dns-resolver", "outbound-relay"),
            extra_flags={"outbound-relay": ["--workers=16", f"--max_per_destination={LIMIT}",
                                            "--poll_interval=200ms", "--send_dsns=false"]}
        ).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)

    def test_never_more_than_the_limit_per_destination(self):
        # Everything is committed in one transaction, so it is all due at once.
        sql = []
        for domain in self.sinks:
            for i in range(MESSAGES):
                qid = str(uuid.uuid4())
                body = f"Subject: concurrency {i}\r\n\r\nHello.\r\n"
                b64 = base64.b64encode(body.encode()).decode()
                sql.append(f"INSERT INTO relay.messages (id, sender, size, body) VALUES "
                           f"('{qid}', 'alice@example.test', {len(body)}, "
                           f"decode('{b64}', 'base64'))")
                sql.append(f"INSERT INTO relay.recipients (message_id, address, domain) "
                           f"VALUES ('{qid}', 'r{i}@{domain}', '{domain}')")
        self.suite.pg.psql("BEGIN; " + "; ".join(sql) + "; COMMIT;")
        deadline = time.monotonic() + WAIT
        while (time.monotonic() < deadline and
               any(s.delivered < MESSAGES for s in self.sinks.values())):
            time.sleep(0.1)
        for domain, sink in self.sinks.items():
            self.assertEqual(sink.delivered, MESSAGES, domain)
            # The limit is reached (the test is not vacuous) and never passed, counting
            # connections (kept-open ones included) and transactions.
            self.assertEqual(sink.connections.max, LIMIT, domain)
            self.assertEqual(sink.transactions.max, LIMIT, domain)
        # Per destination, not global: both domains were served at the same time.
        self.assertGreater(self.both.max, LIMIT)
        left = self.suite.pg.psql(
            "SELECT count(*) FROM relay.recipients WHERE state <> 'delivered'").strip()
        self.assertEqual(left, "0")


if __name__ == "__main__":
    unittest.main()
