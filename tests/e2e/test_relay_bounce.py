"""End-to-end tests of outbound-relay's round-2 features: local recipients delivered
through mailbox-store (EnvelopeRecipient.local), RFC 3464 DSNs (to a local sender's INBOX
and, for remote senders, through the queue), NOTIFY and the null sender, delay warnings and
the queue lifetime, suppression, queue control and the bounce report via mailctl.

mailbox-store + dns-resolver + outbound-relay run with PostgreSQL; messages are put in the
relay's queue tables directly (as Enqueue would); aiosmtpd on loopback plays the remote MX
(test_relay.RemoteMx: "reject..." gets 550 5.1.1, "deferN..." 451 N times).
"""

import base64
import email
import email.policy
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_relay  # noqa: E402  (RemoteMx; its TestCases are not collected from here)
from dns_server import DnsServer  # noqa: E402

WAIT = 30
PASSWORD = "correct horse battery staple"
NEEDS = ["mailbox-store", "dns-resolver", "outbound-relay", "mailctl"]


class RelayBounceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = harness.missing_binaries(NEEDS)
        if missing:
            raise unittest.SkipTest(f"not built yet: {', '.join(missing)}")
        port = harness.free_port()
        cls.mx = test_relay.RemoteMx("127.0.0.2", port).start()
        cls.addClassCleanup(cls.mx.stop)
        cls.dns = DnsServer({
            "remote.test": {"MX": [(10, "mx.remote.test")]},
            "elsewhere.test": {"MX": [(10, "mx.remote.test")]},
            "mx.remote.test": {"A": ["127.0.0.2"]},
        }).start()
        cls.addClassCleanup(cls.dns.stop)
        cls.suite = harness.Suite(
            upstream=cls.dns.upstream, remote_smtp_port=port,
            services=("mailbox-store", "dns-resolver", "outbound-relay"),
            extra_flags={"outbound-relay": ["--poll_interval=200ms", "--delay_warning=3s",
                                            "--suppress_after_soft_failures=3"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        cls.ctl("domain", "add", "example.test")
        for user in ("alice", "bob", "dora", "erin", "fay", "gail"):
            cls.ctl("user", "add", f"{user}@example.test", "--password-stdin", input=PASSWORD)

    @classmethod
    def ctl(cls, *args, input=None):
        r = cls.suite.mailctl(*args, input=input)
        if r.returncode != 0:
            raise AssertionError(f"mailctl {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    # --- helpers ----------------------------------------------------------------------

    def enqueue(self, recipients, sender="alice@example.test", local=(), notify="", ret="",
                age_sql="", due_sql="now()"):
        qid = str(uuid.uuid4())
        body = (f"From: {sender or 'MAILER-DAEMON'}\r\nTo: {recipients[0]}\r\n"
                f"Subject: bounce test {qid}\r\nMessage-ID: <{qid}@example.test>\r\n\r\n"
                "Hello.\r\n")
        b64 = base64.b64encode(body.encode()).decode()
        created = f"now() - interval '{age_sql}'" if age_sql else "now()"
        sql = [f"INSERT INTO relay.messages (id, sender, ret, size, body, created_at) VALUES "
               f"('{qid}', '{sender}', '{ret}', {len(body)}, decode('{b64}', 'base64'), "
               f"{created})"]
        for r in recipients:
            domain = r.rsplit("@", 1)[1].lower()
            sql.append("INSERT INTO relay.recipients (message_id, address, domain, notify, local,"
                       f" next_attempt_at) VALUES ('{qid}', '{r}', '{domain}', '{notify}', "
                       f"{'true' if r in local else 'false'}, {due_sql})")
        self.suite.pg.psql("BEGIN; " + "; ".join(sql) + "; COMMIT;")
        return qid

    def sql(self, query):
        return self.suite.pg.psql(query).strip()

    def wait_sql(self, query, want, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            got = self.sql(query)
            if got == want or time.monotonic() > deadline:
                return got
            time.sleep(0.2)

    def recipient(self, qid, rcpt):
        return self.sql(f"SELECT state, cause, dsn FROM relay.recipients WHERE "
                        f"message_id = '{qid}' AND address = '{rcpt}'")

    def inbox(self, account):
        r = self.suite.mailctl("message", "list", account, "INBOX")
        r.check_returncode()
        return [line.split()[0] for line in r.stdout.splitlines()[1:] if line.strip()]

    def fetch(self, account, uid):
        r = self.suite.mailctl("message", "fetch", account, "INBOX", uid)
        r.check_returncode()
        return email.message_from_string(r.stdout, policy=email.policy.default)

    def wait_inbox(self, account, count, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            uids = self.inbox(account)
            if len(uids) >= count or time.monotonic() > deadline:
                return uids
            time.sleep(0.3)

    def find_dsn(self, account, qid, action, timeout=WAIT):
        """The DSN in `account`'s INBOX about message `qid` with this Action, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for uid in self.inbox(account):
                msg = self.fetch(account, uid)
                if msg.get_content_type() != "multipart/report":
                    continue
                parts = list(msg.iter_parts())
                headers = parts[2].get_content() if len(parts) > 2 else ""
                if isinstance(headers, email.message.Message):
                    headers = headers.as_string()
                if qid not in str(headers):
                    continue
                if f"Action: {action}" in parts[1].as_string():
                    return msg
            time.sleep(0.3)
        return None

    def status_fields(self, dsn):
        """(per-message fields, [per-recipient fields]) of the message/delivery-status part."""
        part = list(dsn.iter_parts())[1]
        self.assertEqual(part.get_content_type(), "message/delivery-status")
        blocks = part.get_payload()
        return blocks[0], blocks[1:]

    # --- tests ------------------------------------------------------------------------

    def test_bounce_to_local_sender_inbox(self):
        qid = self.enqueue(["reject.one@remote.test"])
        self.assertEqual(self.wait_sql(
            f"SELECT state || ',' || cause FROM relay.recipients WHERE message_id = '{qid}'",
            "failed,mailbox_unknown"), "failed,mailbox_unknown")
        dsn = self.find_dsn("alice@example.test", qid, "failed")
        self.assertIsNotNone(dsn, "no DSN in alice's INBOX")
        self.assertEqual(dsn["From"].addresses[0].addr_spec, "MAILER-DAEMON@mx.example.test")
        self.assertEqual(dsn.get_param("report-type"), "delivery-status")
        self.assertEqual(dsn["Auto-Submitted"], "auto-replied")
        text, status, headers = list(dsn.iter_parts())
        self.assertEqual(text.get_content_type(), "text/plain")
        human = text.get_content()
        self.assertIn("<reject.one@remote.test>", human)
        self.assertIn("The address does not exist at the receiving server.", human)
        self.assertIn("Check the part before the @ for typos", human)
        self.assertIn("permanent", human)
        self.assertIn("受信側のサーバーにこのアドレスは存在しません。", human)
        self.assertIn("550 5.1.1", human)
        per_message, per_rcpt = self.status_fields(dsn)
        self.assertEqual(per_message["Reporting-MTA"], "dns; mx.example.test")
        self.assertIn("Arrival-Date", per_message)
        self.assertEqual(len(per_rcpt), 1)
        r = per_rcpt[0]
        self.assertEqual(r["Final-Recipient"], "rfc822; reject.one@remote.test")
        self.assertEqual(r["Action"], "failed")
        self.assertEqual(r["Status"], "5.1.1")
        self.assertEqual(r["Remote-MTA"], "dns; mx.remote.test")
        self.assertTrue(r["Diagnostic-Code"].startswith("smtp; 550 5.1.1"), r["Diagnostic-Code"])
        self.assertEqual(headers.get_content_type(), "text/rfc822-headers")
        self.assertNotIn("Hello.", dsn.as_string())  # RET=HDRS: no body
        # The DSN went through the queue as a message from <> to a local recipient.
        self.assertEqual(self.sql(f"SELECT m.sender || '|' || r.local || '|' || r.state FROM "
                                  f"relay.messages m JOIN relay.recipients r ON "
                                  f"r.message_id = m.id WHERE m.dsn_for = '{qid}'"),
                         "|true|delivered")
        self.assertEqual(self.recipient(qid, "reject.one@remote.test").split("|")[2], "sent")
        # Metrics: the outcome with its cause, and the DSN.
        self.assertGreaterEqual(self.suite.metric(
            "outbound-relay", "mailsuite_outbound_relay_deliveries_total",
            outcome="failed", cause="mailbox_unknown"), 1)
        self.assertGreaterEqual(self.suite.metric(
            "outbound-relay", "mailsuite_outbound_relay_dsns_total", kind="failure"), 1)

    def test_one_dsn_for_all_failed_recipients_and_ret_full(self):
        qid = self.enqueue(["reject.a@remote.test", "reject.b@remote.test",
                            "ok.c@remote.test"], sender="dora@example.test", ret="FULL")
        dsn = self.find_dsn("dora@example.test", qid, "failed")
        self.assertIsNotNone(dsn)
        _, per_rcpt = self.status_fields(dsn)
        self.assertEqual(sorted(r["Final-Recipient"] for r in per_rcpt),
                         ["rfc822; reject.a@remote.test", "rfc822; reject.b@remote.test"])
        parts = list(dsn.iter_parts())
        self.assertEqual(parts[2].get_content_type(), "message/rfc822")
        self.assertIn("Hello.", dsn.as_string())
        time.sleep(1)
        self.assertEqual(len(self.inbox("dora@example.test")), 1)  # one DSN, not two

    def test_remote_sender_bounce_goes_through_the_queue(self):
        qid = self.enqueue(["reject.remote@remote.test"], sender="carol@elsewhere.test")
        deadline = time.monotonic() + WAIT
        found = None
        while time.monotonic() < deadline and found is None:
            for m in list(self.mx.messages):
                if "carol@elsewhere.test" in m["rcpt_tos"] and qid.encode() in m["content"]:
                    found = m
            time.sleep(0.2)
        self.assertIsNotNone(found, "the DSN never reached the remote sender's MX")
        self.assertEqual(found["mail_from"], "<>")
        msg = email.message_from_bytes(found["content"], policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")

    def test_no_dsn_for_notify_never_or_null_sender(self):
        never = self.enqueue(["reject.never@remote.test"], notify="NEVER")
        null = self.enqueue(["reject.null@remote.test"], sender="")
        for qid, rcpt in ((never, "reject.never@remote.test"), (null, "reject.null@remote.test")):
            self.assertEqual(self.wait_sql(
                f"SELECT state || ',' || dsn FROM relay.recipients WHERE message_id = '{qid}'",
                "failed,none"), "failed,none")
        time.sleep(1)
        self.assertEqual(self.sql(f"SELECT count(*) FROM relay.messages WHERE dsn_for IN "
                                  f"('{never}', '{null}')"), "0")

    def test_notify_success_sends_a_delivered_report(self):
        qid = self.enqueue(["ok.success@remote.test"], sender="erin@example.test",
                           notify="SUCCESS")
        dsn = self.find_dsn("erin@example.test", qid, "delivered")
        self.assertIsNotNone(dsn)
        _, per_rcpt = self.status_fields(dsn)
        self.assertEqual(per_rcpt[0]["Status"], "2.0.0")

    def test_delay_warning_then_expiry(self):
        # Queued 120 h minus 6 s ago: a delay warning (older than --delay_warning=3s) goes
        # out at once, and the queue lifetime (120 h) ends a few seconds later.
        qid = self.enqueue(["defer999.x@remote.test"], sender="fay@example.test",
                           age_sql="119 hours 59 minutes 54 seconds")
        delayed = self.find_dsn("fay@example.test", qid, "delayed")
        self.assertIsNotNone(delayed, "no delay warning")
        self.assertIn("Will-Retry-Until", list(delayed.iter_parts())[1].as_string())
        self.assertIn("You do not need to send it again", list(delayed.iter_parts())[0]
                      .get_content())
        failed = self.find_dsn("fay@example.test", qid, "failed", timeout=40)
        self.assertIsNotNone(failed, "no failure DSN after the queue lifetime")
        _, per_rcpt = self.status_fields(failed)
        self.assertEqual(per_rcpt[0]["Status"], "4.3.0")  # temporary, given up
        self.assertIn("delivery was given up", list(failed.iter_parts())[0].get_content())

    def test_local_recipients_are_delivered_once(self):
        qid = self.enqueue(["bob@example.test", "ok.mixed@remote.test"],
                           sender="carol@elsewhere.test", local=("bob@example.test",))
        self.assertEqual(self.wait_sql(
            f"SELECT string_agg(state, ',' ORDER BY address) FROM relay.recipients "
            f"WHERE message_id = '{qid}'", "delivered,delivered"), "delivered,delivered")
        self.assertIsNotNone(self.mx.find("ok.mixed@remote.test"))
        uids = self.wait_inbox("bob@example.test", 1)
        self.assertEqual(len(uids), 1)
        # A repeated attempt (a relay killed after Deliver committed) stores no second copy:
        # the same transaction id makes mailbox-store answer "duplicate".
        self.sql(f"UPDATE relay.recipients SET state = 'queued', next_attempt_at = now() "
                 f"WHERE message_id = '{qid}' AND address = 'bob@example.test'")
        self.assertEqual(self.wait_sql(
            f"SELECT attempts || state FROM relay.recipients WHERE message_id = '{qid}' "
            f"AND address = 'bob@example.test'", "2delivered"), "2delivered")
        self.assertEqual(len(self.inbox("bob@example.test")), 1)
        # An unknown local user fails with a DSN like any 5xx.
        qid2 = self.enqueue(["nobody@example.test"], sender="gail@example.test",
                            local=("nobody@example.test",))
        self.assertEqual(self.wait_sql(
            f"SELECT state || ',' || cause FROM relay.recipients WHERE message_id = '{qid2}'",
            "failed,mailbox_unknown"), "failed,mailbox_unknown")

    def test_suppression(self):
        qid = self.enqueue(["reject.supp@remote.test"], sender="")
        self.wait_sql(f"SELECT state FROM relay.recipients WHERE message_id = '{qid}'", "failed")
        out = self.ctl("suppression", "list")
        self.assertIn("reject.supp@remote.test", out)
        self.assertIn("mailbox_unknown", out)
        tries = self.mx.rcpt_attempts.get("reject.supp@remote.test")
        # Mail to a suppressed address is not attempted and fails at once, with a DSN.
        qid2 = self.enqueue(["reject.supp@remote.test"], sender="erin@example.test")
        self.assertEqual(self.wait_sql(
            f"SELECT state || ',' || cause FROM relay.recipients WHERE message_id = '{qid2}'",
            "failed,suppressed"), "failed,suppressed")
        self.assertEqual(self.mx.rcpt_attempts.get("reject.supp@remote.test"), tries)
        dsn = self.find_dsn("erin@example.test", qid2, "failed")
        self.assertIsNotNone(dsn)
        self.assertIn("suppressed", list(dsn.iter_parts())[0].get_content())
        # Soft failures: three consecutive deferrals suppress (--suppress_after_soft_failures).
        qid3 = self.enqueue(["defer99.soft@remote.test"], sender="")
        self.wait_sql(f"SELECT attempts >= 3 FROM relay.recipients WHERE message_id = '{qid3}'",
                      "t", timeout=40)
        self.assertIn("defer99.soft@remote.test", self.ctl("suppression", "list"))
        self.sql(f"DELETE FROM relay.messages WHERE id = '{qid3}'")
        # mailctl add / remove, and clear errors.
        self.assertIn("suppressed until", self.ctl("suppression", "add", "Someone@Example.ORG",
                                                   "--reason=asked"))
        self.assertIn("someone@example.org", self.ctl("suppression", "list"))
        self.assertIn("no longer suppressed",
                      self.ctl("suppression", "remove", "someone@example.org"))
        r = self.suite.mailctl("suppression", "remove", "someone@example.org")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), "mailctl: someone@example.org is not suppressed")
        r = self.suite.mailctl("suppression", "add", "not an address")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        # A later success clears the address.
        self.ctl("suppression", "remove", "reject.supp@remote.test")
        self.assertNotIn("reject.supp@remote.test", self.ctl("suppression", "list"))

    def test_queue_control(self):
        qid = self.enqueue(["defer1.ctl@remote.test"], sender="",
                           due_sql="now() + interval '1 hour'")
        self.assertIn("1 recipient held", self.ctl("queue", "hold", qid))
        self.assertIn("held", self.ctl("queue", "list", "--state=held"))
        out = self.ctl("queue", "show", qid)
        self.assertIn("defer1.ctl@remote.test", out)
        self.assertIn(f"Subject: bounce test {qid}", out)
        self.assertIn("1 recipient released", self.ctl("queue", "release", qid))
        # Released = due now: deferred once (451), then delivered after --retry_initial=1s.
        self.assertEqual(self.wait_sql(
            f"SELECT state FROM relay.recipients WHERE message_id = '{qid}'", "delivered"),
            "delivered")
        out = self.ctl("queue", "show", qid)
        self.assertIn("remote_server_error", out)  # the cause of "451 4.3.0"
        self.assertIn("deferred", out)
        r = self.suite.mailctl("queue", "release", qid)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no recipient changed", r.stderr)
        qid2 = self.enqueue(["x.del@remote.test"], sender="", due_sql="now() + interval '1 hour'")
        self.assertIn("1 recipient due now", self.ctl("queue", "retry", qid2,
                                                     "--recipient=x.del@remote.test"))
        qid3 = self.enqueue(["y.del@remote.test"], sender="", due_sql="now() + interval '1 hour'")
        self.assertIn("deleted", self.ctl("queue", "delete", qid3))
        self.assertEqual(self.sql(f"SELECT count(*) FROM relay.messages WHERE id = '{qid3}'"),
                         "0")
        r = self.suite.mailctl("queue", "show", "not-a-uuid")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        r = self.suite.mailctl("queue", "show", str(uuid.uuid4()))
        self.assertEqual(r.returncode, 1)
        self.assertIn("in the queue", r.stderr)

    def test_zz_bounce_report(self):
        self.enqueue(["reject.report@remote.test"], sender="")
        time.sleep(0.5)
        out = self.ctl("bounces", "report", "--since=1h")
        self.assertIn("mailbox_unknown", out)
        self.assertIn("The address does not exist", out)
        self.assertIn("remote.test", out)
        self.assertIn("Top failing domains", out)


if __name__ == "__main__":
    unittest.main()
