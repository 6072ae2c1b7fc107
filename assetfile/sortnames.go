package assetfile

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// nameRef is a name within a byte slice of names: names[start:end]. key
// is filled by sortNames.
type nameRef struct {
	key        uint64
	start, end uint32
	typ        uint32 // the caller's, carried along
}

// sortNames sorts refs by their names in names (bytes.Compare order), as
// slices.SortFunc with bytes.Compare would, in an eighth of its time for a
// directory of 10,000 files (0.16 against 1.3 ms: a glob sorts each
// directory it lists, on the warm plan's path; BenchmarkSortNames). It is a least-significant-digit radix sort on
// the 8 bytes that follow the prefix all the names share (zero-padded:
// names hold no NUL, so a shorter name still sorts first), skipping the
// bytes in which all keys agree; names whose 8 bytes tie are then ordered
// by comparison. tmp is scratch of any length; the grown one is returned.
func sortNames(names []byte, refs, tmp []nameRef) []nameRef {
	if len(refs) < 64 {
		slices.SortFunc(refs, func(a, b nameRef) int { return compareRefs(names, a, b) })
		return tmp
	}
	common := -1
	var first []byte
	for _, r := range refs {
		nm := names[r.start:r.end]
		if common < 0 {
			first, common = nm, len(nm)
			continue
		}
		n := min(common, len(nm))
		i := 0
		for i < n && nm[i] == first[i] {
			i++
		}
		common = i
	}
	var or, and uint64 = 0, ^uint64(0)
	for i := range refs {
		var k [8]byte
		copy(k[:], names[refs[i].start+uint32(common):refs[i].end])
		refs[i].key = binary.BigEndian.Uint64(k[:])
		or, and = or|refs[i].key, and&refs[i].key
	}
	if cap(tmp) < len(refs) {
		tmp = make([]nameRef, len(refs))
	}
	src, dst := refs, tmp[:len(refs)]
	for shift := uint(0); shift < 64; shift += 8 {
		if (or^and)>>shift&0xff == 0 {
			continue // every key has the same byte here
		}
		var count [256]int
		for _, r := range src {
			count[r.key>>shift&0xff]++
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for _, r := range src {
			b := r.key >> shift & 0xff
			dst[count[b]] = r
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &refs[0] {
		copy(refs, src)
	}
	// Runs of equal keys: the names agree on those 8 bytes, not beyond.
	for i := 0; i < len(refs); {
		j := i + 1
		for j < len(refs) && refs[j].key == refs[i].key {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(refs[i:j], func(a, b nameRef) int { return compareRefs(names, a, b) })
		}
		i = j
	}
	return tmp
}

func compareRefs(names []byte, a, b nameRef) int {
	return bytes.Compare(names[a.start:a.end], names[b.start:b.end])
}
