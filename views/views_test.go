package views_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/fatih/color"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/views"
)

func init() { color.NoColor = true }

const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func plan(n int) *planner.Plan {
	p := &planner.Plan{FormatVersion: "1"}
	for i := 0; i < n; i++ {
		name := strings.Repeat("x", i%7) + "asset_" + string(rune('a'+i%26))
		p.Changes = append(p.Changes, &planner.Change{Name: name, Type: "image", Account: "shop", Action: planner.Create,
			Reason: "not in the lockfile", After: &planner.After{File: "m/" + name, Filename: name, Size: 1000, SHA256: sum}})
		p.Summary.Create++
	}
	return p
}

func TestHumanPlan(t *testing.T) {
	p := plan(2)
	p.Changes = append(p.Changes, &planner.Change{Name: "old|name", Type: "image", Action: planner.Forget, Reason: "removed", Before: &lockfile.Entry{}},
		&planner.Change{Name: "same", Type: "image", Action: planner.NoOp, Reason: "unchanged"})
	p.Summary.Forget, p.Summary.NoOp = 1, 1
	var b bytes.Buffer
	if err := views.NewPlan(&b, views.Human).Render(p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"ACTION", "+ create", "- forget", "old|name", "Plan: 2 to upload, 0 to replace, 1 to forget, 1 unchanged.\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("human plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "same") {
		t.Errorf("no-op assets belong in the summary, not the table:\n%s", out)
	}
	b.Reset()
	views.NewPlan(&b, views.Human).Render(&planner.Plan{Summary: planner.Summary{NoOp: 3}})
	if b.String() != "No changes. 3 assets are up to date with the lockfile.\n" {
		t.Errorf("no-change plan = %q", b.String())
	}
}

func TestMarkdownEscapesAndTruncates(t *testing.T) {
	p := plan(1)
	p.Changes[0].Name = "a|b*c_<script>`x`@team #12 www.x.io\x1b"
	p.Changes = append(p.Changes, &planner.Change{Name: "kept", Action: planner.NoOp})
	p.Summary.NoOp = 1
	var b bytes.Buffer
	views.NewPlan(&b, views.Markdown).Render(p)
	out := b.String()
	// A code span: GitHub neither formats, links nor pings inside one.
	if !strings.Contains(out, "| ``a\\|b*c_<script>`x`@team #12 www.x.io\\x1b`` |") {
		t.Errorf("name not in a code span:\n%s", out)
	}
	if !strings.Contains(out, "<details><summary>1 unchanged asset</summary>") || !strings.Contains(out, "- `kept`") {
		t.Errorf("unchanged assets not collapsed:\n%s", out)
	}
	big := plan(3000)
	for _, c := range big.Changes {
		c.Reason = strings.Repeat("long reason ", 5)
	}
	b.Reset()
	views.NewPlan(&b, views.Markdown).Render(big)
	if b.Len() > views.MarkdownLimit {
		t.Errorf("markdown is %d bytes, limit %d", b.Len(), views.MarkdownLimit)
	}
	if !strings.Contains(b.String(), "more lines not shown to stay under the comment size limit") {
		t.Errorf("truncation note missing")
	}
}

func TestApplyViews(t *testing.T) {
	p := plan(2)
	for _, kind := range []string{"lines", "json", "progress"} {
		var b bytes.Buffer
		var v views.Apply
		switch kind {
		case "lines":
			v = views.NewApply(&b, false)
		case "json":
			v = views.NewApply(&b, true)
		case "progress":
			v = views.NewApplyProgress(&b, p)
		}
		v.Planned(p)
		v.Started(p.Changes[0])
		if rh, ok := v.(interface {
			Read(*planner.Change, int)
		}); ok {
			rh.Read(p.Changes[0], 600)
			rh.Read(p.Changes[0], 900) // capped at the size
		}
		v.Finished(p.Changes[0], "MEDIA_1", nil)
		v.Started(p.Changes[1])
		v.Finished(p.Changes[1], "", errors.New("boom"))
		v.Complete(planner.Summary{Create: 1}, 1, false)
		out := b.String()
		for _, want := range []string{p.Changes[0].Name, "MEDIA_1", "Apply failed"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s view lacks %q:\n%s", kind, want, out)
			}
		}
		if strings.Contains(out, "2562047h") {
			t.Errorf("%s view printed an elapsed time from the zero time:\n%s", kind, out)
		}
		if kind == "json" && !strings.Contains(out, `"type":"change_summary"`) {
			t.Errorf("json view lacks the summary event:\n%s", out)
		}
	}
}
