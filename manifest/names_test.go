package manifest

import (
	"hash/maphash"
	"maps"
	"sort"
	"strings"
	"testing"
)

// TestEnvCollisionsAgreeWithEnvName: EnvCollisions (which builds the
// variable names its own, cheaper way for ASCII names) finds exactly the
// names whose EnvName an earlier name (in sorted order) already has,
// also for names that strings.ToUpper lengthens or shortens, and for
// unsorted input.
func TestEnvCollisionsAgreeWithEnvName(t *testing.T) {
	names := []string{"pics/b.png", "pics/a.png", "pics/A.png", "pics/a-png", "pics/a_png",
		"ı", "I", "i", "ß", "SS", "s/ß", "s/SS", "s/ſ", "s/S", "x/é", "x/É", "x/e_", "9", "_9", "-9", "Ǆ", "ǅ", "ǆ", "a\u00ad", "a_"}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	want := map[string]string{}
	first := map[string]string{}
	for _, n := range sorted {
		v := EnvName(n)
		if f, ok := first[v]; ok {
			want[n] = f
			continue
		}
		first[v] = n
	}
	if len(want) < 5 {
		t.Fatalf("only %d collisions in the sample: %v", len(want), want)
	}
	for _, in := range [][]string{names, sorted} {
		if got := EnvCollisions(in); !maps.Equal(got, want) {
			t.Errorf("EnvCollisions = %v, want %v", got, want)
		}
	}
	// Names are looked up by a hash of their variable name: when every
	// hash meets, the variable names still decide.
	defer func(h func(maphash.Seed, []byte) uint64) { envKeyHash = h }(envKeyHash)
	envKeyHash = func(maphash.Seed, []byte) uint64 { return 7 }
	if got := EnvCollisions(names); !maps.Equal(got, want) {
		t.Errorf("EnvCollisions with every hash equal = %v, want %v", got, want)
	}
	if got := EnvCollisions([]string{"a", "b"}); got != nil {
		t.Errorf("EnvCollisions without collisions = %v, want nil", got)
	}
}

// TestGlobMatchSniffNamesTheMatch: a glob match whose content does not
// fit its extension is reported under the match's asset name, as the
// planner reports it.
func TestGlobMatchSniffNamesTheMatch(t *testing.T) {
	_, err, _ := load(t, header+"  pics:\n    type: image\n    account: shop\n    glob: media/g/*.png\n",
		map[string]string{"media/g/a.png": pngData, "media/g/b.png": "%PDF-1.7 not a png"})
	fes := fieldErrors(t, err)
	if len(fes) != 1 || fes[0].Path != "assets.pics/b.png" || !strings.Contains(fes[0].Msg, "media/g/b.png has extension .png but its content looks like") {
		t.Fatalf("errors = %v; want one, at assets.pics/b.png, about its content", err)
	}
}
