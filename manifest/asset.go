package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/mediatype"
)

var assetKeys = []string{"type", "account", "file", "glob", "filename", "data_type", "description", "expand_into"}

// asset validates one entry under assets and returns the assets it
// declares: one for file, one per match for glob.
func (p *parser) asset(e entry, m *Manifest, declared map[string]bool) []*Asset {
	kp := "assets." + e.name
	v := e.val
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		p.errorf(e.key, kp, "asset %s is empty; give it type, account and file (or glob)", e.name)
		return nil
	}
	if v.Kind != yaml.MappingNode {
		p.errorf(v, kp, "asset %s must be a mapping with type, account and file (or glob), not %s", e.name, describe(v))
		return nil
	}
	f := map[string]entry{}
	fields := p.entries(v, kp)
	if p.exhausted {
		return nil // cut short: reported once, not as missing keys
	}
	for _, c := range fields {
		if !contains(assetKeys, c.name) {
			p.unknownKey(c, kp, "key", assetKeys)
			continue
		}
		f[c.name] = c
	}
	missing := func(k, format string, args ...any) {
		if c, ok := f[k]; ok {
			p.errorf(c.val, join(kp, k), k+" is empty; "+format, args...)
			return
		}
		p.errorf(e.key, join(kp, k), k+" is missing; "+format, args...)
	}

	var t *mediatype.Type
	switch s, ok, n := p.field(f, kp, "type"); {
	case !ok:
		missing("type", "set it to one of %s", strings.Join(mediatype.Names(), ", "))
	case n == nil:
	case mediatype.Lookup(s) == nil:
		p.errorf(n, kp+".type", "unknown type %s;%s types: %s", show(s), didYouMean(s, mediatype.Names()), strings.Join(mediatype.Names(), ", "))
	default:
		t = mediatype.Lookup(s)
	}

	var acct *Account
	names := make([]string, 0, len(m.Accounts))
	for n := range m.Accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	switch s, ok, n := p.field(f, kp, "account"); {
	case !ok:
		if len(declared) > 0 {
			missing("account", "name the account to upload through, one of: %s", strings.Join(names, ", "))
		}
	case n == nil:
	case m.Accounts[s] == nil:
		if declared[s] || len(declared) == 0 {
			break // the account itself is reported
		}
		p.errorf(n, kp+".account", "no account named %s;%s defined: %s", show(s), didYouMean(s, names), strings.Join(names, ", "))
	default:
		acct = m.Accounts[s]
		if t != nil && acct.API != "" && t.API != acct.API {
			var fit []string
			for _, name := range mediatype.Names() {
				if mediatype.Lookup(name).API == acct.API {
					fit = append(fit, name)
				}
			}
			p.errorf(f["type"].val, kp+".type", "type %s needs an account with api: %s, but account %s has api: %s; use an api: %s account, or a type for api: %s (%s)",
				t.Name, t.API, acct.Name, acct.API, t.API, acct.API, strings.Join(fit, ", "))
		}
	}

	audienceFields := p.audienceFields(f, kp, t, missing)

	file, hasFile, fileNode := p.field(f, kp, "file")
	glob, hasGlob, globNode := p.field(f, kp, "glob")
	filename, hasFilename, filenameNode := p.field(f, kp, "filename")
	switch {
	case hasFile && hasGlob:
		later, k := globNode, "glob"
		if fileNode != nil && globNode != nil && (fileNode.Line > globNode.Line || fileNode.Line == globNode.Line && fileNode.Column > globNode.Column) {
			later, k = fileNode, "file"
		}
		if later == nil {
			later = e.key
		}
		p.errorf(later, join(kp, k), "set only one of file and glob: file declares one asset, glob one per matching file")
		return nil
	case !hasFile && !hasGlob:
		if _, ok := f["glob"]; ok {
			missing("glob", "give a pattern such as media/*.png")
		} else {
			missing("file", "give the path of the file to upload, relative to the manifest directory (or glob: PATTERN for many files)")
		}
		return nil
	case hasGlob && hasFilename:
		p.errorf(filenameNode, kp+".filename", "filename cannot be used with glob: each match is sent under its own base name; declare a file as its own asset to rename it")
	}
	if (hasFile && fileNode == nil) || (hasGlob && globNode == nil) {
		return nil // not a scalar; reported
	}

	mk := func(name, rel, abs, filename string, fi fs.FileInfo, pos *yaml.Node) Asset {
		a := Asset{Name: name, File: rel, Path: abs, Filename: filename, Size: fi.Size(), Pos: Pos{Line: pos.Line, Col: pos.Column}}
		if t != nil {
			a.Type = t.Name
		}
		if acct != nil {
			a.Account = acct.Name
		}
		a.DataType, a.Description, a.ExpandInto = audienceFields.dataType, audienceFields.description, audienceFields.expandInto
		return a
	}

	if hasFile {
		fc := fileCheck{p: p, n: fileNode, path: kp + ".file", t: t, asset: e.name}
		rel, abs, fi, ok := fc.check(file, nil)
		if !ok {
			return nil
		}
		if hasFilename && filenameNode != nil {
			if ch, bad := safetext.Find(filename); bad && utf8.ValidString(filename) {
				p.errorf(filenameNode, kp+".filename", "filename %s contains the control character %s; remove it", safetext.Escape(filename), ch)
			} else if t != nil {
				if msg := t.CheckFilename(filename); msg != "" {
					p.errorf(filenameNode, kp+".filename", "%s; change filename", msg)
				}
			}
		} else {
			filename = fc.defaultFilename(rel)
		}
		a := mk(e.name, rel, abs, filename, fi, e.key)
		a.FilenameSet = hasFilename && filenameNode != nil
		return []*Asset{&a}
	}

	matches, stats := p.glob(globNode, kp+".glob", glob)
	out := make([]*Asset, 0, len(matches))
	// Matches in one directory have distinct base names: only a glob
	// across directories needs the map that finds a repeated one.
	var byBase map[string]string
	if !oneDir(matches) {
		byBase = make(map[string]string, len(matches))
	}
	// One allocation for the matches' assets, not one each.
	slab := make([]Asset, len(matches))
	fc := fileCheck{p: p, n: globNode, path: kp + ".glob", t: t, inGlob: true, asset: e.name}
	for i, rel := range matches {
		rel, abs, fi, ok := fc.check(rel, &stats[i])
		if !ok {
			continue
		}
		base := path.Base(rel)
		if byBase != nil {
			if first, dup := byBase[base]; dup {
				p.errorf(globNode, kp+".glob", "glob matches %s and %s, which would both be named %s/%s; narrow the pattern or split it into two assets", first, rel, e.name, base)
				continue
			}
			byBase[base] = rel
		}
		slab[i] = mk(e.name+"/"+base, rel, abs, fc.defaultFilename(rel), fi, globNode)
		out = append(out, &slab[i])
	}
	return out
}

