package pgstate

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wxmedia/wxmedia/lockfile"
)

// JournalTable holds the write-ahead journal of each workspace: one row per
// recorded write since the document was last written in full (see
// lockfile.JournalBackend), so recording an upload inserts a row instead of
// rewriting the whole document.
const JournalTable = "wxmedia_journal"

var _ lockfile.JournalBackend = (*Backend)(nil)

// ensureJournal creates the journal table when it is missing. b.mu must be
// held.
func (b *Backend) ensureJournal(ctx context.Context, c *pgx.Conn) error {
	if b.journalEnsured {
		return nil
	}
	if err := b.ensureTables(ctx, c); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("ddl", b.schema)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+b.table(JournalTable)+` (
			id        bigserial PRIMARY KEY,
			workspace text NOT NULL,
			line      text NOT NULL)`)
		return err
	})
	if err != nil {
		return b.wrap("creating the journal table for", err)
	}
	b.journalEnsured = true
	return nil
}

// JournalName names the journal in messages.
func (b *Backend) JournalName() string {
	return b.Name() + " (table " + b.schema + "." + JournalTable + ")"
}

// AppendJournal inserts one journal line; the insert commits on its own,
// so it is durable when it returns.
func (b *Backend) AppendJournal(ctx context.Context, line []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.withConn(ctx, func(c *pgx.Conn) error {
		if err := b.ensureJournal(ctx, c); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, "INSERT INTO "+b.table(JournalTable)+" (workspace, line) VALUES ($1, $2)", b.workspace, string(line)); err != nil {
			return b.wrap("appending to the journal of", err)
		}
		return nil
	})
}

// ReadJournal returns the workspace's journal lines in order, or nil.
func (b *Backend) ReadJournal(ctx context.Context) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out strings.Builder
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, "SELECT line FROM "+b.table(JournalTable)+" WHERE workspace = $1 ORDER BY id", b.workspace)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			out.WriteString(line)
		}
		return rows.Err()
	})
	if missingTable(err) || (err == nil && out.Len() == 0) {
		return nil, nil
	}
	if err != nil {
		var de *dbError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, b.wrap("reading the journal of", err)
	}
	return []byte(out.String()), nil
}

// RemoveJournal deletes the workspace's journal rows.
func (b *Backend) RemoveJournal(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "DELETE FROM "+b.table(JournalTable)+" WHERE workspace = $1", b.workspace)
		return err
	})
	if err != nil && !missingTable(err) {
		return b.wrap("clearing the journal of", err)
	}
	return nil
}
