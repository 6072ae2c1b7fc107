package pgstate_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/internal/pgtest"
	"github.com/wxmedia/wxmedia/lockfile"
)

// Recording uploads inserts a journal row each instead of rewriting the
// document; readers see them at once, a Store opened after a kill folds
// them in, and the folded document is what full writes would have stored.
func TestJournalRowsFoldIntoTheDocument(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	ctx := context.Background()
	record := func(st *lockfile.Store, i int) {
		name := fmt.Sprintf("img%03d", i)
		if err := st.UpdateNames([]string{name}, func(s *lockfile.State) {
			s.Assets[name] = &lockfile.Entry{Type: "image", ID: "id-" + name, SHA256: strings.Repeat("ab", 32)}
		}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := lockfile.OpenBackend(ctx, open(t, url, "shop"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		record(st, i)
	}
	want := doc(t, st.State())

	// The document row holds the first write only; the rest are journal rows.
	stored, err := open(t, url, "shop").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(stored, want) || !bytes.Contains(stored, []byte(`"serial": 1,`)) {
		t.Errorf("the document was rewritten for journaled writes:\n%.200s", stored)
	}
	loaded, err := lockfile.LoadFrom(ctx, open(t, url, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc(t, loaded), want) {
		t.Errorf("LoadFrom does not apply the journal rows")
	}

	// Killed here: the next Store folds the journal in before anything else.
	if _, err := lockfile.OpenBackend(ctx, open(t, url, "shop"), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	stored, err = open(t, url, "shop").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, want) {
		t.Errorf("the journal was not folded into the document:\n got %.300s\nwant %.300s", stored, want)
	}
	if j, err := open(t, url, "shop").ReadJournal(ctx); err != nil || j != nil {
		t.Errorf("journal rows left after the fold: %q, %v", j, err)
	}

	// Fold at the end of an apply, as `apply` does.
	st, err = lockfile.OpenBackend(ctx, open(t, url, "shop"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	record(st, 99)
	if err := st.Fold(); err != nil {
		t.Fatal(err)
	}
	stored, err = open(t, url, "shop").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, doc(t, st.State())) {
		t.Error("Fold did not write the document")
	}
}
