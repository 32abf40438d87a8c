-- Suspected mail loops: an address that sent too many mails to one ticket within a short window
-- (two auto-responders answering each other) has its mail there stored but acted on no more —
-- no copies, no sending on, no answers — until it has been quiet for the window.
CREATE TABLE loop_holds (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    email     TEXT NOT NULL,
    held_at   {{ts}} NOT NULL,
    last_at   {{ts}} NOT NULL,
    held      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket_id, email)
);
-- The brake counts one address's recent messages on a ticket.
CREATE INDEX messages_ticket_from ON messages (ticket_id, from_email, created_at);

-- Mail that belongs to no ticket but is kept: mail to postmaster@ the mail domain (RFC 5321
-- §4.5.1), raw bytes and its reading.
CREATE TABLE system_mail (
    id            {{pk}},
    kind          TEXT NOT NULL,
    dedup_key     TEXT NOT NULL,
    envelope_from TEXT NOT NULL DEFAULT '',
    from_email    TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL DEFAULT '',
    class         TEXT NOT NULL DEFAULT '',
    raw           {{blob}},
    created_at    {{ts}} NOT NULL,
    UNIQUE (kind, dedup_key)
);
CREATE INDEX system_mail_from ON system_mail (from_email, created_at);
