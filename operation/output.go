package operation

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
)

// `wxmedia output`: the recorded IDs.

// Recorded returns the entry of the asset name in st.
func (w *Workspace) Recorded(st *lockfile.State, name string) (*lockfile.Entry, error) {
	e, ok := st.Assets[name]
	if !ok {
		return nil, fmt.Errorf("no asset %q in %s; run `wxmedia output` to list them, or `wxmedia apply` if it was added recently", name, w.StateName())
	}
	return e, nil
}

// Attribute returns the attribute key of the entry e of the asset name.
func (w *Workspace) Attribute(name string, e *lockfile.Entry, key string) (string, error) {
	v, ok := e.Attributes[key]
	if ok {
		return v, nil
	}
	keys := make([]string, 0, len(e.Attributes))
	for k := range e.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	has := "it has none"
	if len(keys) > 0 {
		has = "it has: " + strings.Join(keys, ", ")
	}
	return "", fmt.Errorf("asset %s in %s has no attribute %q; %s", name, w.StateName(), key, has)
}

// CheckEnvNames refuses to print st as environment variables when two of
// its names become one variable. The manifest refuses such names, but the
// lockfile may hold older entries: never let one ID silently overwrite
// another.
func (w *Workspace) CheckEnvNames(st *lockfile.State) error {
	coll := manifest.EnvCollisions(st.Names())
	if len(coll) == 0 {
		return nil
	}
	var lines []string
	for _, n := range st.Names() {
		if f, ok := coll[n]; ok {
			lines = append(lines, fmt.Sprintf("%s and %s both become %s", safetext.Escape(f), safetext.Escape(n), manifest.EnvName(n)))
		}
	}
	return fmt.Errorf("%s: cannot print -format env: %s; rename one asset of each pair in the manifest and apply, or `wxmedia forget` the one no longer used", w.LockPath, strings.Join(lines, "; "))
}
