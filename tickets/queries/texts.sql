-- The texts a property sets for its acknowledgement and close mails, per locale (templates/custom.go
-- checks and renders them), and what the close mail's rules read.

-- name: property-text-upsert
INSERT INTO property_texts (property_id, kind, locale, subject, body, updated_at) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (property_id, kind, locale) DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at

-- name: property-text-delete
DELETE FROM property_texts WHERE property_id = ? AND kind = ? AND locale = ? RETURNING kind

-- name: property-text-get
SELECT kind, locale, subject, body, updated_at FROM property_texts WHERE property_id = ? AND kind = ? AND locale = ?

-- name: property-texts
SELECT kind, locale, subject, body, updated_at FROM property_texts WHERE property_id = ? ORDER BY kind, locale

-- name: ticket-via-list
-- Whether mail of the ticket came in through a mailing list: nothing automatic goes back to it.
SELECT COUNT(*) FROM messages WHERE ticket_id = ? AND direction = 'in' AND kind = ?
