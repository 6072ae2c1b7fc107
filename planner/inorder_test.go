package planner_test

import (
	"encoding/json"
	"fmt"
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

// TestBuildSplitIsBuild: a plan whose changes are made by several
// goroutines, each over a range of the assets, is the plan one pass makes:
// same changes in the same order, the same renames and forgets found, and
// a missing fact reported for the first asset that lacks one.
func TestBuildSplitIsBuild(t *testing.T) {
	st := lockfile.New()
	m := testManifest()
	facts := map[string]planner.FileFacts{}
	for i := range 40 {
		name := fmt.Sprintf("a%02d", i)
		file := fmt.Sprintf("m/%s.png", name)
		a := asset(name, file)
		if i%3 == 0 {
			a.Account = "other"
		}
		m.Assets = append(m.Assets, a)
		facts[name] = planner.FileFacts{Size: 10, SHA256: sumA}
		switch i % 4 {
		case 0:
			st.Assets[name] = recorded(file, sumA) // unchanged, or another account
		case 1:
			st.Assets[name] = recorded(file, sumB) // replaced
		case 2:
			st.Assets["old-"+name] = recorded(file, sumA) // renamed
		}
	}
	st.Assets["gone"] = recorded("m/gone.png", sumB)
	plan := func() string {
		t.Helper()
		p, err := planner.Build(m, facts, st, planner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(p)
		return string(j)
	}
	one := plan()
	restore := planner.SetParallelBuildMin(8)
	defer restore()
	if split := plan(); split != one {
		t.Fatalf("split:\n%s\none pass:\n%s", split, one)
	}
	for _, name := range []string{"a07", "a33"} {
		f := facts[name]
		delete(facts, name)
		delete(facts, "a35")
		if _, err := planner.Build(m, facts, st, planner.Options{}); err == nil || !strings.Contains(err.Error(), "no file facts for asset "+name) {
			t.Errorf("without the facts of %s and a35: err = %v", name, err)
		}
		facts[name], facts["a35"] = f, planner.FileFacts{Size: 10, SHA256: sumA}
	}
}
