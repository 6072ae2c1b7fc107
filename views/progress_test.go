package views_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/views"
)

// TestProgressReachesTotal: on a successful apply the overall bar ends at
// its total, all files counted, whatever the providers reported reading
// (a group uploaded once for several assets, a resumed session), and a plan
// with nothing to upload draws no empty bar.
func TestProgressReachesTotal(t *testing.T) {
	p := plan(3)
	var b bytes.Buffer
	v := views.NewApplyProgress(&b, p)
	rh := v.(interface{ Read(*planner.Change, int) })
	for i, c := range p.Changes {
		v.Started(c)
		if i == 0 {
			rh.Read(c, 400) // the rest was sent by an earlier, resumed session
		}
		v.Finished(c, "MEDIA", nil)
	}
	v.Complete(planner.Summary{Create: 3}, 0, false)
	out := lastFrame(b.String())
	for _, want := range []string{"3/3 files", "2.9 KiB / 2.9 KiB", "done"} {
		if !strings.Contains(out, want) {
			t.Errorf("final progress lacks %q:\n%q", want, out)
		}
	}
}

// lastFrame returns the text after the last cursor movement mpb wrote.
func lastFrame(s string) string {
	if i := strings.LastIndex(s, "\x1b["); i >= 0 {
		s = s[i:]
	}
	return s
}

func TestProgressWithoutUploads(t *testing.T) {
	p := &planner.Plan{Changes: []*planner.Change{{Name: "old", Type: "image", Action: planner.Forget}}, Summary: planner.Summary{Forget: 1}}
	var b bytes.Buffer
	v := views.NewApplyProgress(&b, p)
	v.Started(p.Changes[0])
	v.Finished(p.Changes[0], "", nil)
	v.Complete(planner.Summary{Forget: 1}, 0, false)
	if strings.Contains(b.String(), "Uploading") {
		t.Errorf("a plan without uploads drew an upload bar:\n%q", b.String())
	}
}
