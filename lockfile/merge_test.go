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

// FuzzMerge: whatever three lockfiles it is given, the merge driver never
// panics; a clean merge is a valid lockfile with a serial past both sides
// that keeps every ID either side recorded for an asset the other did not
// change, and the conflict document of a conflict never parses.
func FuzzMerge(f *testing.F) {
	l := lockfile.New()
	l.Assets["a"] = idEntry("A")
	base, _ := l.Marshal()
	l.Assets["b"] = idEntry("B")
	l.Serial = 2
	ours, _ := l.Marshal()
	delete(l.Assets, "b")
	l.Assets["c"] = idEntry("C")
	theirs, _ := l.Marshal()
	f.Add(base, ours, theirs)
	f.Add([]byte{}, ours, ours)
	f.Fuzz(func(t *testing.T, b, o, th []byte) {
		var bs *lockfile.State
		if len(b) > 0 {
			var err error
			if bs, err = lockfile.Parse("base", b); err != nil {
				return
			}
		}
		os, err1 := lockfile.Parse("ours", o)
		ts, err2 := lockfile.Parse("theirs", th)
		if err1 != nil || err2 != nil {
			return
		}
		m, conflicts, err := lockfile.Merge(bs, os, ts)
		if err != nil {
			return
		}
		data, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lockfile.Parse("merged", data); err != nil {
			t.Fatalf("merged lockfile does not parse: %v", err)
		}
		if m.Serial <= os.Serial || m.Serial <= ts.Serial {
			t.Fatalf("serial %d not past %d and %d", m.Serial, os.Serial, ts.Serial)
		}
		if len(conflicts) > 0 {
			if _, err := lockfile.Parse("c", lockfile.ConflictDocument(data, data, lockfile.DescribeConflicts(conflicts))); err == nil {
				t.Fatal("a conflict document parses")
			}
		}
		for n, e := range os.Assets {
			if bs == nil || bs.Assets[n] == nil || !sameEntry(bs.Assets[n], e) {
				// ours changed or added it: the merge keeps an entry.
				if m.Assets[n] == nil {
					t.Fatalf("ours' change to %s was lost", n)
				}
			}
		}
	})
}

func sameEntry(a, b *lockfile.Entry) bool {
	x, _ := (&lockfile.State{Version: 1, Lineage: "00000000-0000-4000-8000-000000000000", Assets: map[string]*lockfile.Entry{"x": a}}).Marshal()
	y, _ := (&lockfile.State{Version: 1, Lineage: "00000000-0000-4000-8000-000000000000", Assets: map[string]*lockfile.Entry{"x": b}}).Marshal()
	return string(x) == string(y)
}
