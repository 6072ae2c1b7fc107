package manifest

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-multierror"
)

// FieldError is one problem in a manifest, positioned at the YAML node it
// concerns.
type FieldError struct {
	// File is the manifest as the user named it.
	File string
	// Line and Col are 1-based; 0 when the problem has no position (the file
	// cannot be read, say).
	Line, Col int
	// Path is the key path of the offending node, such as
	// "assets.storefront.file"; empty for document-level problems.
	Path string
	// Msg says what is wrong and what to do about it.
	Msg string
	// Err is the underlying error, if any (an *fs.PathError, say), so that
	// callers can use errors.Is on it.
	Err error
}

// Error formats e as "file:line:col: path: msg", leaving out the parts that
// are unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// maxErrors bounds how many problems are kept for one manifest, so that a
// hostile document cannot make the error list itself unbounded; the rest
// are only counted.
const maxErrors = 1000

// sortErrors orders problems by position, then path and message, so that
// output is deterministic.
func sortErrors(errs []*FieldError) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Msg < b.Msg
	})
}

// newMultiError wraps sorted problems in a *multierror.Error printing one
// line per problem and, when there are several, a closing count. dropped
// counts further problems that were not kept.
func newMultiError(name string, errs []*FieldError, dropped int) *multierror.Error {
	sortErrors(errs)
	me := &multierror.Error{ErrorFormat: formatFunc(name, dropped)}
	for _, e := range errs {
		me.Errors = append(me.Errors, e)
	}
	return me
}

func formatFunc(name string, dropped int) multierror.ErrorFormatFunc {
	return func(es []error) string {
		var b strings.Builder
		for i, e := range es {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(e.Error())
		}
		switch {
		case dropped > 0:
			fmt.Fprintf(&b, "\n%d problems in %s; only the first %d are listed", len(es)+dropped, name, len(es))
		case len(es) > 1:
			fmt.Fprintf(&b, "\n%d problems in %s", len(es), name)
		}
		return b.String()
	}
}

// yamlLine matches the position yaml.v3 puts in its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the yaml.v3 problems raised by its parser rather
// than its scanner. yaml.v3 reports parser errors with a 0-based line and
// scanner errors with a 1-based one, and leaves the line out when it is 0.
var yamlParserProblems = []string{
	"did not find expected",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError converts a yaml.v3 error into a positioned FieldError with
// advice on how to fix it.
func syntaxError(name string, data []byte, err error) *FieldError {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		for _, p := range yamlParserProblems {
			if strings.HasPrefix(msg, p) {
				line++
				break
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
		if strings.HasPrefix(msg, "unknown anchor") {
			// yaml.v3 gives no position; find the alias ourselves.
			if i := strings.IndexByte(msg, '\''); i >= 0 {
				anchor := strings.TrimSuffix(msg[i+1:], "' referenced")
				if l, c := find(data, "*"+anchor); l > 0 {
					fe := &FieldError{File: name, Line: l, Col: c, Err: err}
					fe.Msg = fmt.Sprintf("alias *%s refers to an anchor that is not defined before it; define &%s earlier in the file", anchor, anchor)
					return fe
				}
			}
		} else {
			line = 1
		}
	}
	fe := &FieldError{File: name, Line: line, Err: err}
	lineText := nthLine(data, line)
	if strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token") {
		// yaml.v3 may report the line before the offending tab.
		for l := line; l > 0 && l <= line+1; l++ {
			text := nthLine(data, l)
			if i := strings.IndexByte(text, '\t'); i >= 0 && strings.TrimLeft(text[:i], " ") == "" {
				fe.Line = l
				fe.Col = utf8.RuneCountInString(text[:i]) + 1
				fe.Msg = "tab character in indentation; YAML indents with spaces only, replace the tabs with spaces"
				return fe
			}
		}
	}
	fe.Col = firstNonSpace(lineText)
	fe.Msg = "invalid YAML: " + msg + "; check indentation, quoting and the ':' after each key"
	if line == 0 {
		fe.Col = 0
	}
	return fe
}

// nthLine returns the 1-based line n of data, without its newline.
func nthLine(data []byte, n int) string {
	if n < 1 {
		return ""
	}
	s := string(data)
	for i := 1; i < n; i++ {
		j := strings.IndexByte(s, '\n')
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSuffix(s, "\r")
}

// firstNonSpace returns the 1-based column of the first non-blank character
// of line, or 1.
func firstNonSpace(line string) int {
	col := 1
	for _, r := range line {
		if !unicode.IsSpace(r) {
			return col
		}
		col++
	}
	return 1
}

// find returns the 1-based line and column of the first occurrence of s.
func find(data []byte, s string) (line, col int) {
	i := strings.Index(string(data), s)
	if i < 0 {
		return 0, 0
	}
	before := string(data[:i])
	line = strings.Count(before, "\n") + 1
	if j := strings.LastIndexByte(before, '\n'); j >= 0 {
		before = before[j+1:]
	}
	return line, utf8.RuneCountInString(before) + 1
}

// invalidUTF8 returns the position of the first byte of data that is not
// valid UTF-8, or 0, 0.
func invalidUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0
}

// show renders a user-supplied value for a message: bare when it is a plain
// token, quoted otherwise, and shortened when long.
func show(s string) string {
	const maxRunes = 80
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "…"
	}
	plain := s != ""
	for _, r := range s {
		if r <= ' ' || r == '"' || r == '\'' || r == '`' || r == '\\' || !unicode.IsPrint(r) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// suggest returns the candidate closest to s within an edit distance of 2
// (ignoring case), or "".
func suggest(s string, candidates []string) string {
	if utf8.RuneCountInString(s) > 64 {
		return ""
	}
	best, bestD := "", 3
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if d := levenshtein(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean returns " did you mean X?" for the closest candidate, or "".
func didYouMean(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" {
		return " did you mean " + c + "?"
	}
	return ""
}

// levenshtein is the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
