package manifest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSortByNameAgreesWithStringsCompare: sortByName (which radix-sorts
// by the 8 bytes after the names' common prefix first) puts
// names in the order strings.Compare does: names that share long
// prefixes, end within or beyond the key's 8 bytes, hold zero bytes or
// non-ASCII, and repeated names.
func TestSortByNameAgreesWithStringsCompare(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "\x00", "\xff", "é", "/", ".", "0", "9"}
	sets := [][]string{
		{"pics/b.png", "pics/a.png", "pics/a", "pics/a\x00", "pics/a\x00\x00", "pics/", "pics/abcdefgh", "pics/abcdefghi", "pics/abcdefgg"},
		{"x", "x"},
		{"b", "a"},
	}
	for range 50 {
		var set []string
		prefix := strings.Repeat("p", r.IntN(10))
		for range r.IntN(200) + 2 {
			var b strings.Builder
			b.WriteString(prefix)
			for range r.IntN(12) {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			set = append(set, b.String())
		}
		sets = append(sets, set)
	}
	// 10,000 glob matches' names, in path order.
	var glob []string
	for d := range 100 {
		for f := range 100 {
			glob = append(glob, fmt.Sprintf("pics/%05d.png", f*100+d))
		}
	}
	sets = append(sets, glob)
	for _, set := range sets {
		assets := make([]*Asset, len(set))
		for i, n := range set {
			assets[i] = &Asset{Name: n}
		}
		sortByName(assets)
		want := slices.Clone(set)
		slices.SortFunc(want, strings.Compare)
		for i, a := range assets {
			if a.Name != want[i] {
				t.Fatalf("sortByName(%q)[%d] = %q, want %q", set, i, a.Name, want[i])
			}
		}
	}
}

// BenchmarkSortByName: sorting 10,000 glob matches' assets (in path
// order) by name, against slices.SortFunc by strings.Compare.
func BenchmarkSortByName(b *testing.B) {
	var names []string
	for d := range 100 {
		for f := range 100 {
			names = append(names, fmt.Sprintf("pics/%05d.png", f*100+d))
		}
	}
	base := make([]*Asset, len(names))
	for i, n := range names {
		base[i] = &Asset{Name: n}
	}
	assets := make([]*Asset, len(names))
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			copy(assets, base)
			sortByName(assets)
		}
	})
	b.Run("strings", func(b *testing.B) {
		for b.Loop() {
			copy(assets, base)
			slices.SortFunc(assets, func(a, b *Asset) int { return strings.Compare(a.Name, b.Name) })
		}
	})
}
