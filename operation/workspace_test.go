package operation_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/operation"
)

func TestDefaultLockfile(t *testing.T) {
	for _, tc := range []struct{ manifest, lockfile, env, want string }{
		{"wxmedia.yaml", "", "", "wxmedia.lock.json"},
		{"dir/wxmedia.prod.yml", "", "", filepath.Join("dir", "wxmedia.prod.lock.json")},
		{"wxmedia.yaml", "", "prod", "wxmedia.prod.lock.json"},
		{"wxmedia.yaml", "other.json", "prod", "other.json"},
	} {
		got, err := operation.DefaultLockfile(tc.manifest, tc.lockfile, tc.env)
		if err != nil || got != tc.want {
			t.Errorf("DefaultLockfile(%q, %q, %q) = %q, %v; want %q", tc.manifest, tc.lockfile, tc.env, got, err, tc.want)
		}
	}
	if _, err := operation.DefaultLockfile("wxmedia.yaml", "", "../prod"); err == nil || !strings.Contains(err.Error(), "WXMEDIA_ENV") {
		t.Errorf("an environment name with a slash: %v, want an error naming -env and WXMEDIA_ENV", err)
	}
}

// A manifest without a state block keeps its state in the local lockfile,
// and operations that need a remote backend refuse it, saying why.
func TestLocalBackend(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "wxmedia.yaml")
	writeFile(t, m, "version: 1\naccounts:\n  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\nassets: {}\n")
	w, err := operation.Load(operation.LoadArgs{ManifestPath: m})
	if err != nil {
		t.Fatal(err)
	}
	if w.Remote() || w.StateName() != filepath.Join(dir, "wxmedia.lock.json") || w.StateExists() {
		t.Errorf("remote %v, state %q, exists %v; want the local, missing %s", w.Remote(), w.StateName(), w.StateExists(), filepath.Join(dir, "wxmedia.lock.json"))
	}
	if _, err := w.Pull(t.Context()); err == nil || !strings.Contains(err.Error(), "no state block") {
		t.Errorf("Pull of a local state: %v, want a refusal naming the missing state block", err)
	}
	if _, err := w.Forget("absent", 0); err == nil || !strings.Contains(err.Error(), `no asset "absent"`) {
		t.Errorf("Forget of an unrecorded asset: %v", err)
	}
	if w.StateExists() {
		t.Error("a refused forget wrote a lockfile")
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A lockfile at least prefetchLate long is read once the manifest's files
// are checked instead of alongside (issue 15): a plan still gets it.
func TestReadOnlyLoadsALargeLockfileLate(t *testing.T) {
	defer operation.SetPrefetchLate(1)()
	dir := t.TempDir()
	m := filepath.Join(dir, "wxmedia.yaml")
	writeFile(t, filepath.Join(dir, "wxmedia.lock.json"), `{"version": 1, "lineage": "d4db3299-89f1-4f32-bbec-8a018486e74a", "serial": 7, "assets": {}, "pending": {}}`)
	writeFile(t, m, "version: 1\naccounts:\n  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\nassets: {}\n")
	w, err := operation.LoadReadOnly(operation.LoadArgs{ManifestPath: m})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		st, err := w.LoadExisting()
		if err != nil || st.Serial != 7 {
			t.Errorf("LoadExisting: %v, %v; want the lockfile, serial 7", st, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the lockfile was never read")
	}
}
