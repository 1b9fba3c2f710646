"""Self-test of harness.py: a throwaway PostgreSQL starts, serves `mailsuite`, stops and
leaves nothing behind; free ports are distinct and wait_port notices a listener. Needs no
mailsuite binaries."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class PortsTest(unittest.TestCase):
    def test_free_ports_are_distinct_and_free(self):
        ports = {harness.free_port() for _ in range(20)}
        self.assertEqual(len(ports), 20)
        for port in ports:
            self.assertFalse(harness.port_open("127.0.0.1", port))

    def test_wait_port(self):
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            self.assertTrue(harness.wait_port("127.0.0.1", listener.getsockname()[1], 5))
        self.assertFalse(harness.wait_port("127.0.0.1", harness.free_port(), 0.3))


class PostgresTest(unittest.TestCase):
    def test_start_query_stop(self):
        pg = harness.Postgres()
        with pg:
            env = pg.env()
            self.assertEqual(env["PGDATABASE"], "mailsuite")
            self.assertEqual(env["PGPORT"], str(pg.port))
            self.assertEqual(pg.psql("SELECT current_database()").strip(), "mailsuite")
            self.assertEqual(pg.psql("SHOW fsync").strip(), "off")
            self.assertEqual(pg.psql("SHOW max_connections").strip(), "200")
            # Reachable over loopback TCP too, as the services may connect either way.
            self.assertTrue(harness.port_open("127.0.0.1", pg.port))
        self.assertIsNone(pg.proc)
        self.assertFalse(harness.port_open("127.0.0.1", pg.port))
        if not harness.keep_tmp():
            self.assertFalse(os.path.exists(pg.dir))


class SuiteTest(unittest.TestCase):
    def test_missing_binaries_are_reported(self):
        with self.assertRaisesRegex(FileNotFoundError, "build first"):
            with harness.Suite(bin_dir="/nonexistent"):
                pass

    @unittest.skipIf(harness.missing_binaries(("mailbox-store", "imap-access")),
                     "binaries not built")
    def test_a_port_taken_before_the_service_binds_it_gets_new_ports(self):
        # Another test (they run in parallel) took the port free_port() handed out.
        squatter = socket.socket()
        self.addCleanup(squatter.close)
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        suite = harness.Suite(services=("mailbox-store", "imap-access"))
        suite.ports["imap"] = taken
        with suite:
            self.assertNotEqual(suite.ports["imap"], taken)
            self.assertTrue(harness.port_open("127.0.0.1", suite.ports["imap"]))
            self.assertIn("port taken", suite.log_text("imap-access"))


if __name__ == "__main__":
    unittest.main()
