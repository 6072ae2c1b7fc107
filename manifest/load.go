package manifest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wxmedia/wxmedia/assetfile"
)

// Load reads the manifest at path, validates it, and checks every file it
// references relative to the manifest's directory.
//
// On failure the error is a *multierror.Error holding every problem found,
// each a *FieldError, sorted by position; the manifest is then nil. A
// manifest that cannot be read yields one FieldError wrapping the *fs.PathError,
// so errors.Is(err, fs.ErrNotExist) works.
func Load(path string) (*Manifest, error) { return LoadWith(path, Options{}) }

// Options tunes LoadWith and ParseWith.
type Options struct {
	// Files, when set, returns how the asset files of the absolute
	// manifest directory dir are looked at: the scan stage's view, which
	// trusts the stat cache and remembers what it saw (scan.Checker.Files).
	// nil looks at them with a plain assetfile.Tree.
	Files func(dir string) Files
	// KeepPartial returns, along with the problems, the manifest as far as
	// it could be read (nil when its text does not parse), so that validate
	// can go on to check the keys of accounts that have other problems.
	// Such a manifest must never be planned or applied.
	KeepPartial bool
	// Env selects an entry of the `environments:` block, whose account
	// overrides are merged in; "" uses the accounts as written.
	Env string
	// SkipCredentialFiles leaves key, certificate and CA files unchecked
	// (beyond their paths' form), for `validate -no-secrets` in pipelines
	// that get no secrets.
	SkipCredentialFiles bool
}

// LoadWith is Load with options.
func LoadWith(path string, opts Options) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := "cannot read the manifest: " + err.Error()
		if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
			msg = "is a directory; point -manifest at the wxmedia.yaml file (or -chdir at this directory)"
		} else if errors.Is(err, os.ErrNotExist) {
			msg = "no such file; create it (see `wxmedia schema`), or point -chdir or -manifest at an existing one"
		}
		return nil, newMultiError(path, []*FieldError{{File: path, Msg: msg, Err: err}}, 0)
	}
	return ParseWith(path, data, filepath.Dir(path), opts)
}

// Parse validates manifest text. name is the manifest as the user knows it
// and is used in messages; dir is the directory files are resolved against.
// Parse reads no file contents: through Files (a plain assetfile.Tree
// unless Options.Files says otherwise) it globs referenced files, stats
// them and reads their first bytes, to check they exist, are readable and
// look like their extension.
//
// Errors are reported as for Load.
func Parse(name string, data []byte, dir string) (m *Manifest, err error) {
	return ParseWith(name, data, dir, Options{})
}

// ParseWith is Parse with options.
func ParseWith(name string, data []byte, dir string, opts Options) (m *Manifest, err error) {
	p := &parser{name: name, budget: nodeBudget, dupChecked: map[*yaml.Node]bool{}, opts: opts}
	defer func() {
		// yaml.v3 is fuzzed upstream, but a crafted document must never take
		// the CLI down with it.
		if r := recover(); r != nil {
			m = nil
			err = newMultiError(name, []*FieldError{{File: name, Msg: fmt.Sprintf("internal error while reading the manifest (%v); please report it with the file that triggers it", r)}}, 0)
		}
	}()
	m = p.parse(data, dir)
	if m != nil {
		sortErrors(p.warnings)
		m.Warnings = p.warnings
	}
	if len(p.errs) > 0 {
		if !opts.KeepPartial {
			m = nil
		}
		return m, newMultiError(name, p.errs, p.dropped)
	}
	return m, nil
}

// Account returns the account named name, or nil.
func (m *Manifest) Account(name string) *Account {
	return m.Accounts[name]
}

// Asset returns the asset named name (a glob match's name includes its
// "<asset>/" prefix), or nil.
func (m *Manifest) Asset(name string) *Asset {
	i := sort.Search(len(m.Assets), func(i int) bool { return m.Assets[i].Name >= name })
	if i < len(m.Assets) && m.Assets[i].Name == name {
		return m.Assets[i]
	}
	return nil
}

// Resolve returns the absolute path of a path written in the manifest, such
// as an account's PrivateKeyFile: absolute paths are returned cleaned,
// relative ones are joined to the manifest directory.
func (m *Manifest) Resolve(p string) string {
	if p == "" {
		return ""
	}
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(m.Dir, p)
}

// nodeBudget bounds how many YAML nodes the validator visits, counting every
// alias expansion, so that an alias bomb is rejected in bounded time. Real
// manifests need a few nodes per asset, all of them in the file: the
// budget is nodeBudget or twice the nodes the document itself holds,
// whichever is more (see budgetFor), so only aliases can exhaust it, and
// glob matches never count. It is a variable for tests.
var nodeBudget = 1_000_000

