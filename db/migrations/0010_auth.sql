-- postdesk schema, version 10: agents sign in to the web inbox (package auth).
--
-- Nothing here lets anyone in from a copy of the database: passwords are argon2id hashes, and
-- session cookies and sign-in links are kept only as the SHA-256 of their value.

-- An agent's password, as an argon2id hash in PHC string form
-- ($argon2id$v=19$m=...,t=...,p=...$salt$hash). An agent without a row has no password (links only).
CREATE TABLE agent_passwords (
    agent_id   BIGINT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    updated_at {{ts}} NOT NULL
);

-- A signed-in browser. token_hash is the hex SHA-256 of the cookie's value; csrf is the token
-- the session's forms carry. memberships is a fingerprint of the agent's properties and roles at
-- sign-in: a session whose agent's memberships changed since is ended. A session lives until
-- expires_at (absolute), and no longer than the idle time after last_seen_at.
CREATE TABLE web_sessions (
    id           {{pk}},
    token_hash   TEXT NOT NULL UNIQUE,
    agent_id     BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    memberships  TEXT NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   {{ts}} NOT NULL,
    last_seen_at {{ts}} NOT NULL,
    expires_at   {{ts}} NOT NULL
);
CREATE INDEX web_sessions_agent ON web_sessions (agent_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);

-- One-time sign-in links mailed to an agent: used once (used_at), before expires_at.
CREATE TABLE sign_in_links (
    id         {{pk}},
    token_hash TEXT NOT NULL UNIQUE,
    agent_id   BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at {{ts}} NOT NULL,
    expires_at {{ts}} NOT NULL,
    used_at    {{ts}}
);
CREATE INDEX sign_in_links_agent ON sign_in_links (agent_id);
CREATE INDEX sign_in_links_expires ON sign_in_links (expires_at);

-- Counted attempts, for the rate limits every instance sharing the database applies: failed
-- passwords and requested links, per address (normalized; unknown addresses too, so no agent
-- row to refer to) and per client (an IP address; IPv6 by its /64).
CREATE TABLE auth_attempts (
    id         {{pk}},
    kind       TEXT NOT NULL,
    address    TEXT NOT NULL,
    client     TEXT NOT NULL,
    created_at {{ts}} NOT NULL
);
CREATE INDEX auth_attempts_address ON auth_attempts (kind, address, created_at);
CREATE INDEX auth_attempts_client ON auth_attempts (kind, client, created_at);
CREATE INDEX auth_attempts_created ON auth_attempts (created_at);
