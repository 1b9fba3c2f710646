"""End-to-end tests of imap-access: curl and imaplib against the real suite.

A message delivered through the real smtp-ingress is read back with
`curl --ssl-reqd imap://…/INBOX;UID=1` (STARTTLS, AUTHENTICATE PLAIN, SELECT, UID
FETCH BODY[], LOGOUT), over IMAPS, and with imaplib (STARTTLS, LOGIN, SELECT, FETCH);
LOGIN is refused before TLS; NOOP reports mail that arrived meanwhile; metrics move.
Run: /usr/bin/python3 tests/e2e/test_imap.py -v
"""

import imaplib
import os
import smtplib
import socket
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "smtp-ingress", "imap-access")
PASSWORD = "imap secret"
USERS = ("alice", "bob", "carol", "dave", "erin")




def make_message(token):
    return (f"From: <sender@elsewhere.test>\r\nTo: <someone@example.test>\r\n"
            f"Subject: {token}\r\nMessage-ID: <{token}@elsewhere.test>\r\n\r\n"
            f"Hello {token}.\r\n.a line that starts with a dot\r\nBye\r\n")


def strip_received(data):
    """The message without the Received: header smtp-ingress put on top."""
    if not data.startswith(b"Received: "):
        raise AssertionError(f"no Received: header on top: {data[:80]!r}")
    lines = data.split(b"\r\n")
    n = 1
    while lines[n][:1] in (b" ", b"\t"):
        n += 1
    return b"\r\n".join(lines[n:])


MISSING = harness.missing_binaries(SERVICES)


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class ImapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "imap-access": ["--auth_failure_delay=0s"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        ctl = cls.suite.mailctl
        ctl("domain", "add", "example.test").check_returncode()
        for user in USERS:
            ctl("user", "add", f"{user}@example.test", "--password-stdin",
                input=PASSWORD).check_returncode()

    def deliver(self, user):
        text = make_message(uuid.uuid4().hex)
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            self.assertEqual(smtp.sendmail("sender@elsewhere.test", [f"{user}@example.test"],
                                           text), {})
        return text

    def curl(self, url, user):
        return subprocess.run(
            ["curl", "-sS", "-k", "--ssl-reqd", "--max-time", "30", url,
             "-u", f"{user}@example.test:{PASSWORD}"],
            capture_output=True, timeout=60)

    def imap(self, user):
        imap = imaplib.IMAP4("127.0.0.1", self.suite.ports["imap"], timeout=30)
        imap.starttls(ssl_context=harness.insecure_tls())
        imap.login(f"{user}@example.test", PASSWORD)
        return imap

    def test_curl_reads_inbox_uid_1_with_starttls(self):
        sent = self.deliver("alice")
        result = self.curl(f"imap://127.0.0.1:{self.suite.ports['imap']}/INBOX;UID=1", "alice")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(strip_received(result.stdout), sent.encode())

    def test_curl_reads_inbox_mailindex_1_over_imaps(self):
        sent = self.deliver("bob")
        result = self.curl(f"imaps://127.0.0.1:{self.suite.ports['imaps']}/INBOX/;MAILINDEX=1",
                           "bob")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(strip_received(result.stdout), sent.encode())

    def test_curl_with_a_wrong_password_fails(self):
        result = subprocess.run(
            ["curl", "-sS", "-k", "--ssl-reqd", "--max-time", "30",
             f"imap://127.0.0.1:{self.suite.ports['imap']}/INBOX;UID=1",
             "-u", "alice@example.test:wrong"], capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 67, result.stderr)  # CURLE_LOGIN_DENIED

    def test_imaplib_login_select_fetch(self):
        sent = self.deliver("carol")
        imap = self.imap("carol")
        try:
            typ, data = imap.select("INBOX")
            self.assertEqual((typ, data), ("OK", [b"1"]))
            typ, data = imap.fetch("1", "(UID RFC822.SIZE RFC822)")
            self.assertEqual(typ, "OK")
            meta, body = data[0]
            self.assertIn(b"UID 1", meta)
            self.assertIn(f"RFC822.SIZE {len(body)}".encode(), meta)
            self.assertEqual(strip_received(body), sent.encode())
            typ, data = imap.uid("FETCH", "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            self.assertEqual(typ, "OK")
            subject = sent.split("\r\n")[2]
            self.assertEqual(data[0][1], f"{subject}\r\n\r\n".encode())
            typ, data = imap.list()
            self.assertEqual(typ, "OK")
            self.assertIn(b'(\\HasNoChildren) "/" INBOX', data)
        finally:
            imap.logout()

    def test_imaps_login(self):
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.suite.ports["imaps"], timeout=30,
                                 ssl_context=harness.insecure_tls())
        try:
            imap.login("dave@example.test", PASSWORD)
            self.assertEqual(imap.select("INBOX", readonly=True)[0], "OK")
        finally:
            imap.logout()

    def test_login_is_refused_before_tls(self):
        imap = imaplib.IMAP4("127.0.0.1", self.suite.ports["imap"], timeout=30)
        try:
            self.assertIn("LOGINDISABLED", imap.capabilities)
            self.assertIn("STARTTLS", imap.capabilities)
            with self.assertRaises(imaplib.IMAP4.error) as err:
                imap.login("dave@example.test", PASSWORD)
            self.assertIn("PRIVACYREQUIRED", str(err.exception))
        finally:
            imap.logout()

    def test_commands_pipelined_after_starttls_are_discarded(self):
        with socket.create_connection(("127.0.0.1", self.suite.ports["imap"]), timeout=30) as raw:
            f = raw.makefile("rb")
            self.assertTrue(f.readline().startswith(b"* OK"))
            raw.sendall(b"a STARTTLS\r\nb LOGOUT\r\n")
            self.assertEqual(f.readline(), b"a OK Begin TLS negotiation now\r\n")
            with harness.insecure_tls().wrap_socket(raw, server_hostname="localhost") as tls:
                tf = tls.makefile("rb")
                tls.sendall(b"c NOOP\r\n")
                self.assertEqual(tf.readline(), b"c OK NOOP completed\r\n")

    def test_noop_reports_mail_that_arrived(self):
        imap = self.imap("erin")
        try:
            self.assertEqual(imap.select("INBOX"), ("OK", [b"0"]))
            self.deliver("erin")
            typ, _ = imap.noop()
            self.assertEqual(typ, "OK")
            self.assertEqual(imap.response("EXISTS")[1][-1], b"1")
        finally:
            imap.logout()

    def test_zz_metrics_count_sessions_commands_and_logins(self):
        m = self.suite.metric
        self.assertGreaterEqual(m("imap-access", "mailsuite_imap_access_logins_total",
                                  result="success"), 1)
        self.assertGreaterEqual(m("imap-access", "mailsuite_imap_access_commands_total",
                                  command="SELECT"), 1)
        self.assertGreaterEqual(m("imap-access", "mailsuite_imap_access_sessions_total",
                                  port="imap"), 1)


if __name__ == "__main__":
    unittest.main()
