package planner_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planner"
)

// TestBuildInOrderIsBuild: BuildInOrder (facts by position, as the plan
// command's scan gives them) makes the plan Build makes from the same
// facts by name, with assets of two accounts interleaved (Build reuses an
// account's lookup along a run of its assets), and refuses facts that are
// missing or do not match the assets one for one.
func TestBuildInOrderIsBuild(t *testing.T) {
	st := lockfile.New()
	st.Assets["a"] = recorded("m/a.png", sumA)
	st.Assets["b"] = recorded("m/b.png", sumA)
	st.Assets["c"] = recorded("m/c.png", sumA)
	st.Assets["gone"] = recorded("m/gone.png", sumB)
	m := testManifest(asset("a", "m/a.png"), asset("b", "m/b.png"), asset("c", "m/c.png"), asset("d", "m/d.png"), asset("e", "m/e.png"))
	m.Assets[1].Account = "other"
	m.Assets[3].Account = "other"
	m.Assets[4].Account = "nobody"
	inOrder := []planner.FileFacts{{Size: 10, SHA256: sumA}, {Size: 10, SHA256: sumA}, {Size: 11, SHA256: sumB}, {Size: 10, SHA256: sumB}, {Size: 10, SHA256: sumA}}
	byName := map[string]planner.FileFacts{}
	for i, a := range m.Assets {
		byName[a.Name] = inOrder[i]
	}
	want, err := planner.Build(m, byName, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := planner.BuildInOrder(m, inOrder, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if string(gj) != string(wj) {
		t.Fatalf("BuildInOrder:\n%s\nBuild:\n%s", gj, wj)
	}
	if !strings.Contains(string(gj), `"mchid":"1900000009"`) {
		t.Fatalf("the other account's assets lost its mchid: %s", gj)
	}

	inOrder[2] = planner.FileFacts{}
	if _, err := planner.BuildInOrder(m, inOrder, st, planner.Options{}); err == nil || !strings.Contains(err.Error(), "no file facts for asset c") {
		t.Errorf("a missing fact: err = %v", err)
	}
	if _, err := planner.BuildInOrder(m, inOrder[:4], st, planner.Options{}); err == nil || !strings.Contains(err.Error(), "4 file facts for 5 assets") {
		t.Errorf("too few facts: err = %v", err)
	}
}
