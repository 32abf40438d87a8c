-- postdesk schema, version 20 (SQLite; 0020_merge.postgres.sql is its PostgreSQL twin): merging a
-- ticket into another (tickets.Store.Merge).

-- A merged ticket keeps its row as a pointer: its number redirects to the ticket it was merged
-- into, and mail that would have joined it joins that one (tickets/lookup.go). Its messages,
-- participants, tags and events live on the other ticket; it is closed and in no view. Set once,
-- never cleared (a merge is not undone). No foreign key: SQLite cannot drop a column that has one
-- (tickets/counts_test.go rolls the schema back by hand); the purge of the ticket merged into
-- deletes its pointers (tickets/inbox.go).
ALTER TABLE tickets ADD COLUMN merged_into_ticket_id BIGINT;

-- A pointer is counted in no bucket of ticket_counts (0012): merging takes the ticket out of its
-- bucket, and nothing that later happens to the pointer row counts.
DROP TRIGGER ticket_counts_delete;
CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets WHEN old.merged_into_ticket_id IS NULL BEGIN
    UPDATE ticket_counts SET n = n - 1
    WHERE property_id = old.property_id AND status = old.status AND assignee_agent_id = COALESCE(old.assignee_agent_id, 0)
        AND has_department = (old.assignee_department_id IS NOT NULL) AND spam = (CASE WHEN old.spam THEN 1 ELSE 0 END)
        AND deleted = (old.deleted_at IS NOT NULL) AND snoozed = (old.snoozed_until IS NOT NULL) AND slot = 0;
END;

DROP TRIGGER ticket_counts_update;
CREATE TRIGGER ticket_counts_update AFTER UPDATE ON tickets
WHEN old.merged_into_ticket_id IS NULL AND new.merged_into_ticket_id IS NULL AND (
    old.property_id IS NOT new.property_id OR old.status IS NOT new.status
    OR old.assignee_agent_id IS NOT new.assignee_agent_id
    OR (old.assignee_department_id IS NULL) <> (new.assignee_department_id IS NULL)
    OR (CASE WHEN old.spam THEN 1 ELSE 0 END) <> (CASE WHEN new.spam THEN 1 ELSE 0 END)
    OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)
    OR (old.snoozed_until IS NULL) <> (new.snoozed_until IS NULL))
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

-- The merge itself: the ticket leaves the bucket it was in (as it was before this update).
CREATE TRIGGER ticket_counts_merge AFTER UPDATE ON tickets
WHEN old.merged_into_ticket_id IS NULL AND new.merged_into_ticket_id IS NOT NULL
BEGIN
    UPDATE ticket_counts SET n = n - 1
    WHERE property_id = old.property_id AND status = old.status AND assignee_agent_id = COALESCE(old.assignee_agent_id, 0)
        AND has_department = (old.assignee_department_id IS NOT NULL) AND spam = (CASE WHEN old.spam THEN 1 ELSE 0 END)
        AND deleted = (old.deleted_at IS NOT NULL) AND snoozed = (old.snoozed_until IS NOT NULL) AND slot = 0;
END;

-- A message stored on a ticket after it became a pointer would be hidden (0020_merge.postgres.sql
-- says how, with concurrent writers; SQLite has one, but the rule is the same): counting a message
-- on a pointer fails.
CREATE TRIGGER tickets_pointer_guard BEFORE UPDATE OF message_count ON tickets
WHEN old.merged_into_ticket_id IS NOT NULL AND new.message_count IS NOT old.message_count
BEGIN
    SELECT RAISE(ABORT, 'the ticket was merged into another: try again');
END;
