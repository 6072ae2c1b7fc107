package planner

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
)

// FormatVersion is the version of the plan JSON document.
const FormatVersion = "1"

// Action is what apply does for one asset.
type Action int

// The actions, in the order a summary lists them.
const (
	NoOp Action = iota
	Create
	Replace
	Rename
	Forget
)

var actionNames = [...]string{NoOp: "no-op", Create: "create", Replace: "replace", Rename: "rename", Forget: "forget"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Uploads reports whether the action sends the file to WeChat Pay.
func (a Action) Uploads() bool { return a == Create || a == Replace }

// MarshalText encodes the action as its name.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes an action name.
func (a *Action) UnmarshalText(b []byte) error {
	for i, n := range actionNames {
		if n == string(b) {
			*a = Action(i)
			return nil
		}
	}
	return fmt.Errorf("unknown action %q", b)
}

// After is the planned state of an asset's file.
type After struct {
	File     string `json:"file"`
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	MchID    string `json:"mchid"`
}

// Change is the plan for one asset.
type Change struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Account string `json:"account"`
	Action  Action `json:"action"`
	Reason  string `json:"reason"`
	// From is the old name of a renamed asset.
	From   string          `json:"from,omitempty"`
	Before *lockfile.Entry `json:"before"`
	After  *After          `json:"after"`
}

// LockRef identifies the lockfile a plan was made against.
type LockRef struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

// Summary counts the changes by action.
type Summary struct {
	Create  int `json:"create"`
	Replace int `json:"replace"`
	Rename  int `json:"rename"`
	Forget  int `json:"forget"`
	NoOp    int `json:"no_op"`
}

// Plan is the outcome of planning: one Change per asset, sorted by name.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// Environment is the manifest environment planned for ("" for none).
	Environment string    `json:"environment,omitempty"`
	Lockfile    LockRef   `json:"lockfile"`
	Changes     []*Change `json:"changes"`
	Summary     Summary   `json:"summary"`
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool {
	s := p.Summary
	return s.Create+s.Replace+s.Rename+s.Forget > 0
}

// Options tunes Build.
type Options struct {
	// Targets, when non-empty, limits the plan to assets whose names match
	// one of these path.Match patterns (a glob asset's key also matches all
	// its files).
	Targets []string
	// Replace forces a re-upload of the named assets (patterns allowed).
	Replace []string
}

// Build diffs the manifest's assets (with facts from Scan) against the
// lockfile state.
func Build(m *manifest.Manifest, facts map[string]FileFacts, st *lockfile.State, opts Options) (*Plan, error) {
	if err := checkPatterns(opts.Targets, "-target"); err != nil {
		return nil, err
	}
	if err := checkPatterns(opts.Replace, "-replace"); err != nil {
		return nil, err
	}
	p := &Plan{FormatVersion: FormatVersion, Lockfile: LockRef{Lineage: st.Lineage, Serial: st.Serial}}
	recorded := 0 // manifest assets found in the lockfile
	for _, a := range m.Assets {
		f, ok := facts[a.Name]
		if !ok {
			return nil, fmt.Errorf("planner: no file facts for asset %s", a.Name)
		}
		acct := m.Accounts[a.Account]
		mchid := ""
		if acct != nil {
			mchid = acct.MchID
		}
		c := &Change{Name: a.Name, Type: a.Type, Account: a.Account,
			After: &After{File: a.File, Filename: a.Filename, Size: f.Size, SHA256: f.SHA256, MchID: mchid}}
		if e, ok := st.Assets[a.Name]; ok {
			recorded++
			c.Before = e
			reasons := diff(e, c)
			if matchAny(opts.Replace, a.Name) {
				reasons = append([]string{"replacement requested with -replace"}, reasons...)
			}
			if len(reasons) > 0 {
				c.Action, c.Reason = Replace, strings.Join(reasons, "; ")
			} else {
				c.Action, c.Reason = NoOp, "unchanged"
			}
		} else {
			c.Action, c.Reason = Create, "not in the lockfile"
			if pd, ok := st.Pending[a.Name]; ok && pd.SHA256 == f.SHA256 {
				c.Reason = fmt.Sprintf("not in the lockfile; resumes the upload session left by an interrupted apply (%d of %d parts acknowledged)", len(pd.Acked), pd.PartCount)
			}
		}
		p.Changes = append(p.Changes, c)
	}
	for _, name := range removed(m, st, recorded) {
		e := st.Assets[name]
		p.Changes = append(p.Changes, &Change{Name: name, Type: e.Type, Account: e.Account, Action: Forget,
			Reason: "removed from the manifest; only the lockfile entry is dropped (WeChat Pay media cannot be deleted)",
			Before: e})
	}
	detectRenames(p.Changes)
	p.Changes = filterTargets(p.Changes, opts.Targets)
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Name < p.Changes[j].Name })
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			p.Summary.Create++
		case Replace:
			p.Summary.Replace++
		case Rename:
			p.Summary.Rename++
		case Forget:
			p.Summary.Forget++
		default:
			p.Summary.NoOp++
		}
	}
	return p, nil
}

