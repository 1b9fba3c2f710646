"""Robustness: 1,000 queued messages, outbound-relay SIGKILLed in the middle of delivering
them and restarted. Every message must reach the sink at least once (nothing is lost: the
killed relay's leases expire and the restarted one takes the work over); duplicates are
possible (at-least-once delivery) and are counted and printed, not failed.
"""

import os
import re
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dns_server import DnsServer  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

N = 1000
SEQ = re.compile(rb"^X-Seq: (\d+)\r?$", re.M)


class CountingSink:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}  # seq -> times received

    async def handle_DATA(self, server, session, envelope):
        m = SEQ.search(envelope.content)
        if m:
            with self.lock:
                seq = int(m.group(1))
                self.seen[seq] = self.seen.get(seq, 0) + 1
        return "250 2.0.0 Ok"

    def counts(self):
        with self.lock:
            return len(self.seen), sum(self.seen.values())


class RelayKillTest(unittest.TestCase):
    def test_sigkill_mid_delivery_loses_nothing(self):
        missing = harness.missing_binaries(["dns-resolver", "outbound-relay", "mailctl"])
        if missing:
            self.skipTest(f"not built yet: {', '.join(missing)}")
        sink = CountingSink()
        port = harness.free_port()
        controller = Controller(sink, hostname="127.0.0.2", port=port, ready_timeout=10)
        controller.start()
        self.addCleanup(controller.stop)
        dns = DnsServer({"bulk.test": {"MX": [(10, "mx.bulk.test")]},
                         "mx.bulk.test": {"A": ["127.0.0.2"]}}).start()
        self.addCleanup(dns.stop)
        # --lease=10s: the killed relay's claims expire quickly (the minimum allowed).
        flags = ["--lease=10s", "--workers=16", "--max_per_destination=16",
                 "--poll_interval=200ms", "--send_dsns=false"]
        with harness.Suite(upstream=dns.upstream, remote_smtp_port=port,
                           services=("dns-resolver", "outbound-relay"),
                           extra_flags={"outbound-relay": flags}) as suite:
            start = time.monotonic()
            suite.pg.psql(
                "BEGIN;"
                "INSERT INTO relay.messages (id, sender, size, body)"
                f" SELECT md5('kill' || i)::uuid, 'bulk@example.test', 60,"
                "  convert_to('Subject: bulk ' || i || E'\\r\\nX-Seq: ' || i ||"
                "  E'\\r\\n\\r\\nHello.\\r\\n', 'UTF8')"
                f" FROM generate_series(1, {N}) i;"
                "INSERT INTO relay.recipients (message_id, address, domain)"
                f" SELECT md5('kill' || i)::uuid, 'r' || i || '@bulk.test', 'bulk.test'"
                f" FROM generate_series(1, {N}) i;"
                "COMMIT;")
            # Kill once a good part is delivered, while deliveries are in flight.
            deadline = time.monotonic() + 30
            while sink.counts()[0] < N // 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            before = sink.counts()[0]
            self.assertGreater(before, 0, "nothing delivered before the kill")
            proc = suite.procs["outbound-relay"]
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed_at = sink.counts()[0]
            leased = suite.pg.psql("SELECT count(*) FROM relay.recipients WHERE state = 'queued'"
                                   " AND lease_until > now()").strip()
            suite.start("outbound-relay")
            deadline = time.monotonic() + 50
            while sink.counts()[0] < N and time.monotonic() < deadline:
                time.sleep(0.1)
            distinct, total = sink.counts()
            missing = sorted(set(range(1, N + 1)) - set(sink.seen))
            duplicates = total - distinct
            print(f"\nrelay kill test: {distinct}/{N} messages delivered "
                  f"({killed_at} when killed, {leased} leased), {duplicates} duplicate(s), "
                  f"{time.monotonic() - start:.1f} s", file=sys.stderr)
            self.assertEqual(missing, [], f"{len(missing)} messages lost")
            # The queue agrees: every recipient delivered.
            deadline = time.monotonic() + 15
            while True:
                left = suite.pg.psql("SELECT count(*) FROM relay.recipients"
                                     " WHERE state <> 'delivered'").strip()
                if left == "0" or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(left, "0")


if __name__ == "__main__":
    unittest.main()
