package tickets

// SetSearchIndexBatch makes the search indexer of s claim n messages at a time.
func SetSearchIndexBatch(s *Store, n int) { s.searchBatch = n }
