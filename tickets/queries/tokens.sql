-- API tokens: only their SHA-256 is kept.

-- name: token-insert
INSERT INTO api_tokens (property_id, agent_id, token_hash, name, created_at) VALUES (?, ?, ?, ?, ?)

-- name: token-by-hash
SELECT id, property_id, agent_id, last_used_at FROM api_tokens WHERE token_hash = ?

-- name: token-used
UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)

-- name: tokens-revoke
DELETE FROM api_tokens WHERE property_id = ? AND agent_id = ? RETURNING id
