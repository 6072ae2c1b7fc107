package lockfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
)

// TestLockRefusesLink: a lock file that is a symbolic link is neither
// written through nor, when dangling, created at its target.
func TestLockRefusesLink(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing bool
	}{{"to a file", true}, {"dangling", false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "wxmedia.lock.json")
			victim := filepath.Join(dir, "victim.txt")
			if tc.existing {
				if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink("victim.txt", lockfile.LockPath(p)); err != nil {
				t.Fatal(err)
			}
			l, err := lockfile.AcquireLock(context.Background(), p, lockfile.NewLockInfo("apply", "wxmedia apply"), 0)
			var le *lockfile.LinkError
			if !errors.As(err, &le) {
				if l != nil {
					l.Unlock()
				}
				t.Fatalf("AcquireLock through a link = %v, want a *LinkError", err)
			}
			if !errors.Is(err, lockfile.ErrNotRegular) {
				t.Errorf("AcquireLock through a link = %v, not marked ErrNotRegular", err)
			}
			for _, want := range []string{lockfile.LockPath(p) + " is a symbolic link to victim.txt", "rm " + lockfile.LockPath(p)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
			data, err := os.ReadFile(victim)
			switch {
			case tc.existing && string(data) != "precious":
				t.Errorf("the link's target now holds %q", data)
			case !tc.existing && !errors.Is(err, os.ErrNotExist):
				t.Errorf("the dangling link's target was created (%q, %v)", data, err)
			}
		})
	}
}

// TestResolve: every spelling of a lockfile resolves to the real file; one
// that does not exist yet resolves through its directory; a dangling link
// is refused.
func TestResolve(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(dir, "state", "wxmedia.lock.json")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][2]string{{"alias.lock.json", "state/wxmedia.lock.json"}, {"link", "state"}, {"dangling.json", "nowhere.json"}} {
		if err := os.Symlink(l[1], filepath.Join(dir, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"state/wxmedia.lock.json", real},
		{"alias.lock.json", real},
		{"link/wxmedia.lock.json", real},
		{"link/new.lock.json", filepath.Join(dir, "state", "new.lock.json")},
		{"missing/new.lock.json", filepath.Join(dir, "missing", "new.lock.json")},
	} {
		got, err := lockfile.Resolve(filepath.Join(dir, tc.in))
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	_, err = lockfile.Resolve(filepath.Join(dir, "dangling.json"))
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link to nowhere.json, which does not exist") {
		t.Errorf("Resolve(dangling link) = %v, want an error naming the missing target", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Resolve created the dangling link's target")
	}
	// A lockfile linked to a device would make every read endless.
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.json")); err != nil {
		t.Fatal(err)
	}
	_, err = lockfile.Resolve(filepath.Join(dir, "zero.json"))
	if err == nil || !strings.Contains(err.Error(), "zero.json is not a regular file (it is a device)") {
		t.Errorf("Resolve(link to /dev/zero) = %v, want an error saying it is a device", err)
	}
}

// TestErroredDumpFallsBackToCacheDir: when the errored dump cannot be
// written beside the lockfile either, it goes to the user cache directory,
// the error says where, and ErroredPaths lists that place so that apply
// and plan find it.
func TestErroredDumpFallsBackToCacheDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // os.UserCacheDir on Unix
	t.Setenv("HOME", cache)           // on macOS
	dir := t.TempDir()
	p := filepath.Join(dir, "wxmedia.lock.json")
	st, err := lockfile.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	// Directories where the lockfile and the dump should be make both
	// renames fail, whoever runs the test.
	for _, d := range []string{p, filepath.Join(dir, lockfile.ErroredName)} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err = st.Update(func(s *lockfile.State) { s.Assets["a"] = entry("id-precious", sumA) })
	var we *lockfile.WriteError
	if !errors.As(err, &we) || we.Errored == "" {
		t.Fatalf("Update = %v, want a *WriteError naming where the state was saved", err)
	}
	paths := lockfile.ErroredPaths(filepath.Join(dir, lockfile.ErroredName))
	if len(paths) != 2 || paths[0] != filepath.Join(dir, lockfile.ErroredName) || we.Errored != paths[1] {
		t.Fatalf("dumped to %s; ErroredPaths(%s) = %v, want it second", we.Errored, dir, paths)
	}
	if rel, err := filepath.Rel(cache, we.Errored); err != nil || strings.HasPrefix(rel, "..") {
		t.Errorf("the fallback dump %s is not under the user cache directory %s", we.Errored, cache)
	}
	for _, want := range []string{"saved to " + we.Errored, "could not be written to " + paths[0], "move " + we.Errored + " over " + p} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	dump, err := lockfile.Load(we.Errored)
	if err != nil || dump.Assets["a"] == nil || dump.Assets["a"].ID != "id-precious" {
		t.Fatalf("the fallback dump holds %+v, %v; want the uploaded ID", dump, err)
	}
	// Later dumps go to the same place.
	_ = st.Update(func(s *lockfile.State) { s.Assets["b"] = entry("id-b", sumB) })
	if dump, _ := lockfile.Load(we.Errored); dump == nil || dump.Assets["b"] == nil {
		t.Error("the second upload is missing from the fallback dump")
	}
	// Another lockfile directory has another fallback.
	if other := lockfile.ErroredPaths(filepath.Join(t.TempDir(), lockfile.ErroredName)); other[1] == paths[1] {
		t.Errorf("two lockfile directories share the fallback dump %s", other[1])
	}
}
