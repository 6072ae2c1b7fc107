// Package pgstate keeps the lockfile document in PostgreSQL, for teams
// whose pipelines run from more than one checkout: the `state` block of
// wxmedia.yaml selects it.
//
// One row per workspace in <schema>.wxmedia_state holds the canonical
// lockfile bytes (as text, so they round-trip byte for byte) with their
// lineage and serial. Writes are compare-and-swap on the lineage and serial
// this process last read, so a writer that missed someone else's write is
// refused instead of overwriting it. The apply lock is a session-level
// advisory lock (pg_try_advisory_lock) on a connection held for the whole
// apply, so PostgreSQL releases it by itself when the holder's connection
// ends; <schema>.wxmedia_locks records who holds it, so that a second apply
// can name the holder.
//
// The connection string comes from an environment variable and is never
// printed, logged or stored: messages name the variable only.
package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
)

// Table names inside the configured schema.
const (
	StateTable = "wxmedia_state"
	LocksTable = "wxmedia_locks"
	// VersionsTable keeps every document written (and the one each write
	// replaced), so that no write loses an ID for good.
	VersionsTable = "wxmedia_state_versions"
)

// opTimeout bounds each statement, so a stuck server fails a command
// instead of hanging it.
var opTimeout = 30 * time.Second

// ErrConflict is wrapped by a write refused because the stored state is
// not the one this process read.
var ErrConflict = errors.New("the state was changed by someone else")

// Backend is a lockfile.Backend storing one workspace's state in
// PostgreSQL. It is safe for concurrent use.
type Backend struct {
	env       string // the environment variable named in messages
	workspace string
	schema    string
	cfg       *pgx.ConnConfig
	secrets   []string // texts that must never reach a message

	mu       sync.Mutex
	lockConn *pgx.Conn // the connection holding the apply lock, if any
	known    *docRef   // what this process last read or wrote; nil: no row
	ensured  bool      // the tables are known to exist

	journalEnsured bool // the journal table is known to exist
}

// docRef is the identity of a stored document.
type docRef struct {
	Lineage string `json:"lineage"`
	Serial  int64  `json:"serial"`
}

var _ lockfile.Backend = (*Backend)(nil)

// New returns the backend the manifest's state block describes, reading the
// connection string from the environment variable it names. It does not
// connect yet.
func New(s *manifest.State) (*Backend, error) {
	if s.Backend != manifest.StatePG {
		return nil, fmt.Errorf("state backend %q is not supported; use pg", s.Backend)
	}
	return Open(s.ConnStrEnv, os.Getenv(s.ConnStrEnv), s.Workspace, s.Schema)
}

// Open returns a backend for workspace in schema, connecting with connStr,
// which was read from the environment variable env (named in messages in
// its place).
func Open(env, connStr, workspace, schema string) (*Backend, error) {
	if strings.TrimSpace(connStr) == "" {
		return nil, fmt.Errorf("state: the environment variable %s is not set (or is empty); export the PostgreSQL connection string in it (e.g. postgres://USER:PASSWORD@HOST:5432/DB), or remove the state block from the manifest to use the local lockfile", env)
	}
	if workspace == "" {
		workspace = manifest.DefaultStateWorkspace
	}
	if schema == "" {
		schema = manifest.DefaultStateSchema
	}
	b := &Backend{env: env, workspace: workspace, schema: schema, secrets: []string{connStr}}
	cfg, err := pgx.ParseConfig(connStr)
	if err != nil {
		return nil, fmt.Errorf("state: the connection string in %s cannot be parsed: %s; fix the value of %s (a URL postgres://USER:PASSWORD@HOST:PORT/DB or key=value pairs)", env, b.parseReason(err), env)
	}
	if cfg.Password != "" {
		b.secrets = append(b.secrets, cfg.Password)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "wxmedia"
	}
	b.cfg = cfg
	return b, nil
}

// parseReason is the reason pgx gives for an unparsable connection string,
// without the (redacted) string itself.
func (b *Backend) parseReason(err error) string {
	// pgx's message quotes the string with the password masked, best
	// effort; keep only the reason after it.
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); strings.HasPrefix(msg, "cannot parse `") && i >= 0 {
		msg = msg[i+3:]
	}
	return b.redact(msg)
}

// redact removes the connection string and passwords from s.
func (b *Backend) redact(s string) string {
	for _, sec := range b.secrets {
		if len(sec) >= 3 {
			s = strings.ReplaceAll(s, sec, "…")
		}
	}
	return s
}

// Name describes the state in messages.
func (b *Backend) Name() string {
	return fmt.Sprintf("PostgreSQL state %q (schema %s)", b.workspace, b.schema)
}

// Workspace returns the workspace name.
func (b *Backend) Workspace() string { return b.workspace }

// Schema returns the schema name.
func (b *Backend) Schema() string { return b.schema }

