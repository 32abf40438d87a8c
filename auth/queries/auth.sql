-- Signing agents in to the web inbox (see auth.go): passwords, sessions, one-time links, and the
-- attempts the rate limits count. Cookie and link values are only ever looked up by their hash.

-- name: auth-agent-by-email
SELECT id, email, name FROM agents WHERE email = ?

-- name: auth-agent-by-id
SELECT id, email, name FROM agents WHERE id = ?

-- name: auth-password-by-email
SELECT a.id, p.hash FROM agents a JOIN agent_passwords p ON p.agent_id = a.id WHERE a.email = ?

-- name: auth-password-set
INSERT INTO agent_passwords (agent_id, hash, updated_at) VALUES (?, ?, ?)
	ON CONFLICT (agent_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at

-- name: auth-password-rehash
-- A hash made with older parameters, replaced by one made with the current ones — unless the
-- password changed meanwhile.
UPDATE agent_passwords SET hash = ?, updated_at = ? WHERE agent_id = ? AND hash = ?

-- name: auth-memberships
-- The agent's properties now, as a session shows them.
SELECT pa.property_id, p.slug, p.name, pa.role FROM property_agents pa
	JOIN properties p ON p.id = pa.property_id WHERE pa.agent_id = ? ORDER BY p.slug, p.id

-- name: auth-lock
-- engine: postgres
-- Serializes, across instances, the transactions that count and record attempts for one key (an
-- address or a client): a count and its insert are one step. SQLite has one writer: no lock.
SELECT pg_advisory_xact_lock(?)

-- name: auth-attempts-by-address
-- The most recent attempts of one kind for one address within the window, newest first.
SELECT created_at FROM auth_attempts WHERE kind = ? AND address = ? AND created_at > ?
	ORDER BY created_at DESC LIMIT ?

-- name: auth-attempts-by-client
SELECT created_at FROM auth_attempts WHERE kind = ? AND client = ? AND created_at > ?
	ORDER BY created_at DESC LIMIT ?

-- name: auth-attempt-add
INSERT INTO auth_attempts (kind, address, client, created_at) VALUES (?, ?, ?, ?) RETURNING id

-- name: auth-attempt-forget
-- A password attempt is counted before the hash is checked (so concurrent guesses all count);
-- one that turned out right is forgotten.
DELETE FROM auth_attempts WHERE id = ?

-- name: auth-link-add
INSERT INTO sign_in_links (token_hash, agent_id, created_at, expires_at) VALUES (?, ?, ?, ?)

-- name: auth-link-use
-- One statement takes the link: of concurrent uses, only one finds it unused.
UPDATE sign_in_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
	RETURNING agent_id, token_hash

-- name: auth-session-add
INSERT INTO web_sessions (token_hash, agent_id, csrf, memberships, user_agent, created_at, last_seen_at, expires_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: auth-session-by-hash
SELECT s.id, s.token_hash, s.agent_id, a.email, a.name, s.csrf, s.memberships, s.created_at, s.last_seen_at, s.expires_at
	FROM web_sessions s JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = ?

-- name: auth-session-seen
-- At most one write a minute per session: the guard keeps concurrent requests from all writing.
UPDATE web_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at <= ?

-- name: auth-session-delete
DELETE FROM web_sessions WHERE id = ?

-- name: auth-session-end
DELETE FROM web_sessions WHERE token_hash = ?

-- name: auth-sessions-end-agent
DELETE FROM web_sessions WHERE agent_id = ?

-- name: auth-prune-sessions
DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen_at <= ? RETURNING id

-- name: auth-prune-links
DELETE FROM sign_in_links WHERE expires_at <= ? RETURNING id

-- name: auth-prune-attempts
DELETE FROM auth_attempts WHERE created_at <= ? RETURNING id
