-- IMAP \Recent (RFC 3501 §2.3.2, issue 5): messages with uid >= first_recent_uid have not
-- been seen by any session that SELECTed the mailbox yet. A SELECT (and each later
-- re-read of a selected mailbox) claims them by moving the mark past them (recent.cc),
-- so across every imap-access replica one session alone reports them as \Recent, as
-- Dovecot does with its index's first_recent_uid. Existing mail is not recent.
ALTER TABLE mailstore.mailboxes ADD COLUMN first_recent_uid bigint NOT NULL DEFAULT 1;
UPDATE mailstore.mailboxes SET first_recent_uid = uidnext;
