"""End-to-end tests of remote delivery: outbound-relay + dns-resolver against a test DNS
zone (dns_server.py) and aiosmtpd servers on loopback standing in for remote MX hosts.

Two groups:
- RelayQueueTest runs only dns-resolver and outbound-relay with PostgreSQL, and puts
  messages straight into the relay's queue tables, so the delivery side (claim, MX order,
  STARTTLS, backoff, outcome classification) is tested on its own.
- SubmissionToRemoteTest is the whole path: swaks submits with STARTTLS + AUTH PLAIN to
  smtp-ingress, which enqueues at outbound-relay, which delivers to the remote MX.
Each group skips, saying why, when a binary it needs is not built yet.
"""

import base64
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dns_server import DnsServer  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

WAIT = 30  # seconds to wait for a delivery outcome


class RemoteMx:
    """An aiosmtpd server on one loopback address playing a remote MX host.

    Recipients steer it by local part: "reject..." gets 550 at RCPT; "deferN..." gets 451
    at RCPT for its first N attempts; "datadefer..." gets 451 after DATA once. Everything
    else is accepted. Accepted messages land in `messages` as dicts.
    """

    def __init__(self, host, port, tls_context=None):
        self.host = host
        self.port = port
        self.messages = []
        self.rcpt_attempts = {}
        self.ehlo_names = []
        self._lock = threading.Lock()
        self._data_deferred = set()
        self.controller = Controller(self, hostname=host, port=port, tls_context=tls_context,
                                     ready_timeout=10)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.ehlo_names.append(hostname)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        with self._lock:
            n = self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: no such user here" % address
        if local.startswith("defer"):
            digits = "".join(c for c in local[5:] if c.isdigit())
            if n <= int(digits or "1"):
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            if rcpt.startswith("datadefer") and rcpt not in self._data_deferred:
                self._data_deferred.add(rcpt)
                return "451 4.3.0 data deferred once"
        with self._lock:
            self.messages.append({
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "content": envelope.content,
                "tls": session.ssl is not None,
                "peer": session.peer[0],
                "helo": session.host_name,
            })
        return "250 2.0.0 Ok: queued"

    def find(self, rcpt, timeout=WAIT):
        """Waits for a message to `rcpt`; returns it or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for m in self.messages:
                    if rcpt in m["rcpt_tos"]:
                        return m
            time.sleep(0.1)
        return None


def zone():
    return {
        "remote.test": {"MX": [(10, "mx.remote.test")]},
        "mx.remote.test": {"A": ["127.0.0.2"]},
        # Preference order: the best MX refuses connections (nothing listens on .9).
        "pref.test": {"MX": [(20, "mx2.pref.test"), (10, "mx1.pref.test")]},
        "mx1.pref.test": {"A": ["127.0.0.9"]},
        "mx2.pref.test": {"A": ["127.0.0.3"]},
        # No MX: the domain's own address is the implicit MX (RFC 5321 §5.1).
        "plain.test": {"A": ["127.0.0.3"]},
        "nomail.test": {"MX": [(0, ".")]},
        "broken.test": "SERVFAIL",
    }


class RelayQueueTest(unittest.TestCase):
    """dns-resolver + outbound-relay + PostgreSQL; messages are put in the queue directly."""

    @classmethod
    def setUpClass(cls):
        missing = harness.missing_binaries(["dns-resolver", "outbound-relay", "mailctl"])
        if missing:
            raise unittest.SkipTest(f"not built yet: {', '.join(missing)} "
                                    f"(the harness needs mailctl too)")
        cls.tmp = tempfile.mkdtemp(prefix="mailsuite-relay-test-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cert, key = harness.make_tls_cert(os.path.join(cls.tmp, "tls"))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        port = harness.free_port()
        # One port, several loopback addresses: each is a different "remote host".
        cls.mx = RemoteMx("127.0.0.2", port, tls_context=tls).start()
        cls.addClassCleanup(cls.mx.stop)
        cls.mx_plain = RemoteMx("127.0.0.3", port).start()  # offers no STARTTLS
        cls.addClassCleanup(cls.mx_plain.stop)
        cls.dns = DnsServer(zone()).start()
        cls.addClassCleanup(cls.dns.stop)
        cls.suite = harness.Suite(upstream=cls.dns.upstream, remote_smtp_port=port,
                                  services=("dns-resolver", "outbound-relay")).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)

    # --- helpers ----------------------------------------------------------------------

    def enqueue(self, recipients, body=None, sender="alice@example.test"):
        """Puts a message in relay.messages/recipients as Enqueue would; returns its id."""
        qid = str(uuid.uuid4())
        if body is None:
            body = (f"From: {sender}\r\nTo: {recipients[0]}\r\nSubject: test {qid}\r\n"
                    f"Message-ID: <{qid}@example.test>\r\n\r\nHello.\r\n.a line with a dot\r\n")
        b64 = base64.b64encode(body.encode()).decode()
        sql = [f"INSERT INTO relay.messages (id, sender, size, body) VALUES ('{qid}', "
               f"'{sender}', {len(body.encode())}, decode('{b64}', 'base64'))"]
        for r in recipients:
            domain = r.rsplit("@", 1)[1].lower()
            sql.append(f"INSERT INTO relay.recipients (message_id, address, domain) "
                       f"VALUES ('{qid}', '{r}', '{domain}')")
        self.suite.pg.psql("BEGIN; " + "; ".join(sql) + "; COMMIT;")
        return qid, body

    def state(self, qid, rcpt):
        out = self.suite.pg.psql(
            f"SELECT state, attempts, last_reply FROM relay.recipients "
            f"WHERE message_id = '{qid}' AND address = '{rcpt}'").strip()
        state, attempts, reply = out.split("|", 2)
        return state, int(attempts), reply

    def wait_state(self, qid, rcpt, want, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            state = self.state(qid, rcpt)
            if state[0] == want or time.monotonic() > deadline:
                return state
            time.sleep(0.2)

    def attempts(self, qid, rcpt):
        out = self.suite.pg.psql(
            "SELECT a.outcome, a.mx_host, a.ip, a.tls, coalesce(a.reply_code, 0), "
            "a.enhanced_code FROM relay.attempts a JOIN relay.recipients r "
            f"ON r.id = a.recipient_id WHERE r.message_id = '{qid}' AND r.address = '{rcpt}' "
            "ORDER BY a.id")
        return [line.split("|") for line in out.strip().splitlines()]

    # --- tests ------------------------------------------------------------------------

    def test_delivers_to_mx_over_starttls(self):
        qid, body = self.enqueue(["bob@remote.test", "carol@Remote.test"])
        self.assertEqual(self.wait_state(qid, "bob@remote.test", "delivered")[0], "delivered")
        self.assertEqual(self.wait_state(qid, "carol@Remote.test", "delivered")[0], "delivered")
        msg = self.mx.find("bob@remote.test")
        self.assertIsNotNone(msg)
        # Both recipients of the domain in one transaction.
        self.assertEqual(sorted(msg["rcpt_tos"]), ["bob@remote.test", "carol@Remote.test"])
        self.assertEqual(msg["mail_from"], "alice@example.test")
        self.assertEqual(msg["content"], body.encode())  # dot-stuffing undone by the server
        self.assertTrue(msg["tls"], "STARTTLS was offered, so the session must use TLS")
        self.assertEqual(msg["helo"], "mx.example.test")
        [attempt] = self.attempts(qid, "bob@remote.test")
        self.assertEqual(attempt, ["delivered", "mx.remote.test", "127.0.0.2", "t", "250", "2.0.0"])

    def test_implicit_mx_and_plaintext_when_no_starttls(self):
        qid, _ = self.enqueue(["dave@plain.test"])
        self.assertEqual(self.wait_state(qid, "dave@plain.test", "delivered")[0], "delivered")
        msg = self.mx_plain.find("dave@plain.test")
        self.assertIsNotNone(msg)
        self.assertFalse(msg["tls"])
        self.assertEqual(self.attempts(qid, "dave@plain.test")[0][1:4],
                         ["plain.test", "127.0.0.3", "f"])

    def test_mx_preference_order_falls_back_to_next_host(self):
        qid, _ = self.enqueue(["erin@pref.test"])
        self.assertEqual(self.wait_state(qid, "erin@pref.test", "delivered")[0], "delivered")
        self.assertIsNotNone(self.mx_plain.find("erin@pref.test"))
        log = self.suite.log_text("outbound-relay")
        # The preferred host was tried first and refused the connection.
        self.assertIn("mx1.pref.test[127.0.0.9]", log)
        self.assertEqual(self.attempts(qid, "erin@pref.test")[0][1:3],
                         ["mx2.pref.test", "127.0.0.3"])

    def test_temporary_failure_is_retried_with_backoff(self):
        # 451 at RCPT twice, then accepted; the harness runs the relay with --retry_initial=1s.
        qid, _ = self.enqueue(["defer2-frank@remote.test"])
        state = self.wait_state(qid, "defer2-frank@remote.test", "delivered")
        self.assertEqual(state[:2], ("delivered", 3))
        outcomes = [a[0] for a in self.attempts(qid, "defer2-frank@remote.test")]
        self.assertEqual(outcomes, ["deferred", "deferred", "delivered"])
        self.assertEqual(self.mx.rcpt_attempts["defer2-frank@remote.test"], 3)

    def test_deferral_after_data_then_delivery(self):
        qid, _ = self.enqueue(["datadefer-gina@remote.test"])
        state = self.wait_state(qid, "datadefer-gina@remote.test", "delivered")
        self.assertEqual(state[:2], ("delivered", 2))
        self.assertIsNotNone(self.mx.find("datadefer-gina@remote.test"))

    def test_permanent_failures(self):
        qid, _ = self.enqueue(["reject-hal@remote.test", "ok-ivan@remote.test"])
        state = self.wait_state(qid, "reject-hal@remote.test", "failed")
        self.assertEqual(state[0], "failed")
        self.assertIn("550 5.1.1", state[2])
        # The other recipient of the same transaction is delivered.
        self.assertEqual(self.wait_state(qid, "ok-ivan@remote.test", "delivered")[0], "delivered")

        qid, _ = self.enqueue(["x@nowhere.test"])
        state = self.wait_state(qid, "x@nowhere.test", "failed")
        self.assertEqual(state[0], "failed")
        self.assertIn("5.1.2", state[2])
        self.assertIn("NXDOMAIN", state[2])

        qid, _ = self.enqueue(["y@nomail.test"])
        state = self.wait_state(qid, "y@nomail.test", "failed")
        self.assertEqual(state[0], "failed")
        self.assertIn("5.1.10", state[2])

    def test_dns_temporary_failure_defers(self):
        qid, _ = self.enqueue(["z@broken.test"])
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            state = self.state(qid, "z@broken.test")
            if state[1] >= 2:
                break
            time.sleep(0.2)
        self.assertEqual(state[0], "queued")
        self.assertGreaterEqual(state[1], 2)
        self.assertIn("4.4.3", state[2])

    def test_metrics(self):
        qid, _ = self.enqueue(["metrics@remote.test"])
        self.wait_state(qid, "metrics@remote.test", "delivered")
        delivered = self.suite.metric("outbound-relay", "mailsuite_outbound_relay_deliveries_total",
                                      outcome="delivered", cause="delivered")
        self.assertGreaterEqual(delivered, 1)
        self.assertIsNotNone(self.suite.metric("outbound-relay",
                                               "mailsuite_outbound_relay_queue_depth",
                                               state="queued"))
        mx_lookups = self.suite.metric("dns-resolver", "mailsuite_dns_resolver_queries_total",
                                       type="MX", outcome="found")
        self.assertGreaterEqual(mx_lookups, 1)


SUBMISSION_NEEDS = ["mailbox-store", "dns-resolver", "outbound-relay", "smtp-ingress",
                    "mailctl"]


class SubmissionToRemoteTest(unittest.TestCase):
    """The whole path: swaks → submission (STARTTLS + AUTH PLAIN) → smtp-ingress → Enqueue →
    outbound-relay → dns-resolver → the remote MX."""

    @classmethod
    def setUpClass(cls):
        missing = harness.missing_binaries(SUBMISSION_NEEDS)
        if missing:
            raise unittest.SkipTest(f"needs smtp-ingress and the backends; not built yet: "
                                    f"{', '.join(missing)}")
        if shutil.which("swaks") is None:
            raise unittest.SkipTest("swaks is not installed")
        port = harness.free_port()
        cls.mx = RemoteMx("127.0.0.2", port).start()
        cls.addClassCleanup(cls.mx.stop)
        cls.dns = DnsServer(zone()).start()
        cls.addClassCleanup(cls.dns.stop)
        cls.suite = harness.Suite(upstream=cls.dns.upstream, remote_smtp_port=port,
                                  services=("mailbox-store", "dns-resolver", "outbound-relay",
                                            "smtp-ingress")).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        cls.suite.mailctl("domain", "add", "example.test").check_returncode()
        cls.suite.mailctl("user", "add", "alice@example.test", "--password-stdin",
                          input="s3cret-pw").check_returncode()

    def swaks(self, to, body):
        return subprocess.run(
            ["swaks", "--server", f"127.0.0.1:{self.suite.ports['submission']}", "--tls",
             "--auth", "PLAIN", "--auth-user", "alice@example.test",
             "--auth-password", "s3cret-pw", "--from", "alice@example.test", "--to", to,
             "--header", f"Subject: relay test {to}", "--body", body,
             "--timeout", "30"],
            capture_output=True, text=True, timeout=60)

    def test_submitted_mail_reaches_the_remote_mx(self):
        body = "Hello from the relay test.\n.Dotted line\nBye."
        out = self.swaks("bob@remote.test", body)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        msg = self.mx.find("bob@remote.test")
        self.assertIsNotNone(msg, "the remote MX never received the message")
        self.assertEqual(msg["mail_from"], "alice@example.test")
        self.assertEqual(msg["rcpt_tos"], ["bob@remote.test"])
        content = msg["content"].decode(errors="replace")
        self.assertIn("Subject: relay test bob@remote.test", content)
        self.assertIn("Hello from the relay test.\r\n.Dotted line\r\nBye.", content)

    def test_remote_deferral_is_retried(self):
        out = self.swaks("defer1-carol@remote.test", "deferred once")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        msg = self.mx.find("defer1-carol@remote.test")
        self.assertIsNotNone(msg, "the message was not retried after the 451")
        self.assertEqual(self.mx.rcpt_attempts["defer1-carol@remote.test"], 2)


if __name__ == "__main__":
    unittest.main()
