package lockfile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
)

func idEntry(id string) *lockfile.Entry {
	return &lockfile.Entry{Type: "image", Account: "shop", ID: id, SHA256: strings.Repeat("a", 64)}
}

func TestMerge(t *testing.T) {
	base := lockfile.New()
	base.Serial = 5
	base.Assets["kept"] = idEntry("K")
	base.Assets["forgotten"] = idEntry("F")
	base.Assets["changed"] = idEntry("C1")
	base.Assets["forgot-vs-changed"] = idEntry("X1")
	ours, theirs := base.Clone(), base.Clone()
	ours.Serial, theirs.Serial = 6, 9
	ours.Assets["ours-new"] = idEntry("O")
	theirs.Assets["theirs-new"] = idEntry("T")
	delete(theirs.Assets, "forgotten")
	theirs.Assets["changed"] = idEntry("C2")
	ours.Assets["both-same"] = idEntry("S")
	theirs.Assets["both-same"] = idEntry("S")
	delete(ours.Assets, "forgot-vs-changed")
	theirs.Assets["forgot-vs-changed"] = idEntry("X2")

	got, conflicts, err := lockfile.Merge(base, ours, theirs)
	if err != nil || len(conflicts) != 0 {
		t.Fatalf("Merge = %v, %v; want a clean merge", conflicts, err)
	}
	want := map[string]string{"kept": "K", "changed": "C2", "ours-new": "O", "theirs-new": "T", "both-same": "S", "forgot-vs-changed": "X2"}
	if len(got.Assets) != len(want) {
		t.Errorf("merged %v, want %v", got.Names(), want)
	}
	for n, id := range want {
		if e := got.Assets[n]; e == nil || e.ID != id {
			t.Errorf("merged %s = %+v, want ID %s", n, e, id)
		}
	}
	if got.Serial != 10 || got.Lineage != base.Lineage {
		t.Errorf("merged serial %d lineage %s, want 10 and %s", got.Serial, got.Lineage, base.Lineage)
	}

	// The same asset added with two IDs is a conflict, by name.
	ours.Assets["dup"], theirs.Assets["dup"] = idEntry("D1"), idEntry("D2")
	_, conflicts, err = lockfile.Merge(base, ours, theirs)
	if err != nil || len(conflicts) != 1 || conflicts[0] != (lockfile.Conflict{Name: "dup", Ours: "D1", Theirs: "D2"}) {
		t.Fatalf("Merge = %+v, %v; want one conflict on dup", conflicts, err)
	}
	// Without a common ancestor it still merges by name.
	if _, conflicts, err = lockfile.Merge(nil, ours, theirs); err != nil || len(conflicts) != 2 {
		t.Errorf("Merge(nil, …) = %+v, %v; want conflicts on changed and dup", conflicts, err)
	}

	var le *lockfile.LineageError
	if _, _, err := lockfile.Merge(base, ours, lockfile.New()); !errors.As(err, &le) {
		t.Errorf("Merge of two lineages = %v, want a LineageError", err)
	}
}

// The conflict document does not parse, and the parse error quotes the
// driver's explanation, so `plan` names the asset.
func TestConflictDocumentExplainsItself(t *testing.T) {
	a, _ := lockfile.New().Marshal()
	doc := lockfile.ConflictDocument(a, a, "asset dup has ID D1 here and D2 on the other side")
	_, err := lockfile.Parse("wxmedia.lock.json", doc)
	var pe *lockfile.ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "asset dup has ID D1 here and D2 on the other side") || !strings.Contains(err.Error(), "line 1 has a git conflict marker") {
		t.Fatalf("Parse = %v", err)
	}
}