// budgetFor returns the node budget for the document rooted at root.
func budgetFor(root *yaml.Node) int {
	n := 0
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		n++
		for _, c := range x.Content { // aliases are not followed
			walk(c)
		}
	}
	walk(root)
	return max(nodeBudget, 2*n)
}

// namePattern is the rule for account and asset names.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

const nameRule = "names must start with a letter or digit and contain only letters, digits, '_', '.' and '-', because they become lockfile keys and IDs"

var topKeys = []string{"version", "accounts", "assets", "state", "environments"}

// Files is how the parser looks at the asset files it names: glob
// matches, stat data and first bytes. *assetfile.Tree implements it; the
// manifest package itself never opens or stats an asset file.
type Files interface {
	// RealDir is the manifest directory with symlinks resolved ("" when
	// it does not resolve).
	RealDir() string
	// Glob returns the slash-separated relative paths the doublestar
	// pattern matches, not following symlinked directories.
	Glob(pattern string) ([]string, error)
	// Stat looks at each relative, slash-separated path. The parser
	// modifies neither rel nor the result afterwards.
	Stat(rel []string) []assetfile.Stat
	// Names lists the names in the relative directory dir.
	Names(dir string) ([]string, error)
}

// parser holds the state of one Parse call.
type parser struct {
	name string
	data []byte
	// dir is the absolute manifest directory.
	dir string
	// files looks at the asset files in dir (Options.Files).
	files      Files
	errs       []*FieldError
	warnings   []*FieldError
	dropped    int // problems past maxErrors, counted but not kept
	budget     int
	limit      int // the budget at the start, for the message
	exhausted  bool
	dupChecked map[*yaml.Node]bool
	opts       Options
}

// errorf records a problem at node n (nil for a document-level problem).
func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	if len(p.errs) >= maxErrors {
		p.dropped++
		return
	}
	fe := &FieldError{File: p.name, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		fe.Line, fe.Col = n.Line, n.Column
	}
	p.add(fe)
}

func (p *parser) add(fe *FieldError) {
	if len(p.errs) >= maxErrors {
		p.dropped++
		return
	}
	p.errs = append(p.errs, fe)
}

