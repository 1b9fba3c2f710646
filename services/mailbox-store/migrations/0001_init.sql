-- mailstore: domains, accounts, aliases, mailboxes and messages (ARCHITECTURE.md §2).
-- Owned by mailbox-store; no other process reads these tables. Every per-account table
-- carries account_id so the schema can be sharded by account (§8).

CREATE TABLE mailstore.domains (
  id         bigserial PRIMARY KEY,
  name       text NOT NULL UNIQUE,  -- lower case, no trailing dot
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mailstore.accounts (
  id            bigserial PRIMARY KEY,
  domain_id     bigint NOT NULL REFERENCES mailstore.domains (id) ON DELETE CASCADE,
  local_part    text NOT NULL,  -- as created; compared with lower()
  password_hash text NOT NULL,  -- $argon2id$..., or an imported {SHA512-CRYPT}/{BLF-CRYPT} hash
  quota_bytes   bigint NOT NULL DEFAULT 0 CHECK (quota_bytes >= 0),  -- 0 = unlimited
  used_bytes    bigint NOT NULL DEFAULT 0,
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_address ON mailstore.accounts (domain_id, lower(local_part));

-- address -> target; several rows per address make a list. local_part '' is the
-- @domain catch-all. A target is a local account, a local alias (one level is
-- followed) or a remote address.
CREATE TABLE mailstore.aliases (
  id         bigserial PRIMARY KEY,
  domain_id  bigint NOT NULL REFERENCES mailstore.domains (id) ON DELETE CASCADE,
  local_part text NOT NULL,
  target     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX aliases_address_target
  ON mailstore.aliases (domain_id, lower(local_part), lower(target));
CREATE INDEX aliases_target ON mailstore.aliases (lower(target));

-- Message bodies, stored once however many local recipients they have. Stored
-- uncompressed so FetchBody can read 1 MiB slices without decompressing the whole.
CREATE TABLE mailstore.blobs (
  id         bigserial PRIMARY KEY,
  sha256     bytea NOT NULL UNIQUE,
  size       bigint NOT NULL,
  body       bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE mailstore.blobs ALTER COLUMN body SET STORAGE EXTERNAL;

CREATE TABLE mailstore.mailboxes (
  id             bigserial PRIMARY KEY,
  account_id     bigint NOT NULL REFERENCES mailstore.accounts (id) ON DELETE CASCADE,
  name           text NOT NULL,
  special_use    text,  -- RFC 6154: \Sent, \Drafts, \Trash, \Junk, \Archive
  uidvalidity    bigint NOT NULL DEFAULT (extract(epoch FROM now())::bigint % 4294967296),
  uidnext        bigint NOT NULL DEFAULT 1,
  highest_modseq bigint NOT NULL DEFAULT 1,
  subscribed     boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, name)
);

CREATE TABLE mailstore.messages (
  mailbox_id     bigint NOT NULL REFERENCES mailstore.mailboxes (id) ON DELETE CASCADE,
  uid            bigint NOT NULL,
  account_id     bigint NOT NULL,  -- shard key; equals the mailbox's account
  blob_id        bigint NOT NULL REFERENCES mailstore.blobs (id),
  internal_date  timestamptz NOT NULL DEFAULT now(),
  size           bigint NOT NULL,
  flags          text[] NOT NULL DEFAULT '{}',  -- system flags: \Seen \Answered ...
  keywords       text[] NOT NULL DEFAULT '{}',  -- user keywords
  modseq         bigint NOT NULL,
  transaction_id uuid,  -- the delivering SMTP transaction, for tracing
  -- Parsed once at delivery for IMAP (filled in by later migrations / deliveries).
  envelope       text,
  bodystructure  text,
  header_fields  jsonb,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX messages_account ON mailstore.messages (account_id);
CREATE INDEX messages_blob ON mailstore.messages (blob_id);
CREATE INDEX messages_modseq ON mailstore.messages (mailbox_id, modseq);

-- Delivery log: makes Deliver idempotent per (transaction, account).
CREATE TABLE mailstore.deliveries (
  transaction_id uuid NOT NULL,
  account_id     bigint NOT NULL REFERENCES mailstore.accounts (id) ON DELETE CASCADE,
  mailbox_id     bigint NOT NULL,
  uid            bigint NOT NULL,
  delivered_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_id, account_id)
);
CREATE INDEX deliveries_account ON mailstore.deliveries (account_id);
CREATE INDEX deliveries_delivered_at ON mailstore.deliveries (delivered_at);
