-- postdesk schema, version 11 (PostgreSQL; 0011_live.sqlite.sql is its SQLite twin): the change
-- log behind the web inbox's live updates (package live), and who is looking at a ticket.

-- One row per change of a ticket, written by the trigger below in the change's own transaction,
-- so that every path that changes a ticket (intake, API, CLI, a snooze waking, a purge) is caught
-- in one place, whichever instance or process made it. Feeds poll it by id (an id becomes visible
-- at its transaction's commit, not in id order: see live.Feed); kind is 'ticket' or 'presence'
-- (written by live.Feed). No foreign key: a purged ticket's last row names it still.
CREATE TABLE ticket_changes (
    id          {{pk}},
    property_id BIGINT NOT NULL,
    number      BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    at          {{ts}} NOT NULL
);

CREATE FUNCTION ticket_changes_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO ticket_changes (property_id, number, kind, at) VALUES (OLD.property_id, OLD.number, 'ticket', now());
        RETURN OLD;
    END IF;
    INSERT INTO ticket_changes (property_id, number, kind, at) VALUES (NEW.property_id, NEW.number, 'ticket', now());
    RETURN NEW;
END;
$$;
CREATE TRIGGER tickets_changes AFTER INSERT OR UPDATE OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_changes_log();

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
