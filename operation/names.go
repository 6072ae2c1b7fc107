package operation

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
)

// AssetNames lists, for shell completion, the asset names the manifest
// declares (with each glob's key) unless from is "lockfile", and those
// the lockfile records unless from is "manifest". dir is -chdir. It reads
// what it can and never fails: a broken manifest or lockfile offers fewer
// names.
func AssetNames(dir, manifestPath, lockfilePath, from string) []string {
	mp := manifestPath
	if dir != "" && !filepath.IsAbs(mp) {
		mp = filepath.Join(dir, mp)
	}
	seen := map[string]bool{}
	if from != "lockfile" {
		if m, _ := manifest.LoadWith(mp, manifest.Options{KeepPartial: true}); m != nil {
			for _, a := range m.Assets {
				seen[a.Name] = true
				if i := strings.IndexByte(a.Name, '/'); i > 0 {
					seen[a.Name[:i]] = true // the glob's key selects all its files
				}
			}
		}
	}
	if from != "manifest" {
		lp := lockfilePath
		if lp == "" {
			lp = filepath.Join(filepath.Dir(manifestPath), "wxmedia.lock.json")
		}
		if dir != "" && !filepath.IsAbs(lp) {
			lp = filepath.Join(dir, lp)
		}
		if st, err := lockfile.Load(lp); err == nil {
			for _, n := range st.Names() {
				seen[n] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
