"""End-to-end tests of smtp-ingress: real swaks and smtplib against the real suite.

Covers port 25 (local delivery, unknown user, no relaying, a 10 MiB message), submission
with STARTTLS and AUTH (PLAIN and LOGIN, pipelined with swaks) to local and remote
recipients, implicit TLS on the submissions port (smtplib and swaks --tlsc), sender
ownership, SIGTERM in the middle of DATA (421, nothing stored), the 451 tempfail while
mailbox-store is down and recovery after it restarts, and the metrics. Run: /usr/bin/python3 tests/e2e/test_smtp.py -v
"""

import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "dns-resolver", "outbound-relay", "smtp-ingress")


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the suite's certificate is self-signed
    return ctx


def message(subject, sender="someone@remote.test", to="bob@example.test"):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@remote.test>\r\n\r\nHello from the e2e test.\r\n"
            ".a line that starts with a dot\r\n")


class SmtpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "smtp-ingress": ["--auth_failure_delay=0s",
                             "--postmaster_address=postmaster@example.test"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        ctl = cls.suite.mailctl
        ctl("domain", "add", "example.test").check_returncode()
        for user in ("alice", "bob", "carol"):
            ctl("user", "add", f"{user}@example.test", "--password-stdin",
                input="secret").check_returncode()
        ctl("alias", "add", "alice.smith@example.test", "alice@example.test").check_returncode()
        ctl("alias", "add", "postmaster@example.test", "alice@example.test").check_returncode()

    # --- helpers ---------------------------------------------------------------------------

    def port(self, name):
        return self.suite.ports[name]

    def inbox(self, account):
        """The message list of an account's INBOX, as mailctl prints it."""
        out = self.suite.mailctl("message", "list", account, "INBOX")
        out.check_returncode()
        return [line for line in out.stdout.splitlines()[1:] if line.strip()]

    def fetch_last(self, account):
        """The newest message in account's INBOX that is not a delivery report: other
        tests' mail to remote.test bounces back to its sender at any moment."""
        rows = self.inbox(account)
        self.assertTrue(rows, f"no message for {account}")
        for row in reversed(rows):
            out = self.suite.mailctl("message", "fetch", account, "INBOX", row.split()[0])
            out.check_returncode()
            if "report-type=delivery-status" not in out.stdout:
                return out.stdout
        self.fail(f"only delivery reports in {account}'s INBOX")

    def wait_for(self, account, text, timeout=30):
        """The newest message of account's INBOX once it contains text."""
        deadline = time.time() + timeout
        body = ""
        while time.time() < deadline:
            if self.inbox(account):
                body = self.fetch_last(account)
                if text in body:
                    return body
            time.sleep(0.3)
        self.fail(f"no message with {text!r} for {account}; last: {body[:500]}")

    def metric(self, name, **labels):
        return self.suite.metric("smtp-ingress", name, **labels) or 0.0

    def swaks(self, *args):
        return subprocess.run(["swaks", "--hide-informational", "--timeout", "20", *args],
                              capture_output=True, text=True, timeout=60)

    # --- port 25 ---------------------------------------------------------------------------

    def test_mx_accepts_local_user_with_smtplib(self):
        accepted = self.metric("mailsuite_smtp_ingress_messages_accepted_total")
        before = len(self.inbox("bob@example.test"))
        subject = f"mx {uuid.uuid4()}"
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            code, _ = smtp.ehlo("client.remote.test")
            self.assertEqual(code, 250)
            for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "smtputf8",
                        "starttls"):
                self.assertTrue(smtp.has_extn(ext), ext)
            self.assertFalse(smtp.has_extn("auth"), "AUTH must never be offered on port 25")
            refused = smtp.sendmail("someone@remote.test", ["bob@example.test"],
                                    message(subject))
            self.assertEqual(refused, {})
        self.assertEqual(len(self.inbox("bob@example.test")), before + 1)
        body = self.fetch_last("bob@example.test")
        self.assertIn(subject, body)
        # The harness turns the reverse DNS lookup off: the client is "unknown" (Postfix's
        # word); test_smtp_policy.py checks the forward-confirmed name.
        self.assertRegex(body,
                         r"^Received: from client\.remote\.test \(unknown \[127\.0\.0\.1\]\)")
        self.assertIn("by mx.example.test (mailsuite) with ESMTP id ", body)
        self.assertIn("for <bob@example.test>;", body)
        self.assertIn("\n.a line that starts with a dot", body)  # dot-stuffing undone
        self.assertEqual(self.metric("mailsuite_smtp_ingress_messages_accepted_total"),
                         accepted + 1)

    def test_mx_accepts_local_user_with_swaks_pipelining(self):
        out = self.swaks("--server", f"127.0.0.1:{self.port('smtp')}", "--pipeline",
                         "--from", "a@remote.test", "--to", "carol@example.test",
                         "--header", "Subject: swaks mx")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout, r"250 2\.0\.0 Ok: queued as [0-9a-f-]{36}")

    def test_mx_bdat_chunks(self):
        # Neither swaks nor smtplib speaks BDAT: a raw, pipelined session.
        subject = f"bdat {uuid.uuid4()}"
        chunk1 = f"Subject: {subject}\r\n\r\n".encode()
        chunk2 = b".not unstuffed\r\n"
        with socket.create_connection(("127.0.0.1", self.port("smtp")), timeout=30) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220 "))
            s.sendall(b"EHLO client.remote.test\r\n")
            features = []
            while True:
                line = f.readline()
                features.append(line[4:].strip())
                if line[3:4] == b" ":
                    break
            self.assertIn(b"CHUNKING", features)
            s.sendall(b"MAIL FROM:<a@remote.test>\r\nRCPT TO:<carol@example.test>\r\n"
                      + b"BDAT %d\r\n" % len(chunk1) + chunk1
                      + b"BDAT %d LAST\r\n" % len(chunk2) + chunk2 + b"QUIT\r\n")
            replies = [f.readline() for _ in range(5)]
        self.assertEqual([r[:3] for r in replies], [b"250", b"250", b"250", b"250", b"221"])
        self.assertRegex(replies[3], rb"^250 2\.0\.0 Ok: queued as ")
        body = self.fetch_last("carol@example.test")
        self.assertIn(subject, body)
        self.assertIn("\n.not unstuffed", body)

    def test_mx_unknown_user_is_550(self):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            smtp.ehlo("client.remote.test")
            self.assertEqual(smtp.mail("someone@remote.test")[0], 250)
            code, text = smtp.rcpt("nobody@example.test")
            self.assertEqual((code, text), (550, b"5.1.1 User unknown"))
        self.assertGreaterEqual(self.metric("mailsuite_smtp_ingress_replies_total", code="550"), 1)

    def test_mx_refuses_relaying(self):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            smtp.ehlo("client.remote.test")
            smtp.mail("someone@remote.test")
            code, text = smtp.rcpt("friend@elsewhere.test")
            self.assertEqual((code, text), (554, b"5.7.1 Relay access denied"))
        self.assertGreaterEqual(
            self.metric("mailsuite_smtp_ingress_rejections_total", reason="relay_denied"), 1)

    def test_mx_starttls_then_accepts(self):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            smtp.starttls(context=tls_context())
            smtp.ehlo("client.remote.test")
            self.assertFalse(smtp.has_extn("starttls"))
            self.assertFalse(smtp.has_extn("auth"))
            smtp.sendmail("someone@remote.test", ["carol@example.test"], message("mx tls"))
        self.assertIn("with ESMTPS id", self.fetch_last("carol@example.test"))

    # --- submission ------------------------------------------------------------------------

    def test_submission_needs_tls_before_auth_and_auth_before_mail(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30) as smtp:
            smtp.ehlo("laptop")
            self.assertTrue(smtp.has_extn("starttls"))
            self.assertFalse(smtp.has_extn("auth"), "AUTH offered before TLS")
            self.assertEqual(smtp.mail("alice@example.test"),
                             (530, b"5.7.0 Authentication required"))
            code, _ = smtp.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzZWNyZXQ=")
            self.assertEqual(code, 538)

    def test_submission_starttls_auth_plain_local_and_remote_with_swaks(self):
        out = self.swaks("--server", f"127.0.0.1:{self.port('submission')}", "--tls",
                         "--auth", "PLAIN", "--auth-user", "alice@example.test",
                         "--auth-password", "secret", "--from", "alice@example.test",
                         "--to", "bob@example.test,friend@remote.test",
                         "--header", "Subject: swaks submission")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("235 2.7.0 Authentication successful", out.stdout)
        txid = re.search(r"250 2\.0\.0 Ok: queued as ([0-9a-f-]{36})", out.stdout)
        self.assertTrue(txid, out.stdout)
        # A mixed transaction is one Enqueue: outbound-relay delivers bob's copy.
        body = self.wait_for("bob@example.test", txid.group(1))
        self.assertIn("with ESMTPSA id", body)
        self.assertIn("(authenticated user alice@example.test)", body)
        self.assertRegex(body, r"\(using TLSv1\.[23]")
        self.assertIn(txid.group(1), body)
        # The remote copy was committed by outbound-relay under the same transaction id
        # (it may already have failed: remote.test does not resolve in this suite).
        self.assertIn(txid.group(1), self.suite.log_text("outbound-relay"))
        self.assertGreaterEqual(
            self.metric("mailsuite_smtp_ingress_recipients_total", kind="remote"), 1)

    def test_submission_auth_login_with_smtplib(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30) as smtp:
            smtp.starttls(context=tls_context())
            smtp.ehlo("laptop")
            self.assertIn("LOGIN", smtp.esmtp_features.get("auth", "").upper())
            smtp.user, smtp.password = "carol@example.test", "secret"
            code, _ = smtp.auth("LOGIN", smtp.auth_login, initial_response_ok=False)
            self.assertEqual(code, 235)
            smtp.sendmail("carol@example.test", ["bob@example.test"], message("login"))

    def test_submission_wrong_password_is_535(self):
        failures = self.metric("mailsuite_smtp_ingress_auth_total", result="failure")
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30) as smtp:
            smtp.starttls(context=tls_context())
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                smtp.login("alice@example.test", "wrong")
            self.assertEqual(cm.exception.smtp_code, 535)
        # smtplib's login() tries PLAIN, then LOGIN: one or two failures.
        self.assertGreaterEqual(
            self.metric("mailsuite_smtp_ingress_auth_total", result="failure"), failures + 1)

    def test_submission_sender_must_be_owned(self):
        with smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=30) as smtp:
            smtp.starttls(context=tls_context())
            smtp.login("alice@example.test", "secret")
            self.assertEqual(smtp.mail("bob@example.test"),
                             (553, b"5.7.1 Sender address rejected: not owned by user"))
            self.assertEqual(smtp.mail("alice.smith@example.test")[0], 250)  # her alias

    def test_submissions_implicit_tls(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.port("submissions"), timeout=30,
                              context=tls_context()) as smtp:
            smtp.ehlo("laptop")
            self.assertFalse(smtp.has_extn("starttls"))
            smtp.login("bob@example.test", "secret")
            refused = smtp.sendmail("bob@example.test", ["alice@example.test"],
                                    message("465", sender="bob@example.test"))
            self.assertEqual(refused, {})
        self.assertIn("(authenticated user bob@example.test)", self.fetch_last("alice@example.test"))

    def test_submissions_implicit_tls_auth_login_with_swaks(self):
        out = self.swaks("--server", f"127.0.0.1:{self.port('submissions')}", "--tlsc",
                         "--auth", "LOGIN", "--auth-user", "carol@example.test",
                         "--auth-password", "secret", "--from", "carol@example.test",
                         "--to", "alice@example.test", "--header", "Subject: swaks tlsc")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("334 VXNlcm5hbWU6", out.stdout)
        self.assertIn("235 2.7.0", out.stdout)
        self.assertIn("swaks tlsc", self.fetch_last("alice@example.test"))

    def test_submission_starttls_auth_pipelining_with_swaks(self):
        out = self.swaks("--server", f"127.0.0.1:{self.port('submission')}", "--tls",
                         "--pipeline", "--auth", "PLAIN", "--auth-user", "bob@example.test",
                         "--auth-password", "secret", "--from", "bob@example.test",
                         "--to", "carol@example.test,alice@example.test",
                         "--header", "Subject: swaks pipelined submission")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("swaks pipelined submission", self.fetch_last("carol@example.test"))

    def test_ten_mib_message_with_smtplib(self):
        line = "0123456789" * 7 + "\r\n"  # 72 octets
        body = line * (10 * 1024 * 1024 // len(line) + 1)
        subject = f"big {uuid.uuid4()}"
        msg = f"Subject: {subject}\r\n\r\n" + body + "the end of the big one\r\n"
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=120) as smtp:
            self.assertEqual(smtp.sendmail("big@remote.test", ["carol@example.test"], msg), {})
        fetched = self.fetch_last("carol@example.test")
        self.assertIn(subject, fetched)
        self.assertIn("the end of the big one", fetched)
        # mailctl prints LF line ends: 73 → 72 octets per line.
        self.assertGreater(len(fetched), 10 * 1000 * 1000)

    def test_sigterm_during_data_is_421_and_stores_nothing(self):
        before = len(self.inbox("bob@example.test"))
        proc = self.suite.procs["smtp-ingress"]
        try:
            with socket.create_connection(("127.0.0.1", self.port("smtp")), timeout=30) as sock:
                f = sock.makefile("rb")
                self.assertTrue(f.readline().startswith(b"220"))
                sock.sendall(b"EHLO client.remote.test\r\n")
                while not f.readline().startswith(b"250 "):
                    pass
                for cmd in (b"MAIL FROM:<a@remote.test>", b"RCPT TO:<bob@example.test>",
                            b"DATA"):
                    sock.sendall(cmd + b"\r\n")
                    f.readline()
                sock.sendall(b"Subject: interrupted\r\n\r\n" + b"x" * 1000 + b"\r\n")
                time.sleep(0.3)
                proc.send_signal(signal.SIGTERM)
                reply = f.readline()
                self.assertTrue(reply.startswith(b"421 4.3.2 "), reply)
            self.assertEqual(proc.wait(15), 0)
        finally:
            if proc.poll() is None:
                proc.wait(15)
            self.suite.procs.pop("smtp-ingress", None)
            self.suite.start("smtp-ingress")
        self.assertEqual(len(self.inbox("bob@example.test")), before)

    def test_size_limit_is_advertised_and_enforced_at_mail(self):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            smtp.ehlo("client.remote.test")
            limit = int(smtp.esmtp_features["size"])
            self.assertEqual(limit, 50 * 1024 * 1024)
            code, _ = smtp.mail("a@remote.test", [f"SIZE={limit + 1}"])
            self.assertEqual(code, 552)

    # --- backends down ---------------------------------------------------------------------

    def test_mailbox_store_down_is_451_then_recovers(self):
        self.suite.stop("mailbox-store")
        try:
            with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=60) as smtp:
                smtp.ehlo("client.remote.test")
                smtp.mail("someone@remote.test")
                code, text = smtp.rcpt("bob@example.test")
                self.assertEqual(code, 451)
                self.assertTrue(text.startswith(b"4.3.0"), text)
        finally:
            self.suite.start("mailbox-store")
        # gRPC reconnects with a backoff: retry for a while, as a real client would.
        deadline = time.time() + 30
        while True:
            with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=60) as smtp:
                smtp.ehlo("client.remote.test")
                smtp.mail("someone@remote.test")
                code, _ = smtp.rcpt("bob@example.test")
                if code == 250:
                    code, _ = smtp.data(message("after restart").encode())
                    self.assertEqual(code, 250)
                    break
            self.assertEqual(code, 451)
            self.assertLess(time.time(), deadline, "no recovery after mailbox-store restart")
            time.sleep(0.5)

    def test_metrics_are_exported(self):
        with smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=30) as smtp:
            smtp.noop()
        text = self.suite.metrics_text("smtp-ingress")
        for name in ("mailsuite_smtp_ingress_connections_total",
                     "mailsuite_smtp_ingress_replies_total",
                     "mailsuite_smtp_ingress_accept_latency_seconds_bucket",
                     "mailsuite_smtp_ingress_sessions_active"):
            self.assertIn(name, text)
        self.assertGreaterEqual(
            self.metric("mailsuite_smtp_ingress_connections_total", listener="smtp"), 1)


if __name__ == "__main__":
    unittest.main()
