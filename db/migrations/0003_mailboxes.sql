-- Support mailboxes polled over IMAP, for admins who cannot point their MX at postdesk. Any number
-- per property. The checkpoint (uidvalidity, last_uid) says what has been imported: progress never
-- depends on the \Seen flag, which people reading the mailbox change (RFC 9051 §2.3.1.1).

CREATE TABLE mailboxes (
    id           {{pk}},
    property_id  BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    host         TEXT NOT NULL,
    port         INTEGER NOT NULL,
    -- implicit (IMAPS, port 993), starttls or none
    tls_mode     TEXT NOT NULL DEFAULT 'implicit',
    username     TEXT NOT NULL,
    -- the password, AES-GCM-sealed under a key derived from the server secret
    secret       {{blob}} NOT NULL,
    folder       TEXT NOT NULL DEFAULT 'INBOX',
    -- what is done to a message once its ticket is committed: seen, move:FOLDER or delete
    after_action TEXT NOT NULL DEFAULT 'seen',
    -- mail received at or after this instant is imported; NULL until the first poll, which sets it
    -- to "now" when no --since was given
    since_at     {{ts}},
    uidvalidity  BIGINT NOT NULL DEFAULT 0,
    -- every message with a UID up to last_uid has been imported (and had its after-action)
    last_uid     BIGINT NOT NULL DEFAULT 0,
    -- UIDs up to scan_until existed before the first poll (or a UIDVALIDITY change): of those, only
    -- mail received since since_at is imported
    scan_until   BIGINT NOT NULL DEFAULT 0,
    imported     BIGINT NOT NULL DEFAULT 0,
    backlog      BIGINT,
    last_poll_at {{ts}},
    last_error   TEXT NOT NULL DEFAULT '',
    -- the instance polling it; another takes over once lease_until has passed
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  {{ts}},
    created_at   {{ts}} NOT NULL,
    UNIQUE (property_id, host, port, username, folder)
);
