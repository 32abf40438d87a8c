-- postdesk schema, version 23: saved replies (tickets/savedreplies.go). Per property, named texts
-- an agent inserts in a reply — from the web inbox, the API (saved_reply) or by mail (#reply NAME)
-- — plain text with {placeholders} (templates/saved.go), one text per locale. Managed by managers
-- and above; used by every agent.
CREATE TABLE saved_replies (
    id          {{pk}},
    property_id BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    -- a short slug, stored lowercased: names are case-insensitive
    name        TEXT NOT NULL,
    -- normalized ("fr", "fr-ca"): the text used for tickets in that locale
    locale      TEXT NOT NULL,
    body        TEXT NOT NULL,
    -- the agents who added it and changed it last (NULL: from the command line, or removed since)
    created_by  BIGINT REFERENCES agents (id) ON DELETE SET NULL,
    updated_by  BIGINT REFERENCES agents (id) ON DELETE SET NULL,
    created_at  {{ts}} NOT NULL,
    updated_at  {{ts}} NOT NULL,
    UNIQUE (property_id, name, locale)
);
