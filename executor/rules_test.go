package executor_test

// The executor's own rules, pinned with an in-memory Uploader and an
// in-memory lockfile backend: which uploads are merged, in what order
// renames, uploads and forgets run, and when apply stops. The tests
// against the emulator (executor_test.go and the others) are the
// integration tests of the same rules with real providers.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
)

// fakeUploader records every upload and answers with an ID derived from
// the content; it fails the assets listed in fail.
type fakeUploader struct {
	mu    sync.Mutex
	calls []string // Request.Asset, in call order
	fail  map[string]bool
}

func (f *fakeUploader) Upload(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req.Asset)
	if f.fail[req.Asset] {
		return nil, fmt.Errorf("%s: refused by the fake", req.Asset)
	}
	return &providers.Result{ID: "id-" + req.SHA256[:8]}, nil
}

func (f *fakeUploader) uploaded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// memBackend keeps the lockfile document in memory; once failAfter writes
// have succeeded (failAfter < 0: never), every further write fails.
type memBackend struct {
	mu        sync.Mutex
	doc       []byte
	writes    int
	failAfter int
}

var errDiskFull = errors.New("no space left on device (fake)")

func (b *memBackend) Name() string { return "memory" }

func (b *memBackend) Load(context.Context) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.doc == nil {
		return nil, lockfile.ErrNotExist
	}
	return slices.Clone(b.doc), nil
}

func (b *memBackend) Write(_ context.Context, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failAfter >= 0 && b.writes >= b.failAfter {
		return errDiskFull
	}
	b.writes++
	b.doc = slices.Clone(data)
	return nil
}

func (b *memBackend) Lock(context.Context, lockfile.LockInfo, time.Duration) (lockfile.Unlocker, error) {
	return nil, errors.New("memBackend: not used by the executor")
}

// sum is the sha256, in hex, of content seed.
func sum(seed string) string {
	s := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(s[:])
}

// upload is a planned create of an image whose content is seed.
func upload(name, seed string) *planner.Change {
	return &planner.Change{Name: name, Type: "image", Account: "shop", Action: planner.Create,
		After: &planner.After{File: "media/" + seed + ".png", Filename: seed + ".png", Size: 10, SHA256: sum(seed), MchID: "1900000001", Endpoint: "https://fake.invalid"}}
}

// entry is a recorded image.
func entry(seed, id string) *lockfile.Entry {
	return &lockfile.Entry{Type: "image", Account: "shop", MchID: "1900000001", File: "media/" + seed + ".png", Filename: seed + ".png",
		Size: 10, SHA256: sum(seed), ID: id, Endpoint: "https://fake.invalid"}
}

