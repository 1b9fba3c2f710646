-- Round 3: the purge of finished messages (README: Purge of finished mail) walks
-- messages oldest first.
CREATE INDEX messages_created ON relay.messages (created_at);
