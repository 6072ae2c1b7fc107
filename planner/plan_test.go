package planner_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
)

const (
	sumA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sumB = "1b4f0e9851971998e732078544c96b36c3d01cedf7caa332359d6f1d83567014"
)

func testManifest(assets ...*manifest.Asset) *manifest.Manifest {
	return &manifest.Manifest{Path: "wxmedia.yaml", Version: 1,
		Accounts: map[string]*manifest.Account{
			"shop":  {Name: "shop", API: "v3", MchID: "1900000001"},
			"other": {Name: "other", API: "v3", MchID: "1900000009"},
		},
		Assets: assets}
}

func asset(name, file string) *manifest.Asset {
	base := file[strings.LastIndexByte(file, '/')+1:]
	return &manifest.Asset{Name: name, Type: "image", Account: "shop", File: file, Filename: base}
}

func recorded(file, sum string) *lockfile.Entry {
	base := file[strings.LastIndexByte(file, '/')+1:]
	return &lockfile.Entry{Type: "image", Account: "shop", MchID: "1900000001", File: file, Filename: base,
		Size: 10, SHA256: sum, ID: "id-" + base}
}

func find(p *planner.Plan, name string) *planner.Change {
	for _, c := range p.Changes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestBuildActionsAndReasons(t *testing.T) {
	st := lockfile.New()
	st.Assets["same"] = recorded("m/same.png", sumA)
	st.Assets["edited"] = recorded("m/edited.png", sumA)
	st.Assets["gone"] = recorded("m/gone.png", sumB)
	st.Assets["moved_old"] = recorded("m/moved.png", sumB)
	st.Assets["newname"] = recorded("m/newname.png", sumA)
	st.Assets["acct"] = recorded("m/acct.png", sumA)
	st.Assets["kind"] = recorded("m/kind.png", sumA)

	m := testManifest(asset("same", "m/same.png"), asset("edited", "m/edited.png"), asset("fresh", "m/fresh.png"),
		asset("moved_new", "m/moved.png"), asset("newname", "m/newname-2.png"), asset("acct", "m/acct.png"),
		asset("kind", "m/kind.png"))
	m.Assets[5].Account = "other"
	m.Assets[6].Type = "marketing_image"
	facts := map[string]planner.FileFacts{
		"same": {Size: 10, SHA256: sumA}, "edited": {Size: 10, SHA256: sumB}, "fresh": {Size: 10, SHA256: sumA},
		"moved_new": {Size: 10, SHA256: sumB}, "newname": {Size: 10, SHA256: sumA}, "acct": {Size: 10, SHA256: sumA},
		"kind": {Size: 10, SHA256: sumA},
	}
	p, err := planner.Build(m, facts, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		action planner.Action
		reason string
	}{
		{"same", planner.NoOp, "unchanged"},
		{"edited", planner.Replace, "content changed: sha256 9f86d0… → 1b4f0e…"},
		{"fresh", planner.Create, "not in the lockfile"},
		{"moved_new", planner.Rename, "renamed from moved_old (same content); the recorded ID moves, nothing is uploaded"},
		{"newname", planner.Replace, "filename changed: newname.png → newname-2.png"},
		{"acct", planner.Replace, "account changed: shop → other; mchid changed: 1900000001 → 1900000009"},
		{"kind", planner.Replace, "type changed: image → marketing_image"},
		{"gone", planner.Forget, "removed from the manifest; only the lockfile entry is dropped (WeChat Pay media cannot be deleted)"},
	}
	for _, w := range want {
		c := find(p, w.name)
		if c == nil {
			t.Errorf("no change for %s", w.name)
			continue
		}
		if c.Action != w.action || c.Reason != w.reason {
			t.Errorf("%s: got %v %q, want %v %q", w.name, c.Action, c.Reason, w.action, w.reason)
		}
	}
	if find(p, "moved_old") != nil {
		t.Error("the rename source should not appear as its own change")
	}
	got := p.Summary
	if got != (planner.Summary{Create: 1, Replace: 4, Rename: 1, Forget: 1, NoOp: 1}) {
		t.Errorf("summary = %+v", got)
	}
	for i := 1; i < len(p.Changes); i++ {
		if p.Changes[i-1].Name >= p.Changes[i].Name {
			t.Errorf("changes not sorted: %s before %s", p.Changes[i-1].Name, p.Changes[i].Name)
		}
	}
}

func TestBuildReplaceAndTarget(t *testing.T) {
	st := lockfile.New()
	st.Assets["a"] = recorded("m/a.png", sumA)
	st.Assets["photos/x.png"] = recorded("m/photos/x.png", sumA)
	m := testManifest(asset("a", "m/a.png"), asset("photos/x.png", "m/photos/x.png"), asset("photos/y.png", "m/photos/y.png"))
	facts := map[string]planner.FileFacts{"a": {SHA256: sumA}, "photos/x.png": {SHA256: sumA}, "photos/y.png": {SHA256: sumB}}

	p, err := planner.Build(m, facts, st, planner.Options{Replace: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(p, "a"); c.Action != planner.Replace || c.Reason != "replacement requested with -replace" {
		t.Errorf("-replace: got %v %q", c.Action, c.Reason)
	}
	// A glob asset's key targets all its files.
	p, _ = planner.Build(m, facts, st, planner.Options{Targets: []string{"photos"}})
	if len(p.Changes) != 2 || find(p, "a") != nil {
		t.Errorf("-target photos: got %d changes", len(p.Changes))
	}
	p, _ = planner.Build(m, facts, st, planner.Options{Targets: []string{"photos/y*"}})
	if len(p.Changes) != 1 || p.Summary.Create != 1 {
		t.Errorf("-target photos/y*: got %+v", p.Summary)
	}
	if _, err := planner.Build(m, facts, st, planner.Options{Targets: []string{"["}}); err == nil || !strings.Contains(err.Error(), "-target") {
		t.Errorf("bad pattern: err = %v", err)
	}
}

func TestBuildResumeReason(t *testing.T) {
	st := lockfile.New()
	st.Pending["list"] = &lockfile.Pending{Type: "image", SHA256: sumA, UploadID: "u", PartCount: 4, Acked: []int{1, 2}}
	p, _ := planner.Build(testManifest(asset("list", "m/l.png")), map[string]planner.FileFacts{"list": {SHA256: sumA}}, st, planner.Options{})
	if c := find(p, "list"); !strings.Contains(c.Reason, "2 of 4 parts acknowledged") {
		t.Errorf("reason = %q", c.Reason)
	}
}

func TestPlanJSONShape(t *testing.T) {
	st := lockfile.New()
	st.Serial = 7
	p, _ := planner.Build(testManifest(asset("a", "m/a.png")), map[string]planner.FileFacts{"a": {Size: 3, SHA256: sumA}}, st, planner.Options{})
	data, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != "1" {
		t.Errorf("format_version = %v", doc["format_version"])
	}
	lf := doc["lockfile"].(map[string]any)
	if lf["serial"] != float64(7) || lf["lineage"] != st.Lineage {
		t.Errorf("lockfile = %v", lf)
	}
	ch := doc["changes"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "type", "account", "action", "reason", "before", "after"} {
		if _, ok := ch[k]; !ok {
			t.Errorf("change lacks %q: %v", k, ch)
		}
	}
	if ch["action"] != "create" || ch["before"] != nil {
		t.Errorf("change = %v", ch)
	}
	sum := doc["summary"].(map[string]any)
	for _, k := range []string{"create", "replace", "rename", "forget", "no_op"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	var back planner.Plan
	if err := json.Unmarshal(data, &back); err != nil || back.Changes[0].Action != planner.Create {
		t.Errorf("round trip: %v %+v", err, back)
	}
}
