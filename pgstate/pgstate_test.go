package pgstate_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wxmedia/wxmedia/internal/pgtest"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/pgstate"
)

func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m).Run())
}

const env = "WXMEDIA_TEST_PG_CONN"

func open(t *testing.T, url, workspace string) *pgstate.Backend {
	t.Helper()
	b, err := pgstate.Open(env, url, workspace, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func doc(t *testing.T, s *lockfile.State) []byte {
	t.Helper()
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestStoreRoundTripsCanonicalBytes(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	ctx := context.Background()
	b := open(t, url, "shop")
	if _, err := b.Load(ctx); !errors.Is(err, lockfile.ErrNotExist) {
		t.Fatalf("Load on an empty database: %v, want ErrNotExist", err)
	}
	st, err := lockfile.OpenBackend(ctx, b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if st.Exists() {
		t.Fatal("Exists before the first write")
	}
	for i, name := range []string{"a", "b", "c"} {
		err := st.Update(func(s *lockfile.State) {
			s.Assets[name] = &lockfile.Entry{Type: "image", ID: "id-" + name, SHA256: strings.Repeat("ab", 32), Attributes: map[string]string{"i": string(rune('0' + i))}}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := doc(t, st.State())
	got, err := open(t, url, "shop").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stored document differs from the canonical bytes:\n%s\nwant:\n%s", got, want)
	}
	if s := st.State(); s.Serial != 3 {
		t.Fatalf("serial %d after three writes, want 3", s.Serial)
	}
	// Another workspace in the same database is separate.
	if _, err := open(t, url, "other").Load(ctx); !errors.Is(err, lockfile.ErrNotExist) {
		t.Fatalf("other workspace: %v, want ErrNotExist", err)
	}
}

func TestStaleWriterIsRefused(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	ctx := context.Background()
	first := lockfile.New()
	first.Serial = 1
	a := open(t, url, "ws")
	if _, err := a.Load(ctx); !errors.Is(err, lockfile.ErrNotExist) {
		t.Fatal(err)
	}
	if err := a.Write(ctx, doc(t, first)); err != nil {
		t.Fatal(err)
	}
	// b reads serial 1; a then writes serial 2; b's write of its own
	// serial 2 must be refused.
	b := open(t, url, "ws")
	if _, err := b.Load(ctx); err != nil {
		t.Fatal(err)
	}
	second := first.Clone()
	second.Serial = 2
	second.Assets["x"] = &lockfile.Entry{ID: "from-a", SHA256: strings.Repeat("0", 64)}
	if err := a.Write(ctx, doc(t, second)); err != nil {
		t.Fatal(err)
	}
	stale := first.Clone()
	stale.Serial = 2
	stale.Assets["y"] = &lockfile.Entry{ID: "from-b", SHA256: strings.Repeat("1", 64)}
	err := b.Write(ctx, doc(t, stale))
	var ce *pgstate.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, pgstate.ErrConflict) {
		t.Fatalf("stale write: %v, want a ConflictError", err)
	}
	// What to run next is the command layer's advice (for ErrConflict).
	if !strings.Contains(err.Error(), "serial 2") || !strings.Contains(err.Error(), "nothing is overwritten") {
		t.Errorf("conflict message lacks the found serial or what happened: %v", err)
	}
	got, _ := open(t, url, "ws").Load(ctx)
	if !bytes.Equal(got, doc(t, second)) {
		t.Fatal("the stale write changed the stored state")
	}

	// A writer that believes the workspace is empty cannot overwrite it,
	// and neither can one of another lineage.
	c := open(t, url, "fresh")
	if _, err := c.Load(ctx); !errors.Is(err, lockfile.ErrNotExist) {
		t.Fatal(err)
	}
	d := open(t, url, "fresh")
	d.Load(ctx)
	if err := c.Write(ctx, doc(t, first)); err != nil {
		t.Fatal(err)
	}
	other := lockfile.New()
	other.Serial = 1
	if err := d.Write(ctx, doc(t, other)); !errors.Is(err, pgstate.ErrConflict) {
		t.Fatalf("second creator: %v, want a conflict", err)
	}
}

// TestStoreDumpsErroredStateLocally: a write refused by the backend leaves
// the full state in wxmedia.errored.lock.json in the given directory, and
// the message says how to bring it back.
func TestStoreDumpsErroredStateLocally(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	ctx := context.Background()
	b := open(t, url, "ws")
	dir := t.TempDir()
	st, err := lockfile.OpenBackend(ctx, b, dir)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else creates the workspace behind this store's back.
	intruder := lockfile.New()
	intruder.Serial = 1
	if err := open(t, url, "ws").Write(ctx, doc(t, intruder)); err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(s *lockfile.State) {
		s.Assets["a"] = &lockfile.Entry{ID: "precious", SHA256: strings.Repeat("a", 64)}
	})
	var we *lockfile.WriteError
	if !errors.As(err, &we) || !errors.Is(err, pgstate.ErrConflict) {
		t.Fatalf("Update: %v, want a WriteError wrapping a conflict", err)
	}
	dump, rerr := os.ReadFile(we.Errored)
	if rerr != nil || !bytes.Contains(dump, []byte("precious")) {
		t.Fatalf("errored dump %q: %v", we.Errored, rerr)
	}
	if !strings.Contains(err.Error(), "wxmedia state push") {
		t.Errorf("message does not say how to recover: %v", err)
	}
}

func TestLockNamesHolderAndDiesWithConnection(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	ctx := context.Background()
	a := open(t, url, "ws")
	info := lockfile.NewLockInfo("apply", "wxmedia apply -auto-approve")
	info.PID = 4242
	l, err := a.Lock(ctx, info, 0)
	if err != nil {
		t.Fatal(err)
	}
	// While held, reads and writes go through the lock connection.
	if _, err := a.Load(ctx); !errors.Is(err, lockfile.ErrNotExist) {
		t.Fatal(err)
	}
	s := lockfile.New()
	s.Serial = 1
	if err := a.Write(ctx, doc(t, s)); err != nil {
		t.Fatal(err)
	}

	b := open(t, url, "ws")
	_, err = b.Lock(ctx, lockfile.NewLockInfo("apply", "second"), 300*time.Millisecond)
	var le *lockfile.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.PID != 4242 || !le.Timeout {
		t.Fatalf("second lock: %v (%+v), want a LockError naming pid 4242", err, le)
	}
	if !strings.Contains(err.Error(), "pid 4242") || !strings.Contains(err.Error(), "wxmedia apply -auto-approve") {
		t.Errorf("message does not name the holder: %v", err)
	}
	// Another workspace is not blocked.
	lo, err := open(t, url, "other").Lock(ctx, info, 0)
	if err != nil {
		t.Fatalf("other workspace: %v", err)
	}
	lo.Unlock()

	// A waiter gets the lock once the holder releases it.
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		var l2 lockfile.Unlocker
		l2, werr = open(t, url, "ws").Lock(ctx, lockfile.NewLockInfo("apply", "waiter"), 20*time.Second)
		if werr == nil {
			werr = l2.Unlock()
		}
	}()
	time.Sleep(150 * time.Millisecond)
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if werr != nil {
		t.Fatalf("waiter: %v", werr)
	}

	// A holder whose connection dies (its process was killed) does not
	// keep the lock: terminate its backend from outside.
	l, err = a.Lock(ctx, info, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	pgtest.Exec(t, url, "SELECT pg_terminate_backend(backend_pid) FROM wxmedia.wxmedia_locks WHERE workspace = 'ws'")
	l3, err := open(t, url, "ws").Lock(ctx, lockfile.NewLockInfo("apply", "after the crash"), 10*time.Second)
	if err != nil {
		t.Fatalf("lock after the holder's connection died: %v", err)
	}
	l3.Unlock()
}

func TestConnectionErrorsNameTheVariableOnly(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	ctx := context.Background()

	if _, err := pgstate.Open(env, "", "ws", ""); err == nil || !strings.Contains(err.Error(), env) || !strings.Contains(err.Error(), "not set") {
		t.Errorf("empty connection string: %v", err)
	}
	bad := "postgres://postgres:sekrit-pa55@127.0.0.1:notaport/db"
	_, err := pgstate.Open(env, bad, "ws", "")
	if err == nil || !strings.Contains(err.Error(), env) || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("unparsable connection string: %v", err)
	}
	wrongPW := strings.Replace(url, srv.Password, "wrong-pa55word", 1)
	b, err := pgstate.Open(env, wrongPW, "ws", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Load(ctx)
	if err == nil || !strings.Contains(err.Error(), env) || strings.Contains(err.Error(), "wrong-pa55word") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := b.Lock(ctx, lockfile.NewLockInfo("apply", "x"), 0); err == nil || strings.Contains(err.Error(), "wrong-pa55word") {
		t.Errorf("lock with a wrong password: %v", err)
	}
	// Nothing the backend stores holds the password.
	good := open(t, url, "ws")
	l, err := good.Lock(ctx, lockfile.NewLockInfo("apply", "x"), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := lockfile.New()
	s.Serial = 1
	if err := good.Write(ctx, doc(t, s)); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var dump string
	if err := c.QueryRow(ctx, "SELECT (SELECT string_agg(t::text, ',') FROM wxmedia.wxmedia_state t) || (SELECT string_agg(t::text, ',') FROM wxmedia.wxmedia_locks t)").Scan(&dump); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, srv.Password) {
		t.Error("the password was stored in the tables")
	}
	l.Unlock()
}
