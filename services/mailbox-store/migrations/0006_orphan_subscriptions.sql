-- Subscriptions that outlive their mailbox (issue 5): RFC 3501 §6.3.6 says a server MUST
-- NOT remove a name from the subscription list because the mailbox is gone. A mailbox's
-- own subscription stays in mailboxes.subscribed; when a subscribed mailbox is deleted
-- its name moves here, LSUB and LIST (SUBSCRIBED) keep showing it (\Noselect,
-- \NonExistent), UNSUBSCRIBE removes it, and a mailbox created (or renamed) to that name
-- takes the subscription back (mailboxes.cc AdoptSubscriptions).
CREATE TABLE mailstore.orphan_subscriptions (
  account_id bigint NOT NULL REFERENCES mailstore.accounts (id) ON DELETE CASCADE,
  name       text NOT NULL,
  PRIMARY KEY (account_id, name)
);
