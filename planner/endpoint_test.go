package planner_test

import (
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planner"
)

// An ID is only good at the endpoint that issued it: a recorded endpoint
// that differs from the account's is a replace, an entry without one (an
// older lockfile) is taken to be from the current endpoint, and a rename
// never moves an ID across endpoints.
func TestBuildEndpoints(t *testing.T) {
	st := lockfile.New()
	st.Assets["sandboxed"] = recorded("m/s.png", sumA)
	st.Assets["sandboxed"].Endpoint = "sandbox"
	st.Assets["same"] = recorded("m/same.png", sumA)
	st.Assets["same"].Endpoint = "https://api.mch.weixin.qq.com"
	st.Assets["legacy"] = recorded("m/legacy.png", sumA)
	st.Assets["old_name"] = recorded("m/moved.png", sumB)
	st.Assets["old_name"].Endpoint = "sandbox"

	m := testManifest(asset("sandboxed", "m/s.png"), asset("same", "m/same.png"), asset("legacy", "m/legacy.png"),
		asset("new_name", "m/moved.png"))
	facts := map[string]planner.FileFacts{"sandboxed": {SHA256: sumA}, "same": {SHA256: sumA}, "legacy": {SHA256: sumA}, "new_name": {SHA256: sumB}}
	p, err := planner.Build(m, facts, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		action planner.Action
		reason string
	}{
		{"sandboxed", planner.Replace, "endpoint changed: sandbox → api.mch.weixin.qq.com"},
		{"same", planner.NoOp, "unchanged"},
		{"legacy", planner.NoOp, "unchanged"},
		{"new_name", planner.Create, "not in the lockfile"},
		{"old_name", planner.Forget, "removed from the manifest"},
	} {
		c := find(p, tc.name)
		if c == nil {
			t.Errorf("no change for %s", tc.name)
			continue
		}
		if c.Action != tc.action || !strings.HasPrefix(c.Reason, tc.reason) {
			t.Errorf("%s: %s %q, want %s %q", tc.name, c.Action, c.Reason, tc.action, tc.reason)
		}
		if c.After != nil && c.After.Endpoint != "https://api.mch.weixin.qq.com" {
			t.Errorf("%s: after.endpoint = %q, want the v3 default", tc.name, c.After.Endpoint)
		}
	}
	if got := p.UnrecordedEndpoints(); strings.Join(got, ",") != "legacy" {
		t.Errorf("UnrecordedEndpoints() = %v, want [legacy]", got)
	}
}
