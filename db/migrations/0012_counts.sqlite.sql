-- postdesk schema, version 12 (SQLite; 0012_counts.postgres.sql is its PostgreSQL twin): how many
-- tickets each inbox view holds, without reading the tickets (tickets.CountViews).

-- One row per combination of the columns the inbox views look at ("bucket") in use on a property:
-- n tickets have it. The triggers below keep it in the changing transaction, on every path that
-- changes a ticket. assignee_agent_id is 0 for none; has_department, spam, deleted (deleted_at IS
-- NOT NULL) and snoozed (snoozed_until IS NOT NULL) are 0 or 1. slot spreads a bucket over rows
-- on PostgreSQL (its twin); SQLite has one writer, so here it is always 0. A row whose n falls to 0
-- stays, to be reused. No foreign key: the rows of a deleted property's tickets fall to 0 through
-- the trigger whichever order the cascade deletes in.
CREATE TABLE ticket_counts (
    property_id       BIGINT NOT NULL,
    status            TEXT NOT NULL,
    assignee_agent_id BIGINT NOT NULL,
    has_department    INTEGER NOT NULL,
    spam              INTEGER NOT NULL,
    deleted           INTEGER NOT NULL,
    snoozed           INTEGER NOT NULL,
    slot              INTEGER NOT NULL,
    n                 BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot)
);

INSERT INTO ticket_counts (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot, n)
SELECT property_id, status, COALESCE(assignee_agent_id, 0), assignee_department_id IS NOT NULL,
    CASE WHEN spam THEN 1 ELSE 0 END, deleted_at IS NOT NULL, snoozed_until IS NOT NULL, 0, COUNT(*)
FROM tickets
GROUP BY 1, 2, 3, 4, 5, 6, 7;

CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_counts (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot, n)
    VALUES (new.property_id, new.status, COALESCE(new.assignee_agent_id, 0), new.assignee_department_id IS NOT NULL,
        CASE WHEN new.spam THEN 1 ELSE 0 END, new.deleted_at IS NOT NULL, new.snoozed_until IS NOT NULL, 0, 1)
    ON CONFLICT (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets BEGIN
    UPDATE ticket_counts SET n = n - 1
    WHERE property_id = old.property_id AND status = old.status AND assignee_agent_id = COALESCE(old.assignee_agent_id, 0)
        AND has_department = (old.assignee_department_id IS NOT NULL) AND spam = (CASE WHEN old.spam THEN 1 ELSE 0 END)
        AND deleted = (old.deleted_at IS NOT NULL) AND snoozed = (old.snoozed_until IS NOT NULL) AND slot = 0;
END;

-- Only when a bucket column changed: a new message (message_count, updated_at) costs nothing.
CREATE TRIGGER ticket_counts_update AFTER UPDATE ON tickets
WHEN old.property_id IS NOT new.property_id OR old.status IS NOT new.status
    OR old.assignee_agent_id IS NOT new.assignee_agent_id
    OR (old.assignee_department_id IS NULL) <> (new.assignee_department_id IS NULL)
    OR (CASE WHEN old.spam THEN 1 ELSE 0 END) <> (CASE WHEN new.spam THEN 1 ELSE 0 END)
    OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
    OR (old.snoozed_until IS NULL) <> (new.snoozed_until IS NULL)
BEGIN
    UPDATE ticket_counts SET n = n - 1
    WHERE property_id = old.property_id AND status = old.status AND assignee_agent_id = COALESCE(old.assignee_agent_id, 0)
        AND has_department = (old.assignee_department_id IS NOT NULL) AND spam = (CASE WHEN old.spam THEN 1 ELSE 0 END)
        AND deleted = (old.deleted_at IS NOT NULL) AND snoozed = (old.snoozed_until IS NOT NULL) AND slot = 0;
    INSERT INTO ticket_counts (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot, n)
    VALUES (new.property_id, new.status, COALESCE(new.assignee_agent_id, 0), new.assignee_department_id IS NOT NULL,
        CASE WHEN new.spam THEN 1 ELSE 0 END, new.deleted_at IS NOT NULL, new.snoozed_until IS NOT NULL, 0, 1)
    ON CONFLICT (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot) DO UPDATE SET n = n + 1;
END;
