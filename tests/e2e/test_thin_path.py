"""The foundation's thin path through every process, with real clients (issue 2).

MX delivery read back with POP3; submission with STARTTLS + AUTH relayed through the MX
of a remote domain (a dnslib server) to an aiosmtpd sink; IMAP read with curl; the
550/554/451 refusals; and every process's metrics moving.
"""

import os
import poplib
import smtplib
import ssl
import subprocess
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dns_server import DnsServer  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

PASSWORD = "correct horse battery staple"


class Sink:
    """The remote MX: records every message it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content or envelope.content))
        return "250 OK"

    def wait_for(self, token, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for m in self.messages:
                    if token.encode() in m[2]:
                        return m
            time.sleep(0.2)
        return None



class ThinPathTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.sink_port = harness.free_port()
        cls.controller = Controller(cls.sink, hostname="127.0.0.1", port=cls.sink_port)
        cls.controller.start()
        cls.addClassCleanup(cls.controller.stop)
        cls.dns = DnsServer({
            "remote.test": {"MX": [(10, "mx.remote.test")]},
            "mx.remote.test": {"A": ["127.0.0.1"]},
        }).__enter__()
        cls.addClassCleanup(cls.dns.__exit__, None, None, None)
        cls.suite = harness.Suite(upstream=cls.dns.upstream,
                                  remote_smtp_port=cls.sink_port).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        cls.ctl("domain", "add", "example.test")
        for user in ("alice", "carol", "dave"):
            cls.ctl("user", "add", f"{user}@example.test", "--password-stdin", input=PASSWORD)

    @classmethod
    def ctl(cls, *args, input=None):
        result = cls.suite.mailctl(*args, input=input)
        if result.returncode != 0:
            raise AssertionError(f"mailctl {' '.join(args)}: {result.stderr}")
        return result

    def swaks(self, *args):
        return subprocess.run(["swaks", "--hide-all", "--timeout", "30", *args],
                              capture_output=True, text=True, timeout=60)

    def pop3(self, user):
        pop = poplib.POP3("127.0.0.1", self.suite.ports["pop3"], timeout=30)
        pop.stls(context=harness.insecure_tls())
        pop.user(f"{user}@example.test")
        pop.pass_(PASSWORD)
        return pop

    def test_mx_delivery_is_read_back_with_pop3_under_a_received_header(self):
        token = uuid.uuid4().hex
        result = self.swaks("--server", f"127.0.0.1:{self.suite.ports['smtp']}",
                            "--from", "sender@elsewhere.test", "--to", "alice@example.test",
                            "--header", f"Subject: {token}", "--body", f"body {token}")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        pop = self.pop3("alice")
        try:
            count, _ = pop.stat()
            self.assertEqual(count, 1)
            _, lines, _ = pop.retr(1)
        finally:
            pop.quit()
        self.assertTrue(lines[0].startswith(b"Received: "), lines[:3])
        text = b"\r\n".join(lines)
        self.assertIn(f"Subject: {token}".encode(), text)
        self.assertIn(f"body {token}".encode(), text)

    def test_submission_with_starttls_and_auth_is_relayed_to_the_remote_mx(self):
        token = uuid.uuid4().hex
        result = self.swaks("--server", f"127.0.0.1:{self.suite.ports['submission']}",
                            "--tls", "--auth", "PLAIN",
                            "--auth-user", "alice@example.test", "--auth-password", PASSWORD,
                            "--from", "alice@example.test", "--to", "bob@remote.test",
                            "--header", f"Subject: {token}", "--body", f"relayed {token}")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        message = self.sink.wait_for(token)
        self.assertIsNotNone(message, "the remote MX never received the message")
        mail_from, rcpt_tos, content = message
        self.assertEqual(mail_from, "alice@example.test")
        self.assertEqual(rcpt_tos, ["bob@remote.test"])
        self.assertIn(f"relayed {token}".encode(), content)
        self.assertIn(("remote.test", "MX"),
                      [(n.rstrip(".").lower(), t) for n, t in self.dns.queries])

    def test_curl_reads_inbox_message_1_over_imap(self):
        token = uuid.uuid4().hex
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            smtp.sendmail("sender@elsewhere.test", ["carol@example.test"],
                          f"Subject: {token}\r\n\r\nimap {token}\r\n")
        result = subprocess.run(
            ["curl", "-sS", "-k", "--ssl-reqd", "--max-time", "30",
             f"imap://127.0.0.1:{self.suite.ports['imap']}/INBOX/;MAILINDEX=1",
             "-u", f"carol@example.test:{PASSWORD}"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"imap {token}", result.stdout)
        self.assertIn(f"Subject: {token}", result.stdout)

    def test_unknown_local_recipient_is_refused_with_550_5_1_1(self):
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            smtp.ehlo("client.test")
            self.assertEqual(smtp.mail("sender@elsewhere.test")[0], 250)
            code, text = smtp.rcpt("nobody@example.test")
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.1.1"), text)

    def test_unauthenticated_relay_on_port_25_is_refused_with_554_5_7_1(self):
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            smtp.ehlo("client.test")
            self.assertEqual(smtp.mail("sender@elsewhere.test")[0], 250)
            code, text = smtp.rcpt("bob@remote.test")
        self.assertEqual(code, 554)
        self.assertTrue(text.startswith(b"5.7.1"), text)

    def test_backend_down_gives_451_4_3_0_and_a_retry_delivers_once(self):
        token = uuid.uuid4().hex
        message = f"Subject: {token}\r\n\r\nretry {token}\r\n"
        self.suite.stop("mailbox-store")
        try:
            with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=60) as smtp:
                smtp.ehlo("client.test")
                smtp.mail("sender@elsewhere.test")
                code, text = smtp.rcpt("dave@example.test")
                if code == 250:  # lookup answered from elsewhere: the store is hit at DATA
                    code, text = smtp.data(message)
            self.assertEqual(code, 451, text)
            self.assertTrue(text.startswith(b"4.3.0"), text)
        finally:
            self.suite.start("mailbox-store")
        # The client kept the message and tries again: it is delivered exactly once.
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=60) as smtp:
            smtp.sendmail("sender@elsewhere.test", ["dave@example.test"], message)
        pop = self.pop3("dave")
        try:
            count, _ = pop.stat()
            _, lines, _ = pop.retr(1)
        finally:
            pop.quit()
        self.assertEqual(count, 1)
        self.assertIn(f"retry {token}".encode(), b"\r\n".join(lines))

    def test_zz_every_process_counts_what_it_did(self):
        # Runs last (zz): the other tests have sent, relayed and read mail by now.
        if not self.sink.messages:
            self.test_submission_with_starttls_and_auth_is_relayed_to_the_remote_mx()
        expected = {
            "smtp-ingress": "mailsuite_smtp_ingress_messages_accepted_total",
            "mailbox-store": "mailsuite_mailbox_store_deliveries_total",
            "outbound-relay": "mailsuite_outbound_relay_deliveries_total",
            "dns-resolver": "mailsuite_dns_resolver_queries_total",
        }
        for process, metric in expected.items():
            value = self.suite.metric(process, metric)
            self.assertIsNotNone(value, f"{process} has no {metric}")
            self.assertGreater(value, 0, f"{process}: {metric} did not move")
        # The front-ends publish when their certificate expires, for the expiry alert.
        not_after = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in",
                                    self.suite.tls_cert], capture_output=True, text=True,
                                   check=True).stdout.strip().split("=", 1)[1]
        expected_expiry = ssl.cert_time_to_seconds(not_after)
        for process in ("smtp-ingress", "imap-access", "pop3-access"):
            metric = ("mailsuite_" + process.replace("-", "_")
                      + "_tls_certificate_expiry_timestamp_seconds")
            self.assertEqual(self.suite.metric(process, metric), expected_expiry, metric)
        for process in ("imap-access", "pop3-access"):
            text = self.suite.metrics_text(process)
            prefix = "mailsuite_" + process.replace("-", "_") + "_"
            moved = [line for line in text.splitlines()
                     if line.startswith(prefix) and "_total" in line
                     and not line.rstrip().endswith(" 0")]
            self.assertTrue(moved, f"{process}: no counter moved")


if __name__ == "__main__":
    unittest.main()
