-- Round 2: local recipients (delivered through mailbox-store), failure causes,
-- DSN bookkeeping, held recipients, and the suppression list's state.

-- local: deliver through MailboxService.Deliver (EnvelopeRecipient.local).
ALTER TABLE relay.recipients ADD COLUMN local boolean NOT NULL DEFAULT false;
-- cause: the cause id of the last outcome (services/libs/delivery).
ALTER TABLE relay.recipients ADD COLUMN cause text NOT NULL DEFAULT '';
-- last_mta: "host[ip]" of the last attempt (DSN Remote-MTA).
ALTER TABLE relay.recipients ADD COLUMN last_mta text NOT NULL DEFAULT '';
-- dsn: '' nothing to report; 'pending' a DSN (failure, or success with
-- NOTIFY=SUCCESS) is due; 'sent' it was generated; 'none' no DSN is due (NOTIFY=NEVER,
-- sender <>).
ALTER TABLE relay.recipients ADD COLUMN dsn text NOT NULL DEFAULT ''
  CHECK (dsn IN ('', 'pending', 'sent', 'none'));
-- The delay warning (RFC 3461 §4.1 DELAY) was generated.
ALTER TABLE relay.recipients ADD COLUMN delay_warned boolean NOT NULL DEFAULT false;
-- held: not attempted until released (mailctl queue hold).
ALTER TABLE relay.recipients DROP CONSTRAINT recipients_state_check;
ALTER TABLE relay.recipients ADD CONSTRAINT recipients_state_check
  CHECK (state IN ('queued', 'delivered', 'failed', 'held'));
CREATE INDEX recipients_dsn_pending ON relay.recipients (message_id) WHERE dsn = 'pending';
CREATE INDEX recipients_queued_age ON relay.recipients (message_id)
  WHERE state = 'queued' AND NOT delay_warned;

ALTER TABLE relay.attempts ADD COLUMN cause text NOT NULL DEFAULT '';
CREATE INDEX attempts_at ON relay.attempts (at);

-- A DSN the relay generated (sender <>), for the bounce report.
ALTER TABLE relay.messages ADD COLUMN dsn_for uuid;

-- Suppression: a row counts failures; the address is suppressed while
-- suppressed_until is in the future, for mail queued since suppressed_at (mail queued
-- before keeps its own retries until its lifetime ends).
ALTER TABLE relay.suppressions ADD COLUMN cause text NOT NULL DEFAULT '';
ALTER TABLE relay.suppressions ADD COLUMN suppressed_until timestamptz;
ALTER TABLE relay.suppressions ADD COLUMN suppressed_at timestamptz;
ALTER TABLE relay.suppressions ALTER COLUMN expires_at SET DEFAULT now() + interval '30 days';
