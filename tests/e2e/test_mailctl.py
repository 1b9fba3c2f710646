"""mailctl against a real mailbox-store and PostgreSQL: domain, account and alias
lifecycles, error messages and exit codes, password checks (including imported crypt(3)
hashes being rehashed), and idempotent delivery by transaction id (mailctl deliver)."""

import os
import signal
import subprocess
import sys
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TXID = "0b4c3a0e-6d0f-4f7e-9a1b-2c3d4e5f6a7b"
MESSAGE = "From: a@remote.test\r\nSubject: idempotent\r\n\r\nhello\r\n"


class MailctlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=("mailbox-store",)).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)

    def run_ok(self, *args, input=None):
        r = self.suite.mailctl(*args, input=input)
        self.assertEqual(r.returncode, 0, f"mailctl {' '.join(args)}: {r.stderr}")
        return r.stdout

    def run_fail(self, code, *args, input=None):
        r = self.suite.mailctl(*args, input=input)
        self.assertEqual(r.returncode, code, f"mailctl {' '.join(args)}: {r.stdout}{r.stderr}")
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith("mailctl: "), r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        return r.stderr

    def sql(self, query):
        return self.suite.pg.psql(query).strip()

    def auth(self, address, password):
        return self.suite.mailctl("auth", address, "--password-stdin", input=password)

    # --- domains -----------------------------------------------------------------------

    def test_domain_lifecycle(self):
        self.assertIn("added", self.run_ok("domain", "add", "Life.TEST"))
        err = self.run_fail(1, "domain", "add", "life.test")
        self.assertIn("domain life.test already exists", err)
        self.run_ok("user", "add", "u@life.test", "--password-stdin", input="pw")
        listing = self.run_ok("domain", "list").splitlines()
        self.assertEqual(listing[0].split(), ["DOMAIN", "ACCOUNTS", "CREATED"])
        row = [line.split() for line in listing if line.startswith("life.test ")]
        self.assertEqual(row[0][1], "1")
        err = self.run_fail(1, "domain", "remove", "life.test")
        self.assertIn("still has 1 account", err)
        self.assertIn("--force", err)
        self.run_ok("domain", "remove", "life.test", "--force")
        self.assertNotIn("life.test", self.run_ok("domain", "list"))
        self.assertEqual(self.sql("SELECT count(*) FROM mailstore.accounts a JOIN "
                                  "mailstore.domains d ON d.id = a.domain_id "
                                  "WHERE d.name = 'life.test'"), "0")
        err = self.run_fail(1, "domain", "remove", "life.test")
        self.assertIn("domain life.test does not exist", err)
        self.assertIn("invalid domain", self.run_fail(1, "domain", "add", "bad_domain"))

    # --- accounts ----------------------------------------------------------------------

    def test_user_add_unknown_domain(self):
        err = self.run_fail(1, "user", "add", "nobody@unknown.test", "--password-stdin",
                            input="pw")
        self.assertIn("domain unknown.test does not exist", err)
        err = self.run_fail(1, "user", "add", "nobody@unknown.test")
        self.assertIn("domain unknown.test does not exist", err)

    def test_user_lifecycle(self):
        self.run_ok("domain", "add", "users.test")
        out = self.run_ok("user", "add", "Carol@users.test", "--password-stdin",
                          "--quota=10M", input="s3cret\n")
        self.assertNotIn("password", out)
        self.assertIn("already exists",
                      self.run_fail(1, "user", "add", "carol@USERS.test", "--password-stdin",
                                    input="x"))
        self.assertIn("invalid address",
                      self.run_fail(1, "user", "add", "a..b@users.test", "--password-stdin",
                                    input="x"))
        # Without --password-stdin a password is generated and printed once.
        out = self.run_ok("user", "add", "dan@users.test")
        generated = [line.split(": ", 1)[1] for line in out.splitlines()
                     if line.startswith("password: ")]
        self.assertEqual(len(generated), 1)
        self.assertGreaterEqual(len(generated[0]), 16)
        self.assertEqual(self.auth("dan@users.test", generated[0]).returncode, 0)

        listing = self.run_ok("user", "list", "users.test").splitlines()
        self.assertEqual(listing[0].split(), ["ADDRESS", "QUOTA", "USED", "STATUS"])
        self.assertIn("Carol@users.test  10.0 MiB", listing[1])
        self.assertTrue(listing[2].startswith("dan@users.test"))
        self.assertIn("unlimited", listing[2])
        self.assertIn("domain nope.test does not exist",
                      self.run_fail(1, "user", "list", "nope.test"))

        # The local part is matched case-insensitively; the stored spelling is canonical.
        r = self.auth("CAROL@Users.Test", "s3cret")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("authenticated as Carol@users.test", r.stdout)
        r = self.auth("carol@users.test", "wrong")
        self.assertEqual(r.returncode, 1)
        self.assertIn("authentication failed", r.stderr)
        self.assertEqual(self.auth("ghost@users.test", "s3cret").returncode, 1)

        self.run_ok("user", "passwd", "carol@users.test", "--password-stdin", input="n3w\n")
        self.assertEqual(self.auth("carol@users.test", "s3cret").returncode, 1)
        self.assertEqual(self.auth("carol@users.test", "n3w").returncode, 0)

        self.assertIn("2.0 GiB", self.run_ok("user", "quota", "carol@users.test", "2G"))
        self.assertEqual(self.sql("SELECT quota_bytes FROM mailstore.accounts "
                                  "WHERE local_part = 'Carol'"), str(2 << 30))
        self.run_fail(2, "user", "quota", "carol@users.test", "2X")
        self.assertIn("account ghost@users.test does not exist",
                      self.run_fail(1, "user", "quota", "ghost@users.test", "1M"))

        # Every new account has the standard mailboxes.
        boxes = [line.split()[0] for line in
                 self.run_ok("mailbox", "list", "carol@users.test").splitlines()[1:]]
        self.assertEqual(boxes, ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"])

        self.run_ok("user", "remove", "carol@users.test")
        self.assertIn("does not exist", self.run_fail(1, "user", "remove", "carol@users.test"))
        self.assertNotIn("Carol", self.run_ok("user", "list"))

    def test_disabled_account_cannot_log_in(self):
        self.run_ok("domain", "add", "disabled.test")
        self.run_ok("user", "add", "eve@disabled.test", "--password-stdin", input="pw")
        self.sql("UPDATE mailstore.accounts SET disabled = true WHERE local_part = 'eve'")
        self.assertEqual(self.auth("eve@disabled.test", "pw").returncode, 1)
        self.assertIn("disabled", self.run_ok("user", "list", "disabled.test"))

    def test_imported_crypt_hashes_are_rehashed(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                import crypt
            except ImportError:
                self.skipTest("python crypt module missing")
            sha512 = crypt.crypt("oldpw", crypt.mksalt(crypt.METHOD_SHA512))
            bcrypt = crypt.crypt("oldpw", crypt.mksalt(crypt.METHOD_BLOWFISH))
        self.run_ok("domain", "add", "import.test")
        for local, stored in (("frank", "{SHA512-CRYPT}" + sha512),
                              ("grace", "{BLF-CRYPT}" + bcrypt)):
            self.run_ok("user", "add", f"{local}@import.test", "--password-stdin", input="tmp")
            self.sql(f"UPDATE mailstore.accounts SET password_hash = '{stored}' "
                     f"WHERE local_part = '{local}'")
            self.assertEqual(self.auth(f"{local}@import.test", "bad").returncode, 1)
            self.assertTrue(self.sql(f"SELECT password_hash FROM mailstore.accounts "
                                     f"WHERE local_part = '{local}'").startswith("{"))
            r = self.auth(f"{local}@import.test", "oldpw")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(self.sql(f"SELECT password_hash FROM mailstore.accounts "
                                     f"WHERE local_part = '{local}'").startswith("$argon2id$"))
            self.assertEqual(self.auth(f"{local}@import.test", "oldpw").returncode, 0)
        self.assertIn("rehashed", self.suite.log_text("mailbox-store"))

    # --- aliases -----------------------------------------------------------------------

    def test_alias_lifecycle_and_lookup(self):
        self.run_ok("domain", "add", "alias.test")
        for user in ("hal", "ivy"):
            self.run_ok("user", "add", f"{user}@alias.test", "--password-stdin", input="pw")
        self.run_ok("alias", "add", "team@alias.test", "hal@alias.test")
        self.run_ok("alias", "add", "team@alias.test", "ivy@alias.test")
        self.assertIn("already exists",
                      self.run_fail(1, "alias", "add", "team@alias.test", "ivy@alias.test"))
        self.run_ok("alias", "add", "all@alias.test", "team@alias.test")  # alias of an alias
        self.run_ok("alias", "add", "out@alias.test", "someone@remote.test")
        self.run_ok("alias", "add", "@alias.test", "hal@alias.test")
        self.assertIn("no account or alias ghost@alias.test",
                      self.run_fail(1, "alias", "add", "x@alias.test", "ghost@alias.test"))
        self.assertIn("domain unknown.test does not exist",
                      self.run_fail(1, "alias", "add", "x@unknown.test", "hal@alias.test"))

        rows = [line.split() for line in
                self.run_ok("alias", "list", "alias.test").splitlines()[1:]]
        self.assertEqual(rows, [["@alias.test", "hal@alias.test"],
                                ["all@alias.test", "team@alias.test"],
                                ["out@alias.test", "someone@remote.test"],
                                ["team@alias.test", "hal@alias.test"],
                                ["team@alias.test", "ivy@alias.test"]])

        out = self.run_ok("lookup", "Team@alias.test")
        self.assertIn("kind: local", out)
        self.assertIn("accounts: hal@alias.test, ivy@alias.test", out)
        self.assertIn("accounts: hal@alias.test, ivy@alias.test",
                      self.run_ok("lookup", "all@alias.test"))
        self.assertIn("forward to: someone@remote.test", self.run_ok("lookup", "out@alias.test"))
        self.assertIn("accounts: hal@alias.test", self.run_ok("lookup", "whoever@alias.test"))
        self.assertIn("accounts: ivy@alias.test", self.run_ok("lookup", "ivy+tag@alias.test"))
        self.assertIn("kind: remote", self.run_ok("lookup", "x@elsewhere.test"))

        # The sender addresses of an account include aliases pointing at it (not catch-alls).
        self.assertEqual(self.run_ok("user", "senders", "HAL@alias.test").split(),
                         ["hal@alias.test", "team@alias.test"])
        self.assertEqual(self.run_ok("user", "senders", "ivy@alias.test").split(),
                         ["ivy@alias.test", "team@alias.test"])
        self.assertIn("does not exist", self.run_fail(1, "user", "senders", "no@alias.test"))

        self.run_ok("alias", "remove", "team@alias.test", "ivy@alias.test")
        self.assertIn("accounts: hal@alias.test\n", self.run_ok("lookup", "team@alias.test"))
        self.run_ok("alias", "remove", "@alias.test")
        self.assertIn("kind: unknown user", self.run_ok("lookup", "whoever@alias.test"))
        self.run_ok("alias", "remove", "team@alias.test")
        self.assertIn("alias team@alias.test does not exist",
                      self.run_fail(1, "alias", "remove", "team@alias.test"))

    # --- delivery ----------------------------------------------------------------------

    def test_deliver_is_idempotent_by_transaction_id(self):
        self.run_ok("domain", "add", "deliver.test")
        for user in ("jo", "kim"):
            self.run_ok("user", "add", f"{user}@deliver.test", "--password-stdin", input="pw")
        self.run_ok("alias", "add", "both@deliver.test", "jo@deliver.test")
        self.run_ok("alias", "add", "both@deliver.test", "kim@deliver.test")
        args = ("deliver", "jo@deliver.test", "both@deliver.test", f"--transaction_id={TXID}")
        out = self.run_ok(*args, input=MESSAGE)
        self.assertIn("jo@deliver.test    delivered", out)
        self.assertIn("both@deliver.test  delivered", out)
        # A retry of the same transaction stores nothing new.
        out = self.run_ok(*args, input=MESSAGE)
        self.assertIn("jo@deliver.test    duplicate", out)
        self.assertIn("both@deliver.test  duplicate", out)

        for user in ("jo", "kim"):
            rows = self.run_ok("message", "list", f"{user}@deliver.test").splitlines()[1:]
            self.assertEqual(len(rows), 1, rows)
            self.assertEqual(rows[0].split()[0], "1")
            body = self.run_ok("message", "fetch", f"{user}@deliver.test", "INBOX", "1")
            self.assertEqual(body, MESSAGE.replace("\r\n", "\n"))  # text-mode read
        # One body, two messages; quota usage charged to each account.
        self.assertEqual(self.sql("SELECT count(*) FROM mailstore.blobs b JOIN "
                                  "mailstore.messages m ON m.blob_id = b.id JOIN "
                                  "mailstore.accounts a ON a.id = m.account_id JOIN "
                                  "mailstore.domains d ON d.id = a.domain_id "
                                  "WHERE d.name = 'deliver.test'"), "2")
        self.assertEqual(self.sql("SELECT count(DISTINCT m.blob_id) FROM mailstore.messages m "
                                  "JOIN mailstore.accounts a ON a.id = m.account_id JOIN "
                                  "mailstore.domains d ON d.id = a.domain_id "
                                  "WHERE d.name = 'deliver.test'"), "1")
        self.assertIn(f"{len(MESSAGE)} B", self.run_ok("user", "list", "deliver.test"))

        # Another account cannot read it.
        self.assertIn("does not exist",
                      self.run_fail(1, "message", "fetch", "kim@deliver.test", "INBOX", "2"))

        out = self.run_ok("message", "expunge", "jo@deliver.test", "INBOX", "1", "7")
        self.assertIn("expunged 1 message(s): 1", out)
        self.assertEqual(self.sql("SELECT used_bytes FROM mailstore.accounts "
                                  "WHERE local_part = 'jo'"), "0")
        self.run_ok("message", "expunge", "kim@deliver.test", "INBOX", "1")
        self.assertEqual(self.sql("SELECT count(*) FROM mailstore.blobs WHERE sha256 = "
                                  f"sha256(convert_to(E'{MESSAGE.encode('unicode_escape').decode()}',"
                                  " 'UTF8'))"), "0")

        self.assertGreaterEqual(self.suite.metric(
            "mailbox-store", "mailsuite_mailbox_store_deliveries_total", status="delivered"), 2)
        self.assertGreaterEqual(self.suite.metric(
            "mailbox-store", "mailsuite_mailbox_store_deliveries_total", status="duplicate"), 2)

    def test_deliver_over_quota_and_unknown(self):
        self.run_ok("domain", "add", "quota.test")
        self.run_ok("user", "add", "lee@quota.test", "--password-stdin", "--quota=10",
                    input="pw")
        self.run_ok("user", "add", "max@quota.test", "--password-stdin", input="pw")
        r = self.suite.mailctl("deliver", "lee@quota.test", "max@quota.test", "nobody@quota.test",
                               input=MESSAGE)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("lee@quota.test     over quota", r.stdout)
        self.assertIn("max@quota.test     delivered", r.stdout)
        self.assertIn("nobody@quota.test  unknown user", r.stdout)
        self.assertIn("transaction_id must be a UUID",
                      self.run_fail(1, "deliver", "max@quota.test", "--transaction_id=nope",
                                    input=MESSAGE))

    # --- usage and reachability --------------------------------------------------------

    def test_usage_errors_exit_2(self):
        self.assertIn("usage: mailctl domain", self.run_fail(2, "domain", "add"))
        self.assertIn("unknown command", self.run_fail(2, "frobnicate"))
        self.run_fail(2)
        self.assertIn("user add ADDRESS", self.run_ok("help"))

    def test_unreachable_backend_exits_3(self):
        port = harness.free_port()
        r = subprocess.run([os.path.join(self.suite.bin_dir, "mailctl"),
                            f"--mailbox_store=127.0.0.1:{port}", "domain", "list"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertTrue(r.stderr.startswith(
            f"mailctl: cannot reach mailbox-store at 127.0.0.1:{port} ("), r.stderr)
        # outbound-relay is not part of this suite.
        err = self.run_fail(3, "queue", "list")
        self.assertIn("cannot reach outbound-relay", err)


class ReplicasTest(unittest.TestCase):
    def test_replicas_migrate_concurrently(self):
        """Several mailbox-store replicas starting at once apply the schema once."""
        migrations = sorted(m for m in os.listdir(os.path.join(
            harness.REPO, "services", "mailbox-store", "migrations")) if m.endswith(".sql"))
        bin_dir = (os.environ.get("MAILSUITE_BIN_DIR")
                   or os.path.join(harness.REPO, "build", "bin"))
        with harness.Postgres() as pg:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "MAILSUITE_"))}
            env.update(pg.env())
            procs = []
            try:
                for _ in range(3):
                    port = harness.free_port()
                    proc = subprocess.Popen(
                        [os.path.join(bin_dir, "mailbox-store"), f"--grpc_address=127.0.0.1:{port}",
                         f"--metrics_address=127.0.0.1:{harness.free_port()}"],
                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE, text=True)
                    procs.append((port, proc))
                for port, proc in procs:
                    self.assertTrue(harness.wait_port("127.0.0.1", port, 30, proc))
                # Each migration recorded exactly once although three replicas raced.
                applied = pg.psql("SELECT name FROM mailstore.schema_migrations ORDER BY name")
                self.assertEqual(applied.split(), migrations)
            finally:
                logs = []
                for _, proc in procs:
                    proc.send_signal(signal.SIGTERM)
                    _, err = proc.communicate(timeout=15)
                    logs.append(err)
                    self.assertEqual(proc.returncode, 0, err)
            # ... and applied by exactly one of them.
            self.assertEqual(sum(log.count("applying migration") for log in logs), len(migrations))


if __name__ == "__main__":
    unittest.main()
