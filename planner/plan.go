package planner

import (
	"encoding/json"
	"errors"
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
	// Expand adds a recorded user_package upload to the audience package
	// named by expand_into, uploading nothing: the upload was never
	// expanded (apply stopped after the merge), or expand_into changed.
	Expand
)

var actionNames = [...]string{NoOp: "no-op", Create: "create", Replace: "replace", Rename: "rename", Forget: "forget", Expand: "expand"}

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
	// Endpoint is the origin the account uploads to (manifest.Account.Origin),
	// recorded with the ID.
	Endpoint string `json:"endpoint"`
	// DataType, Description and ExpandInto are a user_package asset's.
	DataType    string `json:"data_type,omitempty"`
	Description string `json:"description,omitempty"`
	ExpandInto  string `json:"expand_into,omitempty"`
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
	Expand  int `json:"expand,omitempty"`
}

// Plan is the outcome of planning: one Change per asset, sorted by name.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// Environment is the manifest environment planned for ("" for none).
	Environment string    `json:"environment,omitempty"`
	Lockfile    LockRef   `json:"lockfile"`
	Changes     []*Change `json:"changes"`
	Summary     Summary   `json:"summary"`
	// summarized: a plan without changes known by its Summary alone (see
	// NoChanges), which has no Changes to save or print as JSON.
	summarized bool
}

// NoChanges returns the plan, for environment env, of n assets all up to
// date, by its summary alone: what a plan whose inputs are those of an
// earlier plan without changes shows (operation.Workspace.NoOpPlan). It
// holds no Changes, so it can only be shown by a view that prints a plan
// without changes as its summary; Marshal refuses it.
func NoChanges(env string, n int) *Plan {
	return &Plan{FormatVersion: FormatVersion, Environment: env, Summary: Summary{NoOp: n}, summarized: true}
}

// Summarized reports a plan made by NoChanges.
func (p *Plan) Summarized() bool { return p.summarized }

// ErrSummarized refuses to encode or save a plan made by NoChanges: it
// has no changes to write (a caller that asks for the shortcut must not
// then save or print the plan as JSON).
var ErrSummarized = errors.New("a plan known by its summary alone has no changes to encode")

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool {
	s := p.Summary
	return s.Create+s.Replace+s.Rename+s.Forget+s.Expand > 0
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
	return build(m, func(_ int, a *manifest.Asset) (FileFacts, bool) {
		f, ok := facts[a.Name]
		return f, ok
	}, st, opts)
}

// BuildInOrder is Build with the facts of m.Assets[i] at facts[i] (as
// scan.Options.InOrder gives them), the zero FileFacts for an asset with
// none: no map by name to build and look every asset up in.
func BuildInOrder(m *manifest.Manifest, facts []FileFacts, st *lockfile.State, opts Options) (*Plan, error) {
	if len(facts) != len(m.Assets) {
		return nil, fmt.Errorf("planner: %d file facts for %d assets", len(facts), len(m.Assets))
	}
	return build(m, func(i int, _ *manifest.Asset) (FileFacts, bool) {
		return facts[i], facts[i].SHA256 != ""
	}, st, opts)
}

