-- The loop brake's records (notify's loopHeld, its postmaster forwards): the holds on addresses
-- suspected of a mail loop, and the counts it judges by.

-- name: loop-hold-last
SELECT last_at FROM loop_holds WHERE ticket_id = ? AND email = ?

-- name: loop-hold-extend
UPDATE loop_holds SET last_at = ?, held = held + 1 WHERE ticket_id = ? AND email = ?

-- name: loop-hold-end
DELETE FROM loop_holds WHERE ticket_id = ? AND email = ?

-- name: loop-hold-start
-- Two mails from the address at once may both start the hold: the one whose row goes in is told.
INSERT INTO loop_holds (ticket_id, email, held_at, last_at, held) VALUES (?, ?, ?, ?, 1)
	ON CONFLICT (ticket_id, email) DO NOTHING RETURNING ticket_id

-- name: loop-mails-from
SELECT COUNT(*) FROM messages WHERE ticket_id = ? AND from_email = ? AND created_at > ?

-- name: loop-system-mails-from
SELECT COUNT(*) FROM system_mail WHERE kind = ? AND from_email = ? AND created_at > ?
