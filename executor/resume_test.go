package executor_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/brandchunk"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/scan"
)

// partLog records the brand part uploads the emulator acknowledged and can
// cancel the client after the k-th one.
type partLog struct {
	h      http.Handler
	mu     sync.Mutex
	acked  []string // "upload_id/part"
	merges int
	after  int
	cancel context.CancelFunc
}

func (l *partLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: 200}
	l.h.ServeHTTP(rec, r)
	const prefix = "/brand/marketing/user-package/uploads/"
	if rec.status != 200 || !strings.HasPrefix(r.URL.Path, prefix) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.Method == http.MethodPost {
		l.merges++
		return
	}
	l.acked = append(l.acked, strings.TrimPrefix(r.URL.Path, prefix))
	if l.cancel != nil && len(l.acked) == l.after {
		l.cancel()
	}
}

func TestBrandUploadResumesAfterInterruption(t *testing.T) {
	const partSize = 4096
	srv, err := emulator.NewSandbox(emulator.Config{PartSize: partSize})
	if err != nil {
		t.Fatal(err)
	}
	log := &partLog{h: srv}
	url, stop, err := emulator.Start(log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ws := testenv.New(t)
	var csv strings.Builder
	for i := 0; csv.Len() < 10*partSize+100; i++ {
		csv.WriteString("oUserOpenID0000000000000000")
		csv.WriteString(strings.Repeat("x", i%5))
		csv.WriteString("\n")
	}
	ws.Write(t, "lists/vip.csv", []byte(csv.String()))
	m, err := manifest.Load(ws.Manifest(t, ws.WriteSandboxBrandKeys(t, url), "  vip: {type: user_package, account: brand, file: lists/vip.csv, data_type: openid}\n"))
	if err != nil {
		t.Fatal(err)
	}
	lockPath := ws.Path("wxmedia.lock.json")
	apply := func(ctx context.Context) (executor.Report, error) {
		store, err := lockfile.Open(lockPath)
		if err != nil {
			t.Fatal(err)
		}
		facts, err := scan.Hashes(ctx, m, scan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := planner.Build(m, facts, store.State(), planner.Options{})
		return applyBrand(ctx, t, m, p, lockPath)
	}

	// First run: cancelled right after the 4th of 11 parts is acknowledged.
	ctx, cancel := context.WithCancel(context.Background())
	log.after, log.cancel = 4, cancel
	if _, err := apply(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("first apply: %v, want cancellation", err)
	}
	st, err := lockfile.Load(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	pd := st.Pending["vip"]
	// The 4th part was acknowledged by the server but its answer was cut
	// off by the cancellation, so 3 or 4 are recorded.
	if pd == nil || len(pd.Acked) < 3 || pd.PartCount != 11 || st.Assets["vip"] != nil {
		t.Fatalf("after the interruption: pending %+v, asset %v", pd, st.Assets["vip"])
	}
	firstRun := append([]string(nil), log.acked...)
	log.cancel = nil

	// The plan says it resumes.
	facts, _ := scan.Hashes(context.Background(), m, scan.Options{})
	p, _ := planner.Build(m, facts, st, planner.Options{})
	if !strings.Contains(p.Changes[0].Reason, "parts acknowledged") {
		t.Errorf("plan reason = %q", p.Changes[0].Reason)
	}

	// Second run: only the parts not yet acknowledged are sent.
	if _, err := apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := log.acked[len(firstRun):]
	sent := map[string]bool{}
	for _, a := range second {
		sent[a] = true
	}
	for _, n := range pd.Acked {
		key := pd.UploadID + "/" + itoa(n)
		if sent[key] {
			t.Errorf("part %d was acknowledged before the interruption and sent again", n)
		}
	}
	if len(pd.Acked)+len(second) != 11 {
		t.Errorf("recorded %d parts before and sent %d after, want 11 in all", len(pd.Acked), len(second))
	}
	st, _ = lockfile.Load(lockPath)
	e := st.Assets["vip"]
	if e == nil || e.ID != pd.UploadID || e.Attributes["resource_id"] == "" || len(st.Pending) != 0 {
		t.Fatalf("final entry %+v, pending %v", e, st.Pending)
	}
	if log.merges != 1 {
		t.Errorf("merged %d times, want once", log.merges)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// applyBrand applies p to the lockfile at lockPath through m's brand
// accounts, with fast retries.
func applyBrand(ctx context.Context, t *testing.T, m *manifest.Manifest, p *planner.Plan, lockPath string) (executor.Report, error) {
	t.Helper()
	store, err := lockfile.Open(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	r := accounts.New(m)
	defer r.Close()
	ex := &executor.Executor{Store: store, Dir: m.Dir, Resolve: func(account, typ string) (providers.Uploader, error) {
		a, err := r.Account(account)
		if err != nil {
			return nil, err
		}
		return providers.WithRetry(brandchunk.New(a), fastRetry), nil
	}}
	return ex.Apply(ctx, p)
}