// Exists reports whether the last Load or Write saw a stored document.
func (b *Backend) Exists() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.known != nil
}

// RecoverHint tells how to bring back a state dumped after a failed write.
func (b *Backend) RecoverHint(errored string) string {
	return fmt.Sprintf("Fix the cause, compare it with the stored state (`wxmedia state pull -out -`), then store it with `wxmedia state push %s` and delete %s", errored, errored)
}

// table returns the quoted name of a table in the schema.
func (b *Backend) table(name string) string {
	return pgx.Identifier{b.schema, name}.Sanitize()
}

// wrap turns a database error into one that names the environment
// variable and never the connection string.
func (b *Backend) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var de *dbError
	if errors.Is(err, ErrConflict) || errors.Is(err, lockfile.ErrNotExist) || errors.As(err, &de) {
		return err
	}
	return &dbError{msg: fmt.Sprintf("%s %s: %s", what, b.Name(), b.redact(err.Error())), env: b.env, err: err}
}

type dbError struct {
	msg string
	env string
	err error
}

func (e *dbError) Error() string {
	return e.msg + fmt.Sprintf(" (check that the server named by the connection string in %s is reachable and that its user may use the schema)", e.env)
}

// Unwrap exposes context errors only: the driver's own errors may carry
// connection details.
func (e *dbError) Unwrap() error {
	if errors.Is(e.err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	if errors.Is(e.err, context.Canceled) {
		return context.Canceled
	}
	return nil
}

// connect opens a new connection.
func (b *Backend) connect(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.ConnectConfig(ctx, b.cfg.Copy())
	if err != nil {
		return nil, &dbError{msg: fmt.Sprintf("cannot connect to the PostgreSQL server of %s with the connection string in %s: %s", b.Name(), b.env, b.redact(err.Error())), env: b.env, err: err}
	}
	return c, nil
}

// withConn runs fn on the lock connection when this process holds the
// lock, or on a short-lived connection otherwise. b.mu must be held.
func (b *Backend) withConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if b.lockConn != nil {
		return fn(b.lockConn)
	}
	c, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	return fn(c)
}

// ensureTables creates the schema and tables when they are missing. DDL
// is serialised with a transaction-level advisory lock, because concurrent
// CREATE TABLE IF NOT EXISTS can fail.
func (b *Backend) ensureTables(ctx context.Context, c *pgx.Conn) error {
	if b.ensured {
		return nil
	}
	err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("ddl", b.schema)); err != nil {
			return err
		}
		stmts := []string{
			"CREATE SCHEMA IF NOT EXISTS " + pgx.Identifier{b.schema}.Sanitize(),
			"CREATE TABLE IF NOT EXISTS " + b.table(StateTable) + ` (
				workspace  text PRIMARY KEY,
				lineage    text NOT NULL,
				serial     bigint NOT NULL,
				document   text NOT NULL,
				updated_at timestamptz NOT NULL DEFAULT now())`,
			"CREATE TABLE IF NOT EXISTS " + b.table(VersionsTable) + ` (
				workspace  text NOT NULL,
				lineage    text NOT NULL,
				serial     bigint NOT NULL,
				writer     text NOT NULL,
				written_at timestamptz NOT NULL DEFAULT now(),
				document   text NOT NULL,
				PRIMARY KEY (workspace, lineage, serial))`,
			"CREATE TABLE IF NOT EXISTS " + b.table(LocksTable) + ` (
				workspace   text PRIMARY KEY,
				backend_pid integer NOT NULL,
				info        text NOT NULL,
				acquired_at timestamptz NOT NULL DEFAULT now())`,
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return b.wrap("creating the tables for", err)
	}
	b.ensured = true
	return nil
}

// missingTable reports whether err says the schema or table does not
// exist yet.
func missingTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000")
}

// Load returns the stored document, or an error wrapping
// lockfile.ErrNotExist when the workspace has none (or the tables do not
// exist yet).
func (b *Backend) Load(ctx context.Context) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var doc string
	var ref docRef
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT lineage, serial, document FROM "+b.table(StateTable)+" WHERE workspace = $1", b.workspace).Scan(&ref.Lineage, &ref.Serial, &doc)
	})
	if errors.Is(err, pgx.ErrNoRows) || missingTable(err) {
		b.known = nil
		return nil, fmt.Errorf("%s: %w", b.Name(), lockfile.ErrNotExist)
	}
	if err != nil {
		return nil, b.wrap("reading", err)
	}
	// The swap is against the row as read, even when its document does
	// not parse (lockfile.Parse reports that to the caller).
	b.known = &ref
	return []byte(doc), nil
}

