//go:build unix

package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestJournalRefusesLinks: a journal path that is a symbolic link (a
// committed one, say) is neither appended through, which would write into
// the file it points to, nor read; a named pipe there is not read either
// (it would block every command).
func TestJournalRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wxmedia.lock.json")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(s *State) { s.Assets["a"] = &Entry{Type: "image", SHA256: testSum, ID: "id-a"} }); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, JournalPath(path)); err != nil {
		t.Fatal(err)
	}
	err = st.UpdateNames([]string{"b"}, func(s *State) { s.Assets["b"] = &Entry{Type: "image", SHA256: testSum, ID: "id-b"} })
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link") || !strings.Contains(err.Error(), "rm "+JournalPath(path)) || !errors.Is(err, ErrNotRegular) {
		t.Errorf("journaling through a link = %v, want a refusal naming the link and saying to remove it", err)
	}
	if got := string(must(os.ReadFile(victim))); got != "precious\n" {
		t.Errorf("the link's target was written: %q", got)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "not a regular file (it is a symbolic link)") || !errors.Is(err, ErrNotRegular) {
		t.Errorf("Load with a linked journal = %v, want a refusal", err)
	}
	if err := os.Remove(JournalPath(path)); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(JournalPath(path), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(path); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (it is a named pipe)") || !errors.Is(err, ErrNotRegular) {
			t.Errorf("Load with a named pipe for a journal = %v, want a refusal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load blocked on a named pipe in the journal's place")
	}
}
