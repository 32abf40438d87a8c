package dkimkeys

import (
	"bytes"
	"context"
	"crypto"
	"embed"
	"fmt"
	"io/fs"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/seal"
)

//go:embed queries/*.sql
var queryFiles embed.FS

type queries struct {
	Insert     string `query:"dkim-key-insert"`
	HasActive  string `query:"dkim-key-has-active"`
	OfProperty string `query:"dkim-keys-of-property"`
	Active     string `query:"dkim-key-active"`
	Retire     string `query:"dkim-key-retire"`
	Activate   string `query:"dkim-key-activate"`
	Delete     string `query:"dkim-keys-delete"`
}

// keyInfo separates this use of the server secret from its others (mailbox passwords, reply
// tokens).
const keyInfo = "postdesk dkim key"

// Store keeps the keys in the database and signs with them. It is safe for concurrent use.
type Store struct {
	db  *db.DB
	key seal.Key
	now func() time.Time
	qs  queries

	mu sync.Mutex
	// signers caches each property's opened key, valid while the row's sealed bytes are the same:
	// every Sign reads the row (one indexed query), so a key changed by the CLI or another
	// instance is used from the next mail on.
	signers map[int64]cachedSigner
}

type cachedSigner struct {
	sealed []byte
	signer crypto.Signer
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read time from now (the default selector and created_at).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open returns a store over d, its statements prepared (a broken query fails here, at start).
// serverSecret (tickets.Store.Secret) is what private keys are sealed under.
func Open(ctx context.Context, d *db.DB, serverSecret []byte, opts ...Option) (*Store, error) {
	return openStore(ctx, d, queryFiles, serverSecret, opts...)
}

func openStore(ctx context.Context, d *db.DB, files fs.FS, serverSecret []byte, opts ...Option) (*Store, error) {
	s := &Store{db: d, key: seal.NewKey(serverSecret, keyInfo), now: time.Now, signers: map[int64]cachedSigner{}}
	if err := db.LoadQueriesDir(files, "queries", d.Dialect, &s.qs); err != nil {
		return nil, fmt.Errorf("dkimkeys: %w", err)
	}
	for _, o := range opts {
		o(s)
	}
	if err := d.PrepareAll(ctx, &s.qs); err != nil {
		return nil, fmt.Errorf("dkimkeys: %w", err)
	}
	return s, nil
}

// now is the store's clock in UTC at the database's precision.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// DefaultSelector is the selector of a key made at t when none is given: postdesk202612.
func DefaultSelector(t time.Time) string { return "postdesk" + t.UTC().Format("200601") }

// aad binds a sealed key to its property, selector and domain: a ciphertext copied into another
// row does not open.
func aad(propertyID int64, selector, domain string) []byte {
	return []byte("postdesk dkim v1\x00" + strconv.FormatInt(propertyID, 10) + "\x00" + selector + "\x00" + domain)
}

// Generate makes a key for the property's mail from domain. It signs at once when the property
// has no active key; otherwise it waits, so its record can be published before Activate (key
// rotation). An empty selector is DefaultSelector.
func (s *Store) Generate(ctx context.Context, propertyID int64, domain, selector, algorithm string) (Key, error) {
	now := s.clock()
	if selector == "" {
		selector = DefaultSelector(now)
	}
	selector, err := CheckSelector(selector)
	if err != nil {
		return Key{}, err
	}
	if algorithm, err = ParseAlgorithm(algorithm); err != nil {
		return Key{}, err
	}
	private, public, err := generate(algorithm)
	if err != nil {
		return Key{}, err
	}
	sealed, err := s.key.Seal(private, aad(propertyID, selector, domain))
	if err != nil {
		return Key{}, fmt.Errorf("dkimkeys: %w", err)
	}
	k := Key{PropertyID: propertyID, Selector: selector, Domain: domain, Algorithm: algorithm, Sealed: sealed, CreatedAt: now, public: public}
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var active int
		if err := s.db.Get(ctx, tx, &active, s.qs.HasActive, propertyID); err != nil {
			return err
		}
		k.Active = active == 0
		return s.db.Exec(ctx, tx, s.qs.Insert, propertyID, selector, domain, algorithm, sealed, k.Active, now)
	})
	if db.IsUniqueViolation(err) {
		// The same property and selector, or the same DNS name as another property's key.
		return Key{}, fmt.Errorf("%w: the selector %q is taken for %s (choose another with --selector)", ErrExists, selector, domain)
	}
	if err != nil {
		return Key{}, fmt.Errorf("dkimkeys: generate: %w", err)
	}
	return k, nil
}