// warnf records a warning at node n: something the user likely did not
// mean, which does not stop the manifest from being used.
func (p *parser) warnf(n *yaml.Node, path, format string, args ...any) {
	p.warnings = append(p.warnings, &FieldError{File: p.name, Line: n.Line, Col: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// force records a problem even past maxErrors.
func (p *parser) force(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &FieldError{File: p.name, Line: n.Line, Col: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// step charges n nodes against the budget and reports whether walking may
// continue.
func (p *parser) step(at *yaml.Node, n int) bool {
	if p.exhausted {
		return false
	}
	p.budget -= n
	if p.budget < 0 {
		p.exhausted = true
		p.force(at, "", "the manifest is too complex: its aliases expand to more than %d nodes (the limit: %d, or twice the nodes the file itself holds); avoid aliasing large structures", p.limit, nodeBudget)
		return false
	}
	return true
}

func (p *parser) parse(data []byte, dir string) *Manifest {
	p.data = data
	absDir, err := filepath.Abs(dir)
	if err != nil {
		p.add(&FieldError{File: p.name, Msg: "cannot resolve the manifest directory: " + err.Error(), Err: err})
		return nil
	}
	p.dir = absDir
	if p.opts.Files != nil {
		p.files = p.opts.Files(absDir)
	} else {
		p.files = assetfile.NewTree(absDir, nil)
	}
	m := &Manifest{Path: p.name, Dir: absDir, Accounts: map[string]*Account{}, SHA256: sha256.Sum256(data)}

	if l, c := invalidUTF8(data); l > 0 {
		p.add(&FieldError{File: p.name, Line: l, Col: c,
			Msg: "the manifest is not valid UTF-8; save it as UTF-8 (without this byte sequence)"})
		return nil
	}
	root := p.decode(data)
	if root == nil {
		return nil
	}
	p.budget = budgetFor(root)
	p.limit = p.budget
	root = p.resolve(root)
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			p.errorf(root, "", "manifest is empty; start with `version: 1`, then declare accounts and assets (see `wxmedia schema`)")
		} else {
			p.errorf(root, "", "the manifest must be a mapping with the keys version, accounts and assets, not %s", describe(root))
		}
		return nil
	}

	var version, accounts, assets, state, environments *entry
	for _, e := range p.entries(root, "") {
		e := e
		switch e.name {
		case "version":
			version = &e
		case "accounts":
			accounts = &e
		case "assets":
			assets = &e
		case "state":
			state = &e
		case "environments":
			environments = &e
		default:
			p.unknownKey(e, "", "top-level key", topKeys)
		}
	}

	if version == nil {
		p.errorf(root, "version", "version is missing; add `version: 1` at the top of the manifest")
	} else {
		p.version(m, version)
	}

	if state != nil {
		m.State = p.state(*state)
	}

	var accountNodes []entry
	declared := map[string]bool{}
	if accounts != nil {
		accountNodes, declared = p.section(accounts, "accounts", "account")
	}
	envs := p.environments(environments, declared)
	for n := range envs {
		m.Environments = append(m.Environments, n)
	}
	sort.Strings(m.Environments)
	if env := p.opts.Env; env != "" {
		overrides, ok := envs[env]
		switch {
		case !ok && environments == nil:
			p.errorf(root, "environments", "environment %s was selected (-env or WXMEDIA_ENV), but the manifest has no environments block; add `environments: {%s: {accounts: {…}}}` or drop -env", show(env), env)
		case !ok:
			p.errorf(environments.key, "environments", "environment %s was selected (-env or WXMEDIA_ENV), but is not declared; declared: %s", show(env), environmentNames(envs))
		}
		m.Env = env
		for i, e := range accountNodes {
			if o := overrides[e.name]; o != nil {
				accountNodes[i].val = mergeAccount(p.resolve(e.val), o)
			}
		}
		if m.State != nil {
			// Each environment keeps its own state.
			m.State.Workspace += "." + env
		}
	}
	for _, e := range accountNodes {
		if a := p.account(e); a != nil {
			m.Accounts[a.Name] = a
		}
	}

	if assets != nil {
		assetNodes, _ := p.section(assets, "assets", "asset")
		if len(assetNodes) > 0 && len(declared) == 0 {
			at := assets.key
			if accounts != nil {
				at = accounts.key
			}
			p.errorf(at, "accounts", "assets need an account to upload through, but no accounts are defined; add an `accounts:` section (see `wxmedia schema`)")
		}
		for _, e := range assetNodes {
			m.Assets = append(m.Assets, p.asset(e, m, declared)...)
		}
	}
	// Often sorted already (one glob of one directory): checking costs a
	// comparison per asset, sorting ~10 (1.2 ms of a warm plan of 10,000
	// files).
	byName := func(a, b *Asset) int { return strings.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(m.Assets, byName) {
		slices.SortFunc(m.Assets, byName)
	}
	for i := 1; i < len(m.Assets); i++ {
		// Names of declared assets cannot contain '/', so only glob
		// expansions can collide, and each glob checks its own matches;
		// this catches anything those checks miss.
		if a, b := m.Assets[i-1], m.Assets[i]; a.Name == b.Name {
			p.add(&FieldError{File: p.name, Line: b.Pos.Line, Col: b.Pos.Col, Path: "assets",
				Msg: fmt.Sprintf("two assets are named %s (also at line %d:%d); rename one", show(a.Name), a.Pos.Line, a.Pos.Col)})
		}
	}
	p.checkNames(m.Assets)
	return m
}

// decode parses data into a document node, reporting syntax errors and
// extra documents.
func (p *parser) decode(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			p.add(&FieldError{File: p.name, Line: 1, Col: 1,
				Msg: "manifest is empty; start with `version: 1`, then declare accounts and assets (see `wxmedia schema`)"})
		} else {
			p.add(syntaxError(p.name, data, err))
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		p.add(syntaxError(p.name, data, err))
		return nil
	case len(extra.Content) == 1 && extra.Content[0].Kind == yaml.ScalarNode &&
		extra.Content[0].Tag == "!!null" && extra.Content[0].Value == "":
		// A bare trailing "---" is harmless.
	default:
		p.errorf(&extra, "", "the manifest holds more than one YAML document; keep everything in the first one and remove the `---` separator")
	}
	if len(doc.Content) == 0 {
		p.errorf(&doc, "", "manifest is empty; start with `version: 1`")
		return nil
	}
	return doc.Content[0]
}

func (p *parser) version(m *Manifest, e *entry) {
	v := e.val
	if v.Kind == yaml.ScalarNode && v.Tag == "!!str" && strings.TrimSpace(v.Value) == "1" {
		p.errorf(v, "version", "version must be the number 1, not the string %q; remove the quotes", v.Value)
		return
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		p.errorf(v, "version", "version must be the number 1, not %s", describe(v))
		return
	}
	if v.Value != "1" {
		p.errorf(v, "version", "version %s is not supported by this wxmedia, which reads version 1; upgrade wxmedia or write `version: 1`", show(v.Value))
		return
	}
	m.Version = 1
}

// section returns the entries of the accounts or assets mapping whose names
// are valid, and the set of all names declared.
func (p *parser) section(e *entry, key, what string) ([]entry, map[string]bool) {
	v := e.val
	declared := map[string]bool{}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, declared
	}
	if v.Kind != yaml.MappingNode {
		p.errorf(v, key, "%s must be a mapping from %s name to its settings, not %s", key, what, describe(v))
		return nil, declared
	}
	var out []entry
	for _, c := range p.entries(v, key) {
		declared[c.name] = true
		if !namePattern.MatchString(c.name) {
			hint := ""
			if s := sanitizeName(c.name); s != "" {
				hint = fmt.Sprintf(", e.g. %s", s)
			}
			p.errorf(c.key, key+"."+c.name, "%s name %s is not allowed: %s; rename it%s", what, show(c.name), nameRule, hint)
			continue
		}
		out = append(out, c)
	}
	return out, declared
}

// sanitizeName suggests a valid name close to s, or "".
func sanitizeName(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'):
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	out := strings.TrimLeft(b.String(), "_.-")
	if !namePattern.MatchString(out) {
		return ""
	}
	return out
}

// entry is one key of a mapping, with merge keys and aliases resolved.
type entry struct {
	name     string
	key, val *yaml.Node
}

// resolve follows aliases to the node they name.
func (p *parser) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// entries lists the keys of mapping n (which must be a MappingNode),
// reporting duplicate and non-string keys. Keys merged in with `<<` come
// after the explicit ones and never override them.
func (p *parser) entries(n *yaml.Node, path string) []entry {
	return p.collect(n, path, map[string]*yaml.Node{}, map[*yaml.Node]bool{})
}

func (p *parser) collect(n *yaml.Node, path string, seen map[string]*yaml.Node, visited map[*yaml.Node]bool) []entry {
	if visited[n] || !p.step(n, len(n.Content)/2+1) {
		return nil
	}
	visited[n] = true
	checkDups := !p.dupChecked[n]
	p.dupChecked[n] = true

	var out []entry
	var merges []*yaml.Node
	local := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.resolve(n.Content[i]), p.resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "keys must be plain strings, not %s", kindName(k))
			continue
		}
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if first, dup := local[k.Value]; dup {
			if checkDups {
				p.errorf(k, join(path, k.Value), "duplicate key %s: it is also defined at line %d:%d; YAML keeps only one, so remove or rename one of them", show(k.Value), first.Line, first.Column)
			}
			continue
		}
		local[k.Value] = k
		if _, done := seen[k.Value]; done {
			// Set by the mapping that merged this one: it wins.
			continue
		}
		seen[k.Value] = k
		out = append(out, entry{name: k.Value, key: k, val: v})
	}
	for _, mv := range merges {
		var srcs []*yaml.Node
		switch mv.Kind {
		case yaml.MappingNode:
			srcs = []*yaml.Node{mv}
		case yaml.SequenceNode:
			if !p.step(mv, len(mv.Content)) {
				return out
			}
			for _, c := range mv.Content {
				srcs = append(srcs, p.resolve(c))
			}
		}
		for _, src := range srcs {
			if src.Kind != yaml.MappingNode {
				p.errorf(src, path, "a `<<` merge key must refer to a mapping (`<<: *anchor`) or a list of them, not %s", kindName(src))
				continue
			}
			out = append(out, p.collect(src, path, seen, visited)...)
		}
		if len(srcs) == 0 {
			p.errorf(mv, path, "a `<<` merge key must refer to a mapping (`<<: *anchor`) or a list of them, not %s", kindName(mv))
		}
	}
	return out
}

