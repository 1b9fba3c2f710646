-- The outbound queue (schema relay, owned by outbound-relay; ARCHITECTURE.md §2).
-- A message is stored once; each recipient is a row with its own state, so one
-- message can be delivered to some domains, deferred for others and failed for a few.

-- One row per Enqueue. id is smtp-ingress's transaction id, so a repeated Enqueue
-- (a retry after a timeout) finds the row and stores nothing new.
CREATE TABLE relay.messages (
  id uuid PRIMARY KEY,
  sender text NOT NULL,                       -- '' is the null reverse-path <>
  envelope_id text NOT NULL DEFAULT '',       -- RFC 3461 ENVID
  ret text NOT NULL DEFAULT '',               -- RFC 3461 RET: 'FULL', 'HDRS' or ''
  smtputf8 boolean NOT NULL DEFAULT false,    -- RFC 6531
  size bigint NOT NULL,
  body bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- state: queued (waiting or being attempted: lease_until in the future means a
-- relay holds it), delivered, failed (final; the bounce step picks failed
-- recipients up and records that their DSN went out).
CREATE TABLE relay.recipients (
  id bigserial PRIMARY KEY,
  message_id uuid NOT NULL REFERENCES relay.messages (id) ON DELETE CASCADE,
  address text NOT NULL,
  domain text NOT NULL,                       -- lower case, for grouping per destination
  orcpt text NOT NULL DEFAULT '',             -- RFC 3461 ORCPT
  notify text NOT NULL DEFAULT '',            -- RFC 3461 NOTIFY, e.g. 'FAILURE,DELAY'
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  last_reply text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, address)
);
-- The claim query: due queued recipients in order.
CREATE INDEX recipients_due ON relay.recipients (next_attempt_at) WHERE state = 'queued';

-- The delivery log: one row per recipient per attempt.
CREATE TABLE relay.attempts (
  id bigserial PRIMARY KEY,
  recipient_id bigint NOT NULL REFERENCES relay.recipients (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'deferred', 'failed')),
  mx_host text NOT NULL DEFAULT '',
  ip text NOT NULL DEFAULT '',
  tls boolean NOT NULL DEFAULT false,
  reply_code integer,                         -- NULL when no SMTP reply (DNS, connection)
  enhanced_code text NOT NULL DEFAULT '',
  text text NOT NULL DEFAULT '',
  duration_ms integer NOT NULL DEFAULT 0
);
CREATE INDEX attempts_recipient ON relay.attempts (recipient_id, at);

-- Addresses not attempted any more after repeated failures (filled by the
-- suppression step; expires_at bounds every entry).
CREATE TABLE relay.suppressions (
  address text PRIMARY KEY,
  reason text NOT NULL,
  hard_bounces integer NOT NULL DEFAULT 0,
  soft_failures integer NOT NULL DEFAULT 0,
  first_at timestamptz NOT NULL DEFAULT now(),
  last_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
