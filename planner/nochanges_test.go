package planner_test

import (
	"errors"
	"testing"

	"github.com/wxmedia/wxmedia/planner"
)

// TestNoChangesIsNeverEncoded: a plan known by its summary alone shows no
// changes, and refuses to become JSON, which would list none.
func TestNoChangesIsNeverEncoded(t *testing.T) {
	p := planner.NoChanges("prod", 3)
	if p.HasChanges() || p.Summary.NoOp != 3 || p.Environment != "prod" || !p.Summarized() {
		t.Fatalf("NoChanges = %+v", p)
	}
	if _, err := p.Marshal(); !errors.Is(err, planner.ErrSummarized) {
		t.Fatalf("Marshal = %v, want ErrSummarized", err)
	}
}