// build is Build with the facts of m.Assets[i] from factsOf.
func build(m *manifest.Manifest, factsOf func(int, *manifest.Asset) (FileFacts, bool), st *lockfile.State, opts Options) (*Plan, error) {
	if err := checkPatterns(opts.Targets, "-target"); err != nil {
		return nil, err
	}
	if err := checkPatterns(opts.Replace, "-replace"); err != nil {
		return nil, err
	}
	p := &Plan{FormatVersion: FormatVersion, Lockfile: LockRef{Lineage: st.Lineage, Serial: st.Serial}}
	recorded := 0 // manifest assets found in the lockfile
	// Every asset's Change and After come from one allocation: on a large
	// tree that is most of the plan's memory, and one object instead of
	// two per asset saves the collector work and the allocator's rounding.
	slab := make([]changeAndAfter, len(m.Assets))
	p.Changes = make([]*Change, 0, len(m.Assets))
	origins := map[*manifest.Account]string{}
	// Assets come sorted by name, so mostly in runs of one account (a
	// glob's matches): its lookup is reused along the run.
	var acctName string
	var acct *manifest.Account
	for i, a := range m.Assets {
		f, ok := factsOf(i, a)
		if !ok {
			return nil, fmt.Errorf("planner: no file facts for asset %s", a.Name)
		}
		if acct == nil || a.Account != acctName {
			acctName, acct = a.Account, m.Accounts[a.Account]
		}
		mchid, origin := "", ""
		if acct != nil {
			mchid = acct.MchID
			// Origin parses the endpoint's URL: once per account, not
			// once per asset.
			if origin, ok = origins[acct]; !ok {
				origin = acct.Origin()
				origins[acct] = origin
			}
		}
		ca := &slab[i]
		ca.after = After{File: a.File, Filename: a.Filename, Size: f.Size, SHA256: f.SHA256, MchID: mchid, Endpoint: origin,
			DataType: a.DataType, Description: a.Description, ExpandInto: a.ExpandInto}
		ca.change = Change{Name: a.Name, Type: a.Type, Account: a.Account, After: &ca.after}
		c := &ca.change
		if e, ok := st.Assets[a.Name]; ok {
			recorded++
			c.Before = e
			reasons := diff(e, c)
			if matchAny(opts.Replace, a.Name) {
				reasons = append([]string{"replacement requested with -replace"}, reasons...)
			}
			if len(reasons) > 0 {
				c.Action, c.Reason = Replace, strings.Join(reasons, "; ")
			} else if why := expandReason(e, c.After); why != "" {
				c.Action, c.Reason = Expand, why
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
	detectRenames(p.Changes, explicitFilenames(m), func(e *lockfile.Entry) string { return recordedOrigin(m, e) })
	p.Changes = filterTargets(p.Changes, opts.Targets)
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Name < p.Changes[j].Name })
	p.Summary = Summarize(p.Changes)
	return p, nil
}

// changeAndAfter is the memory of a manifest asset's Change and its After.
type changeAndAfter struct {
	change Change
	after  After
}

// Summarize counts changes by action. A plan's Summary is always this of
// its changes; views of a plan read from a file recount rather than trust
// the stored one.
func Summarize(changes []*Change) Summary {
	var s Summary
	for _, c := range changes {
		switch c.Action {
		case Create:
			s.Create++
		case Replace:
			s.Replace++
		case Rename:
			s.Rename++
		case Forget:
			s.Forget++
		case Expand:
			s.Expand++
		default:
			s.NoOp++
		}
	}
	return s
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
	// An entry without an endpoint predates recording it and is taken to
	// come from the account's current one (see UnrecordedEndpoints).
	if e.Endpoint != "" && e.Endpoint != c.After.Endpoint {
		r = append(r, fmt.Sprintf("endpoint changed: %s → %s", manifest.ShowOrigin(e.Endpoint), manifest.ShowOrigin(c.After.Endpoint)))
	}
	return append(r, userPackageDiff(e, c.After)...)
}

// userPackageDiff says how a user_package's recorded upload differs from
// what the manifest asks for in what the session call sends: data_type
// (WeChat Pay reads the lines by it) and description (ForceNew, as in
// Terraform). A value the entry does not record is taken as unchanged:
// entries written before it was recorded must not start replacing.
func userPackageDiff(e *lockfile.Entry, a *After) []string {
	var r []string
	if dt := e.Attributes[AttrDataType]; dt != "" && a.DataType != "" && dt != a.DataType {
		r = append(r, fmt.Sprintf("data_type changed: %s → %s", dt, a.DataType))
	}
	if d, ok := e.Attributes[AttrDescription]; ok && a.DataType != "" && d != a.Description {
		r = append(r, fmt.Sprintf("description changed: %s → %s", orNone(d), orNone(a.Description)))
	}
	return r
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// recordedOrigin is the origin that issued e's ID: the recorded one, or,
// for an entry written before origins were recorded, its account's
// current one.
func recordedOrigin(m *manifest.Manifest, e *lockfile.Entry) string {
	if e.Endpoint != "" {
		return e.Endpoint
	}
	if a := m.Accounts[e.Account]; a != nil {
		return a.Origin()
	}
	return ""
}

// UnrecordedEndpoints returns, sorted, the names of unchanged assets whose
// lockfile entries have no endpoint (written by a wxmedia that did not
// record it). The plan takes them to come from their account's current
// endpoint, and apply records that, once.
func (p *Plan) UnrecordedEndpoints() []string {
	var out []string
	for _, c := range p.Changes {
		if c.Action == NoOp && c.Before != nil && c.Before.Endpoint == "" && c.After != nil && c.After.Endpoint != "" {
			out = append(out, c.Name)
		}
	}
	return out
}

// Lockfile attributes of user_package entries that planning reads.
const (
	// AttrDataType is the data_type the file was uploaded as.
	AttrDataType = "data_type"
	// AttrDescription is the description the session call sent (empty
	// when none). Entries recorded before it was kept have no such key.
	AttrDescription = "description"
	// AttrExpandedInto is the audience package the upload expanded, and
	// AttrExpandedAt when (RFC 3339).
	AttrExpandedInto = "expanded_into"
	AttrExpandedAt   = "expanded_at"
)

// expandReason says why a recorded upload must expand the audience package
// the manifest names, or "" when it need not.
func expandReason(e *lockfile.Entry, a *After) string {
	done := e.Attributes[AttrExpandedInto]
	switch {
	case a.ExpandInto == "" || done == a.ExpandInto:
		return ""
	case done == "":
		return fmt.Sprintf("expand_into %s: the recorded upload has not expanded it yet; expands it without uploading again", a.ExpandInto)
	}
	return fmt.Sprintf("expand_into changed: %s → %s; expands the new package with the recorded upload, without uploading again (%s keeps it too)", done, a.ExpandInto, done)
}

func short(sum string) string {
	if len(sum) > 6 {
		return sum[:6]
	}
	return sum
}

// explicitFilenames returns the names of the assets that set filename:.
func explicitFilenames(m *manifest.Manifest) map[string]bool {
	out := map[string]bool{}
	for _, a := range m.Assets {
		if a.FilenameSet {
			out[a.Name] = true
		}
	}
	return out
}

// detectRenames turns a forget plus a create of identical content (sha256,
// type, account, mchid, endpoint; for a user_package also data_type and
// description, see userPackageDiff) into one rename that moves the ID,
// whatever the path and base name: WeChat Pay issued the ID for the bytes.
// The one exception is a new asset that sets filename: explicitly to
// another name than the one recorded, which asks for an upload under that
// name. Among several forgotten candidates, one with the same filename is
// preferred. origin tells which endpoint issued a forgotten entry's ID: an
// ID never moves to another endpoint.
func detectRenames(changes []*Change, explicit map[string]bool, origin func(*lockfile.Entry) string) {
	sort.Slice(changes, func(i, j int) bool { return changes[i].Name < changes[j].Name })
	type key struct{ sha, typ, account, mchid, endpoint string }
	forgets := map[key][]*Change{}
	for _, c := range changes {
		if c.Action == Forget {
			e := c.Before
			k := key{e.SHA256, e.Type, e.Account, e.MchID, origin(e)}
			forgets[k] = append(forgets[k], c)
		}
	}
	for _, c := range changes {
		if c.Action != Create {
			continue
		}
		k := key{c.After.SHA256, c.Type, c.Account, c.After.MchID, c.After.Endpoint}
		fs := forgets[k]
		pick := -1
		for i, old := range fs {
			if len(userPackageDiff(old.Before, c.After)) > 0 {
				continue // the same bytes read another way: an upload
			}
			if old.Before.Filename == c.After.Filename {
				pick = i
				break
			}
			if pick < 0 && !explicit[c.Name] {
				pick = i
			}
		}
		if pick < 0 {
			continue
		}
		old := fs[pick]
		forgets[k] = append(fs[:pick:pick], fs[pick+1:]...)
		c.Action, c.From, c.Before = Rename, old.Name, old.Before
		c.Reason = fmt.Sprintf("renamed from %s (same content); the recorded ID moves, nothing is uploaded", old.Name)
		if old.Before.File != c.After.File {
			c.Reason = fmt.Sprintf("renamed from %s (%s, same content); the recorded ID moves, nothing is uploaded", old.Name, old.Before.File)
		}
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
	if p.summarized {
		return nil, ErrSummarized
	}
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
