-- postdesk schema, version 24 (SQLite; 0024_search_queue.postgres.sql is its PostgreSQL twin).
-- On PostgreSQL the words of a message are now computed after its delivery commits, by the search
-- indexer (tickets.IndexSearch). SQLite keeps 0005's FTS5 triggers in the delivery's transaction:
-- its one writer would run the indexer's batches under the same lock the deliveries wait for, and
-- FTS5 adds little to a delivery (see the README's benchmark section). Nothing changes here.
SELECT 1;
