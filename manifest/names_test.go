package manifest

import (
	"maps"
	"sort"
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
	if got := EnvCollisions([]string{"a", "b"}); got != nil {
		t.Errorf("EnvCollisions without collisions = %v, want nil", got)
	}
}
