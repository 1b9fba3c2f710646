"""End-to-end test of outbound-relay's purge of finished queue rows (--retention) against a
real PostgreSQL: messages whose every recipient is delivered or failed (DSN sent) and
untouched for longer than the retention go, with their recipients and attempts; anything
still to do, owing a DSN, or recent stays; while another relay purges, this one waits
its turn (the advisory lock that makes it safe with many replicas). Rows are written straight into the relay
schema with old timestamps, so the test needs no remote MX and no waiting for days.
"""

import os
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

WAIT = 30


class RelayPurgeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = harness.missing_binaries(["dns-resolver", "outbound-relay", "mailctl"])
        if missing:
            raise unittest.SkipTest(f"not built yet: {', '.join(missing)}")
        cls.suite = harness.Suite(
            services=("dns-resolver", "outbound-relay"),
            extra_flags={"outbound-relay": [
                # Rows are backdated by days; 7 days is the default retention.
                "--retention=168h", "--purge_interval=500ms",
                # A pending DSN must stay pending for the test (it blocks the purge).
                "--send_dsns=false"]}).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)

    def message(self, age_days, recipients):
        """Inserts a message created `age_days` ago with `recipients`: a list of
        (state, dsn, updated_days_ago). Queued/held recipients are never due (next attempt
        in a day). Each recipient gets one attempt row. Returns the message id."""
        qid = str(uuid.uuid4())
        sql = [f"INSERT INTO relay.messages (id, sender, size, body, created_at) VALUES "
               f"('{qid}', 'alice@example.test', 5, 'hello'::bytea, "
               f"now() - interval '{age_days} days')"]
        for i, (state, dsn, updated) in enumerate(recipients):
            sql.append(
                "WITH r AS (INSERT INTO relay.recipients (message_id, address, domain, state,"
                " dsn, next_attempt_at, updated_at) VALUES "
                f"('{qid}', 'r{i}@remote.test', 'remote.test', '{state}', '{dsn}',"
                f" now() + interval '1 day', now() - interval '{updated} days') RETURNING id)"
                " INSERT INTO relay.attempts (recipient_id, outcome, at)"
                f" SELECT id, 'deferred', now() - interval '{updated} days' FROM r")
        self.suite.pg.psql("BEGIN; " + "; ".join(sql) + "; COMMIT;")
        return qid

    def count(self, table, qid):
        column = {"messages": "id", "recipients": "message_id"}.get(table)
        if column is None:  # attempts
            sql = ("SELECT count(*) FROM relay.attempts a JOIN relay.recipients r"
                   f" ON r.id = a.recipient_id WHERE r.message_id = '{qid}'")
        else:
            sql = f"SELECT count(*) FROM relay.{table} WHERE {column} = '{qid}'"
        return int(self.suite.pg.psql(sql).strip())

    def test_finished_old_messages_go_and_the_rest_stays(self):
        purged = self.suite.metric("outbound-relay", "mailsuite_outbound_relay_purged_total",
                                   kind="messages") or 0
        gone = [
            self.message(10, [("delivered", "", 9), ("failed", "sent", 8)]),
            self.message(30, [("failed", "none", 29)]),
        ]
        stays = {
            "queued recipient": self.message(10, [("delivered", "", 9), ("queued", "", 9)]),
            "held recipient": self.message(10, [("held", "", 9)]),
            "dsn pending": self.message(10, [("failed", "pending", 9)]),
            "recent change": self.message(10, [("delivered", "", 9), ("failed", "sent", 1)]),
            "recent message": self.message(1, [("delivered", "", 1)]),
        }
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and any(self.count("messages", q) for q in gone):
            time.sleep(0.2)
        for qid in gone:
            self.assertEqual(self.count("messages", qid), 0, qid)
            self.assertEqual(self.count("recipients", qid), 0, qid)
        self.assertEqual(int(self.suite.pg.psql(
            "SELECT count(*) FROM relay.attempts a WHERE NOT EXISTS (SELECT 1 FROM"
            " relay.recipients r WHERE r.id = a.recipient_id)").strip()), 0)
        time.sleep(1.5)  # a few more purge passes: the rest must still be there
        for why, qid in stays.items():
            self.assertEqual(self.count("messages", qid), 1, why)
            self.assertGreaterEqual(self.count("recipients", qid), 1, why)
            self.assertGreaterEqual(self.count("attempts", qid), 1, why)
        # The queue listing still shows what is queued.
        out = self.suite.mailctl("queue", "list")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(stays["queued recipient"], out.stdout)
        self.assertGreaterEqual(
            self.suite.metric("outbound-relay", "mailsuite_outbound_relay_purged_total",
                              kind="messages"), purged + 2)
        self.assertGreaterEqual(
            self.suite.metric("outbound-relay", "mailsuite_outbound_relay_purged_total",
                              kind="recipients"), 3)

    def test_one_purger_at_a_time(self):
        """While another relay holds the purge lock (here a psql session standing in for
        it), this relay skips its purge rounds; once the lock is gone it purges."""
        locked = threading.Event()

        def other_replica():
            # pg_advisory_xact_lock in one transaction held for 3 s; the key is the one
            # PgQueueStore::Purge takes ("relayprg").
            locked.set()
            self.suite.pg.psql(f"BEGIN; SELECT pg_advisory_xact_lock({0x72656c6179707267});"
                               " SELECT pg_sleep(3); COMMIT;")

        holder = threading.Thread(target=other_replica)
        holder.start()
        locked.wait()
        time.sleep(0.3)  # the psql session has the lock by now
        qid = self.message(10, [("delivered", "", 9)])
        time.sleep(1.5)  # three purge rounds, all skipped
        still_there = self.count("messages", qid)
        holder.join()
        self.assertEqual(still_there, 1)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.count("messages", qid):
            time.sleep(0.2)
        self.assertEqual(self.count("messages", qid), 0)


if __name__ == "__main__":
    unittest.main()
