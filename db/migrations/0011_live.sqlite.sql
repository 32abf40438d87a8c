-- postdesk schema, version 11 (SQLite; 0011_live.postgres.sql is its PostgreSQL twin): the change
-- log behind the web inbox's live updates (package live), and who is looking at a ticket.

-- One row per change of a ticket, written by the triggers below in the change's own transaction,
-- so that every path that changes a ticket (intake, API, CLI, a snooze waking, a purge) is caught
-- in one place, whichever instance or process made it. Feeds poll it by id; kind is 'ticket' or
-- 'presence' (written by live.Feed). No foreign key: a purged ticket's last row names it still.
-- at is the database's clock, UTC, in the text form the driver writes times in, so that it compares
-- with a time parameter (the pruning of old rows).
CREATE TABLE ticket_changes (
    id          {{pk}},
    property_id BIGINT NOT NULL,
    number      BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    at          {{ts}} NOT NULL
);

CREATE TRIGGER tickets_changes_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_changes (property_id, number, kind, at) VALUES (new.property_id, new.number, 'ticket', strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
CREATE TRIGGER tickets_changes_update AFTER UPDATE ON tickets BEGIN
    INSERT INTO ticket_changes (property_id, number, kind, at) VALUES (new.property_id, new.number, 'ticket', strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
CREATE TRIGGER tickets_changes_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO ticket_changes (property_id, number, kind, at) VALUES (old.property_id, old.number, 'ticket', strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;

-- An agent with a ticket open in the web inbox, kept alive by heartbeats: gone once expires_at is
-- past (the feed's clock) or when the ticket or the agent is deleted.
CREATE TABLE presence (
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    agent_id   BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    typing     BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at {{ts}} NOT NULL,
    PRIMARY KEY (ticket_id, agent_id)
);
CREATE INDEX presence_expires ON presence (expires_at);
CREATE INDEX presence_agent ON presence (agent_id);