// oneDir reports whether the clean, slash-separated paths rels all lie in
// one directory.
func oneDir(rels []string) bool {
	if len(rels) == 0 {
		return true
	}
	dir := rels[0][:strings.LastIndexByte(rels[0], '/')+1]
	for _, r := range rels[1:] {
		if len(r) <= len(dir) || r[:len(dir)] != dir || strings.IndexByte(r[len(dir):], '/') >= 0 {
			return false
		}
	}
	return true
}

// glob expands pattern relative to the manifest directory and returns the
// slash-separated, sorted paths of the files it matches, with what
// Files.Stat found about each; directories are skipped. The pattern has
// doublestar (.gitignore-like) semantics: `**` matches any number of
// directories, `{a,b}` alternatives; its final extension matches in any
// case, as the type rules compare extensions. `**` does not descend into
// symlinked directories, so a link cannot lead a glob in circles or out of
// the tree; a symlinked file matched is checked like any other. It reports
// bad patterns, and warns about a pattern matching nothing.
func (p *parser) glob(n *yaml.Node, fpath, pattern string) ([]string, []assetfile.Stat) {
	slash := filepath.ToSlash(pattern)
	if bad := p.outside(n, fpath, pattern, slash); bad {
		return nil, nil
	}
	clean := path.Clean(slash)
	if !doublestar.ValidatePattern(clean) {
		p.errorf(n, fpath, "glob %s is not a valid pattern (*, **, ?, [a-z], {a,b}, \\ to escape); fix the brackets, braces or escapes", show(pattern))
		return nil, nil
	}
	matches, err := p.files.Glob(anyCaseExt(clean))
	if err != nil {
		p.add(&FieldError{File: p.name, Line: n.Line, Col: n.Column, Path: fpath,
			Msg: fmt.Sprintf("cannot expand glob %s: %v", show(pattern), err), Err: err})
		return nil, nil
	}
	sort.Strings(matches)
	stats := p.files.Stat(matches)
	// Directories are left out of new slices: Files may still be reading
	// the ones it was given and returned (scan's Checker records them in
	// the background).
	files, kept := matches, stats
	for i := range matches {
		if stats[i].IsDir() {
			files, kept = nil, nil
			for i := range matches {
				if !stats[i].IsDir() {
					files, kept = append(files, matches[i]), append(kept, stats[i])
				}
			}
			break
		}
	}
	if len(files) == 0 {
		p.warnf(n, fpath, "glob %s matches no files, so it declares no assets (and plans to forget any it matched before); check the pattern, relative to the manifest directory", show(pattern))
	}
	return files, kept
}

