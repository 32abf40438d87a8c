-- Full-text search. The list's filters, order and keyset are built in search.go from fixed
-- fragments; this is the one statement of it whose text is fixed.

-- name: search-fts-count
-- engine: sqlite
-- A bounded count of the matches tells SQLite's planner how common the words are.
SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)

-- name: search-index-batch
-- engine: postgres
-- The search indexer (indexer.go): claims up to ? queued messages (rows another instance holds
-- are skipped), writes their words and drops them from the queue, in one statement. A message
-- whose row another transaction holds (a merge moving it) is skipped too and stays queued for the
-- next run: the indexer never waits on a row lock, so it never deadlocks with a change. A queued
-- message that no longer exists (purged) is dropped. The expression is the one migration 0005
-- generated the column with; the claimed count says whether the queue may hold more.
WITH q AS (
    SELECT message_id FROM search_queue ORDER BY message_id LIMIT ? FOR UPDATE SKIP LOCKED
), m AS (
    SELECT id FROM messages WHERE id IN (SELECT message_id FROM q) FOR UPDATE SKIP LOCKED
), u AS (
    UPDATE messages
    SET search_tsv = strip(to_tsvector('simple', translate(subject || ' ' || left(text_body, 100000), '@.-/_:+''', '        ')))
    WHERE id IN (SELECT id FROM m)
    RETURNING id
), d AS (
    DELETE FROM search_queue
    WHERE message_id IN (SELECT message_id FROM q)
      AND (message_id IN (SELECT id FROM u) OR NOT EXISTS (SELECT 1 FROM messages x WHERE x.id = search_queue.message_id))
    RETURNING 1
)
SELECT (SELECT count(*) FROM q) AS claimed, (SELECT count(*) FROM d) AS done

-- name: search-queue-length
-- engine: postgres
SELECT count(*) FROM search_queue