func parseRef(data []byte) (*docRef, error) {
	var r docRef
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ConflictError reports a write refused because the stored state moved on.
type ConflictError struct {
	Name     string
	Expected *docRef // nil: expected no stored state
	Found    *docRef // nil: none stored now
}

func (e *ConflictError) Error() string {
	exp := "no stored state"
	if e.Expected != nil {
		exp = fmt.Sprintf("lineage %s serial %d", e.Expected.Lineage, e.Expected.Serial)
	}
	found := "no stored state"
	if e.Found != nil {
		found = fmt.Sprintf("lineage %s serial %d", e.Found.Lineage, e.Found.Serial)
	}
	return fmt.Sprintf("%s was changed by someone else: this run read %s, but it now holds %s. The write was refused so that nothing is overwritten", e.Name, exp, found)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// Write stores data when the stored row is still the one this process
// last read (or wrote); otherwise it returns a *ConflictError.
func (b *Backend) Write(ctx context.Context, data []byte) error {
	ref, err := parseRef(data)
	if err != nil {
		return fmt.Errorf("writing %s: the document is not a lockfile: %v", b.Name(), err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var conflict *ConflictError
	err = b.withConn(ctx, func(c *pgx.Conn) error {
		if err := b.ensureTables(ctx, c); err != nil {
			return err
		}
		var tag pgconn.CommandTag
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			// The document being replaced is kept first (it may predate the
			// history), then the new one, in the same transaction.
			if _, err := tx.Exec(ctx, "INSERT INTO "+b.table(VersionsTable)+" (workspace, lineage, serial, writer, written_at, document) SELECT workspace, lineage, serial, '(found in the state table)', updated_at, document FROM "+b.table(StateTable)+" WHERE workspace = $1 ON CONFLICT DO NOTHING", b.workspace); err != nil {
				return err
			}
			var err error
			if b.known == nil {
				tag, err = tx.Exec(ctx, "INSERT INTO "+b.table(StateTable)+" (workspace, lineage, serial, document) VALUES ($1, $2, $3, $4) ON CONFLICT (workspace) DO NOTHING",
					b.workspace, ref.Lineage, ref.Serial, string(data))
			} else {
				tag, err = tx.Exec(ctx, "UPDATE "+b.table(StateTable)+" SET lineage = $2, serial = $3, document = $4, updated_at = now() WHERE workspace = $1 AND lineage = $5 AND serial = $6",
					b.workspace, ref.Lineage, ref.Serial, string(data), b.known.Lineage, b.known.Serial)
			}
			if err != nil || tag.RowsAffected() != 1 {
				return err
			}
			_, err = tx.Exec(ctx, "INSERT INTO "+b.table(VersionsTable)+" (workspace, lineage, serial, writer, document) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace, lineage, serial) DO UPDATE SET writer = excluded.writer, written_at = excluded.written_at, document = excluded.document",
				b.workspace, ref.Lineage, ref.Serial, lockfile.Writer(), string(data))
			return err
		})
		if err != nil {
			return b.wrap("writing", err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		conflict = &ConflictError{Name: b.Name(), Expected: b.known}
		var cur docRef
		err = c.QueryRow(ctx, "SELECT lineage, serial FROM "+b.table(StateTable)+" WHERE workspace = $1", b.workspace).Scan(&cur.Lineage, &cur.Serial)
		if err == nil {
			conflict.Found = &cur
		}
		return conflict
	})
	if err != nil {
		return err
	}
	b.known = ref
	return nil
}

// Snapshots returns the kept versions of the workspace's state, oldest
// first.
func (b *Backend) Snapshots(ctx context.Context) ([]lockfile.Snapshot, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []lockfile.Snapshot
	err := b.withConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, "SELECT lineage, serial, writer, written_at, document FROM "+b.table(VersionsTable)+" WHERE workspace = $1 ORDER BY serial, written_at", b.workspace)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v lockfile.Snapshot
			var serial int64
			var at time.Time
			var doc string
			if err := rows.Scan(&v.Lineage, &serial, &v.Writer, &at, &doc); err != nil {
				return err
			}
			v.Serial, v.Time, v.Data = uint64(serial), at.UTC().Format(time.RFC3339), []byte(doc)
			out = append(out, v)
		}
		return rows.Err()
	})
	if missingTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, b.wrap("reading the history of", err)
	}
	return out, nil
}

// lockKey derives the advisory lock key of a workspace: a 64-bit FNV-1a of
// "wxmedia:<kind>:<schema>.<workspace>".
func lockKey(kind, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("wxmedia:" + kind + ":" + name))
	return int64(h.Sum64())
}

func (b *Backend) key() int64 { return lockKey("apply", b.schema+"."+b.workspace) }

// lockAdvice replaces the lock-file advice in a LockError.
const lockAdvice = "Wait for it to finish (or pass -lock-timeout to wait longer). PostgreSQL releases the lock by itself when the holder's database connection ends, so a crashed apply never leaves it behind"

