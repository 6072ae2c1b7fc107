package executor_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers/brandchunk"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/scan"
)

// callLog counts the brand calls by kind and can refuse the next expand
// the way a crash right after the merge would leave it: never sent.
type callLog struct {
	h              http.Handler
	mu             sync.Mutex
	inits, parts   int
	merges, exps   int
	dropNextExpand bool
	// cancelOnExpand, when set, is called as the next expand arrives,
	// which is then never answered: apply stops as if killed there.
	cancelOnExpand context.CancelFunc
}

// startLogged starts a sandbox emulator with cfg behind a callLog, stopped
// when the test ends.
func startLogged(t *testing.T, cfg emulator.Config) (*emulator.Server, *callLog, string) {
	t.Helper()
	srv, err := emulator.NewSandbox(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := &callLog{h: srv}
	url, stop, err := emulator.Start(log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return srv, log, url
}

func (l *callLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/expand"):
		if cancel := l.cancelOnExpand; cancel != nil {
			l.cancelOnExpand = nil
			l.mu.Unlock()
			cancel()
			<-r.Context().Done()
			return
		}
		if l.dropNextExpand {
			l.dropNextExpand = false
			l.mu.Unlock()
			http.Error(w, `{"code":"PARAM_ERROR","message":"expand refused by the test"}`, http.StatusBadRequest)
			return
		}
		l.exps++
	case p == brandchunk.PathUploads:
		l.inits++
	case r.Method == http.MethodPut:
		l.parts++
	default:
		l.merges++
	}
	l.mu.Unlock()
	l.h.ServeHTTP(w, r)
}

func (l *callLog) counts() [4]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return [4]int{l.inits, l.parts, l.merges, l.exps}
}

