package lockfile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

// History never writes through a symbolic link: a .wxmedia/history that
// points elsewhere is refused and the place it points to stays empty.
func TestHistoryRefusesSymlinks(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".wxmedia"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(root, ".wxmedia", "history")); err != nil {
		t.Fatal(err)
	}
	h, err := lockfile.HistoryFor(root, filepath.Join(root, "wxmedia.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := lockfile.New().Marshal()
	err = h.Record(data, "me@here", time.Now(), false)
	if err == nil || !strings.Contains(err.Error(), "is not a directory (a symbolic link is refused)") {
		t.Fatalf("Record through a symlink = %v, want a refusal naming the link", err)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Fatalf("history was written through the symlink: %v", ents)
	}
}

// The first write of a Store keeps the document it replaces too, so a
// lockfile that came from git (never written here) can be brought back.
func TestHistoryKeepsTheReplacedDocument(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "wxmedia.lock.json")
	old := lockfile.New()
	old.Serial = 7
	old.Assets["a"] = &lockfile.Entry{Type: "image", ID: "ID-A", SHA256: strings.Repeat("a", 64)}
	data, _ := old.Marshal()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h, st := openWithHistory(t, root, p)
	if err := st.Update(func(s *lockfile.State) { delete(s.Assets, "a") }); err != nil {
		t.Fatal(err)
	}
	vs, err := h.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Serial != 7 || vs[1].Serial != 8 {
		t.Fatalf("kept versions %+v, want serials 7 and 8", vs)
	}
	if !strings.Contains(string(vs[0].Data), "ID-A") {
		t.Fatalf("serial 7 lost the forgotten ID:\n%s", vs[0].Data)
	}
}

// Pruning spares, as long as it can, the versions that hold IDs a later
// write forgot: a forget followed by many uploads keeps the forgotten ID.
func TestHistoryPruneSparesForgottenIDs(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "wxmedia.lock.json")
	t.Setenv("WXMEDIA_HISTORY_LIMIT", "3")
	h, st := openWithHistory(t, root, p)
	sum := strings.Repeat("b", 64)
	add := func(name string) {
		t.Helper()
		if err := st.Update(func(s *lockfile.State) {
			s.Assets[name] = &lockfile.Entry{Type: "image", ID: "ID-" + name, SHA256: sum}
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("gone")                                                                             // serial 1
	if err := st.Update(func(s *lockfile.State) { delete(s.Assets, "gone") }); err != nil { // serial 2
		t.Fatal(err)
	}
	for i := range 6 { // serials 3 to 8
		add(fmt.Sprint("n", i))
	}
	vs, err := h.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0].Serial != 1 || vs[2].Serial != 8 {
		t.Fatalf("kept serials %v, want 3 versions: 1 (before the forget) … 8", serials(vs))
	}
	if !strings.Contains(string(vs[0].Data), "ID-gone") {
		t.Fatal("the forgotten ID was pruned")
	}
}

func serials(vs []lockfile.Snapshot) []uint64 {
	var out []uint64
	for _, v := range vs {
		out = append(out, v.Serial)
	}
	return out
}

// openWithHistory opens the lockfile p through a FileBackend keeping its
// history below root.
func openWithHistory(t *testing.T, root, p string) (*lockfile.History, *lockfile.Store) {
	t.Helper()
	h, err := lockfile.HistoryFor(root, p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := lockfile.OpenBackend(context.Background(), &lockfile.FileBackend{Path: p, History: h}, root)
	if err != nil {
		t.Fatal(err)
	}
	return h, st
}

// An environment's lockfile dumps to its own errored file.
func TestErroredPathForEnvironments(t *testing.T) {
	for in, want := range map[string]string{
		"wxmedia.lock.json":             "wxmedia.errored.lock.json",
		"d/wxmedia.prod.lock.json":      "d/wxmedia.prod.errored.lock.json",
		"shop.lock.json":                "shop.errored.lock.json",
		"state.json":                    "wxmedia.errored.lock.json",
		"d/wxmedia.rehearsal.lock.json": "d/wxmedia.rehearsal.errored.lock.json",
	} {
		if got := lockfile.ErroredPathFor(filepath.FromSlash(in)); got != filepath.FromSlash(want) {
			t.Errorf("ErroredPathFor(%q) = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "wxmedia.prod.lock.json")
	st, err := lockfile.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	st.SetErroredPath(lockfile.ErroredPathFor(p))
	if err := os.Mkdir(p, 0o755); err != nil { // makes the write fail
		t.Fatal(err)
	}
	err = st.Update(func(s *lockfile.State) { s.Assets["a"] = idEntry("id-precious") })
	if err == nil || !strings.Contains(err.Error(), "wxmedia.prod.errored.lock.json") {
		t.Fatalf("Update = %v, want the dump in wxmedia.prod.errored.lock.json", err)
	}
	if dump, err := lockfile.Load(filepath.Join(dir, "wxmedia.prod.errored.lock.json")); err != nil || dump.Assets["a"] == nil {
		t.Fatalf("dump: %v, %v", dump, err)
	}
}

// A temporary file a killed writer left in the history is removed by the
// next writer (which holds the apply lock).
func TestHistorySweepsStaleTemps(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "wxmedia.lock.json")
	h, st := openWithHistory(t, root, p)
	if err := os.MkdirAll(h.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(h.Dir, ".00000000000000000001-abc.json.tmp-1-2")
	if err := os.WriteFile(stale, []byte("torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(s *lockfile.State) { s.Assets["a"] = idEntry("A") }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file left: %v", err)
	}
}