// Lock takes the workspace's advisory lock on a dedicated connection,
// polling with backoff from 100 ms to 2 s until timeout. While it is held,
// Load and Write use that connection.
func (b *Backend) Lock(ctx context.Context, info lockfile.LockInfo, timeout time.Duration) (lockfile.Unlocker, error) {
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	c, err := b.connect(cctx)
	cancel()
	if err != nil {
		return nil, err
	}
	infoJSON, err := json.Marshal(info)
	if err != nil {
		c.Close(context.Background())
		return nil, err
	}
	start := time.Now()
	delay := 100 * time.Millisecond
	noticed := false
	for {
		ok, err := b.tryLock(ctx, c, infoJSON)
		if err != nil {
			c.Close(context.Background())
			return nil, err
		}
		if ok {
			b.mu.Lock()
			b.lockConn = c
			b.mu.Unlock()
			return &lock{b: b, c: c}, nil
		}
		waited := time.Since(start)
		if waited >= timeout {
			le := &lockfile.LockError{Path: b.Name(), Info: b.holder(ctx, c), Waited: waited, Timeout: timeout > 0, Advice: lockAdvice}
			c.Close(context.Background())
			return nil, le
		}
		if !noticed {
			noticed = true
			lockfile.NoticeWait(ctx, b.holder(ctx, c))
		}
		select {
		case <-ctx.Done():
			le := &lockfile.LockError{Path: b.Name(), Info: b.holder(context.Background(), c), Waited: time.Since(start), Advice: lockAdvice}
			c.Close(context.Background())
			return nil, le
		case <-time.After(min(delay, timeout-waited)):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// tryLock takes the advisory lock once and records info.
func (b *Backend) tryLock(ctx context.Context, c *pgx.Conn, info []byte) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b.mu.Lock()
	err := b.ensureTables(ctx, c)
	b.mu.Unlock()
	if err != nil {
		return false, err
	}
	var ok bool
	if err := c.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", b.key()).Scan(&ok); err != nil {
		return false, b.wrap("locking", err)
	}
	if !ok {
		return false, nil
	}
	_, err = c.Exec(ctx, "INSERT INTO "+b.table(LocksTable)+` (workspace, backend_pid, info) VALUES ($1, pg_backend_pid(), $2)
		ON CONFLICT (workspace) DO UPDATE SET backend_pid = excluded.backend_pid, info = excluded.info, acquired_at = now()`,
		b.workspace, string(info))
	if err != nil {
		c.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", b.key())
		return false, b.wrap("recording the lock holder of", err)
	}
	return true, nil
}

// holder reads who holds the lock: the recorded info, if its connection
// still holds the advisory lock. nil when unknown.
func (b *Backend) holder(ctx context.Context, c *pgx.Conn) *lockfile.LockInfo {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	k := uint64(b.key())
	var info string
	err := c.QueryRow(ctx, "SELECT l.info FROM "+b.table(LocksTable)+` l
		WHERE l.workspace = $1 AND EXISTS (SELECT 1 FROM pg_locks k WHERE k.pid = l.backend_pid
			AND k.locktype = 'advisory' AND k.granted AND k.classid = $2::bigint::oid AND k.objid = $3::bigint::oid AND k.objsubid = 1)`,
		b.workspace, int64(k>>32), int64(k&0xffffffff)).Scan(&info)
	if err != nil {
		return nil
	}
	var li lockfile.LockInfo
	if json.Unmarshal([]byte(info), &li) != nil {
		return nil
	}
	return &li
}

// Holder returns who holds the workspace's apply lock now, or nil when it
// is free or the holder is unknown.
func (b *Backend) Holder(ctx context.Context) (*lockfile.LockInfo, error) {
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := b.connect(cctx)
	if err != nil {
		return nil, err
	}
	defer c.Close(context.Background())
	return b.holder(ctx, c), nil
}

type lock struct {
	b    *Backend
	c    *pgx.Conn
	once sync.Once
}

// Unlock drops the holder record, releases the advisory lock and closes
// the lock connection.
func (l *lock) Unlock() error {
	var err error
	l.once.Do(func() {
		b := l.b
		b.mu.Lock()
		defer b.mu.Unlock()
		b.lockConn = nil
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if _, e := l.c.Exec(ctx, "DELETE FROM "+b.table(LocksTable)+" WHERE workspace = $1 AND backend_pid = pg_backend_pid()", b.workspace); e != nil {
			err = b.wrap("unlocking", e)
		}
		if _, e := l.c.Exec(ctx, "SELECT pg_advisory_unlock($1)", b.key()); e != nil && err == nil {
			err = b.wrap("unlocking", e)
		}
		// Closing the session releases the lock even if the statements
		// above failed.
		if e := l.c.Close(ctx); e != nil && err == nil {
			err = b.wrap("unlocking", e)
		}
	})
	return err
}
