-- A property's DKIM keys: the active one signs its mail; another waits until it is activated.

-- name: dkim-key-insert
INSERT INTO dkim_keys (property_id, selector, domain, algorithm, private_key, active, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: dkim-key-has-active
SELECT COUNT(*) FROM dkim_keys WHERE property_id = ? AND active

-- name: dkim-keys-of-property
SELECT property_id, selector, domain, algorithm, private_key, active, created_at
	FROM dkim_keys WHERE property_id = ? ORDER BY active DESC, created_at, selector

-- name: dkim-key-active
SELECT property_id, selector, domain, algorithm, private_key, active, created_at
	FROM dkim_keys WHERE property_id = ? AND active

-- name: dkim-key-retire
-- The key that signed until now goes when another is activated.
DELETE FROM dkim_keys WHERE property_id = ? AND active AND selector <> ?

-- name: dkim-key-activate
UPDATE dkim_keys SET active = TRUE WHERE property_id = ? AND selector = ? RETURNING selector

-- name: dkim-keys-delete
DELETE FROM dkim_keys WHERE property_id = ? RETURNING selector
