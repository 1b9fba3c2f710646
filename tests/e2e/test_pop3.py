"""End-to-end tests of pop3-access: poplib and curl against the real suite.

A message delivered through the real smtp-ingress (port 25 role) is read back with
POP3 after STLS and over POP3S, byte for byte under the Received: header smtp-ingress
adds; DELE + QUIT removes it (from IMAP's INBOX too), a dropped connection removes
nothing, UIDL is stable, passwords are refused before TLS, and the metrics move.
Run: /usr/bin/python3 tests/e2e/test_pop3.py -v
"""

import imaplib
import os
import poplib
import smtplib
import socket
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "smtp-ingress", "imap-access", "pop3-access")
PASSWORD = "pop3 secret"
USERS = ("alice", "bob", "carol", "dave", "erin", "frank")




def make_message(token):
    """A message with a line that starts with a dot (POP3 byte-stuffs it)."""
    return (f"From: <sender@elsewhere.test>\r\nTo: <someone@example.test>\r\n"
            f"Subject: {token}\r\nMessage-ID: <{token}@elsewhere.test>\r\n\r\n"
            f"Hello {token}.\r\n.a line that starts with a dot\r\n..two dots\r\nBye\r\n")


def split_received(lines):
    """Splits RETR lines into the Received: header (with its folded lines) and the rest."""
    if not lines or not lines[0].startswith(b"Received: "):
        raise AssertionError(f"no Received: header on top: {lines[:3]}")
    n = 1
    while n < len(lines) and lines[n][:1] in (b" ", b"\t"):
        n += 1
    return lines[:n], lines[n:]


