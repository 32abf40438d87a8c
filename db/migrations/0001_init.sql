-- postdesk schema, version 1. {{pk}}, {{blob}} and {{ts}} are rendered per engine (migrate.go);
-- everything else is SQL both SQLite and PostgreSQL accept. Times are UTC.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE properties (
    id                  {{pk}},
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    from_address        TEXT NOT NULL DEFAULT '',
    reopen_window_secs  BIGINT NOT NULL DEFAULT 259200,
    locale              TEXT NOT NULL DEFAULT 'en',
    acknowledge         BOOLEAN NOT NULL DEFAULT TRUE,
    next_ticket_number  BIGINT NOT NULL DEFAULT 1,
    created_at          {{ts}} NOT NULL
);
-- Mail addressed to a property's own address (support@brand) is accepted when an MTA routes it here.
CREATE INDEX properties_from_address ON properties (from_address);

CREATE TABLE agents (
    id         {{pk}},
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at {{ts}} NOT NULL
);

CREATE TABLE property_agents (
    property_id BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    agent_id    BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    PRIMARY KEY (property_id, agent_id)
);

CREATE TABLE departments (
    id          {{pk}},
    property_id BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  {{ts}} NOT NULL,
    UNIQUE (property_id, name_key)
);

CREATE TABLE department_members (
    department_id BIGINT NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    agent_id      BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (department_id, agent_id)
);

CREATE TABLE contacts (
    id          {{pk}},
    property_id BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    bouncing    BOOLEAN NOT NULL DEFAULT FALSE,
    blocked     BOOLEAN NOT NULL DEFAULT FALSE,
    spam        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  {{ts}} NOT NULL,
    UNIQUE (property_id, email)
);

CREATE TABLE tickets (
    id                     {{pk}},
    property_id            BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    number                 BIGINT NOT NULL,
    subject                TEXT NOT NULL,
    status                 TEXT NOT NULL DEFAULT 'open',
    priority               TEXT NOT NULL DEFAULT 'normal',
    contact_id             BIGINT REFERENCES contacts (id),
    assignee_agent_id      BIGINT REFERENCES agents (id),
    assignee_department_id BIGINT REFERENCES departments (id),
    follows_up_ticket_id   BIGINT REFERENCES tickets (id),
    spam                   BOOLEAN NOT NULL DEFAULT FALSE,
    message_count          BIGINT NOT NULL DEFAULT 0,
    snoozed_until          {{ts}},
    deleted_at             {{ts}},
    created_at             {{ts}} NOT NULL,
    updated_at             {{ts}} NOT NULL,
    closed_at              {{ts}},
    UNIQUE (property_id, number)
);
CREATE INDEX tickets_property_updated ON tickets (property_id, updated_at);
CREATE INDEX tickets_contact ON tickets (contact_id);

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);

-- Everyone who took part in a ticket: the customer, people in Cc, agents. The subject tag [#N] is
-- evidence only when the sender is one of them (DESIGN.md §2).
CREATE TABLE ticket_participants (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    email     TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (ticket_id, email)
);

CREATE TABLE messages (
    id            {{pk}},
    property_id   BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    ticket_id     BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    direction     TEXT NOT NULL,
    kind          TEXT NOT NULL DEFAULT 'human',
    agent_id      BIGINT REFERENCES agents (id),
    contact_id    BIGINT REFERENCES contacts (id),
    from_name     TEXT NOT NULL DEFAULT '',
    from_email    TEXT NOT NULL DEFAULT '',
    to_list       TEXT NOT NULL DEFAULT '',
    cc_list       TEXT NOT NULL DEFAULT '',
    envelope_from TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL,
    dedup_key     TEXT NOT NULL,
    in_reply_to   TEXT NOT NULL DEFAULT '',
    refs          TEXT NOT NULL DEFAULT '',
    text_body     TEXT NOT NULL DEFAULT '',
    html_body     TEXT NOT NULL DEFAULT '',
    raw           {{blob}},
    raw_size      BIGINT NOT NULL DEFAULT 0,
    threading     TEXT NOT NULL DEFAULT '',
    problems      TEXT NOT NULL DEFAULT '',
    date_header   {{ts}},
    created_at    {{ts}} NOT NULL
);
-- The same message delivered twice to a property is stored once: dedup_key is the Message-ID, or a
-- hash of the raw bytes when there is none.
CREATE UNIQUE INDEX messages_dedup ON messages (property_id, dedup_key);
CREATE INDEX messages_ticket ON messages (ticket_id, created_at);

-- Every Message-ID the property knows — inbound messages and every mail postdesk sent — and the
-- ticket it belongs to, for In-Reply-To/References threading. agent_id is set for copies sent to
-- one agent, so a reply to such a copy is known to come from that agent's thread.
CREATE TABLE thread_ids (
    property_id BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL,
    ticket_id   BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    agent_id    BIGINT REFERENCES agents (id),
    PRIMARY KEY (property_id, message_id)
);

CREATE TABLE attachments (
    id           {{pk}},
    message_id   BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content_id   TEXT NOT NULL DEFAULT '',
    inline       BOOLEAN NOT NULL DEFAULT FALSE,
    sha256       TEXT NOT NULL,
    data         {{blob}}
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE ticket_events (
    id         {{pk}},
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
