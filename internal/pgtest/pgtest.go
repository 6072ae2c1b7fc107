// Package pgtest runs a throwaway PostgreSQL server for tests: one per test
// binary, started on first use from Debian's postgresql package
// (/usr/lib/postgresql/*/bin), listening on 127.0.0.1 only, with password
// authentication, its data in a temporary directory. Wrap the test binary's
// testing.M with Main so the server is stopped and its directory removed
// when the tests end; should the binary die first, the server gets SIGQUIT
// (parent-death signal) and the next run removes the directory.
//
// Tests that need the server call Start, which skips the test when
// PostgreSQL is not installed, except under CI (CI set), where that is a
// failure: .ci/run installs the package.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway server.
type Server struct {
	// Password is the superuser's password; tests check it never leaks.
	Password string
	Port     int
	dir      string
	cmd      *exec.Cmd
	exited   chan struct{}
}

var (
	mu       sync.Mutex
	shared   *Server
	startErr error
	skipMsg  string
	dbSeq    atomic.Int64
)

// TestingM is the part of *testing.M that Main wraps.
type TestingM interface{ Run() int }

type mainM struct{ m TestingM }

func (w mainM) Run() int {
	code := w.m.Run()
	Stop()
	return code
}

// Main wraps m so that Run stops the shared server after the tests.
func Main(m TestingM) TestingM { return mainM{m} }

// Start returns the shared server, starting it on first use. It skips t
// when PostgreSQL is not installed (fails under CI).
func Start(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared == nil && startErr == nil && skipMsg == "" {
		shared, skipMsg, startErr = start()
	}
	switch {
	case skipMsg != "" && os.Getenv("CI") != "":
		t.Fatalf("%s (CI must install it: see .ci/run)", skipMsg)
	case skipMsg != "":
		t.Skip(skipMsg)
	case startErr != nil:
		t.Fatalf("starting PostgreSQL: %v", startErr)
	}
	return shared
}

// Stop stops the shared server, if one was started, and removes its files.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
}

// binDir finds the newest /usr/lib/postgresql/N/bin holding initdb and
// postgres.
func binDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "postgres")) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && fileExists(filepath.Join(filepath.Dir(p), "postgres")) {
		return filepath.Dir(p)
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// URL returns a connection URL for database db as the superuser.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", s.Password, s.Port, db)
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return s.URL(name)
}

// Exec runs sql on the database at url (for tests that inspect or break
// the state behind wxmedia's back).
func Exec(t testing.TB, url, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
