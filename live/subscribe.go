package live

// subscriber is one Subscribe: its channel, which only the feed sends on and closes.
type subscriber struct {
	property int64
	ch       chan Change
	closed   bool
}

// Subscribe returns every Change of the property from now on, until cancel is called (or Run
// returns: the channel is then closed). A slow subscriber never blocks the feed: when its buffer
// is full, the changes waiting in it are dropped and one Change{Kind: "resync"} takes their place,
// for the page to reload its list. cancel may be called more than once.
func (f *Feed) Subscribe(propertyID int64) (changes <-chan Change, cancel func()) {
	s := &subscriber{property: propertyID, ch: make(chan Change, bufferSize)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	m := f.subs[propertyID]
	if m == nil {
		m = map[*subscriber]struct{}{}
		f.subs[propertyID] = m
	}
	m[s] = struct{}{}
	return s.ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.drop(s)
	}
}

// drop removes s and closes its channel (f.mu held).
func (f *Feed) drop(s *subscriber) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	if m := f.subs[s.property]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(f.subs, s.property)
		}
	}
}

// close ends every subscription, for good.
func (f *Feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, m := range f.subs {
		for s := range m {
			f.drop(s)
		}
	}
}

// dispatch hands the rows to their properties' subscribers, one Change per ticket and kind of a
// poll: a page reads the ticket once however many rows its change wrote.
func (f *Feed) dispatch(rows []row) {
	if len(rows) == 0 {
		return
	}
	seen := map[Change]bool{}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rows {
		c := Change{PropertyID: r.PropertyID, Ticket: r.Number, Kind: r.Kind}
		if seen[c] {
			continue
		}
		seen[c] = true
		for s := range f.subs[r.PropertyID] {
			send(s, c)
		}
	}
}

// resyncAll tells every subscriber to reload.
func (f *Feed) resyncAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p, m := range f.subs {
		for s := range m {
			send(s, Change{PropertyID: p, Kind: KindResync})
		}
	}
}

// send gives c to s without waiting (f.mu held). When the buffer is full, c and the changes
// waiting are dropped and one resync takes their place: the reload it asks for covers them all.
func send(s *subscriber, c Change) {
	select {
	case s.ch <- c:
		return
	default:
	}
	for drained := false; !drained; {
		select {
		case <-s.ch:
		default:
			drained = true
		}
	}
	// The feed is the only sender and holds f.mu: the buffer has room now.
	s.ch <- Change{PropertyID: s.property, Kind: KindResync}
}
