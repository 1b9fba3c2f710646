-- IMAP (issue 5): UIDVALIDITY values that never repeat within an account, even when a
-- mailbox is deleted and created again within one second (RFC 3501 §2.3.1.1). New
-- mailboxes take greatest(last_uidvalidity + 1, now as epoch seconds).
ALTER TABLE mailstore.accounts ADD COLUMN last_uidvalidity bigint NOT NULL DEFAULT 0;
