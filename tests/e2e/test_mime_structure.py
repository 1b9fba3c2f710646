"""MIME structure parsed once at delivery (issue 5, ARCHITECTURE.md §2).

A multipart message with an attachment and a forwarded message goes in through
smtp-ingress to two recipients; mailbox-store must have stored ENVELOPE, BODYSTRUCTURE,
BODY and the part table with the message, equal to what the corpus expects
(tests/data/mime/*.expected: trace headers added on the way change neither). A message
stored before the structure existed (columns NULL) gets it computed and stored on the
first ListMessages with_structure (`mailctl message structure`).
"""

import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DATA = os.path.join(harness.REPO, "tests", "data", "mime")
PASSWORD = "correct horse battery staple"


def expected(name):
    lines = {}
    path = os.path.join(DATA, name + ".expected")
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            lines[key] = value.replace("{CRLF}", "\r\n")
    return lines


class MimeStructureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.suite = harness.Suite(services=("mailbox-store", "smtp-ingress")).__enter__()
        cls.addClassCleanup(cls.suite.__exit__, None, None, None)
        cls.ctl("domain", "add", "example.com")
        for user in ("dave", "eve"):
            cls.ctl("user", "add", f"{user}@example.com", "--password-stdin", input=PASSWORD)

    @classmethod
    def ctl(cls, *args, input=None):
        result = cls.suite.mailctl(*args, input=input)
        if result.returncode != 0:
            raise AssertionError(f"mailctl {' '.join(args)}: {result.stderr}")
        return result

    def deliver(self, name, rcpts):
        with open(os.path.join(DATA, name + ".eml"), "rb") as f:
            body = f.read()
        with smtplib.SMTP("127.0.0.1", self.suite.ports["smtp"], timeout=30) as smtp:
            smtp.sendmail("carol@example.net", rcpts, body)

    def structure(self, user, uid):
        out = self.ctl("message", "structure", user, "INBOX", str(uid)).stdout
        fields = {}
        for line in out.split("\n"):
            for key in ("ENVELOPE", "BODYSTRUCTURE", "BODY"):
                if line.startswith(key + " ") and key not in fields:
                    fields[key] = line[len(key) + 1:]
        return fields, out

    def last_uid(self, user):
        return int(self.suite.pg.psql(
            "SELECT max(uid) FROM mailstore.messages m JOIN mailstore.accounts a ON "
            f"a.id = m.account_id WHERE a.local_part = '{user}'"))

    def stored(self, user, column):
        return self.suite.pg.psql(
            f"SELECT convert_from({column}, 'UTF8') FROM mailstore.messages m JOIN "
            "mailstore.accounts a ON a.id = m.account_id WHERE a.local_part = "
            f"'{user}' ORDER BY uid DESC LIMIT 1").rstrip("\n")

    def test_delivery_stores_the_structure_for_every_recipient(self):
        self.deliver("mixed_attachment", ["dave@example.com", "eve@example.com"])
        want = expected("mixed_attachment")
        for user in ("dave", "eve"):
            self.assertEqual(self.stored(user, "envelope"), want["ENVELOPE"])
            self.assertEqual(self.stored(user, "bodystructure"), want["BODYSTRUCTURE"])
            self.assertEqual(self.stored(user, "body_form"), want["BODY"])
            fields, out = self.structure(f"{user}@example.com", self.last_uid(user))
            self.assertEqual(fields["BODYSTRUCTURE"], want["BODYSTRUCTURE"])
            self.assertEqual(fields["ENVELOPE"], want["ENVELOPE"])
            # Root multipart + 3 parts in the part table.
            self.assertEqual(out.count(" leaf "), 3, out)
            self.assertEqual(out.count(" multipart "), 1, out)

    def test_structure_of_old_messages_is_computed_once_on_request(self):
        self.deliver("nested_rfc822", ["dave@example.com"])
        uid = self.last_uid("dave")
        # As if stored before migration 0002.
        self.suite.pg.psql("UPDATE mailstore.messages m SET envelope = NULL, bodystructure = NULL, "
                           "body_form = NULL, parts = NULL FROM mailstore.accounts a WHERE "
                           f"a.id = m.account_id AND a.local_part = 'dave' AND m.uid = {uid}")
        want = expected("nested_rfc822")
        fields, out = self.structure("dave@example.com", uid)
        self.assertEqual(fields["BODYSTRUCTURE"], want["BODYSTRUCTURE"])
        self.assertEqual(out.count(" message "), 1, out)
        self.assertEqual(self.stored("dave", "bodystructure"), want["BODYSTRUCTURE"])
        self.assertEqual(self.suite.pg.psql(
            "SELECT count(*) FROM mailstore.messages WHERE parts IS NULL").strip(),
            "0")


if __name__ == "__main__":
    unittest.main()