// anyCaseExt rewrites a pattern ending in a literal extension (`*.png`) so
// that the extension matches in any case (`*.[pP][nN][gG]`).
func anyCaseExt(pattern string) string {
	dot := strings.LastIndexByte(pattern, '.')
	if dot < 0 || strings.ContainsRune(pattern[dot:], '/') || dot == len(pattern)-1 {
		return pattern
	}
	var b strings.Builder
	b.WriteString(pattern[:dot+1])
	for _, r := range pattern[dot+1:] {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			lo, up := unicode.ToLower(r), unicode.ToUpper(r)
			b.WriteString("[" + string(lo) + string(up) + "]")
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return pattern // not a literal extension
		}
	}
	return b.String()
}

// outside reports (and returns true) when an asset path is absolute or
// leaves the manifest directory lexically.
func (p *parser) outside(n *yaml.Node, fpath, s, slash string) bool {
	switch {
	case strings.ContainsRune(s, 0):
		p.errorf(n, fpath, "%s contains a NUL byte; fix the path", show(s))
	case path.IsAbs(slash) || filepath.IsAbs(s) || filepath.VolumeName(s) != "":
		p.errorf(n, fpath, "%s is an absolute path; write it relative to the manifest directory, which the lockfile records paths against", show(s))
	case path.Clean(slash) == ".." || strings.HasPrefix(path.Clean(slash), "../"):
		p.errorf(n, fpath, "%s points outside the manifest directory; asset files must be inside it, because the lockfile records them relative to it: move or copy the file into the repository", show(s))
	default:
		return false
	}
	return true
}

// fileCheck checks one asset file (a file value, or one glob match).
type fileCheck struct {
	p      *parser
	n      *yaml.Node
	path   string
	t      *mediatype.Type
	inGlob bool
	// asset is the asset's name (for a glob match, the glob entry's key,
	// to which the match's base name is added), which content problems
	// are reported under.
	asset string
}

func (c *fileCheck) errorf(format string, args ...any) {
	c.p.errorf(c.n, c.path, format, args...)
}

// check validates the file at s (relative to the manifest directory) and
// returns its cleaned slash-separated path, absolute path and Stat. st is
// what Files.Stat found about the file, or nil to look now. The file is
// stat'ed and its first bytes are sniffed (see mediatype.Sniff) unless the
// stat cache vouches for it; it is not hashed.
func (c *fileCheck) check(s string, st *assetfile.Stat) (rel, abs string, fi fs.FileInfo, ok bool) {
	p := c.p
	if ch, bad := safetext.Find(s); bad && utf8.ValidString(s) { // invalid UTF-8 is reported as such
		c.errorf("%s contains the control character %s; rename the file (paths are shown in plans and terminals, and written to the lockfile)", safetext.Escape(s), ch)
		return "", "", nil, false
	}
	if c.inGlob {
		// A glob match is already clean, relative and inside: fs.Glob
		// read it from a directory under the manifest directory.
		rel = s
	} else {
		slash := filepath.ToSlash(s)
		if p.outside(c.n, c.path, s, slash) {
			return "", "", nil, false
		}
		rel = path.Clean(slash)
	}
	if st == nil {
		st = &p.files.Stat([]string{rel})[0]
	}
	abs = st.Abs
	if st.LstatErr != nil {
		c.statError(s, st.LstatErr)
		return "", "", nil, false
	}
	if err := st.RealErr; err != nil {
		if st.Lstat.Mode()&fs.ModeSymlink != 0 && errors.Is(err, fs.ErrNotExist) {
			c.errorf("%s is a symlink to a missing file; fix or remove the link", show(s))
		} else {
			c.statError(s, err)
		}
		return "", "", nil, false
	}
	real := st.Real
	if realDir := p.files.RealDir(); realDir != "" && !st.Inside {
		r, err := filepath.Rel(realDir, real)
		if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			c.errorf("%s is a symlink to %s, outside the manifest directory; copy the file into the repository instead, since the lockfile records paths relative to it", show(s), show(real))
			return "", "", nil, false
		}
	}
	if st.StatErr != nil {
		c.statError(s, st.StatErr)
		return "", "", nil, false
	}
	fi = st.Info
	switch {
	case fi.IsDir():
		c.errorf("%s is a directory; name a file in it, or use glob: %s/*", show(s), strings.TrimSuffix(rel, "/"))
		return "", "", nil, false
	case !fi.Mode().IsRegular():
		c.errorf("%s is not a regular file (it is a %s); name a regular file", show(s), fi.Mode().Type())
		return "", "", nil, false
	case fi.Size() == 0:
		c.errorf("%s is empty; WeChat Pay rejects empty files, so add content or remove the asset", show(s))
		return "", "", nil, false
	}
	ok = true
	if t := c.t; t != nil {
		if fi.Size() > t.MaxSize {
			got, limit := sizes(fi.Size(), t.MaxSize)
			c.errorf("%s is %s; %s allows at most %s, so compress or shrink it", show(s), got, t.Name, limit)
			ok = false
		}
		if ext := mediatype.Ext(rel); !t.AllowsExt(ext) {
			c.errorf("%s %s; %s accepts %s, so convert the file or choose a type that accepts it", show(s), describeExt(ext), t.Name, strings.Join(t.Extensions, ", "))
			ok = false
		}
	}
	if err := st.ReadErr; err != nil {
		c.p.add(&FieldError{File: p.name, Line: c.n.Line, Col: c.n.Column, Path: c.path,
			Msg: fmt.Sprintf("cannot read %s: %v; check its permissions", show(s), unwrapPath(err)), Err: err})
		return "", "", nil, false
	}
	if ext := mediatype.Ext(rel); ok && st.Head != nil {
		if match, looks := mediatype.Sniff(ext, st.Head); !match {
			name := c.asset
			if c.inGlob {
				name += "/" + path.Base(rel)
			}
			// Worded and placed as the planner words a sniff failure found
			// while hashing, so that both read the same.
			c.p.add(&FieldError{File: p.name, Line: c.n.Line, Col: c.n.Column, Path: "assets." + name,
				Msg: fmt.Sprintf("%s has extension .%s but its content looks like %s; WeChat Pay checks the bytes, so convert the file or fix its extension", rel, ext, looks)})
			ok = false
		}
	}
	return rel, abs, fi, ok
}

