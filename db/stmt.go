package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Exec, Get and Select run a query written with `?` placeholders inside tx (or, with a nil tx, on
// the pool), as a prepared statement
// that is prepared once per connection and reused: parsing SQL was a fifth of the cost of storing a
// message. Only use them for queries whose text is fixed (not for IN lists of varying length).
func (d *DB) Exec(ctx context.Context, tx *sqlx.Tx, query string, args ...any) error {
	st, err := d.stmt(ctx, tx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// Get scans one row into dest (see Exec).
func (d *DB) Get(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	st, err := d.stmt(ctx, tx, query)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// Select scans all rows into dest (see Exec).
func (d *DB) Select(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	st, err := d.stmt(ctx, tx, query)
	if err != nil {
		return err
	}
	return st.SelectContext(ctx, dest, args...)
}

func (d *DB) stmt(ctx context.Context, tx *sqlx.Tx, query string) (*sqlx.Stmt, error) {
	v, ok := d.stmts.Load(query)
	if !ok && tx != nil {
		// Not prepared yet. Preparing on the pool would wait for a second connection while this
		// transaction holds one: with every connection held by such transactions, they would wait
		// for each other forever. Prepare on the transaction's own connection now, and for later
		// calls in the background, where waiting for a connection holds none.
		go d.prepare(context.WithoutCancel(ctx), query)
		st, err := tx.PreparexContext(ctx, tx.Rebind(query))
		if err != nil {
			return nil, fmt.Errorf("db: prepare: %w", err)
		}
		return st, nil
	}
	if !ok {
		st, err := d.prepare(ctx, query)
		if err != nil {
			return nil, err
		}
		v = st
	}
	if tx == nil {
		return v.(*sqlx.Stmt), nil // outside a transaction: a read beside the writer
	}
	return tx.StmtxContext(ctx, v.(*sqlx.Stmt)), nil
}

// prepare prepares query on the pool once and caches it.
func (d *DB) prepare(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if v, ok := d.stmts.Load(query); ok {
		return v.(*sqlx.Stmt), nil
	}
	st, err := d.PreparexContext(ctx, d.Rebind(query))
	if err != nil {
		return nil, fmt.Errorf("db: prepare: %w", err)
	}
	if v, loaded := d.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return v.(*sqlx.Stmt), nil
	}
	return st, nil
}
