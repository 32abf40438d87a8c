-- Deleting for good: a purged ticket, and what blocking an address removes.

-- name: purge-attachments
DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?)

-- name: purge-messages
DELETE FROM messages WHERE ticket_id = ?

-- name: purge-events
DELETE FROM ticket_events WHERE ticket_id = ?

-- name: purge-tags
DELETE FROM ticket_tags WHERE ticket_id = ?

-- name: purge-participants
DELETE FROM ticket_participants WHERE ticket_id = ?

-- name: purge-thread-ids
DELETE FROM thread_ids WHERE ticket_id = ?

-- name: purge-reads
DELETE FROM ticket_reads WHERE ticket_id = ?

-- name: purge-unsent-mail
-- Mail that has not reached the relay and never will once its ticket is gone. A "sending" row is
-- safe to delete: the sender must mark it "data" before the end of DATA, and that fails for a row
-- that is no longer there. Rows in "data", "sent" and "uncertain" may have reached the relay; they
-- stay, as the record of mail sent, with no ticket.
DELETE FROM outbox WHERE ticket_id = ? AND status IN ('queued', 'sending', 'failed')

-- name: purge-sent-mail
UPDATE outbox SET ticket_id = NULL WHERE ticket_id = ?

-- name: purge-unlink-follow-ups
UPDATE tickets SET follows_up_ticket_id = NULL WHERE follows_up_ticket_id = ? RETURNING id

-- name: purge-ticket
DELETE FROM tickets WHERE id = ? AND property_id = ?

-- name: block-contact
INSERT INTO contacts (property_id, email, blocked, created_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (property_id, email) DO UPDATE SET blocked = excluded.blocked RETURNING id

-- name: block-message-counts
-- The blocked address's messages: by contact or by From address.
SELECT ticket_id, COUNT(*) AS n FROM messages WHERE property_id = ? AND direction = 'in' AND (contact_id = ? OR from_email = ?)
	GROUP BY ticket_id ORDER BY ticket_id

-- name: block-thread-ids
-- The blocked address's Message-IDs as thread keys, each only where it keys the ticket the blocked
-- message is on: a Message-ID reused by another mail is stored again (see tickets.dedup), but its
-- thread key stays with the first ticket, which may be another sender's. And a key that a message
-- kept on that ticket also has (another sender's mail reusing the ID, threaded there too) stays.
-- Ghost keys (referenced ids) are the ticket's, not one message's: they go when the ticket does.
DELETE FROM thread_ids WHERE property_id = ? AND EXISTS (SELECT 1 FROM messages b
		WHERE b.property_id = thread_ids.property_id AND b.message_id = thread_ids.message_id AND b.ticket_id = thread_ids.ticket_id
			AND b.direction = 'in' AND (b.contact_id = ? OR b.from_email = ?) AND b.message_id <> '')
	AND NOT EXISTS (SELECT 1 FROM messages k
		WHERE k.property_id = thread_ids.property_id AND k.message_id = thread_ids.message_id AND k.ticket_id = thread_ids.ticket_id
			AND NOT (k.direction = 'in' AND (COALESCE(k.contact_id, 0) = ? OR k.from_email = ?)))

-- name: block-attachments
DELETE FROM attachments WHERE message_id IN (SELECT id
	FROM messages WHERE property_id = ? AND direction = 'in' AND (contact_id = ? OR from_email = ?))

-- name: block-messages
DELETE FROM messages WHERE property_id = ? AND direction = 'in' AND (contact_id = ? OR from_email = ?)

-- name: block-queued-mail
DELETE FROM outbox WHERE property_id = ? AND rcpts = ? AND status = 'queued'
