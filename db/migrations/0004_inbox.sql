-- postdesk schema, version 4: what agents work with beyond mail in and out.

-- The reply as written, without the quoted history and signature below it (replytrim). text_body
-- keeps the full text; views show this one by default.
ALTER TABLE messages ADD COLUMN trimmed_text TEXT NOT NULL DEFAULT '';

-- When a ticket was snoozed, the wake-up claims it once (UPDATE … WHERE snoozed_until <= now).
CREATE INDEX tickets_snoozed ON tickets (snoozed_until);

-- Per-agent read state: a ticket is unread for an agent when it changed after read_at.
CREATE TABLE ticket_reads (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    agent_id  BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    read_at   {{ts}} NOT NULL,
    PRIMARY KEY (ticket_id, agent_id)
);

-- API tokens: one agent on one property. Only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id           {{pk}},
    property_id  BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    agent_id     BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    created_at   {{ts}} NOT NULL,
    last_used_at {{ts}}
);
CREATE INDEX api_tokens_agent ON api_tokens (agent_id);

