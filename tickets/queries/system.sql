-- Kept mail that belongs to no ticket: mail to postmaster@, and robot mail that threads nowhere.

-- name: system-mail-insert
INSERT INTO system_mail (kind, property_id, dedup_key, envelope_from, from_email, subject, message_id, class, problems, text_body, raw, content_hash, date_header, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, dedup_key) DO NOTHING RETURNING id

-- name: system-mails-by-message-id
-- The copies of a Message-ID a property keeps as robot mail: a redelivery, or another mail
-- reusing the ID. ticket_id is 0: system mail belongs to no ticket (see storedCopy).
SELECT 0 AS ticket_id, content_hash, date_header FROM system_mail WHERE property_id = ? AND message_id = ? AND kind = ? ORDER BY id

-- name: system-mails
SELECT id, kind, envelope_from, from_email, subject, message_id, class, problems, created_at FROM system_mail WHERE kind = ? ORDER BY id DESC LIMIT ?

-- name: system-mails-filtered
-- property_id 0 is every property and none (postmaster mail); kind and class '' are any.
SELECT s.id, s.kind, COALESCE(p.slug, '') AS property, s.envelope_from, s.from_email, s.subject, s.message_id, s.class, s.problems, s.created_at
	FROM system_mail s LEFT JOIN properties p ON p.id = s.property_id
	WHERE (? = 0 OR s.property_id = ?) AND (? = '' OR s.kind = ?) AND (? = '' OR s.class = ?) ORDER BY s.id DESC LIMIT ?

-- name: system-mail-by-id
SELECT s.id, s.kind, COALESCE(p.slug, '') AS property, s.envelope_from, s.from_email, s.subject, s.message_id, s.class, s.problems, s.text_body, s.raw, s.created_at
	FROM system_mail s LEFT JOIN properties p ON p.id = s.property_id
	WHERE s.id = ? AND (? = 0 OR s.property_id = ?)

-- name: system-mail-purge
-- Robot mail past its retention time. Postmaster mail is kept: a person may have written it.
DELETE FROM system_mail WHERE kind = ? AND created_at < ? RETURNING id

-- name: setting-get
SELECT value FROM settings WHERE name = ?

-- name: setting-put
INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value

-- name: contact-is-blocked
SELECT COUNT(*) FROM contacts WHERE property_id = ? AND email = ? AND blocked = ?

-- name: setting-insert
-- The first value wins; an existing one is kept.
INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING
