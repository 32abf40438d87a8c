-- Full-text search. The list's filters, order and keyset are built in search.go from fixed
-- fragments; this is the one statement of it whose text is fixed.

-- name: search-fts-count
-- engine: sqlite
-- A bounded count of the matches tells SQLite's planner how common the words are.
SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)

-- name: search-index-batch
-- engine: postgres
-- The search indexer (indexer.go): claims up to ? queued messages (rows another instance holds
-- are skipped), writes their words and drops them from the queue, in one statement. The
-- expression is the one migration 0005 generated the column with; the claimed count says whether
-- the queue may hold more.
WITH q AS (
    DELETE FROM search_queue WHERE message_id IN (
        SELECT message_id FROM search_queue ORDER BY message_id LIMIT ? FOR UPDATE SKIP LOCKED)
    RETURNING message_id
), u AS (
    UPDATE messages m
    SET search_tsv = strip(to_tsvector('simple', translate(m.subject || ' ' || left(m.text_body, 100000), '@.-/_:+''', '        ')))
    FROM q WHERE m.id = q.message_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM q) AS claimed

-- name: search-queue-length
-- engine: postgres
SELECT count(*) FROM search_queue
