package manifest

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/wxmedia/wxmedia/internal/safetext"
)

// EnvName is the environment variable `wxmedia output -format env` sets to
// an asset's ID: WXMEDIA_ and the name in upper case, with every byte other
// than a letter or digit turned into '_' (shop_photos/beijing.png →
// WXMEDIA_SHOP_PHOTOS_BEIJING_PNG). Different names can map to one
// variable; checkNames refuses manifests where they do.
func EnvName(asset string) string {
	b := []byte(envPrefix + strings.ToUpper(asset))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// EnvCollisions returns, for each name of names (sorted) whose EnvName an
// earlier one already has, that earlier name, so that both can be named.
func EnvCollisions(names []string) map[string]string {
	sorted := names
	if !sort.StringsAreSorted(names) {
		sorted = append([]string(nil), names...)
		sort.Strings(sorted)
	}
	// Names are looked up by a hash of their variable name (less its
	// common prefix), not by the name itself: one map entry of 12 bytes
	// per name and no string; only names whose hashes meet have their
	// variable names compared. A manifest's names are checked on every
	// plan.
	seed := maphash.MakeSeed()
	first := make(map[uint64]int32, len(sorted)) // the first name with each hash
	var more map[uint64][]int32                  // first names whose hash an earlier one has
	var out map[string]string
	var a, b []byte
	for i, s := range sorted {
		a = appendEnvSuffix(a[:0], s)
		sum := envKeyHash(seed, a)
		j, met := first[sum]
		if !met {
			first[sum] = int32(i)
			continue
		}
		earlier := ""
		for _, j := range append([]int32{j}, more[sum]...) {
			if b = appendEnvSuffix(b[:0], sorted[j]); bytes.Equal(a, b) {
				earlier = sorted[j]
				break
			}
		}
		if earlier == "" {
			if more == nil {
				more = map[uint64][]int32{}
			}
			more[sum] = append(more[sum], int32(i))
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[s] = earlier
	}
	return out
}

// envKeyHash hashes a variable name for EnvCollisions; tests make every
// name's hash meet.
var envKeyHash = maphash.Bytes

// appendEnvSuffix appends EnvName(asset) without its "WXMEDIA_" prefix.
func appendEnvSuffix(b []byte, asset string) []byte {
	for i := 0; i < len(asset); i++ {
		if asset[i] >= utf8.RuneSelf {
			// strings.ToUpper may change a non-ASCII name's length.
			return append(b, EnvName(asset)[len(envPrefix):]...)
		}
	}
	for i := 0; i < len(asset); i++ {
		c := asset[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}

const envPrefix = "WXMEDIA_"

// checkNames refuses asset names that would be unsafe or ambiguous
// downstream: a name (from a glob match's file name) with a control
// character, which a terminal would act on, and names whose environment
// variables collide, where one ID would silently overwrite the other in
// `output -format env`.
func (p *parser) checkNames(assets []*Asset) {
	names := make([]string, 0, len(assets))
	for _, a := range assets {
		if !utf8.ValidString(a.Name) {
			continue // its file name is reported as invalid UTF-8
		}
		if c, bad := safetext.Find(a.Name); bad {
			p.add(&FieldError{File: p.name, Line: a.Pos.Line, Col: a.Pos.Col, Path: "assets." + assetKey(a.Name),
				Msg: fmt.Sprintf("the file %s makes the asset name %s, which contains the control character %s; rename the file (asset names are shown in plans and terminals, and written to the lockfile)",
					safetext.Escape(a.File), safetext.Escape(a.Name), c)})
			continue
		}
		names = append(names, a.Name)
	}
	coll := EnvCollisions(names)
	if len(coll) == 0 {
		return
	}
	byName := make(map[string]*Asset, len(assets))
	for _, a := range assets {
		byName[a.Name] = a
	}
	later := make([]string, 0, len(coll))
	for n := range coll {
		later = append(later, n)
	}
	sort.Strings(later)
	for _, n := range later {
		a, b := byName[coll[n]], byName[n]
		p.add(&FieldError{File: p.name, Line: b.Pos.Line, Col: b.Pos.Col, Path: "assets." + assetKey(b.Name),
			Msg: fmt.Sprintf("assets %s (line %d) and %s both become the environment variable %s in `wxmedia output -format env`, so one ID would overwrite the other; rename one of them",
				a.Name, a.Pos.Line, b.Name, EnvName(b.Name))})
	}
}

// assetKey is the manifest key an asset comes from: its name, or the glob
// entry's key for a glob match.
func assetKey(name string) string {
	k, _, _ := strings.Cut(name, "/")
	return k
}