func describeExt(ext string) string {
	if ext == "" {
		return "has no extension"
	}
	return "has extension ." + ext
}

// defaultFilename returns the base name of rel, checked as the filename
// sent to WeChat Pay. An extension problem is already reported by check.
func (c *fileCheck) defaultFilename(rel string) string {
	base := path.Base(rel)
	if c.t != nil && c.t.AllowsExt(mediatype.Ext(base)) {
		if msg := c.t.CheckFilename(base); msg != "" {
			hint := "rename the file, or set filename"
			if c.inGlob {
				hint = "rename the file"
			}
			c.errorf("%s: %s; the base name is sent as the filename: %s", show(rel), msg, hint)
		}
	}
	return base
}

// statError reports a failed stat of asset file s, suggesting a close name
// when the file does not exist.
func (c *fileCheck) statError(s string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		c.errorf("no such file %s; check the path (relative to the manifest directory)%s", show(s), c.nearby(s))
		return
	}
	c.p.add(&FieldError{File: c.p.name, Line: c.n.Line, Col: c.n.Column, Path: c.path,
		Msg: fmt.Sprintf("cannot use %s: %v", show(s), unwrapPath(err)), Err: err})
}

// nearby returns " did you mean X?" for a file next to the missing s whose
// name differs only slightly (case, a typo).
func (c *fileCheck) nearby(s string) string {
	rel := path.Clean(filepath.ToSlash(s))
	dir, base := path.Split(rel)
	names, err := c.p.files.Names(dir)
	if err != nil {
		return ""
	}
	if best := suggest(base, names); best != "" {
		return "; did you mean " + show(dir+best) + "?"
	}
	return ""
}

// sizes formats a file size and a limit for a message, falling back to
// bytes when rounding would make them look equal.
func sizes(n, limit int64) (string, string) {
	h := func(n int64) string {
		switch {
		case n >= mediatype.MiB:
			return fmt.Sprintf("%.1f MiB", float64(n)/mediatype.MiB)
		case n >= 1024:
			return fmt.Sprintf("%.1f KiB", float64(n)/1024)
		}
		return fmt.Sprintf("%d bytes", n)
	}
	got, lim := h(n), h(limit)
	if got == lim {
		return fmt.Sprintf("%d bytes", n), fmt.Sprintf("%d bytes", limit)
	}
	if limit%mediatype.MiB == 0 {
		lim = fmt.Sprintf("%d MiB", limit/mediatype.MiB)
	}
	return got, lim
}
