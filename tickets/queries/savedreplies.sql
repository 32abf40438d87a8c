-- Saved replies (tickets/savedreplies.go): per property, named texts in one or more locales.

-- name: saved-reply-insert
INSERT INTO saved_replies (property_id, name, locale, body, created_by, updated_by, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (property_id, name, locale) DO NOTHING RETURNING id

-- name: saved-reply-update
UPDATE saved_replies SET body = ?, updated_by = ?, updated_at = ? WHERE property_id = ? AND name = ? AND locale = ? RETURNING id

-- name: saved-reply-delete
DELETE FROM saved_replies WHERE property_id = ? AND name = ? AND locale = ? RETURNING id

-- name: saved-reply-delete-all
-- Every locale's text of a name.
DELETE FROM saved_replies WHERE property_id = ? AND name = ? RETURNING id

-- name: saved-replies
SELECT r.name, r.locale, r.body, COALESCE(c.email, '') AS created_by, COALESCE(u.email, '') AS updated_by, r.created_at, r.updated_at
FROM saved_replies r LEFT JOIN agents c ON c.id = r.created_by LEFT JOIN agents u ON u.id = r.updated_by
WHERE r.property_id = ? ORDER BY r.name, r.locale

-- name: saved-reply-ticket
-- What a saved reply's placeholders are filled from.
SELECT t.number, t.subject, COALESCE(c.email, '') AS email, COALESCE(c.name, '') AS name
FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id WHERE t.id = ?
