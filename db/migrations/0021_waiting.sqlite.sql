-- postdesk schema, version 21 (SQLite; 0021_waiting.postgres.sql is its twin, they differ in the trigger
-- toggling around the backfill): who a ticket is waiting for (tickets/waiting.go).

-- waiting: 'us' when the last person's message is the customer's (or nobody has written yet),
-- 'customer' when it is an agent's reply to them; NULL while the ticket is closed. waiting_since:
-- when that side started waiting: the customer's first unanswered message (since the last reopen),
-- or the agent's last reply. first_response_at: the first agent reply sent to the customer (not a
-- note, not an automatic mail) at or after the ticket's creation; once set it stays. All three are derived from the ticket's messages by one statement,
-- tickets/queries/waiting.sql, which every change that stores a message or changes the status runs;
-- the backfill below is that statement over every ticket.
ALTER TABLE tickets ADD COLUMN waiting TEXT CHECK (waiting IN ('us', 'customer'));
ALTER TABLE tickets ADD COLUMN waiting_since {{ts}};
ALTER TABLE tickets ADD COLUMN first_response_at {{ts}};

-- The backfill is not a change for the live feed (0011): SQLite cannot disable a trigger, so the
-- update trigger is dropped for the UPDATE and created again as 0011 made it (same transaction).
-- The counts of 0012 do not look at these columns.
DROP TRIGGER tickets_changes_update;

-- The backfill: ticket-settle-waiting without its WHERE t.id = ? (one pass over the messages for
-- all tickets, then one over those from each open ticket's last reply on). The indexes come after
-- it, so that the UPDATE does not maintain them row by row.
WITH tk AS MATERIALIZED (
	SELECT t.id, t.status, t.created_at, p.ignore_list_mail,
		(SELECT MAX(e.created_at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'reopened') AS reopened_at
	FROM tickets t JOIN properties p ON p.id = t.property_id
), once AS MATERIALIZED (
	SELECT tk.id, tk.status, tk.created_at, tk.ignore_list_mail, tk.reopened_at,
		MAX(CASE WHEN m.direction = 'out' AND m.kind = 'human' THEN m.id END) AS last_out,
		MIN(CASE WHEN m.direction = 'out' AND m.kind = 'human' AND m.created_at >= tk.created_at THEN m.created_at END) AS first_out,
		MAX(CASE WHEN m.direction = 'in' AND m.contact_id IS NOT NULL
			AND (m.kind = 'human' OR (m.kind = 'list' AND NOT tk.ignore_list_mail)) THEN m.id END) AS last_in
	FROM tk LEFT JOIN messages m ON m.ticket_id = tk.id
	GROUP BY tk.id, tk.status, tk.created_at, tk.ignore_list_mail, tk.reopened_at
), w AS MATERIALIZED (
	SELECT o.id,
		CASE WHEN o.status <> 'open' THEN NULL
			WHEN COALESCE(o.last_out, 0) > COALESCE(o.last_in, 0) THEN 'customer'
			ELSE 'us' END AS waiting,
		CASE WHEN o.status <> 'open' THEN NULL
			WHEN COALESCE(o.last_out, 0) > COALESCE(o.last_in, 0) THEN MAX(CASE WHEN m.id = o.last_out THEN m.created_at END)
			ELSE COALESCE(MIN(CASE WHEN m.id > COALESCE(o.last_out, 0)
					AND (o.reopened_at IS NULL OR m.created_at >= o.reopened_at)
					AND m.direction = 'in' AND m.contact_id IS NOT NULL
					AND (m.kind = 'human' OR (m.kind = 'list' AND NOT o.ignore_list_mail)) THEN m.created_at END),
				o.reopened_at, o.created_at) END AS since,
		o.first_out
	FROM once o LEFT JOIN messages m ON m.ticket_id = o.id AND m.id >= COALESCE(o.last_out, 0) AND o.status = 'open'
	GROUP BY o.id, o.status, o.created_at, o.ignore_list_mail, o.reopened_at, o.last_out, o.last_in, o.first_out
)
UPDATE tickets SET waiting = w.waiting, waiting_since = w.since, first_response_at = COALESCE(tickets.first_response_at, w.first_out)
	FROM w
	WHERE tickets.id = w.id AND (tickets.waiting IS DISTINCT FROM w.waiting OR tickets.waiting_since IS DISTINCT FROM w.since
		OR (tickets.first_response_at IS NULL AND w.first_out IS NOT NULL));
CREATE TRIGGER tickets_changes_update AFTER UPDATE ON tickets BEGIN
    INSERT INTO ticket_changes (property_id, number, kind, at) VALUES (new.property_id, new.number, 'ticket', strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;

-- The list's "waiting" sort and filter (tickets.Search, tickets.List): waiting for us first, the
-- longest waiting first; these expressions are tickets.waitingRank and tickets.waitingKey.
CREATE INDEX tickets_list_waiting ON tickets (property_id, (CASE waiting WHEN 'us' THEN 0 WHEN 'customer' THEN 1 ELSE 2 END), (COALESCE(waiting_since, updated_at)), id) WHERE deleted_at IS NULL;

-- What the rule reads of a ticket's messages, so that settling a long ticket reads its index
-- entries and never the message rows (their raw mail and bodies): its passes go by ticket_id, the
-- second from the last reply's id on.
CREATE INDEX messages_waiting ON messages (ticket_id, id, direction, kind, contact_id, created_at);