// TestExpandAfterMergeResumesAndFollowsExpandInto walks expand_into end to
// end: an upload whose expand never happened is expanded by the next apply
// without uploading again, a changed expand_into expands the new package
// only, and an unknown package is an error naming the asset and the fix.
func TestExpandAfterMergeResumesAndFollowsExpandInto(t *testing.T) {
	const second = "03000300030000000003"
	srv, log, url := startLogged(t, emulator.Config{PartSize: 64,
		UserPackages: map[string]string{second: emulator.SandboxBrandID, "04000400040000000004": "1200000099"}})
	ws := testenv.New(t)
	ws.Write(t, "lists/vip.csv", []byte("oUserOpenID000000000000000001\noUserOpenID000000000000000002\noUserOpenID000000000000000003\n"))
	accts := ws.WriteSandboxBrandKeys(t, url)
	lockPath := ws.Path("wxmedia.lock.json")
	plan := func(into string) (*manifest.Manifest, *planner.Plan) {
		t.Helper()
		m, err := manifest.Load(ws.Manifest(t, accts, "  vip: {type: user_package, account: brand, file: lists/vip.csv, data_type: openid, expand_into: \""+into+"\"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		return m, planBrand(t, m, lockPath)
	}
	apply := func(m *manifest.Manifest, p *planner.Plan) (executor.Report, error) {
		return applyBrand(context.Background(), t, m, p, lockPath)
	}
	entry := func() *lockfile.Entry {
		st, err := lockfile.Load(lockPath)
		if err != nil {
			t.Fatal(err)
		}
		return st.Assets["vip"]
	}

	// 1. The upload succeeds and is recorded; its expand does not happen.
	log.dropNextExpand = true
	m, p := plan(emulator.SandboxUserPackageID)
	if _, err := apply(m, p); err == nil || !strings.Contains(err.Error(), "uploaded as") || !strings.Contains(err.Error(), "(the upload is recorded)") || !errors.Is(err, executor.ErrExpandPending) {
		t.Fatalf("first apply = %v, want the expand failure saying the upload is recorded", err)
	}
	e := entry()
	if e == nil || e.ID == "" || e.Attributes["expanded_into"] != "" || e.Attributes["data_type"] != "openid" {
		t.Fatalf("after the failed expand the entry is %+v, want the upload recorded with data_type and no expanded_into", e)
	}
	uploadID := e.ID
	before := log.counts()

	// 2. The next plan expands only; apply sends one expand call.
	m, p = plan(emulator.SandboxUserPackageID)
	if c := p.Changes[0]; c.Action != planner.Expand || !strings.Contains(c.Reason, "has not expanded it yet") || p.Summary.Expand != 1 {
		t.Fatalf("plan = %s %q (summary %+v), want expand", c.Action, c.Reason, p.Summary)
	}
	if rep, err := apply(m, p); err != nil || rep.Done.Expand != 1 {
		t.Fatalf("second apply = %+v, %v", rep, err)
	}
	if got := log.counts(); got[0] != before[0] || got[1] != before[1] || got[2] != before[2] || got[3] != before[3]+1 {
		t.Errorf("calls (init, parts, merge, expand) went %v → %v, want one expand only", before, got)
	}
	e = entry()
	if e.ID != uploadID || e.Attributes["expanded_into"] != emulator.SandboxUserPackageID || e.Attributes["expanded_at"] == "" {
		t.Fatalf("after expanding, entry %+v", e)
	}
	if _, p = plan(emulator.SandboxUserPackageID); p.HasChanges() {
		t.Errorf("plan after expanding = %+v, want no changes", p.Changes[0])
	}

	// 3. A changed expand_into expands the new package, uploading nothing.
	before = log.counts()
	m, p = plan(second)
	if c := p.Changes[0]; c.Action != planner.Expand || !strings.Contains(c.Reason, "expand_into changed: "+emulator.SandboxUserPackageID+" → "+second) {
		t.Fatalf("plan = %s %q, want expand for the changed expand_into", c.Action, c.Reason)
	}
	if _, err := apply(m, p); err != nil {
		t.Fatal(err)
	}
	if got := log.counts(); got[0] != before[0] || got[3] != before[3]+1 {
		t.Errorf("calls went %v → %v, want one expand only", before, got)
	}
	if exps := srv.Expansions(); len(exps) != 2 || exps[1].UserPackageID != second || exps[1].UploadID != uploadID {
		t.Errorf("emulator expansions %+v", exps)
	}

	// 4. Another brand's package: 403, and the message says what to check.
	m, p = plan("04000400040000000004")
	_, err := apply(m, p)
	if err == nil || !strings.Contains(err.Error(), "vip") || !strings.Contains(err.Error(), "NO_AUTH") || !strings.Contains(err.Error(), "check expand_into") {
		t.Fatalf("apply into another brand's package = %v", err)
	}
	if e := entry(); e.Attributes["expanded_into"] != second {
		t.Errorf("after the refused expand, expanded_into = %q, want still %s", e.Attributes["expanded_into"], second)
	}
}

// TestExpandInterruptedAfterMergeResumesWithExpandOnly: apply is stopped
// while the expand is in flight, after the merge was recorded; the next
// plan is an expand, and apply sends that one call, uploading nothing.
func TestExpandInterruptedAfterMergeResumesWithExpandOnly(t *testing.T) {
	srv, log, url := startLogged(t, emulator.Config{PartSize: 64})
	ws := testenv.New(t)
	ws.Write(t, "lists/vip.csv", []byte(strings.Repeat("oUserOpenID000000000000000001\n", 4)))
	m, err := manifest.Load(ws.Manifest(t, ws.WriteSandboxBrandKeys(t, url),
		"  vip: {type: user_package, account: brand, file: lists/vip.csv, data_type: openid, expand_into: \""+emulator.SandboxUserPackageID+"\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	lockPath := ws.Path("wxmedia.lock.json")
	plan := func() *planner.Plan { return planBrand(t, m, lockPath) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log.mu.Lock()
	log.cancelOnExpand = cancel
	log.mu.Unlock()
	if _, err := applyBrand(ctx, t, m, plan(), lockPath); err == nil {
		t.Fatal("apply interrupted during the expand succeeded")
	}
	before := log.counts()
	p := plan()
	if c := p.Changes[0]; c.Action != planner.Expand || p.Summary.Create != 0 {
		t.Fatalf("plan after the interruption: %s %q, want an expand only", c.Action, c.Reason)
	}
	if _, err := applyBrand(context.Background(), t, m, p, lockPath); err != nil {
		t.Fatal(err)
	}
	if got := log.counts(); got[0] != before[0] || got[1] != before[1] || got[2] != before[2] || got[3] != before[3]+1 {
		t.Errorf("calls (init, parts, merge, expand) went %v → %v, want one expand only", before, got)
	}
	if exps := srv.Expansions(); len(exps) != 1 {
		t.Errorf("emulator expansions %+v, want exactly one", exps)
	}
}

// planBrand plans m against the lockfile at lockPath (empty if missing).
func planBrand(t *testing.T, m *manifest.Manifest, lockPath string) *planner.Plan {
	t.Helper()
	st, err := lockfile.Load(lockPath)
	if err != nil {
		st = lockfile.New()
	}
	facts, err := scan.Hashes(context.Background(), m, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Build(m, facts, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSameAudienceFileDifferentDataTypesUploadsTwice: identical files are
// uploaded once for all the assets that declare them, unless the assets
// read them as different data types.
func TestSameAudienceFileDifferentDataTypesUploadsTwice(t *testing.T) {
	_, log, url := startLogged(t, emulator.Config{PartSize: 64})
	ws := testenv.New(t)
	// 32 hex digits are an MD5 and also have the shape of an openid.
	ws.Write(t, "lists/l.csv", []byte("e10adc3949ba59abbe56e057f20f883e\n"))
	m, err := manifest.Load(ws.Manifest(t, ws.WriteSandboxBrandKeys(t, url), `  a: {type: user_package, account: brand, file: lists/l.csv, data_type: openid}
  b: {type: user_package, account: brand, file: lists/l.csv, data_type: mobile_md5}
  c: {type: user_package, account: brand, file: lists/l.csv, data_type: mobile_md5}
`))
	if err != nil {
		t.Fatal(err)
	}
	lockPath := ws.Path("wxmedia.lock.json")
	if _, err := applyBrand(context.Background(), t, m, planBrand(t, m, lockPath), lockPath); err != nil {
		t.Fatal(err)
	}
	if got := log.counts(); got[0] != 2 {
		t.Errorf("%d sessions started, want 2 (openid once, mobile_md5 once for b and c)", got[0])
	}
	st, err := lockfile.Load(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Assets["b"].ID != st.Assets["c"].ID || st.Assets["a"].ID == st.Assets["b"].ID || st.Assets["a"].Attributes["data_type"] != "openid" || st.Assets["b"].Attributes["data_type"] != "mobile_md5" {
		t.Errorf("recorded a=%+v b=%+v c=%+v", st.Assets["a"], st.Assets["b"], st.Assets["c"])
	}
}
