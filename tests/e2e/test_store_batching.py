"""End-to-end tests of mailbox-store's batching: group commit of Deliver and FetchBodies.

Group commit: many SMTP clients delivering at once to one mailbox share PostgreSQL
transactions (mailsuite_mailbox_store_deliver_commits_total grows slower than the calls),
and still every message is stored exactly once with its own UID.
FetchBodies: a POP3 client reading its maildrop in order is served from read-ahead
batches, so mailbox-store sees a handful of FetchBodies calls rather than one FetchBody
per message, and each body is the one that was sent, in order, for this account only.
Run: /usr/bin/python3 tests/e2e/test_store_batching.py -v
"""

import concurrent.futures
import os
import poplib
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SERVICES = ("mailbox-store", "smtp-ingress", "pop3-access")
PASSWORD = "batch secret"
SENDERS = 24
PER_SENDER = 5



def make_message(user, n):
    return (f"From: <sender@elsewhere.test>\r\nTo: <{user}@example.test>\r\n"
            f"Subject: {user} message {n:04d}\r\n\r\n"
            + f"Body of {user} message {n:04d}.\r\n" * 40)


MISSING = harness.missing_binaries(SERVICES)


@unittest.skipIf(MISSING, f"not built yet: {MISSING}")
class StoreBatchingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=SERVICES, extra_flags={
            "pop3-access": ["--allow_plaintext_auth", "--auth_failure_delay=0s"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        ctl = cls.suite.mailctl
        ctl("domain", "add", "example.test").check_returncode()
        for user in ("many", "other"):
            ctl("user", "add", f"{user}@example.test", "--password-stdin",
                input=PASSWORD).check_returncode()

    def metric(self, name, **labels):
        return self.suite.metric("mailbox-store", name, **labels) or 0

    def send(self, user, numbers):
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=60) as smtp:
            for n in numbers:
                refused = smtp.sendmail("sender@elsewhere.test", [f"{user}@example.test"],
                                        make_message(user, n))
                self.assertEqual(refused, {})

    def retrieve_all(self, user):
        pop = poplib.POP3("127.0.0.1", self.suite.ports["pop3"], timeout=30)
        try:
            pop.user(f"{user}@example.test")
            pop.pass_(PASSWORD)
            count, _ = pop.stat()
            return [b"\r\n".join(pop.retr(i)[1]).decode() for i in range(1, count + 1)]
        finally:
            pop.quit()

    def test_concurrent_deliveries_share_commits_and_pop3_reads_ahead(self):
        commits0 = self.metric("mailsuite_mailbox_store_deliver_commits_total")
        calls0 = self.metric("mailsuite_mailbox_store_deliver_committed_calls_total")
        with concurrent.futures.ThreadPoolExecutor(SENDERS) as pool:
            jobs = [pool.submit(self.send, "many", range(s * PER_SENDER, (s + 1) * PER_SENDER))
                    for s in range(SENDERS)]
            jobs.append(pool.submit(self.send, "other", range(3)))
            for job in jobs:
                job.result()
        commits = self.metric("mailsuite_mailbox_store_deliver_commits_total") - commits0
        calls = self.metric("mailsuite_mailbox_store_deliver_committed_calls_total") - calls0
        total = SENDERS * PER_SENDER + 3
        self.assertEqual(calls, total)
        # At least some deliveries shared a transaction (with 24 clients at once, many).
        self.assertLess(commits, calls, "no two deliveries shared a transaction")

        single0 = self.metric("mailsuite_mailbox_store_rpcs_total", method="FetchBody",
                              code="OK")
        bodies = self.retrieve_all("many")
        # Each message exactly once: every subject present, none twice.
        subjects = sorted(line for body in bodies for line in body.split("\r\n")
                          if line.startswith("Subject: "))
        self.assertEqual(subjects, [f"Subject: many message {n:04d}"
                                    for n in range(SENDERS * PER_SENDER)])
        for body in bodies:
            self.assertNotIn("other message", body)
        single = self.metric("mailsuite_mailbox_store_rpcs_total", method="FetchBody",
                             code="OK") - single0
        batches = self.metric("mailsuite_mailbox_store_rpcs_total", method="FetchBodies",
                              code="OK")
        self.assertEqual(single, 0, "RETR of small messages went one by one")
        self.assertGreaterEqual(batches, 1)
        self.assertLessEqual(batches, 3, "read-ahead batches should cover ~120 messages")
        self.assertEqual(len(self.retrieve_all("other")), 3)

    def test_one_body_delivered_by_concurrent_calls_is_stored_once(self):
        """Separate Deliver calls (other transaction ids) with the same body, at once: the
        first stores the blob, the others find it (INSERT ... ON CONFLICT, then SELECT)."""
        self.suite.mailctl("user", "add", "same@example.test", "--password-stdin",
                           input=PASSWORD).check_returncode()
        body = "From: <a@elsewhere.test>\r\nSubject: same body\r\n\r\nidentical\r\n"

        def deliver(_):
            out = self.suite.mailctl("deliver", "same@example.test", input=body)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("delivered", out.stdout)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(deliver, range(8)))
        sql = self.suite.pg.psql
        self.assertEqual(sql("SELECT count(*) FROM mailstore.messages m JOIN mailstore.accounts a "
                             "ON a.id = m.account_id WHERE a.local_part = 'same'").strip(), "8")
        self.assertEqual(sql("SELECT count(DISTINCT m.blob_id) FROM mailstore.messages m JOIN "
                             "mailstore.accounts a ON a.id = m.account_id "
                             "WHERE a.local_part = 'same'").strip(), "1")


if __name__ == "__main__":
    unittest.main()