// fakeRun opens a store on b holding recorded, and returns an executor
// uploading through u one change at a time, with a Hook recording order.
func fakeRun(t *testing.T, b *memBackend, recorded map[string]*lockfile.Entry, u providers.Uploader) (*executor.Executor, *lockfile.Store, *orderHook) {
	t.Helper()
	if len(recorded) > 0 {
		s := lockfile.New()
		s.Assets = recorded
		data, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		b.doc = data
	}
	store, err := lockfile.OpenBackend(context.Background(), b, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &orderHook{}
	ex := &executor.Executor{Store: store, Dir: t.TempDir(), Hook: h, Parallelism: 1,
		Resolve: func(account, typ string) (providers.Uploader, error) { return u, nil },
		Now:     func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
	return ex, store, h
}

func TestFakeIdenticalUploadsAreSentOnce(t *testing.T) {
	u := &fakeUploader{}
	ex, store, _ := fakeRun(t, &memBackend{failAfter: -1}, nil, u)
	same := upload("copy", "logo")
	p := &planner.Plan{Changes: []*planner.Change{upload("logo", "logo"), same, upload("banner", "banner")}}
	rep, err := ex.Apply(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.uploaded(); !slices.Equal(got, []string{"logo", "banner"}) {
		t.Errorf("uploads sent: %v; want logo once (its copy shares it) and banner", got)
	}
	if rep.Done.Create != 3 {
		t.Errorf("report %+v; want 3 creates", rep)
	}
	st := store.State()
	if st.Assets["logo"].ID != st.Assets["copy"].ID || st.Assets["logo"].ID == st.Assets["banner"].ID {
		t.Errorf("recorded IDs logo=%s copy=%s banner=%s; want logo and copy to share one", st.Assets["logo"].ID, st.Assets["copy"].ID, st.Assets["banner"].ID)
	}

	// A different filename is a different upload, even with the same bytes.
	u2 := &fakeUploader{}
	ex2, _, _ := fakeRun(t, &memBackend{failAfter: -1}, nil, u2)
	renamed := upload("other", "logo")
	renamed.After.Filename = "other.png"
	if _, err := ex2.Apply(context.Background(), &planner.Plan{Changes: []*planner.Change{upload("logo", "logo"), renamed}}); err != nil {
		t.Fatal(err)
	}
	if got := u2.uploaded(); len(got) != 2 {
		t.Errorf("uploads sent: %v; want two (the filename is part of what is uploaded)", got)
	}
}

func TestFakeRenamesFirstForgetsLast(t *testing.T) {
	u := &fakeUploader{}
	recorded := map[string]*lockfile.Entry{"old": entry("moved", "id-moved"), "gone": entry("gone", "id-gone")}
	ex, store, h := fakeRun(t, &memBackend{failAfter: -1}, recorded, u)
	rename := upload("new", "moved")
	rename.Action, rename.From, rename.Before = planner.Rename, "old", recorded["old"]
	forget := &planner.Change{Name: "gone", Type: "image", Account: "shop", Action: planner.Forget, Before: recorded["gone"]}
	// Plan order puts the forget first and the rename last: the executor
	// orders them by its own rules.
	p := &planner.Plan{Changes: []*planner.Change{forget, upload("fresh", "fresh"), rename}}
	rep, err := ex.Apply(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.events, ", "); got != "rename new, create fresh, forget gone" {
		t.Errorf("order: %s; want the rename first, then the upload, then the forget", got)
	}
	if got := u.uploaded(); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("uploads sent: %v; a rename uploads nothing", got)
	}
	st := store.State()
	if e := st.Assets["new"]; e == nil || e.ID != "id-moved" || st.Assets["old"] != nil {
		t.Errorf("after the rename new=%+v old=%+v; want the ID moved to new", st.Assets["new"], st.Assets["old"])
	}
	if st.Assets["gone"] != nil {
		t.Errorf("gone is still recorded")
	}
	if rep.Done.Rename != 1 || rep.Done.Create != 1 || rep.Done.Forget != 1 {
		t.Errorf("report %+v", rep)
	}
}

func TestFakeForgetsHeldBackAfterAFailedUpload(t *testing.T) {
	u := &fakeUploader{fail: map[string]bool{"logo": true}}
	recorded := map[string]*lockfile.Entry{"logo": entry("logo-old", "id-old"), "gone": entry("gone", "id-gone")}
	ex, store, h := fakeRun(t, &memBackend{failAfter: -1}, recorded, u)
	replace := upload("logo", "logo")
	replace.Action, replace.Before = planner.Replace, recorded["logo"]
	forget := &planner.Change{Name: "gone", Type: "image", Account: "shop", Action: planner.Forget, Before: recorded["gone"]}
	rep, err := ex.Apply(context.Background(), &planner.Plan{Changes: []*planner.Change{forget, replace}})
	if err == nil || !strings.Contains(err.Error(), "logo: refused by the fake") ||
		!strings.Contains(err.Error(), "1 forget(s) held back because not every upload succeeded") || !strings.Contains(err.Error(), "(gone still recorded)") || !errors.Is(err, executor.ErrUnfinished) {
		t.Fatalf("apply error = %v; want the upload failure and the forget held back", err)
	}
	if rep.HeldBack != 1 || rep.Failed != 1 || rep.Done.Forget != 0 {
		t.Errorf("report %+v; want 1 failed, 1 held back", rep)
	}
	if slices.Contains(h.events, "forget gone") {
		t.Errorf("the forget started: %v", h.events)
	}
	st := store.State()
	if st.Assets["gone"] == nil || st.Assets["logo"].ID != "id-old" {
		t.Errorf("state changed: gone=%+v logo=%+v; want both as recorded", st.Assets["gone"], st.Assets["logo"])
	}
}

func TestFakeStopsOnALockfileWriteFailure(t *testing.T) {
	u := &fakeUploader{}
	b := &memBackend{failAfter: 0} // the first write fails
	ex, store, _ := fakeRun(t, b, nil, u)
	p := &planner.Plan{Changes: []*planner.Change{upload("a", "a"), upload("b", "b"), upload("c", "c")}}
	rep, err := ex.Apply(context.Background(), p)
	if got := u.uploaded(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("uploads sent: %v; want only the first: nothing more is uploaded once the lockfile cannot be written", got)
	}
	if err == nil || !strings.Contains(err.Error(), "a: uploaded as id-"+sum("a")[:8]+" but") || !errors.Is(err, errDiskFull) {
		t.Fatalf("apply error = %v; want it to name the uploaded ID that was not recorded, wrapping the write error", err)
	}
	if !errors.Is(err, executor.ErrStopped) || rep.NotStarted != 2 || rep.Failed != 1 {
		t.Errorf("report %+v, error %v; want 1 failed and 2 not started", rep, err)
	}
	if store.Err() == nil {
		t.Errorf("the store reports no write failure")
	}
}
