-- The MIME structure IMAP needs, parsed once at delivery (ARCHITECTURE.md §2) by
-- services/libs/mail/bodystructure.h: the ready-to-send FETCH ENVELOPE, BODYSTRUCTURE
-- and BODY strings, and `parts`, the compact part table (octet offsets of every part's
-- header and body) that BODY[section] is served from. NULL for messages stored before
-- this migration: mailbox-store computes and stores them on first request.
-- bytea, not text: raw 8-bit header octets (sent as IMAP literals) need not be UTF-8,
-- and text would refuse them. 0001 made envelope and bodystructure text; nothing was
-- ever stored in them.
ALTER TABLE mailstore.messages
  ALTER COLUMN envelope TYPE bytea USING convert_to(envelope, 'UTF8'),
  ALTER COLUMN bodystructure TYPE bytea USING convert_to(bodystructure, 'UTF8'),
  ADD COLUMN body_form bytea,
  ADD COLUMN parts bytea;
