package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

// waitHolding waits until p holds the apply lock of the lockfile at path,
// failing the test if p exits first.
func waitHolding(t *testing.T, p *proc, path string) {
	t.Helper()
	waitFor(t, time.Minute, p.desc+" to take the lock", func() bool {
		li := lockfile.ReadLockInfo(lockfile.LockPath(path))
		return li != nil && li.PID == p.cmd.Process.Pid || !p.running()
	})
	if !p.running() {
		t.Fatalf("%s exited before the test could act while it held the lock:\n%s", p.desc, p.stderr.String())
	}
}

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
	waitHolding(t, first, w.lockPath())
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

// TestErroredDumpFallback: the lockfile's directory vanishes while apply
// runs, so neither the lockfile nor the errored dump beside it can be
// written. The dump goes to the user cache directory and the error says
// where; plan then warns about it and apply refuses until it is moved over
// the lockfile, after which apply finishes without uploading anything
// twice.
func TestErroredDumpFallback(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache")) // Linux and BSDs
	t.Setenv("HOME", home)                                    // macOS
	cache, err := os.UserCacheDir()                           // as the children see it
	if err != nil {
		t.Fatal(err)
	}
	const files = 4
	e := startEmulator(t, "-latency", "300ms")
	w := newWorkspace(t, e.url, files, baseSeed*1_000_000+310_000)
	state := filepath.Join(w.dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	lockArgs := []string{"-lockfile", "state/wxmedia.lock.json"}
	apply, err := w.start(applyArgs(1, lockArgs...)...)
	if err != nil {
		t.Fatal(err)
	}
	waitHolding(t, apply, filepath.Join(state, "wxmedia.lock.json"))
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	if code := apply.wait(time.Minute); code != 1 {
		t.Fatalf("apply whose lockfile directory vanished exited %d, want 1:\n%s", code, apply.stderr.String())
	}
	dumps, _ := filepath.Glob(filepath.Join(cache, "wxmedia", "*"+lockfile.ErroredName))
	if len(dumps) != 1 {
		t.Fatalf("the user cache directory holds %d errored dumps, want 1:\n%s", len(dumps), apply.stderr.String())
	}
	dump := dumps[0]
	msg := apply.stderr.String()
	t.Logf("apply said:\n%s", msg)
	for _, want := range []string{
		"was saved to " + dump,
		"it could not be written to state/" + lockfile.ErroredName,
		"move " + dump + " over state/wxmedia.lock.json",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("apply's error does not say %q:\n%s", want, msg)
		}
	}
	st, err := lockfile.Load(dump)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Assets) == 0 || w.verify(st, e.issued()) != 0 {
		t.Fatalf("the fallback dump records %d assets", len(st.Assets))
	}

	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	p := w.run(time.Minute, append([]string{"plan"}, lockArgs...)...)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(p.stderr.String(), "Warning: "+dump+" exists") {
		t.Errorf("plan exited %d and did not warn about the waiting dump %s:\n%s", code, dump, p.stderr.String())
	}
	p = w.run(time.Minute, applyArgs(1, lockArgs...)...)
	if code := p.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(p.stderr.String(), dump+" exists") {
		t.Errorf("apply exited %d while the dump %s waits, want 1 naming it:\n%s", code, dump, p.stderr.String())
	}
	if err := os.Rename(dump, filepath.Join(state, "wxmedia.lock.json")); err != nil {
		t.Fatal(err)
	}
	p = w.run(time.Minute, applyArgs(1, lockArgs...)...)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(p.stderr.String(), "Warning: ") && strings.Contains(p.stderr.String(), "errored") {
		t.Fatalf("apply after recovering the dump exited %d:\n%s", code, p.stderr.String())
	}
	issued := e.issued()
	if len(issued) != files {
		t.Errorf("the emulator issued %d IDs for %d assets: the recovered dump lost some", len(issued), files)
	}
	final, err := lockfile.Load(filepath.Join(state, "wxmedia.lock.json"))
	if err != nil || w.verify(final, issued) != 0 || len(final.Assets) != files {
		t.Errorf("the lockfile records %v assets (%v)", final, err)
	}
}

// TestKeyPermissionWarning: validate and apply warn, once each and as ssh
// does, when the merchant private key file is readable by others, naming
// the file and the chmod that fixes it; with mode 0600 they say nothing.
func TestKeyPermissionWarning(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	w := newWorkspace(t, e.url, 1, baseSeed*1_000_000+320_000)
	key := filepath.Join(w.dir, "keys", "v3_key.pem")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	warning := "Warning: UNPROTECTED KEY FILE: " + key + " (accounts.shop.private_key_file) has permissions 0644, so other users of this machine can read the merchant private key. Restrict it to its owner with `chmod 600 " + key + "`."
	for _, args := range [][]string{{"validate"}, applyArgs(1)} {
		p := w.run(time.Minute, args...)
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("%s exited %d:\n%s", p.desc, code, p.stderr.String())
		}
		if n := strings.Count(p.stderr.String(), warning); n != 1 {
			t.Errorf("%s printed the warning %d times, want once:\n%s", p.desc, n, p.stderr.String())
		}
	}
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"validate"}, applyArgs(1, "-replace", "img000")} {
		p := w.run(time.Minute, args...)
		if code := p.cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(p.stderr.String(), "UNPROTECTED") {
			t.Errorf("%s with the key at 0600 exited %d:\n%s", p.desc, code, p.stderr.String())
		}
	}
	if n := len(e.issued()); n != 2 {
		t.Errorf("the emulator issued %d IDs, want 2 (one apply, one -replace)", n)
	}
}