// Keys reads the property's keys, the active one first.
func (s *Store) Keys(ctx context.Context, propertyID int64) ([]Key, error) {
	var ks []Key
	if err := s.db.Select(ctx, nil, &ks, s.qs.OfProperty, propertyID); err != nil {
		return nil, fmt.Errorf("dkimkeys: keys: %w", err)
	}
	for i := range ks {
		signer, err := s.open(ks[i])
		if err != nil {
			return nil, err
		}
		if ks[i].public, err = publicOf(signer); err != nil {
			return nil, err
		}
		ks[i].CreatedAt = ks[i].CreatedAt.UTC()
	}
	return ks, nil
}

// Activate makes the key with selector the one that signs the property's mail; the key that
// signed until then is deleted (keep its DNS record a few days, for mail still on its way).
func (s *Store) Activate(ctx context.Context, propertyID int64, selector string) error {
	selector = strings.ToLower(strings.TrimSpace(selector))
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := s.db.Exec(ctx, tx, s.qs.Retire, propertyID, selector); err != nil {
			return err
		}
		var got []string
		if err := s.db.Select(ctx, tx, &got, s.qs.Activate, propertyID, selector); err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("%w: the property has no key with selector %q", ErrNotFound, selector)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dkimkeys: activate: %w", err)
	}
	return nil
}

// Delete removes every key of the property: its mail goes out unsigned. It reports how many
// there were.
func (s *Store) Delete(ctx context.Context, propertyID int64) (int, error) {
	var got []string
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return s.db.Select(ctx, tx, &got, s.qs.Delete, propertyID)
	})
	if err != nil {
		return 0, fmt.Errorf("dkimkeys: delete: %w", err)
	}
	return len(got), nil
}

// open unseals and parses a key's private half.
func (s *Store) open(k Key) (crypto.Signer, error) {
	der, err := s.key.Open(k.Sealed, aad(k.PropertyID, k.Selector, k.Domain))
	if err != nil {
		return nil, fmt.Errorf("dkimkeys: the key %s of %s: %w", k.Selector, k.Domain, err)
	}
	return parsePrivate(k.Algorithm, der)
}

// active reads the property's active key, ok false when it has none.
func (s *Store) active(ctx context.Context, propertyID int64) (Key, bool, error) {
	var ks []Key
	if err := s.db.Select(ctx, nil, &ks, s.qs.Active, propertyID); err != nil {
		return Key{}, false, fmt.Errorf("dkimkeys: read the key: %w", err)
	}
	if len(ks) == 0 {
		return Key{}, false, nil
	}
	return ks[0], true, nil
}

// signer is k's opened private half, from the cache while the row holds the same sealed bytes.
func (s *Store) signer(k Key) (crypto.Signer, error) {
	s.mu.Lock()
	c, ok := s.signers[k.PropertyID]
	s.mu.Unlock()
	if ok && bytes.Equal(c.sealed, k.Sealed) {
		return c.signer, nil
	}
	signer, err := s.open(k)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.signers[k.PropertyID] = cachedSigner{sealed: k.Sealed, signer: signer}
	s.mu.Unlock()
	return signer, nil
}

// signedHeaders are the fields a signature covers (RFC 6376 §5.4.1): those a reader sees and
// those that thread or classify the mail. A field listed but absent is signed as absent, so it
// cannot be added on the way; From is listed twice, so a second From cannot be added either
// (RFC 6376 §8.15).
var signedHeaders = []string{"From", "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	"Reply-To", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted"}

// Sign returns raw with a DKIM-Signature of the property's active key first, or raw itself when
// the property has no key or the mail is not from the key's domain (a signature of another
// domain would not align with its From, RFC 7489 §3.1.1, and says nothing). An error is one of
// the database or of a key that does not open: the caller tries again later.
func (s *Store) Sign(ctx context.Context, propertyID int64, raw []byte) ([]byte, error) {
	k, ok, err := s.active(ctx, propertyID)
	if err != nil || !ok {
		return raw, err
	}
	if d, ok := fromDomain(raw); !ok || d != k.Domain {
		return raw, nil
	}
	signer, err := s.signer(k)
	if err != nil {
		return nil, err
	}
	return sign(raw, k, signer)
}

func sign(raw []byte, k Key, signer crypto.Signer) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(raw) + 1024)
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: k.Domain, Selector: k.Selector, Signer: signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: signedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("dkimkeys: sign: %w", err)
	}
	return out.Bytes(), nil
}

// fromDomain is the domain of the mail's one From address, lower case.
func fromDomain(raw []byte) (string, bool) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", false
	}
	as, err := m.Header.AddressList("From")
	if err != nil || len(as) != 1 {
		return "", false
	}
	d, err := DomainOf(as[0].Address)
	return d, err == nil
}
