-- From here on decoded (UTF-8) header text is stored as jsonb at every delivery: in a
-- database of another encoding some deliveries would fail, so refuse to start instead
-- (tools/up, the test harness and the Kubernetes manifests all create UTF8 databases).
DO $$
BEGIN
  IF current_setting('server_encoding') <> 'UTF8' THEN
    RAISE EXCEPTION 'mailsuite needs a UTF8 database; this one is %',
      current_setting('server_encoding');
  END IF;
END $$;

-- Expunge tombstones (issue 5): a reader that holds a mailbox as of modseq M (an IMAP
-- session's snapshot) asks ListMessages for the changes since M; the messages expunged
-- since then are these rows, instead of the whole list of UIDs that remain. Written with
-- the modseq of the change that removed the message (EXPUNGE, MOVE, RENAME of INBOX),
-- in its transaction. Only the latest ones are kept (imap_common.cc RecordExpunged); a
-- reader older than that finds the count of its messages wrong and lists the UIDs.
CREATE TABLE mailstore.expunged (
  mailbox_id bigint NOT NULL REFERENCES mailstore.mailboxes (id) ON DELETE CASCADE,
  account_id bigint NOT NULL,  -- shard key, as in messages
  uid        bigint NOT NULL,
  modseq     bigint NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_modseq ON mailstore.expunged (mailbox_id, modseq);

-- Messages stored before header_fields was filled in at delivery, which SearchMessages
-- completes on the first search of their mailbox; the index stays (nearly) empty and
-- spares each search a scan to find there are none.
CREATE INDEX messages_header_fields_missing ON mailstore.messages (account_id, mailbox_id)
  WHERE header_fields IS NULL;
