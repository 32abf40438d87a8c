-- Stale replies by mail: what an agent's copy showed, and replies held until sent anyway.

-- name: thread-id-record-copy
-- A copy sent to one agent, with the newest message of the ticket as it was rendered: what the
-- agent had seen when they answer it (tickets.Arrived).
INSERT INTO thread_ids (property_id, message_id, ticket_id, agent_id, seen_message_id)
	VALUES (?, ?, ?, ?, (SELECT MAX(id) FROM messages WHERE ticket_id = ?)) ON CONFLICT DO NOTHING

-- name: thread-id-seen-in
-- The newest message an agent had seen in the copies of theirs a mail answers; expanded with
-- sqlx.In. 0: none of them is a known copy.
SELECT COALESCE(MAX(seen_message_id), 0) FROM thread_ids
	WHERE property_id = ? AND ticket_id = ? AND agent_id = ? AND message_id IN (?)

-- name: messages-after
SELECT id, direction, kind, from_name, from_email, to_list, cc_list, subject, message_id, in_reply_to, refs,
	text_body, trimmed_text, html_body, threading, problems, raw_size, date_header, created_at, held
	FROM messages WHERE ticket_id = ? AND id > ? ORDER BY id

-- name: message-held-of-agent
-- An agent's latest held reply on a ticket.
SELECT id, to_list, cc_list, dedup_key FROM messages WHERE ticket_id = ? AND agent_id = ? AND held = ? ORDER BY id DESC LIMIT 1

-- name: message-release-claim
-- Claims a held reply for sending: one release only, whoever comes second finds nothing.
UPDATE messages SET held = ?, dedup_key = ? WHERE id = ? AND held = ? RETURNING id

-- name: message-release-copy
-- The released reply, as a new message: sent now, after everything the ticket holds (its
-- dedup key set back by message-release-finish once the held one has made way).
INSERT INTO messages (property_id, ticket_id, direction, kind, agent_id, contact_id,
	from_name, from_email, to_list, cc_list, envelope_from, subject, message_id, dedup_key, content_hash, in_reply_to, refs,
	text_body, trimmed_text, html_body, raw, raw_size, threading, problems, date_header, created_at)
	SELECT property_id, ticket_id, 'out', kind, agent_id, contact_id,
	from_name, from_email, to_list, cc_list, envelope_from, subject, message_id, 'sending ' || dedup_key, content_hash, in_reply_to, refs,
	text_body, trimmed_text, html_body, raw, raw_size, threading, problems, date_header, created_at
	FROM messages WHERE id = ? RETURNING id

-- name: message-release-finish
UPDATE messages SET dedup_key = ?, created_at = ? WHERE id = ?

-- name: attachments-move
UPDATE attachments SET message_id = ? WHERE message_id = ?

-- name: message-delete
DELETE FROM messages WHERE id = ?

-- name: message-set-held
UPDATE messages SET held = ? WHERE id = ?