// unknownKey reports a key the schema does not know.
func (p *parser) unknownKey(e entry, path, what string, allowed []string) {
	if len(p.errs) >= maxErrors {
		p.dropped++ // spare the suggestion search
		return
	}
	p.errorf(e.key, join(path, e.name), "unknown %s %s;%s allowed: %s", what, show(e.name), didYouMean(e.name, allowed), strings.Join(allowed, ", "))
}

// str returns the text of scalar n. A null value yields "". A mapping or
// sequence is reported and yields ok == false.
func (p *parser) str(n *yaml.Node, path string) (s string, ok bool) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "must be a single value, not %s", describe(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "an empty value"
	}
	return "a single value"
}

// describe is kindName with the value for scalars.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return "the quoted string " + strconv.Quote(n.Value)
	}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return show(n.Value)
	}
	return kindName(n)
}

// field returns the text of key k of a settings mapping, whether it is set,
// and its value node. A null or blank value counts as not set but still
// returns its node; a mapping or list is reported and counts as set, with a
// nil node, so that no "missing" error follows.
func (p *parser) field(f map[string]entry, path, k string) (string, bool, *yaml.Node) {
	e, ok := f[k]
	if !ok {
		return "", false, nil
	}
	s, ok := p.str(e.val, join(path, k))
	if !ok {
		return "", true, nil
	}
	if e.val.Tag == "!!null" || strings.TrimSpace(s) == "" {
		return "", false, e.val
	}
	return s, true, e.val
}
