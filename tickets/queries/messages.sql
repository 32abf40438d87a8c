-- Messages and the Message-IDs that thread into tickets.

-- name: message-dedup
SELECT ticket_id FROM messages WHERE property_id = ? AND dedup_key = ?

-- name: messages-by-message-id
-- The copies a Message-ID already has: a redelivery, or another mail reusing the ID.
SELECT ticket_id, content_hash, date_header FROM messages WHERE property_id = ? AND message_id = ? ORDER BY id

-- name: message-insert-inbound
INSERT INTO messages (property_id, ticket_id, direction, kind, agent_id, contact_id,
	from_name, from_email, to_list, cc_list, envelope_from, subject, message_id, dedup_key, content_hash, in_reply_to, refs,
	text_body, trimmed_text, html_body, raw, raw_size, threading, problems, date_header, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (property_id, dedup_key) DO NOTHING RETURNING id

-- name: message-insert-outgoing
-- An agent's message: raw holds nothing until the mail is rendered into the outbox.
INSERT INTO messages (property_id, ticket_id, direction, kind, agent_id, from_name, from_email, subject, message_id, dedup_key, text_body, trimmed_text, threading, created_at)
	VALUES (?, ?, ?, 'human', ?, ?, ?, ?, ?, ?, ?, ?, 'agent', ?) RETURNING id

-- name: message-trimmed-is-text
UPDATE messages SET trimmed_text = text_body WHERE id = ?

-- name: message-set-raw
UPDATE messages SET raw = ?, raw_size = ? WHERE id = ?

-- name: message-raw
SELECT raw FROM messages WHERE property_id = ? AND id = ?

-- name: message-html
SELECT html_body FROM messages WHERE property_id = ? AND id = ?

-- name: messages-of-ticket
SELECT id, direction, kind, from_name, from_email, to_list, cc_list, subject, message_id, in_reply_to, refs,
	text_body, trimmed_text, html_body, threading, problems, raw_size, date_header, created_at, held
	FROM messages WHERE ticket_id = ? ORDER BY created_at, id

-- name: message-brief
-- Enough of a message to decide who gets the mail it causes.
SELECT id, direction, from_name, from_email, message_id, threading, created_at FROM messages WHERE id = ?

-- name: message-full
SELECT id, direction, kind, from_name, from_email, to_list, cc_list, subject, message_id, in_reply_to, refs,
	text_body, trimmed_text, html_body, threading, problems, raw_size, date_header, created_at, held
	FROM messages WHERE id = ?

-- name: message-ids-of-ticket
-- The last 20, for References headers.
SELECT message_id FROM messages WHERE ticket_id = ? AND message_id <> '' ORDER BY id DESC LIMIT 20

-- name: agent-replies-since
-- The replies an agent's mail sent on a ticket recently (the loop brake).
SELECT COUNT(*) FROM messages WHERE ticket_id = ? AND agent_id = ? AND direction = ? AND raw_size > 0 AND created_at > ?

-- name: agent-mails-of-ticket
-- The last mails queued to one agent about one ticket, newest first: the conversation their mail
-- client shows (see notify). A mail is the agent's by its thread id; the virtual root of the
-- conversation has one too, but no outbox row.
SELECT o.message_id, o.created_at FROM outbox o
	JOIN thread_ids ti ON ti.property_id = o.property_id AND ti.message_id = o.message_id
	WHERE o.ticket_id = ? AND ti.ticket_id = ? AND ti.agent_id = ? ORDER BY o.id DESC LIMIT ?

-- name: thread-id-record
INSERT INTO thread_ids (property_id, message_id, ticket_id, agent_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING

-- name: thread-id-record-inbound
INSERT INTO thread_ids (property_id, message_id, ticket_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING

-- name: thread-id-record-ghost
-- A Message-ID a message referenced, kept under ghostKey (see ghostKeys); the first ticket to
-- reference an id keeps it.
INSERT INTO thread_ids (property_id, message_id, ticket_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING

-- name: thread-id-is-internal
SELECT COUNT(*) FROM thread_ids WHERE property_id = ? AND message_id = ? AND internal = ?

-- name: thread-id-mark-internal
UPDATE thread_ids SET internal = ? WHERE property_id = ? AND message_id = ?

-- name: lookup-ticket-by-id
-- Trashed tickets are not threading targets: an answer to one opens a new ticket. A merged one
-- names the ticket it was merged into (txLookup.one follows it).
SELECT id, number, status, closed_at, merged_into_ticket_id FROM tickets WHERE property_id = ? AND deleted_at IS NULL AND id = ?

-- name: lookup-ticket-by-number
SELECT id, number, status, closed_at, merged_into_ticket_id FROM tickets WHERE property_id = ? AND deleted_at IS NULL AND number = ?

-- name: lookup-tickets-by-message-id-in
-- Expanded with sqlx.In.
SELECT ti.message_id, ti.agent_id, t.id, t.number, t.status, t.closed_at
	FROM thread_ids ti JOIN tickets t ON t.id = ti.ticket_id
	WHERE ti.property_id = ? AND t.deleted_at IS NULL AND ti.message_id IN (?)

-- name: lookup-branch-of
-- The newest ticket linked to a ticket (its follow-ups and the answers of those who took no part in
-- it) that an address takes part in.
SELECT t.id, t.number, t.status, t.closed_at
	FROM tickets t JOIN ticket_participants tp ON tp.ticket_id = t.id
	WHERE t.property_id = ? AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL AND t.follows_up_ticket_id = ? AND tp.email = ?
	ORDER BY t.id DESC LIMIT 1

-- name: lookup-is-participant
-- The property's agents count as participants of every ticket.
SELECT
	(SELECT COUNT(*) FROM ticket_participants WHERE ticket_id = ? AND email = ?) +
	(SELECT COUNT(*) FROM agents a JOIN property_agents pa ON pa.agent_id = a.id WHERE pa.property_id = ? AND a.email = ?)
