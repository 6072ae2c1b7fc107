package lockfile_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
)

// PendingFor is how the executor reads one pending upload: a copy of that
// entry alone (State would copy the whole state), which the caller may
// change without touching the store.
func TestPendingForIsACopyOfOneEntry(t *testing.T) {
	store, err := lockfile.Open(filepath.Join(t.TempDir(), "wxmedia.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p := store.PendingFor("video"); p != nil {
		t.Fatalf("PendingFor of a name with no session = %+v; want nil", p)
	}
	if err := store.UpdateNames([]string{"video"}, func(s *lockfile.State) {
		s.Pending["video"] = &lockfile.Pending{Type: "video", Account: "shop", UploadID: "up-1", PartSize: 5, PartCount: 3, Acked: []int{1, 2}}
	}); err != nil {
		t.Fatal(err)
	}
	p := store.PendingFor("video")
	if p == nil || p.UploadID != "up-1" || !slices.Equal(p.Acked, []int{1, 2}) {
		t.Fatalf("PendingFor = %+v; want the recorded session", p)
	}
	p.Acked[0], p.UploadID = 9, "changed"
	if again := store.PendingFor("video"); again.UploadID != "up-1" || again.Acked[0] != 1 {
		t.Errorf("changing the returned session changed the store: %+v", again)
	}
}
