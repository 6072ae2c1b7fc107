package planfile_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/planner"
)

const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func sample(lineage string, serial uint64) *planfile.File {
	return &planfile.File{Manifest: planfile.ManifestRef{Path: "wxmedia.yaml", SHA256: sum},
		Plan: &planner.Plan{FormatVersion: planner.FormatVersion, Lockfile: planner.LockRef{Lineage: lineage, Serial: serial},
			Changes: []*planner.Change{{Name: "a", Type: "image", Account: "shop", Action: planner.Create, Reason: "not in the lockfile",
				After: &planner.After{File: "a.png", Filename: "a.png", Size: 3, SHA256: sum, MchID: "1"}}},
			Summary: planner.Summary{Create: 1}}}
}

func TestWriteReadRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.plan")
	if err := planfile.Write(p, sample("", 0)); err != nil {
		t.Fatal(err)
	}
	f, err := planfile.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != planfile.Kind || len(f.Changes) != 1 || f.Changes[0].After.SHA256 != sum || f.Manifest.SHA256 != sum {
		t.Errorf("round trip: %+v", f)
	}
}

func TestCheckLockfile(t *testing.T) {
	st := lockfile.New()
	st.Serial = 4
	for _, tc := range []struct {
		name   string
		f      *planfile.File
		exists bool
		want   string
	}{
		{"current", sample(st.Lineage, 4), true, ""},
		{"new, still new", sample("", 0), false, ""},
		{"new, now exists", sample("", 0), true, "made before"},
		{"gone", sample(st.Lineage, 4), false, "no longer exists"},
		{"other lineage", sample("6f1c0c1e-0000-4000-8000-000000000000", 4), true, "another lockfile lineage"},
		{"moved on", sample(st.Lineage, 3), true, "moved on since the plan was made (serial 3, now 4)"},
	} {
		err := tc.f.CheckLockfile(st, tc.exists, "wxmedia.lock.json")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, planfile.ErrStale)):
			t.Errorf("%s: err = %v, want ErrStale with %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	good, _ := json.Marshal(func() *planfile.File { x := sample("", 0); x.Kind = planfile.Kind; return x }())
	f.Add(good)
	f.Add([]byte(`{"kind":"wxmedia-plan"}`))
	f.Add([]byte(`{"kind":"wxmedia-plan","format_version":"1","changes":[null]}`))
	f.Add([]byte(`{"kind":"wxmedia-plan","format_version":"1","changes":[{"name":"a","action":"rename"}]}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := planfile.Parse("fuzz.plan", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.plan: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever parses is safe for apply to walk.
		for _, c := range pf.Changes {
			if c.Action.Uploads() && (c.After == nil || len(c.After.SHA256) != 64) {
				t.Fatalf("accepted an upload without a planned sha256: %+v", c)
			}
			if c.Action == planner.Rename && (c.Before == nil || c.From == "") {
				t.Fatalf("accepted a rename without a source")
			}
		}
		again, err := json.Marshal(pf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := planfile.Parse("again", again); err != nil && !bytes.Equal(again, data) {
			t.Fatalf("a parsed plan does not parse after re-encoding: %v", err)
		}
	})
}

// Compare finds every field a hand edit can change, and nothing in a plan
// equal to the rebuilt one.
func TestCompare(t *testing.T) {
	fresh := sample("", 0).Plan
	if d := planfile.Compare(sample("", 0).Plan, fresh); len(d) != 0 {
		t.Errorf("Compare(equal plans) = %q, want none", d)
	}
	for _, tc := range []struct {
		name string
		edit func(p *planner.Plan)
		want string
	}{
		{"account", func(p *planner.Plan) { p.Changes[0].Account = "evil" }, `a: account is "evil" in the plan, but "shop" now`},
		{"path", func(p *planner.Plan) { p.Changes[0].After.File = "../x" }, `a: after.file is "../x" in the plan, but "a.png" now`},
		{"size above 2^53", func(p *planner.Plan) { p.Changes[0].After.Size = 1<<53 + 1 }, `a: after.size is 9007199254740993 in the plan, but 3 now`},
		{"endpoint", func(p *planner.Plan) { p.Changes[0].After.Endpoint = "sandbox" }, `a: after.endpoint is "sandbox" in the plan, but "" now`},
		{"extra change", func(p *planner.Plan) {
			p.Changes = append(p.Changes, &planner.Change{Name: "b", Action: planner.Forget})
		}, "b: the plan has a forget of b that the current manifest and lockfile do not call for"},
		{"duplicate", func(p *planner.Plan) { p.Changes = append(p.Changes, p.Changes[0]) }, "a: the plan lists it more than once"},
		{"missing", func(p *planner.Plan) { p.Changes = nil }, "a: the plan leaves out this create"},
		{"summary", func(p *planner.Plan) { p.Summary.Create = 0 }, "summary: the plan's summary"},
		{"lockfile", func(p *planner.Plan) { p.Lockfile.Serial = 9 }, "lockfile: the plan was made against"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := sample("", 0).Plan
			tc.edit(saved)
			d := planfile.Compare(saved, fresh)
			if !strings.Contains(strings.Join(d, "\n"), tc.want) {
				t.Errorf("Compare() = %q, want a line containing %q", d, tc.want)
			}
		})
	}
}

func TestParseRefusesExpandWithoutUpload(t *testing.T) {
	f := sample("", 0)
	f.Kind = planfile.Kind
	f.Changes[0].Action = planner.Expand
	f.Changes[0].After.ExpandInto = "01000100010000000007"
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	_, err = planfile.Parse("x.plan", data)
	if err == nil || !strings.Contains(err.Error(), "expand a has no recorded upload or no audience package") {
		t.Fatalf("Parse(expand without before) = %v", err)
	}
	f.Changes[0].Before = &lockfile.Entry{Type: "user_package", ID: "u1"}
	if data, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if _, err := planfile.Parse("x.plan", data); err != nil {
		t.Fatalf("Parse(expand) = %v", err)
	}
}

// A plan known by its summary alone is never saved: applying it would
// find no changes to check or make.
func TestWriteRefusesSummarizedPlan(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.plan")
	f := sample("", 0)
	f.Plan = planner.NoChanges("", 1)
	if err := planfile.Write(p, f); !errors.Is(err, planner.ErrSummarized) {
		t.Fatalf("Write = %v, want ErrSummarized", err)
	}
}
