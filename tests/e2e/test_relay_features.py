"""End-to-end tests of outbound-relay delivery features: PIPELINING (RFC 2920) when the
remote MX offers it, several messages per connection (the connection cache), the
source-address pool (--source_addresses, used in rotation and
seen by the remote MX as the peer address), and the per-destination concurrency limit.
"""

import base64
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_relay  # noqa: E402
from dns_server import DnsServer  # noqa: E402

WAIT = 30


class PipeliningMx(test_relay.RemoteMx):
    """A RemoteMx that advertises PIPELINING (aiosmtpd handles pipelined input)."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        responses = await super().handle_EHLO(server, session, envelope, hostname, responses)
        return responses[:-1] + ["250-PIPELINING"] + responses[-1:]


class RelayFeaturesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = harness.missing_binaries(["dns-resolver", "outbound-relay", "mailctl"])
        if missing:
            raise unittest.SkipTest(f"not built yet: {', '.join(missing)}")
        port = harness.free_port()
        cls.mx = PipeliningMx("127.0.0.5", port).start()
        cls.addClassCleanup(cls.mx.stop)
        cls.dns = DnsServer({"pipe.test": {"MX": [(10, "mx.pipe.test")]},
                             "mx.pipe.test": {"A": ["127.0.0.5"]}}).start()
        cls.addClassCleanup(cls.dns.stop)
        cls.suite = harness.Suite(
            upstream=cls.dns.upstream, remote_smtp_port=port,
            services=("dns-resolver", "outbound-relay"),
            extra_flags={"outbound-relay": ["--poll_interval=200ms",
                                            "--source_addresses=127.0.0.2,127.0.0.3",
                                            "--max_per_destination=2", "--send_dsns=false"]}
        ).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)

    def enqueue(self, recipients):
        qid = str(uuid.uuid4())
        body = f"Subject: features {qid}\r\n\r\nHello.\r\n"
        b64 = base64.b64encode(body.encode()).decode()
        sql = [f"INSERT INTO relay.messages (id, sender, size, body) VALUES ('{qid}', "
               f"'alice@example.test', {len(body)}, decode('{b64}', 'base64'))"]
        for r in recipients:
            sql.append(f"INSERT INTO relay.recipients (message_id, address, domain) VALUES "
                       f"('{qid}', '{r}', 'pipe.test')")
        self.suite.pg.psql("BEGIN; " + "; ".join(sql) + "; COMMIT;")
        return qid

    def states(self, qid, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            out = self.suite.pg.psql(
                f"SELECT address || '=' || state FROM relay.recipients WHERE message_id = "
                f"'{qid}' ORDER BY address").split()
            if all(not s.endswith("=queued") for s in out) or time.monotonic() > deadline:
                return out
            time.sleep(0.1)

    def test_pipelining_with_mixed_recipient_replies(self):
        qid = self.enqueue(["a@pipe.test", "reject.b@pipe.test", "c@pipe.test"])
        self.assertEqual(self.states(qid), ["a@pipe.test=delivered", "c@pipe.test=delivered",
                                            "reject.b@pipe.test=failed"])
        msg = self.mx.find("a@pipe.test")
        self.assertEqual(sorted(msg["rcpt_tos"]), ["a@pipe.test", "c@pipe.test"])
        # Every recipient refused: DATA is refused too, and nothing is delivered.
        qid = self.enqueue(["reject.d@pipe.test"])
        self.assertEqual(self.states(qid), ["reject.d@pipe.test=failed"])

    def test_several_messages_per_connection(self):
        ehlos = len(self.mx.ehlo_names)
        qids = [self.enqueue([f"reuse{i}@pipe.test"]) for i in range(10)]
        for qid in qids:
            self.assertTrue(all(s.endswith("=delivered") for s in self.states(qid)))
        # Connections are kept for --connection_cache_time (2 s) and reused: fewer sessions
        # (EHLOs) than messages.
        sessions = len(self.mx.ehlo_names) - ehlos
        self.assertLess(sessions, 10)
        self.assertGreaterEqual(sessions, 1)

    def test_source_addresses_rotate(self):
        qids = [self.enqueue([f"rot{i}@pipe.test"]) for i in range(6)]
        for qid in qids:
            self.states(qid)
        peers = set()
        for i in range(6):
            msg = self.mx.find(f"rot{i}@pipe.test")
            self.assertIsNotNone(msg)
            peers.add(msg["peer"])
        self.assertEqual(peers, {"127.0.0.2", "127.0.0.3"})


if __name__ == "__main__":
    unittest.main()