// removed returns, sorted, the lockfile's assets that the manifest no
// longer declares, given that recorded of the manifest's assets are in the
// lockfile: when that is all of the lockfile's, there is nothing to look
// for (the common case, on a large tree).
func removed(m *manifest.Manifest, st *lockfile.State, recorded int) []string {
	if recorded == len(st.Assets) {
		return nil
	}
	inManifest := make(map[string]bool, len(m.Assets))
	for _, a := range m.Assets {
		inManifest[a.Name] = true
	}
	var out []string
	for name := range st.Assets {
		if !inManifest[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func diff(e *lockfile.Entry, c *Change) []string {
	var r []string
	if e.SHA256 != c.After.SHA256 {
		r = append(r, fmt.Sprintf("content changed: sha256 %s… → %s…", short(e.SHA256), short(c.After.SHA256)))
	}
	if e.Filename != c.After.Filename {
		r = append(r, fmt.Sprintf("filename changed: %s → %s", e.Filename, c.After.Filename))
	}
	if e.Type != c.Type {
		r = append(r, fmt.Sprintf("type changed: %s → %s", e.Type, c.Type))
	}
	if e.Account != c.Account {
		r = append(r, fmt.Sprintf("account changed: %s → %s", e.Account, c.Account))
	}
	if e.MchID != c.After.MchID {
		r = append(r, fmt.Sprintf("mchid changed: %s → %s", e.MchID, c.After.MchID))
	}
	return r
}

func short(sum string) string {
	if len(sum) > 6 {
		return sum[:6]
	}
	return sum
}

// detectRenames turns a forget plus a create of identical content (sha256,
// filename, type, account, mchid) into one rename that moves the ID.
func detectRenames(changes []*Change) {
	sort.Slice(changes, func(i, j int) bool { return changes[i].Name < changes[j].Name })
	type key struct{ sha, filename, typ, account, mchid string }
	forgets := map[key][]*Change{}
	for _, c := range changes {
		if c.Action == Forget {
			e := c.Before
			k := key{e.SHA256, e.Filename, e.Type, e.Account, e.MchID}
			forgets[k] = append(forgets[k], c)
		}
	}
	for _, c := range changes {
		if c.Action != Create {
			continue
		}
		k := key{c.After.SHA256, c.After.Filename, c.Type, c.Account, c.After.MchID}
		fs := forgets[k]
		if len(fs) == 0 {
			continue
		}
		old := fs[0]
		forgets[k] = fs[1:]
		c.Action, c.From, c.Before = Rename, old.Name, old.Before
		c.Reason = fmt.Sprintf("renamed from %s (same content); the recorded ID moves, nothing is uploaded", old.Name)
		old.Name = "" // absorbed by the rename; dropped by filterTargets
	}
}

func filterTargets(changes []*Change, targets []string) []*Change {
	out := changes[:0]
	for _, c := range changes {
		if c.Name == "" {
			continue
		}
		if len(targets) == 0 || matchAny(targets, c.Name) || (c.From != "" && matchAny(targets, c.From)) {
			out = append(out, c)
		}
	}
	return out
}

func checkPatterns(pats []string, flag string) error {
	for _, p := range pats {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("%s %q is not a valid pattern: %v; give an asset name or a path.Match glob (*, ?, [a-z], \\ to escape)", flag, p, err)
		}
	}
	return nil
}

// matchAny reports whether name matches one of pats. A pattern also matches
// every file of a glob asset ("photos" matches "photos/a.png").
func matchAny(pats []string, name string) bool {
	for _, p := range pats {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
		if i := strings.IndexByte(name, '/'); i >= 0 {
			if ok, _ := path.Match(p, name[:i]); ok {
				return true
			}
		}
	}
	return false
}

// Marshal encodes the plan as the JSON document of CONTRACT.md.
func (p *Plan) Marshal() ([]byte, error) {
	return json.MarshalIndent(p, "", "  ")
}

// Unmatched returns the patterns (of -target or -replace) that match none
// of names, so a mistyped target is reported instead of silently planning
// nothing.
func Unmatched(pats []string, names []string) []string {
	var out []string
	for _, p := range pats {
		found := false
		for _, n := range names {
			if matchAny([]string{p}, n) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, p)
		}
	}
	return out
}