MISSING = harness.missing_binaries(SERVICES)


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class Pop3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "pop3-access": ["--auth_failure_delay=0s"],
            "smtp-ingress": ["--auth_failure_delay=0s"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        ctl = cls.suite.mailctl
        ctl("domain", "add", "example.test").check_returncode()
        for user in USERS:
            ctl("user", "add", f"{user}@example.test", "--password-stdin",
                input=PASSWORD).check_returncode()

    # --- helpers ---------------------------------------------------------------------------

    def deliver(self, user):
        """Sends a fresh message to user@example.test through smtp-ingress; returns it."""
        token = uuid.uuid4().hex
        text = make_message(token)
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            refused = smtp.sendmail("sender@elsewhere.test", [f"{user}@example.test"], text)
        self.assertEqual(refused, {})
        return text

    def login(self, user, pop3s=False):
        if pop3s:
            pop = poplib.POP3_SSL("127.0.0.1", self.suite.ports["pop3s"], timeout=30,
                                  context=harness.insecure_tls())
        else:
            pop = poplib.POP3("127.0.0.1", self.suite.ports["pop3"], timeout=30)
            pop.stls(context=harness.insecure_tls())
        pop.user(f"{user}@example.test")
        pop.pass_(PASSWORD)
        return pop

    def assert_same_message(self, lines, sent):
        received, rest = split_received(lines)
        self.assertEqual(rest, sent.encode().split(b"\r\n")[:-1], received)

    # --- tests -----------------------------------------------------------------------------

    def test_stls_user_pass_retr_returns_the_message_under_a_received_header(self):
        sent = self.deliver("alice")
        pop = self.login("alice")
        try:
            count, octets = pop.stat()
            self.assertEqual(count, 1)
            resp, lines, size = pop.retr(1)
            self.assertTrue(resp.startswith(b"+OK"), resp)
            # RFC 1939: the octet counts of STAT, LIST and RETR agree and are exact
            # (poplib's size counts the lines with CRLF, after un-stuffing).
            self.assertEqual(octets, size)
            self.assertEqual(pop.list(1), f"+OK 1 {octets}".encode())
        finally:
            pop.quit()
        self.assert_same_message(lines, sent)

    def test_pop3s_reads_the_same_message(self):
        sent = self.deliver("bob")
        pop = self.login("bob", pop3s=True)
        try:
            _, lines, _ = pop.retr(1)
            _, top, _ = pop.top(1, 0)
        finally:
            pop.quit()
        self.assert_same_message(lines, sent)
        self.assertEqual(top[-1], b"")  # the header and the blank line, no body
        self.assertIn(b"Subject: ", b"\n".join(top))

    def test_dele_and_quit_remove_the_message_everywhere(self):
        self.deliver("carol")
        self.deliver("carol")
        pop = self.login("carol")
        try:
            self.assertEqual(pop.stat()[0], 2)
            uidls = pop.uidl()[1]
            pop.dele(1)
            self.assertEqual(pop.stat()[0], 1)
        finally:
            self.assertIn(b"1 messages deleted", pop.quit())
        pop = self.login("carol")
        try:
            self.assertEqual(pop.stat()[0], 1)
            # UIDL values stay the same across sessions (RFC 1939 §7).
            self.assertEqual(pop.uidl()[1], [b"1 " + uidls[1].split()[1]])
        finally:
            pop.quit()
        # Gone from IMAP's INBOX too: both read the one mailbox in mailbox-store.
        imap = imaplib.IMAP4("127.0.0.1", self.suite.ports["imap"], timeout=30)
        try:
            imap.starttls(ssl_context=harness.insecure_tls())
            imap.login("carol@example.test", PASSWORD)
            typ, data = imap.select("INBOX", readonly=True)
            self.assertEqual((typ, data), ("OK", [b"1"]))
        finally:
            imap.logout()

    def test_a_dropped_connection_deletes_nothing(self):
        self.deliver("dave")
        pop = self.login("dave")
        pop.dele(1)
        pop.sock.shutdown(socket.SHUT_RDWR)
        pop.sock.close()
        pop = self.login("dave")
        try:
            self.assertEqual(pop.stat()[0], 1)
        finally:
            pop.quit()

    def test_passwords_are_refused_before_tls(self):
        pop = poplib.POP3("127.0.0.1", self.suite.ports["pop3"], timeout=30)
        try:
            caps = pop.capa()
            self.assertIn("STLS", caps)
            self.assertNotIn("USER", caps)
            self.assertNotIn("SASL", caps)
            with self.assertRaises(poplib.error_proto) as err:
                pop.user("erin@example.test")
            self.assertIn(b"[AUTH]", err.exception.args[0])
            with self.assertRaises(poplib.error_proto) as err:
                pop._shortcmd("APOP erin@example.test 0123456789abcdef0123456789abcdef")
            self.assertIn(b"STLS", err.exception.args[0])
        finally:
            pop.quit()

    def test_commands_pipelined_after_stls_are_discarded(self):
        # RFC 2595 §4: what came in clear with STLS must not run inside TLS (an attacker
        # on the path could have injected it).
        with socket.create_connection(("127.0.0.1", self.suite.ports["pop3"]), timeout=30) as raw:
            f = raw.makefile("rb")
            self.assertTrue(f.readline().startswith(b"+OK"))
            raw.sendall(b"STLS\r\nUSER injected@example.test\r\n")
            self.assertTrue(f.readline().startswith(b"+OK Begin TLS"))
            with harness.insecure_tls().wrap_socket(raw, server_hostname="localhost") as tls:
                tf = tls.makefile("rb")
                tls.sendall(b"PASS whatever\r\n")
                self.assertEqual(tf.readline(), b"-ERR Send USER first\r\n")
                tls.sendall(b"QUIT\r\n")
                self.assertEqual(tf.readline(), b"+OK Bye\r\n")

    def test_wrong_password_gets_auth_response_code(self):
        pop = poplib.POP3("127.0.0.1", self.suite.ports["pop3"], timeout=30)
        pop.stls(context=harness.insecure_tls())
        try:
            pop.user("erin@example.test")
            with self.assertRaises(poplib.error_proto) as err:
                pop.pass_("not the password")
            self.assertTrue(err.exception.args[0].startswith(b"-ERR [AUTH]"), err.exception.args)
        finally:
            pop.quit()

    def test_curl_pop3_with_ssl_reqd_retrieves_message_1(self):
        sent = self.deliver("frank")
        result = subprocess.run(
            ["curl", "-sS", "-k", "--ssl-reqd", "--max-time", "30",
             f"pop3://127.0.0.1:{self.suite.ports['pop3']}/1",
             "-u", f"frank@example.test:{PASSWORD}"],
            capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_same_message(result.stdout.split(b"\r\n")[:-1], sent)

    def test_zz_metrics_count_sessions_logins_and_retrievals(self):
        if not self.suite.metric("pop3-access", "mailsuite_pop3_access_messages_retrieved_total"):
            self.test_pop3s_reads_the_same_message()
        m = self.suite.metric
        self.assertGreaterEqual(m("pop3-access", "mailsuite_pop3_access_logins_total",
                                  result="success"), 1)
        self.assertGreaterEqual(m("pop3-access", "mailsuite_pop3_access_logins_total",
                                  result="failure"), 1)
        self.assertGreaterEqual(m("pop3-access", "mailsuite_pop3_access_sessions_total",
                                  port="pop3s"), 1)
        self.assertGreaterEqual(
            m("pop3-access", "mailsuite_pop3_access_messages_retrieved_total"), 1)
        self.assertGreater(m("pop3-access", "mailsuite_pop3_access_sent_bytes_total"), 0)


if __name__ == "__main__":
    unittest.main()
