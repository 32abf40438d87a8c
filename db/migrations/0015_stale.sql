-- postdesk schema, version 15: stale replies by mail (tickets.Arrived).
-- seen_message_id: for a copy sent to one agent, the newest message of the ticket when the copy
-- was rendered — what the agent had seen when they answer it. NULL for older rows and other mail:
-- a reply to such a copy is never held as stale.
ALTER TABLE thread_ids ADD COLUMN seen_message_id BIGINT;
-- held: an agent's reply by mail kept, not sent, because it answered a copy older than a
-- colleague's reply or note. It is stored as a note (never the customer's) until the agent sends
-- it anyway (#send).
ALTER TABLE messages ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
