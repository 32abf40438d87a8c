-- postdesk schema, version 24 (PostgreSQL; 0024_search_queue.sqlite.sql is its SQLite twin): the
-- words of a message are computed after its delivery commits, not inside it.

-- search_tsv was a generated column: to_tsvector over the body and the GIN index's update ran in
-- every delivery's transaction (about 10 ms of 11 per stored message, most of it the index). It
-- becomes a plain column, its values kept, filled by the search indexer (tickets.IndexSearch, run
-- by serve's scheduler) in batches. The expression is the one 0005 generated, in the indexer's
-- query (tickets/queries/search.sql); tickets.Search queries the column as before.
ALTER TABLE messages ALTER COLUMN search_tsv DROP EXPRESSION IF EXISTS;

-- The messages whose words are to be (re)computed, written by the trigger below in the
-- transaction that stores or changes the message: every path (intake, replies, notes, imports,
-- merges) queues, in one place. The indexer claims rows with FOR UPDATE SKIP LOCKED, so several
-- instances share the work, and deletes them in the transaction that writes the words. No foreign
-- key: a purged message's row is dropped by the indexer, which finds nothing to update.
CREATE TABLE search_queue (
    message_id BIGINT PRIMARY KEY
);

CREATE FUNCTION search_queue_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_queue (message_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER messages_search_queue AFTER INSERT OR UPDATE OF subject, text_body ON messages
    FOR EACH ROW EXECUTE FUNCTION search_queue_add();

-- Rows stored before this migration keep the words 0005 computed; none is missing one.
INSERT INTO search_queue (message_id) SELECT id FROM messages WHERE search_tsv IS NULL;
