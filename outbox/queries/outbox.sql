-- The outbox: one row per outgoing mail, and its state machine (see outbox.go). Every statement
-- that moves a row names the status it expects it in, so a row another instance recovered after
-- our lease ran out is left alone.

-- name: outbox-enqueue
INSERT INTO outbox (property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, next_attempt_at, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: outbox-recent-automatic
-- The loop breaker's count of automatic mail to one recipient.
SELECT COUNT(*) FROM outbox WHERE rcpts = ? AND automatic = ? AND created_at > ?

-- name: outbox-recent-of-kind
-- The mails of one kind queued to one recipient (the bound on command-error mails).
SELECT COUNT(*) FROM outbox WHERE kind = ? AND rcpts = ? AND created_at > ?

-- name: outbox-claim
-- engine: postgres
-- Several instances share the queue: a row another one is claiming is skipped, never waited for.
UPDATE outbox SET status = ?, attempts = attempts + 1, last_attempt_at = ?, lease_until = ?
	WHERE id IN (SELECT id FROM outbox WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
	RETURNING id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, attempts, next_attempt_at, last_error, created_at, sent_at

-- name: outbox-claim
-- engine: sqlite
-- SQLite has one writer and no row locks: the claim is the only writer while it runs.
UPDATE outbox SET status = ?, attempts = attempts + 1, last_attempt_at = ?, lease_until = ?
	WHERE id IN (SELECT id FROM outbox WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)
	RETURNING id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, attempts, next_attempt_at, last_error, created_at, sent_at

-- The transitions of one claimed row. Each takes the new status, its own columns, then the row's
-- id and the status it must still be in.

-- name: outbox-mark-data
UPDATE outbox SET status = ?, lease_until = ? WHERE id = ? AND status = ? AND attempts = ? RETURNING id

-- name: outbox-mark-sent
UPDATE outbox SET status = ?, sent_at = ?, lease_until = NULL, last_error = ? WHERE id = ? AND status = ? AND attempts = ? RETURNING id

-- name: outbox-retry
UPDATE outbox SET status = ?, next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ? AND status = ? AND attempts = ? RETURNING id

-- name: outbox-fail
UPDATE outbox SET status = ?, lease_until = NULL, last_error = ? WHERE id = ? AND status = ? AND attempts = ? RETURNING id

-- name: outbox-mark-uncertain
UPDATE outbox SET status = ?, lease_until = NULL, last_error = ? WHERE id = ? AND status = ? AND attempts = ? RETURNING id

-- name: outbox-event-add
-- The ticket may have been purged while its mail was on the way: the mail's own state is what
-- matters then, so the event is written only where the ticket still is.
INSERT INTO ticket_events (ticket_id, kind, actor, detail, created_at)
	SELECT id, ?, ?, ?, ? FROM tickets WHERE id = ?

-- name: outbox-renew
-- The holder's heartbeat: a row keeps its lease while it is in the holder's claim (the attempt it
-- was claimed with, not yet settled). A row recovered and claimed again counts another attempt, so
-- a stale holder never extends a newer claim's lease.
UPDATE outbox SET lease_until = ? WHERE id = ? AND attempts = ? AND status IN (?, ?) RETURNING id

-- name: outbox-recover-sending
-- A row still "sending" whose lease ran out never reached the end of DATA: queued again, due now.
UPDATE outbox SET status = ?, lease_until = NULL, next_attempt_at = ? WHERE status = ? AND lease_until < ? RETURNING id

-- name: outbox-recover-data
-- A row in "data" whose lease ran out may have been accepted: uncertain, never resent.
UPDATE outbox SET status = ?, lease_until = NULL, last_error = ? WHERE status = ? AND lease_until < ?
	RETURNING id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, attempts, next_attempt_at, last_error, created_at, sent_at

-- name: outbox-next-due
SELECT next_attempt_at FROM outbox WHERE status = ? ORDER BY next_attempt_at LIMIT 1

-- name: outbox-depth
SELECT COUNT(*) FROM outbox WHERE status IN (?, ?, ?)

-- name: outbox-by-id
SELECT id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, attempts, next_attempt_at, last_error, created_at, sent_at
	FROM outbox WHERE id = ?

-- name: outbox-bounced
UPDATE outbox SET status = ?, last_error = ? WHERE property_id = ? AND message_id = ? AND status <> ?
	RETURNING id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, attempts, next_attempt_at, last_error, created_at, sent_at

-- Rows queued by a postdesk that rendered mail at send time: an intent (spec) and no bytes. Only
-- rows not yet at the end of DATA (those had their bytes stored with the mark).
-- name: outbox-unrendered
SELECT id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, raw, status, attempts, next_attempt_at, last_error, created_at, sent_at
	FROM outbox WHERE status IN (?, ?) AND (raw IS NULL OR LENGTH(raw) = 0) ORDER BY id

-- name: outbox-set-raw
UPDATE outbox SET raw = ? WHERE id = ? AND status IN (?, ?) AND (raw IS NULL OR LENGTH(raw) = 0)

-- The outbox by hand (postdesk outbox list | retry | drop; see admin.go).

-- name: outbox-list
-- The rows in the given statuses (six slots, repeated to fill), newest first; without their bytes.
SELECT id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, status, attempts, next_attempt_at, last_error, created_at, sent_at
	FROM outbox WHERE status IN (?, ?, ?, ?, ?, ?) ORDER BY id DESC LIMIT ?

-- name: outbox-requeue
-- A failed or uncertain row queued again by hand, due now; its attempts count on (they fence
-- stale claims).
UPDATE outbox SET status = ?, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND status = ?
	RETURNING id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, status, attempts, next_attempt_at, last_error, created_at, sent_at

-- name: outbox-requeue-all
UPDATE outbox SET status = ?, next_attempt_at = ?, lease_until = NULL WHERE status = ?
	RETURNING id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, status, attempts, next_attempt_at, last_error, created_at, sent_at

-- name: outbox-drop
-- Only a row nobody is sending: queued, failed or uncertain.
DELETE FROM outbox WHERE id = ? AND status IN (?, ?, ?)
	RETURNING id, property_id, ticket_id, message_id, kind, automatic, mail_from, rcpts, spec, status, attempts, next_attempt_at, last_error, created_at, sent_at
