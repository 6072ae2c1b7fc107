package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

// TestLockfileSpellings runs two applies at once through two spellings of
// one lockfile: wxmedia.lock.json and alias.lock.json, a symbolic link to
// it. They must share one lock, so the second waits for the first and finds
// nothing left to do: the emulator issues one ID per asset, not two, and
// the state does not fork. The link stays a link, written through.
func TestLockfileSpellings(t *testing.T) {
	t.Parallel()
	const files = 8
	e := startEmulator(t, "-latency", "200ms")
	w := newWorkspace(t, e.url, files, baseSeed*1_000_000+300_000)
	data, err := lockfile.New().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.lockPath(), data, 0o644); err != nil {
		t.Fatal(err)
	}
	alias := filepath.Join(w.dir, "alias.lock.json")
	if err := os.Symlink("wxmedia.lock.json", alias); err != nil {
		t.Fatal(err)
	}

	first, err := w.start(applyArgs(1, "-lockfile", "wxmedia.lock.json", "-lock-timeout", "60s")...)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the first apply to take the lock", func() bool {
		li := lockfile.ReadLockInfo(lockfile.LockPath(w.lockPath()))
		return li != nil && li.PID == first.cmd.Process.Pid || !first.running()
	})
	if !first.running() {
		t.Fatalf("the first apply exited before the test could race it:\n%s", first.stderr.String())
	}
	second, err := w.start(applyArgs(1, "-lockfile", "alias.lock.json", "-lock-timeout", "60s")...)
	if err != nil {
		t.Fatal(err)
	}
	if code := first.wait(time.Minute); code != 0 {
		t.Fatalf("apply -lockfile wxmedia.lock.json exited %d:\n%s", code, first.stderr.String())
	}
	if code := second.wait(time.Minute); code != 0 {
		t.Fatalf("apply -lockfile alias.lock.json exited %d:\n%s", code, second.stderr.String())
	}
	issued := e.issued()
	if len(issued) != files {
		t.Errorf("the emulator issued %d IDs for %d assets: the two spellings of the lockfile took two locks and both applies uploaded", len(issued), files)
	}
	if out := second.stdout.String(); !strings.Contains(out, "No changes.") {
		t.Errorf("the apply through the link found changes after waiting for the first:\n%s", out)
	}
	fi, err := os.Lstat(alias)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s was a symbolic link to wxmedia.lock.json and is now a regular file: the state forked", alias)
	}
	st := w.load()
	if w.verify(st, issued) != 0 || len(st.Assets) != files {
		t.Errorf("wxmedia.lock.json records %d of %d assets", len(st.Assets), files)
	}
	for _, p := range []string{lockfile.LockPath(w.lockPath()), lockfile.LockPath(alias)} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there after both applies finished", p)
		}
	}
}
