package views

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/fatih/color"

	"github.com/wxmedia/wxmedia/planner"
)

// The streamed table of a large plan is byte for byte what tablewriter
// writes for it, colours, wide characters and empty cells included.
func TestStreamTableMatchesTablewriter(t *testing.T) {
	defer func(n int, nc bool) { streamRowsAbove, color.NoColor = n, nc }(streamRowsAbove, color.NoColor)
	p := &planner.Plan{}
	add := func(c *planner.Change) {
		p.Changes = append(p.Changes, c)
		switch c.Action {
		case planner.Create:
			p.Summary.Create++
		case planner.Replace:
			p.Summary.Replace++
		case planner.Rename:
			p.Summary.Rename++
		case planner.Forget:
			p.Summary.Forget++
		case planner.NoOp:
			p.Summary.NoOp++
		}
	}
	for i := range 30 {
		add(&planner.Change{Name: fmt.Sprintf("pics/%03d.png", i), Type: "image", Action: planner.Create, Reason: "not in the lockfile", After: &planner.After{Size: int64(i) << 12}})
	}
	add(&planner.Change{Name: "图片/猫.png", Type: "image", Action: planner.Replace, Reason: "content changed", After: &planner.After{Size: 5 << 20}})
	add(&planner.Change{Name: "b/new.mp4", From: "a/old.mp4", Type: "video", Action: planner.Rename, Reason: "same content, new name", After: &planner.After{Size: 1}})
	add(&planner.Change{Name: "gone 😀", Type: "user_package", Action: planner.Forget, Reason: "no longer in the manifest"})
	add(&planner.Change{Name: "same.png", Type: "image", Action: planner.NoOp, After: &planner.After{Size: 3}})
	for _, noColor := range []bool{true, false} {
		color.NoColor = noColor
		var table, stream bytes.Buffer
		streamRowsAbove = 1 << 30
		if err := NewPlan(&table, Human).Render(p); err != nil {
			t.Fatal(err)
		}
		streamRowsAbove = 0
		if err := NewPlan(&stream, Human).Render(p); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(table.Bytes(), stream.Bytes()) {
			t.Errorf("colour %v: streamed table differs:\n%s\ntablewriter:\n%s", !noColor, stream.String(), table.String())
		}
	}
}
