package tickets

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/scheduler"
)

// The search indexer. On PostgreSQL a message's words (messages.search_tsv, which Search reads)
// are computed after the transaction that stored it commits: a trigger queues the message's id in
// that transaction (search_queue, migration 0024), and the indexer writes the words of queued
// messages in batches. Computing them inside the delivery, with the GIN index's update, was most of
// a delivery's database time; batched, the index's update is shared by the batch. A search misses
// a message only until the next run: SearchIndexEvery, plus the batches ahead of it when the queue
// is long. On SQLite the FTS5 index is still written in the delivery's transaction (migration
// 0005's triggers), so there is no queue and a run does nothing.

// SearchIndexBatch is how many queued messages one indexer transaction claims.
const SearchIndexBatch = 500

// SearchIndexEvery is the longest time between two runs of the indexer while the queue is short.
const SearchIndexEvery = time.Second

// IndexSearch writes the search words of up to SearchIndexBatch queued messages and drops them
// from the queue, in one transaction, and returns how many it indexed (or dropped: purged). Rows
// another instance's indexer holds are skipped (FOR UPDATE SKIP LOCKED), so instances share the
// queue, and so is a message another transaction holds (it stays queued): the indexer never waits
// on a lock. A message changed while its row was claimed is queued again by the trigger once the
// claim commits.
func (s *Store) IndexSearch(ctx context.Context) (int, error) {
	if s.db.Dialect != db.Postgres {
		return 0, nil
	}
	var r struct {
		Claimed int `db:"claimed"`
		Done    int `db:"done"`
	}
	if err := s.db.Get(ctx, nil, &r, s.qs.SearchIndexBatch, s.indexBatch()); err != nil {
		return 0, fmt.Errorf("tickets: index search words: %w", err)
	}
	return r.Done, nil
}

func (s *Store) indexBatch() int {
	if s.searchBatch > 0 {
		return s.searchBatch // tests: small batches, to have indexers meet
	}
	return SearchIndexBatch
}

// SearchQueueLength is how many messages wait for the indexer (always 0 on SQLite).
func (s *Store) SearchQueueLength(ctx context.Context) (int, error) {
	if s.db.Dialect != db.Postgres {
		return 0, nil
	}
	var n int
	if err := s.db.Get(ctx, nil, &n, s.qs.SearchQueueLength); err != nil {
		return 0, fmt.Errorf("tickets: search queue: %w", err)
	}
	return n, nil
}

// DrainSearchIndex runs the indexer until the queue is empty: what a command that must leave every
// message searchable (a seeder, an import, a test) calls before it returns. Rows another
// instance holds are not waited for; its own run indexes them.
func (s *Store) DrainSearchIndex(ctx context.Context) error {
	for {
		n, err := s.IndexSearch(ctx)
		if err != nil {
			return err
		}
		if n < s.indexBatch() {
			return nil
		}
	}
}

// SearchIndexer is the scheduler job that runs the indexer: every SearchIndexEvery, and at once
// again after a full batch. serve does not kick it per delivery: a second's messages in one batch
// cost the database far less per message than batches of one or two.
func (s *Store) SearchIndexer(log *slog.Logger) *scheduler.Loop {
	return scheduler.New(scheduler.Job{Name: "search-index", Every: SearchIndexEvery, Run: func(ctx context.Context) (time.Time, error) {
		n, err := s.IndexSearch(ctx)
		if err != nil || n < s.indexBatch() {
			return time.Time{}, err
		}
		return time.Now(), nil // a full batch: there may be more
	}}, log)
}
