"""End-to-end tests of smtp-ingress policy against the real suite.

One suite with the production-like policy switched on for smtp-ingress: the sender
domain check (against a test DNS server), a greeting pause, a small per-IP connection
limit and a small AUTH failure limit. Covers: a mixed local + remote transaction handed
off once (no duplicates), 550 5.1.8 / 451 4.4.3 for sender domains, 554 5.5.0 for a
client that talks before the greeting, 421 4.7.0 for too many connections from one IP,
421 4.7.0 after repeated AUTH failures from one IP while the owner still gets in from
another, and garbage instead of a TLS handshake after STARTTLS.
Run: /usr/bin/python3 tests/e2e/test_smtp_policy.py -v
"""

import base64
import os
import re
import smtplib
import socket
import ssl
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dns_server import DnsServer, reverse_name  # noqa: E402

SERVICES = ("mailbox-store", "dns-resolver", "outbound-relay", "smtp-ingress")
GREET_PAUSE = 0.4  # seconds, --greet_pause
PER_IP = 3  # --max_connections_per_ip
AUTH_LIMIT = 3  # --auth_max_failures_per_ip


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the suite's certificate is self-signed
    return ctx


def plain(user, password):
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def read_reply(sock, timeout=10):
    """Reads one (possibly multi-line) SMTP reply; returns its text, '' on EOF."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
        lines = data.split(b"\r\n")
        if len(lines) >= 2 and len(lines[-2]) >= 4 and lines[-2][3:4] == b" ":
            break
    return data.decode(errors="replace")


class SmtpPolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer({
            "remote.test": {"MX": [(10, "mx.remote.test")]},
            # Nothing listens on the relay's remote port there: remote copies stay queued.
            "mx.remote.test": {"A": ["127.0.0.1"]},
            "slow.test": "TIMEOUT",
            "broken.test": "SERVFAIL",
            # Reverse DNS: 127.0.0.1 has a forward-confirmed name; 127.0.0.3 claims a name
            # whose A record is elsewhere, so it is "unknown".
            reverse_name("127.0.0.1"): {"PTR": ["Client.Policy.test"]},
            "client.policy.test": {"A": ["127.0.0.1"]},
            reverse_name("127.0.0.3"): {"PTR": ["www.bank.test"]},
            "www.bank.test": {"A": ["192.0.2.80"]},
        }).__enter__()
        cls.addClassCleanup(cls.dns.__exit__, None, None, None)
        cls.suite = harness.Suite(
            services=SERVICES, upstream=cls.dns.upstream, remote_smtp_port=harness.free_port(),
            extra_flags={
                "smtp-ingress": ["--check_sender_domain=true",
                                 f"--greet_pause={int(GREET_PAUSE * 1000)}ms",
                                 f"--max_connections_per_ip={PER_IP}",
                                 f"--auth_max_failures_per_ip={AUTH_LIMIT}",
                                 "--auth_failure_delay=0s",
                                 "--reverse_dns_timeout=2s"],
                "dns-resolver": ["--timeout_ms=300", "--tries=1"],
            }).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        ctl = cls.suite.mailctl
        ctl("domain", "add", "example.test").check_returncode()
        for user in ("alice", "bob"):
            ctl("user", "add", f"{user}@example.test", "--password-stdin",
                input="secret").check_returncode()

    def port(self, name):
        return self.suite.ports[name]

    def inbox(self, account):
        out = self.suite.mailctl("message", "list", account, "INBOX")
        out.check_returncode()
        return [line for line in out.stdout.splitlines()[1:] if line.strip()]

    def metric(self, name, **labels):
        return self.suite.metric("smtp-ingress", name, **labels) or 0.0

    def connect(self, source="127.0.0.1", name="smtp"):
        return socket.create_connection(("127.0.0.1", self.port(name)), timeout=10,
                                        source_address=(source, 0))

    # --- Received: ------------------------------------------------------------------------

    def test_received_header_names_the_forward_confirmed_client(self):
        verified = self.metric("mailsuite_smtp_ingress_reverse_dns_total", result="verified")
        mismatch = self.metric("mailsuite_smtp_ingress_reverse_dns_total", result="mismatch")
        for source, name in (("127.0.0.1", "client.policy.test"), ("127.0.0.3", "unknown")):
            subject = f"rdns {uuid.uuid4()}"
            with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30,
                              source_address=(source, 0)) as smtp:
                smtp.ehlo("helo.policy.test")
                refused = smtp.sendmail("someone@remote.test", ["bob@example.test"],
                                        f"Subject: {subject}\r\n\r\nhello\r\n")
                self.assertEqual(refused, {})
            body = self.fetch_with("bob@example.test", subject)
            self.assertRegex(body.splitlines()[0], r"^Received: from helo\.policy\.test \(" +
                             re.escape(f"{name} [{source}])"))
        self.assertEqual(self.metric("mailsuite_smtp_ingress_reverse_dns_total",
                                     result="verified"), verified + 1)
        self.assertEqual(self.metric("mailsuite_smtp_ingress_reverse_dns_total",
                                     result="mismatch"), mismatch + 1)
        queried = {name for name, qtype in self.dns.queries if qtype == "PTR"}
        self.assertIn(reverse_name("127.0.0.1"), queried)

    def fetch_with(self, account, text, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for row in reversed(self.inbox(account)):
                out = self.suite.mailctl("message", "fetch", account, "INBOX", row.split()[0])
                out.check_returncode()
                if text in out.stdout:
                    return out.stdout
            time.sleep(0.3)
        self.fail(f"no message with {text!r} for {account}")

    # --- hand-off ------------------------------------------------------------------------

    def test_mixed_transaction_is_one_handoff_without_duplicates(self):
        before = len(self.inbox("bob@example.test"))
        subject = f"mixed {uuid.uuid4()}"
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30) as smtp:
            smtp.starttls(context=tls_context())
            smtp.login("alice@example.test", "secret")
            refused = smtp.sendmail(
                "alice@example.test", ["bob@example.test", "friend@remote.test"],
                f"From: alice@example.test\r\nSubject: {subject}\r\n\r\nmixed\r\n")
            self.assertEqual(refused, {})
        # outbound-relay owns the message now and delivers bob's copy through Deliver.
        deadline = time.time() + 30
        while time.time() < deadline and len(self.inbox("bob@example.test")) == before:
            time.sleep(0.3)
        self.assertEqual(len(self.inbox("bob@example.test")), before + 1)
        time.sleep(2)  # a second copy (from a second hand-off or a retry) would show by now
        self.assertEqual(len(self.inbox("bob@example.test")), before + 1)

    def test_mixed_transaction_with_relay_down_stores_nothing(self):
        # With two hand-offs, bob's copy would be committed before the Enqueue failed,
        # and the client's resend after the 451 would give him a second one.
        before = len(self.inbox("bob@example.test"))
        self.suite.stop("outbound-relay")
        try:
            with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=60) as smtp:
                smtp.starttls(context=tls_context())
                smtp.login("alice@example.test", "secret")
                with self.assertRaises(smtplib.SMTPDataError) as cm:
                    smtp.sendmail("alice@example.test", ["bob@example.test", "friend@remote.test"],
                                  "Subject: relay down\r\n\r\nx\r\n")
                self.assertEqual(cm.exception.smtp_code, 451)
        finally:
            self.suite.start("outbound-relay")
        time.sleep(1)
        self.assertEqual(len(self.inbox("bob@example.test")), before)

    # --- sender domain (port 25) -----------------------------------------------------------

    def test_sender_domain_checked_on_port_25(self):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            smtp.ehlo("client.remote.test")
            code, text = smtp.mail("someone@nowhere.test")  # NXDOMAIN
            self.assertEqual(code, 550, text)
            self.assertIn(b"5.1.8", text)
            code, text = smtp.mail("someone@slow.test")  # the DNS server never answers
            self.assertEqual(code, 451, text)
            self.assertIn(b"4.4.3", text)
            code, text = smtp.mail("someone@broken.test")  # SERVFAIL
            self.assertEqual(code, 451, text)
            code, text = smtp.mail("someone@remote.test")
            self.assertEqual(code, 250, text)
            smtp.rset()
            code, text = smtp.mail("")  # the null sender has no domain to check
            self.assertEqual(code, 250, text)
        self.assertGreaterEqual(
            self.metric("mailsuite_smtp_ingress_rejections_total", reason="sender_domain_unknown"),
            1)

    # --- greeting pause --------------------------------------------------------------------

    def test_client_talking_before_greeting_gets_554(self):
        with self.connect() as sock:
            sock.sendall(b"EHLO spambot.test\r\n")
            reply = read_reply(sock)
            self.assertTrue(reply.startswith("554 5.5.0 "), reply)
            self.assertEqual(read_reply(sock, timeout=5), "")  # closed
        # A client that waits is greeted after the pause.
        start = time.time()
        with self.connect() as sock:
            self.assertTrue(read_reply(sock).startswith("220 "))
            self.assertGreaterEqual(time.time() - start, GREET_PAUSE * 0.9)
            sock.sendall(b"QUIT\r\n")
            self.assertTrue(read_reply(sock).startswith("221 "))
        self.assertGreaterEqual(
            self.metric("mailsuite_smtp_ingress_rejections_total", reason="early_talker"), 1)

    # --- connection limit per IP -----------------------------------------------------------

    def test_connections_per_ip_are_limited(self):
        socks = []
        try:
            for _ in range(PER_IP):
                s = self.connect()
                self.assertTrue(read_reply(s).startswith("220 "))
                socks.append(s)
            with self.connect() as extra:
                reply = read_reply(extra)
                self.assertTrue(reply.startswith("421 4.7.0 "), reply)
                self.assertIn("too many connections", reply)
            # Another client address is not affected.
            with self.connect(source="127.0.0.3") as other:
                self.assertTrue(read_reply(other).startswith("220 "))
        finally:
            for s in socks:
                s.close()

    # --- AUTH failures ---------------------------------------------------------------------

    def test_auth_failures_lock_out_the_ip_but_not_the_owner(self):
        attacker = smtplib.SMTP_SSL("127.0.0.1", self.port("submissions"), timeout=30,
                                    context=tls_context(), source_address=("127.0.0.2", 0))
        attacker.ehlo("attacker")
        for _ in range(AUTH_LIMIT):
            code, text = attacker.docmd("AUTH", "PLAIN " + plain("alice@example.test", "guess"))
            self.assertEqual(code, 535, text)
            self.assertIn(b"5.7.8", text)
        code, text = attacker.docmd("AUTH", "PLAIN " + plain("alice@example.test", "secret"))
        self.assertEqual(code, 421, text)  # even the right password: the IP is locked out
        self.assertIn(b"4.7.0", text)
        attacker.close()
        # A new connection from that IP is refused at AUTH too.
        with smtplib.SMTP_SSL("127.0.0.1", self.port("submissions"), timeout=30,
                              context=tls_context(), source_address=("127.0.0.2", 0)) as again:
            again.ehlo("attacker")
            code, _ = again.docmd("AUTH", "PLAIN " + plain("alice@example.test", "secret"))
            self.assertEqual(code, 421)
        # The owner, from another address, still gets in.
        with smtplib.SMTP_SSL("127.0.0.1", self.port("submissions"), timeout=30,
                              context=tls_context()) as owner:
            code, text = owner.login("alice@example.test", "secret")
            self.assertEqual(code, 235, text)
        self.assertGreaterEqual(self.metric("mailsuite_smtp_ingress_auth_total", result="refused"),
                                2)

    # --- TLS ------------------------------------------------------------------------------

    def test_garbage_instead_of_tls_handshake_closes_the_connection(self):
        with self.connect() as sock:
            self.assertTrue(read_reply(sock).startswith("220 "))
            sock.sendall(b"EHLO client.remote.test\r\n")
            self.assertIn("STARTTLS", read_reply(sock))
            sock.sendall(b"STARTTLS\r\n")
            self.assertTrue(read_reply(sock).startswith("220 2.0.0"))
            sock.sendall(os.urandom(3000) + b"\r\nEHLO x\r\n" + b"\x16\x03\x01\xff\xff" * 50)
            start = time.time()
            self.assertNotIn("250", read_reply(sock, timeout=15))  # closed, nothing said
            self.assertLess(time.time() - start, 14)
        # The server is still there.
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            self.assertEqual(smtp.noop()[0], 250)
        self.assertIsNone(self.suite.procs["smtp-ingress"].poll())


if __name__ == "__main__":
    unittest.main()
