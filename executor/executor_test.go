package executor_test

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/v3image"
	"github.com/wxmedia/wxmedia/scan"
)

// statusCounter counts the emulator's answers by HTTP status.
type statusCounter struct {
	h  http.Handler
	mu sync.Mutex
	n  map[int]int
}

func (s *statusCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: 200}
	s.h.ServeHTTP(rec, r)
	s.mu.Lock()
	s.n[rec.status]++
	s.mu.Unlock()
}

func (s *statusCounter) count(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[code]
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.status = -1
	return r.ResponseWriter.(http.Hijacker).Hijack()
}

type env struct {
	ws    *testenv.Workspace
	srv   *emulator.Server
	stats *statusCounter
	m     *manifest.Manifest
	lock  string
}

// newEnv starts an emulator with cfg and writes n images and a manifest
// reaching it.
func newEnv(t testing.TB, cfg emulator.Config, n int, accountExtra string) *env {
	t.Helper()
	srv, err := emulator.NewSandbox(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stats := &statusCounter{h: srv, n: map[int]int{}}
	url, stop, err := emulator.Start(stats)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ws := testenv.New(t)
	path := ws.Manifest(t, ws.WriteSandboxKeys(t, url, accountExtra), ws.Images(t, n, 2000, 1))
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return &env{ws: ws, srv: srv, stats: stats, m: m, lock: ws.Path("wxmedia.lock.json")}
}

var fastRetry = providers.RetryPolicy{Attempts: 6, Base: time.Millisecond, Max: 5 * time.Millisecond}

// plan opens the lockfile and plans the manifest against it.
func (e *env) plan(t testing.TB, ctx context.Context) (*lockfile.Store, *planner.Plan) {
	t.Helper()
	store, err := lockfile.Open(e.lock)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := scan.Hashes(ctx, e.m, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Build(e.m, facts, store.State(), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return store, p
}

// apply plans against the lockfile and applies with the real provider.
func (e *env) apply(t testing.TB, ctx context.Context, parallelism int, stop <-chan struct{}) (executor.Report, error) {
	t.Helper()
	store, p := e.plan(t, ctx)
	ex := e.executor(store, parallelism, fastRetry)
	ex.Stop = stop
	return ex.Apply(ctx, p)
}

// executor returns an executor uploading images through the real v3
// provider, retrying with policy.
func (e *env) executor(store *lockfile.Store, parallelism int, policy providers.RetryPolicy) *executor.Executor {
	r := accounts.New(e.m)
	return &executor.Executor{Store: store, Dir: e.m.Dir, Parallelism: parallelism,
		Resolve: func(account, typ string) (providers.Uploader, error) {
			a, err := r.Account(account)
			if err != nil {
				return nil, err
			}
			return providers.WithRetry(v3image.Descriptor.New(a), policy), nil
		}}
}

func (e *env) state(t testing.TB) *lockfile.State {
	t.Helper()
	st, err := lockfile.Load(e.lock)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkRecorded asserts every asset is recorded with an ID the emulator
// issued for that content, and that nothing was uploaded for a sha256
// after the upload whose ID was recorded.
func (e *env) checkRecorded(t *testing.T) {
	t.Helper()
	st := e.state(t)
	if len(st.Assets) != len(e.m.Assets) {
		t.Fatalf("lockfile has %d assets, want %d", len(st.Assets), len(e.m.Assets))
	}
	issued := e.srv.Issued()
	lastBySHA := map[string]string{}
	bySHA := map[string]map[string]bool{}
	for _, is := range issued {
		lastBySHA[is.SHA256] = is.ID
		if bySHA[is.SHA256] == nil {
			bySHA[is.SHA256] = map[string]bool{}
		}
		bySHA[is.SHA256][is.ID] = true
	}
	for name, en := range st.Assets {
		if !bySHA[en.SHA256][en.ID] {
			t.Errorf("%s: recorded ID %s was never issued for sha256 %s", name, en.ID, en.SHA256)
		}
		if lastBySHA[en.SHA256] != en.ID {
			t.Errorf("%s: content was uploaded again after the recorded upload", name)
		}
	}
}

func TestApplyConvergesUnderFaults(t *testing.T) {
	e := newEnv(t, emulator.Config{Faults: emulator.Faults{FailRate: 0.1, ThrottleRate: 0.1, ResetRate: 0.1, TruncateRate: 0.05, Seed: 42}}, 40, "")
	ctx := context.Background()
	runs := 0
	for ; runs < 5; runs++ {
		_, err := e.apply(t, ctx, 4, nil)
		if err == nil {
			break
		}
		t.Logf("run %d: %v", runs+1, err)
	}
	if runs == 5 {
		t.Fatal("apply did not converge in 5 runs")
	}
	e.checkRecorded(t)
	if e.stats.count(500) == 0 || e.stats.count(429) == 0 || e.stats.count(-1) == 0 {
		t.Errorf("faults were not injected: %v", e.stats.n)
	}
	// Converged: a further apply makes no request at all.
	before := e.srv.Requests()
	rep, err := e.apply(t, ctx, 4, nil)
	if err != nil || rep.Done != (planner.Summary{NoOp: len(e.m.Assets)}) || e.srv.Requests() != before {
		t.Errorf("re-apply: %+v, %v, %d requests", rep, err, e.srv.Requests()-before)
	}
}

func TestClientErrorsAreNotRetriedAndDoNotStopOthers(t *testing.T) {
	e := newEnv(t, emulator.Config{}, 6, "")
	// Break one file after planning-time checks: the provider refuses it
	// (file changed since plan: its bytes are not the planned sha256, which
	// the emulator would answer with PARAM_ERROR), which must not be
	// retried.
	ctx := context.Background()
	store, p := e.plan(t, ctx)
	e.ws.Write(t, "media/002.png", testenv.PNG(2000, 999))
	var attempts atomic.Int32
	policy := fastRetry
	policy.OnRetry = func(*providers.Request, int, time.Duration, error) { attempts.Add(1) }
	rep, err := e.executor(store, 3, policy).Apply(ctx, p)
	if err == nil {
		t.Fatal("apply succeeded with a changed file")
	}
	var fc *providers.FileChangedError
	if !errors.As(err, &fc) || !strings.Contains(err.Error(), "img002: file changed since plan") || providers.IsRetryable(err) {
		t.Fatalf("error = %v, want a non-retryable file change for img002", err)
	}
	if attempts.Load() != 0 {
		t.Errorf("a changed file was retried %d times", attempts.Load())
	}
	if rep.Done.Create != 5 || rep.Failed != 1 {
		t.Errorf("report = %+v, want 5 created and 1 failed", rep)
	}
	if st := e.state(t); len(st.Assets) != 5 || st.Assets["img002"] != nil {
		t.Errorf("lockfile has %d assets; img002 recorded: %v", len(st.Assets), st.Assets["img002"] != nil)
	}
}

func TestRateLimitMatchingEmulatorNever429s(t *testing.T) {
	const limit = 25
	e := newEnv(t, emulator.Config{RateLimit: limit}, 60, "rate_limit: 25")
	start := time.Now()
	if _, err := e.apply(t, context.Background(), 8, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.stats.count(429); n != 0 {
		t.Errorf("emulator answered 429 %d times with a matching rate limit", n)
	}
	e.checkRecorded(t)
	t.Logf("60 uploads at %d/s took %s", limit, time.Since(start).Round(time.Millisecond))
}

func TestStopFinishesInFlightAndRecordsThem(t *testing.T) {
	e := newEnv(t, emulator.Config{Faults: emulator.Faults{Latency: 100 * time.Millisecond}}, 30, "")
	stop := make(chan struct{})
	go func() {
		time.Sleep(150 * time.Millisecond)
		close(stop)
	}()
	rep, err := e.apply(t, context.Background(), 4, stop)
	if !errors.Is(err, executor.ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	if rep.NotStarted == 0 || rep.Done.Create == 0 {
		t.Fatalf("report = %+v, want some done and some not started", rep)
	}
	// Everything the emulator acknowledged is recorded.
	st := e.state(t)
	if len(e.srv.Issued()) != len(st.Assets) || len(st.Assets) != rep.Done.Create {
		t.Errorf("issued %d IDs, recorded %d, report %d", len(e.srv.Issued()), len(st.Assets), rep.Done.Create)
	}
	// A re-run finishes the rest without re-uploading.
	if _, err := e.apply(t, context.Background(), 4, nil); err != nil {
		t.Fatal(err)
	}
	e.checkRecorded(t)
	if len(e.srv.Issued()) != 30 {
		t.Errorf("issued %d IDs for 30 files", len(e.srv.Issued()))
	}
}

func TestCancelAbortsInFlight(t *testing.T) {
	e := newEnv(t, emulator.Config{Faults: emulator.Faults{Latency: 2 * time.Second}}, 4, "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	rep, err := e.apply(t, ctx, 4, nil)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context error", err)
	}
	if time.Since(start) > 1500*time.Millisecond {
		t.Errorf("cancel took %s; in-flight uploads were not aborted", time.Since(start))
	}
	if rep.Done.Create != 0 {
		t.Errorf("report = %+v", rep)
	}
	if _, err := lockfile.Load(e.lock); !errors.Is(err, lockfile.ErrNotExist) {
		t.Errorf("lockfile written after an aborted apply: %v", err)
	}
}

// A file that disappears between plan and apply fails its own asset only,
// with a message that names the file and says what to do.
func TestFileGoneAfterPlan(t *testing.T) {
	e := newEnv(t, emulator.Config{}, 3, "")
	ctx := context.Background()
	store, p := e.plan(t, ctx)
	gone := e.m.Asset("img001")
	if err := os.Remove(gone.Path); err != nil {
		t.Fatal(err)
	}
	rep, err := e.executor(store, 2, fastRetry).Apply(ctx, p)
	want := "cannot read " + gone.File + ": no such file or directory; check that it exists and this user can read it"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "img001") {
		t.Fatalf("error = %v; want it to name img001 and say %q", err, want)
	}
	if !errors.Is(err, executor.ErrFileUnreadable) {
		t.Errorf("error %v is not marked executor.ErrFileUnreadable", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if rep.Done.Create != 2 || rep.Failed != 1 {
		t.Errorf("report = %+v, want 2 created and 1 failed", rep)
	}
}
