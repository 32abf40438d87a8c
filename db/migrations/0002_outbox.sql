-- The transactional outbox: every mail postdesk sends is a row written in the same transaction as
-- the change that caused it, rendered in full, with its Message-ID fixed.

CREATE TABLE outbox (
    id              {{pk}},
    property_id     BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    ticket_id       BIGINT REFERENCES tickets (id) ON DELETE SET NULL,
    message_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    automatic       BOOLEAN NOT NULL DEFAULT FALSE,
    mail_from       TEXT NOT NULL,
    rcpts           TEXT NOT NULL,
    -- What to render, when the row was queued by a change (JSON, see notify); raw is filled in by
    -- the sender before the first attempt, so every attempt sends the same bytes.
    spec            TEXT NOT NULL DEFAULT '',
    raw             {{blob}},
    -- queued → sending → data → sent; or back to queued (temporary failure), failed (permanent,
    -- or expired), uncertain (the relay may have accepted it: never sent again).
    status          TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{ts}} NOT NULL,
    lease_until     {{ts}},
    last_attempt_at {{ts}},
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      {{ts}} NOT NULL,
    sent_at         {{ts}}
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id);
CREATE INDEX outbox_message_id ON outbox (property_id, message_id);
-- The per-recipient limit on automatic mail counts recent rows by recipient.
CREATE INDEX outbox_auto_rcpt ON outbox (rcpts, created_at);

ALTER TABLE properties ADD COLUMN default_department_id BIGINT REFERENCES departments (id);
