-- Kept mail that belongs to no ticket (mail to postmaster@).

-- name: system-mail-insert
INSERT INTO system_mail (kind, dedup_key, envelope_from, from_email, subject, message_id, class, raw, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, dedup_key) DO NOTHING RETURNING id

-- name: system-mails
SELECT id, kind, envelope_from, from_email, subject, message_id, class, created_at FROM system_mail WHERE kind = ? ORDER BY id DESC LIMIT ?
