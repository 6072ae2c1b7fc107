package assetfile

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// TestSortNames: the radix sort orders names exactly as bytes.Compare does:
// shared prefixes, names that are prefixes of others, ties in the first
// 8 bytes after the prefix, bytes above 0x7f, few and many names.
func TestSortNames(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	gens := map[string]func(i int) string{
		"numbered":      func(i int) string { return fmt.Sprintf("%05d.png", i) },
		"shared prefix": func(i int) string { return fmt.Sprintf("IMG_2024_%04d.png", i) },
		"ties past 8":   func(i int) string { return fmt.Sprintf("abcdefghij%d", i%37) + fmt.Sprint(i) },
		"prefixes":      func(i int) string { return "x" + string(bytes.Repeat([]byte{'a' + byte(i%3)}, i%20)) },
		"random bytes": func(i int) string {
			b := make([]byte, 1+rng.Intn(12))
			for k := range b {
				b[k] = byte(1 + rng.Intn(255))
			}
			return string(b)
		},
		"one name repeated": func(int) string { return "same.png" },
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 5, 63, 64, 1000, 5000} {
			var names []byte
			var refs []nameRef
			for _, i := range rng.Perm(n) {
				nm := gen(i)
				refs = append(refs, nameRef{start: uint32(len(names)), end: uint32(len(names) + len(nm)), typ: uint32(i)})
				names = append(names, nm...)
			}
			want := slices.Clone(refs)
			slices.SortStableFunc(want, func(a, b nameRef) int { return compareRefs(names, a, b) })
			sortNames(names, refs, nil)
			for i := range refs {
				if !bytes.Equal(names[refs[i].start:refs[i].end], names[want[i].start:want[i].end]) {
					t.Fatalf("%s, %d names: position %d holds %q, want %q", name, n, i, names[refs[i].start:refs[i].end], names[want[i].start:want[i].end])
				}
			}
		}
	}
}

// BenchmarkSortNames: a directory of 10,000 names in the order the file
// system returns them (hashed), sorted by sortNames and, in the same run,
// by slices.SortFunc with bytes.Compare.
func BenchmarkSortNames(b *testing.B) {
	var names []byte
	var refs []nameRef
	for _, i := range rand.New(rand.NewSource(1)).Perm(10000) {
		nm := fmt.Sprintf("%05d.png", i)
		refs = append(refs, nameRef{start: uint32(len(names)), end: uint32(len(names) + len(nm))})
		names = append(names, nm...)
	}
	work := make([]nameRef, len(refs))
	var tmp []nameRef
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			copy(work, refs)
			tmp = sortNames(names, work, tmp)
		}
	})
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			copy(work, refs)
			slices.SortFunc(work, func(a, b nameRef) int { return compareRefs(names, a, b) })
		}
	})
}
