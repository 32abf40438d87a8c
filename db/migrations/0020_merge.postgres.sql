-- postdesk schema, version 20 (PostgreSQL; 0020_merge.sqlite.sql is its SQLite twin): merging a
-- ticket into another (tickets.Store.Merge).

-- A merged ticket keeps its row as a pointer: its number redirects to the ticket it was merged
-- into, and mail that would have joined it joins that one (tickets/lookup.go). Its messages,
-- participants, tags and events live on the other ticket; it is closed and in no view. Set once,
-- never cleared (a merge is not undone). No foreign key, as on SQLite (which cannot drop a column
-- that has one); the purge of the ticket merged into deletes its pointers (tickets/inbox.go).
ALTER TABLE tickets ADD COLUMN merged_into_ticket_id BIGINT;

-- A pointer is counted in no bucket of ticket_counts (0012): merging takes the ticket out of its
-- bucket (as it was before the update), and nothing that later happens to the pointer row counts.
CREATE OR REPLACE FUNCTION ticket_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_first BOOLEAN;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.merged_into_ticket_id IS NOT NULL THEN
            RETURN NULL;
        END IF;
        PERFORM ticket_counts_add(NEW.property_id, NEW.status, COALESCE(NEW.assignee_agent_id, 0), NEW.assignee_department_id IS NOT NULL,
            NEW.spam, NEW.deleted_at IS NOT NULL, NEW.snoozed_until IS NOT NULL, (NEW.id % 16)::SMALLINT, 1);
        RETURN NULL;
    END IF;
    IF OLD.merged_into_ticket_id IS NOT NULL THEN
        RETURN NULL; -- a pointer, deleted or changed: in no bucket
    END IF;
    IF TG_OP = 'DELETE' OR NEW.merged_into_ticket_id IS NOT NULL THEN
        PERFORM ticket_counts_add(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL, (OLD.id % 16)::SMALLINT, -1);
        RETURN NULL;
    END IF;
    -- An update moves the ticket between two rows: lock them in one order, whichever way the
    -- ticket moves, so that two tickets moving opposite ways do not deadlock.
    old_first := ROW(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL)
        < ROW(NEW.property_id, NEW.status, COALESCE(NEW.assignee_agent_id, 0), NEW.assignee_department_id IS NOT NULL,
            NEW.spam, NEW.deleted_at IS NOT NULL, NEW.snoozed_until IS NOT NULL);
    IF old_first THEN
        PERFORM ticket_counts_add(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL, (OLD.id % 16)::SMALLINT, -1);
    END IF;
    PERFORM ticket_counts_add(NEW.property_id, NEW.status, COALESCE(NEW.assignee_agent_id, 0), NEW.assignee_department_id IS NOT NULL,
        NEW.spam, NEW.deleted_at IS NOT NULL, NEW.snoozed_until IS NOT NULL, (NEW.id % 16)::SMALLINT, 1);
    IF NOT old_first THEN
        PERFORM ticket_counts_add(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL, (OLD.id % 16)::SMALLINT, -1);
    END IF;
    RETURN NULL;
END;
$$;

-- Only when a bucket column changed, or the ticket was merged.
DROP TRIGGER ticket_counts_update ON tickets;
CREATE TRIGGER ticket_counts_update AFTER UPDATE ON tickets FOR EACH ROW
    WHEN (OLD.property_id IS DISTINCT FROM NEW.property_id OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.assignee_agent_id IS DISTINCT FROM NEW.assignee_agent_id
        OR (OLD.assignee_department_id IS NULL) <> (NEW.assignee_department_id IS NULL)
        OR OLD.spam IS DISTINCT FROM NEW.spam
        OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
        OR (OLD.snoozed_until IS NULL) <> (NEW.snoozed_until IS NULL)
        OR (OLD.merged_into_ticket_id IS NULL) <> (NEW.merged_into_ticket_id IS NULL))
    EXECUTE FUNCTION ticket_counts_track();

-- A message stored on a ticket after it became a pointer would be hidden: a delivery (or a reply)
-- that found the ticket before the merge committed and stores its message after. Every path that
-- stores a message counts it on its ticket, and that update waits for the merge's lock on the row,
-- then sees the pointer: it fails here as a serialization failure, so the delivery is retried
-- (451 to SMTP; TxRetry) and threads to the ticket merged into.
CREATE FUNCTION tickets_pointer_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket % was merged into ticket %: try again', OLD.id, OLD.merged_into_ticket_id
        USING ERRCODE = '40001';
END;
$$;
CREATE TRIGGER tickets_pointer_guard BEFORE UPDATE OF message_count ON tickets FOR EACH ROW
    WHEN (OLD.merged_into_ticket_id IS NOT NULL AND NEW.message_count IS DISTINCT FROM OLD.message_count)
    EXECUTE FUNCTION tickets_pointer_guard();
