package lockfile

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// decodeFast is a decoder specialised for the lockfile schema. A warm plan
// of a large project is dominated by reading the lockfile, and
// encoding/json spends most of that time on reflection and on one string
// allocation per field. decodeFast instead hands out substrings of one
// string holding the whole input, so a field without escapes costs no
// allocation, allocates the entries in one slab, and recognises member
// names by comparing the input with the way Marshal writes them.
//
// It only has to be right, not complete: it accepts the documents
// State.Marshal writes (and harmless variations: any whitespace, any field
// order, string escapes) and reports ok=false for anything else, upon which
// Parse decodes with encoding/json, whose errors are the ones users see. So
// whenever it is unsure whether encoding/json would produce exactly the same
// State, it gives up rather than guess: on syntax errors, unknown or
// case-variant field names (encoding/json matches those case-insensitively),
// duplicate keys (encoding/json lets the last one win, and merges duplicate
// "attributes" objects), null (except where Marshal writes it), numbers
// that are not plain integers or that might overflow, invalid UTF-8
// (encoding/json replaces it with U+FFFD), lone surrogates, and trailing
// data. FuzzDecodeMatchesStdlib checks that whatever it accepts decodes to
// the same State with encoding/json.
//
// The returned State is as encoding/json leaves it (nil maps where the
// document has no "assets" or "pending"); Parse validates both alike.
//
// The strings in the result share the memory of one string holding all of
// data, so that memory lives as long as any of them does; the State
// normally lives for the whole command anyway. That string is a copy of
// data unless shareData is set, when it is data itself: the caller
// promises never to modify data again.
func decodeFast(data []byte, shareData bool) (*State, bool) {
	d := fastDecoder{b: data, assetsHint: assetsHint(data)}
	if shareData {
		d.s = unsafe.String(unsafe.SliceData(data), len(data))
	} else {
		d.s = string(data)
	}
	s, ok := d.state()
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.i != len(d.s) {
		return nil, false // trailing data
	}
	return s, true
}

// assetsHint guesses how many assets data holds, to size the map and the
// entry slab once. Marshal writes every entry on at least 10 lines and in
// more than 128 bytes, so for its output this is a slight overestimate;
// the byte bound keeps a file of blank lines from reserving much memory.
func assetsHint(data []byte) int {
	return min(bytes.Count(data, []byte("\n"))/10, len(data)/128) + 1
}

type fastDecoder struct {
	// b and s hold the same bytes: b is read eight bytes at a time, and
	// field values are substrings of s.
	b          []byte
	s          string
	i          int // read position
	assetsHint int // expected number of assets
}

// Word-at-a-time scanning: the eight bytes of a little-endian uint64 are
// tested at once, so a run of ordinary bytes costs one step per eight, not
// one per byte and a mispredicted branch where it ends. ones*c repeats the
// byte c eight times; highs holds each byte's high bit.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeroBytes marks, with its high bit, the bytes of x that are zero. Only
// the lowest mark is reliable (a borrow can mark a byte above it), which
// is all the scanners below use.
func zeroBytes(x uint64) uint64 { return (x - ones) &^ x & highs }

func (d *fastDecoder) skipSpace() {
	if d.i < len(d.b) && d.b[d.i] > ' ' {
		return // the common case, kept small enough to inline
	}
	d.skipSpaceSlow()
}

// skipSpaceSlow is kept out of line so that skipSpace inlines.
//
//go:noinline
func (d *fastDecoder) skipSpaceSlow() {
	for d.i+8 <= len(d.b) {
		// Count the leading spaces of the next eight bytes.
		n := bits.TrailingZeros64(binary.LittleEndian.Uint64(d.b[d.i:])^(' '*ones)) / 8
		d.i += n
		if n == 8 {
			continue
		}
		switch d.b[d.i] {
		case '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips whitespace and then the byte c, reporting whether c was
// there.
func (d *fastDecoder) consume(c byte) bool {
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// beginObject reads the '{' of an object and reports whether a member
// follows (false for "{}"). It leaves the read position just after the
// '{', so that field can match Marshal's layout from there.
func (d *fastDecoder) beginObject() (more, ok bool) {
	if !d.consume('{') {
		return false, false
	}
	open := d.i
	if d.consume('}') {
		return false, true
	}
	d.i = open
	return true, true
}

// nextMember reads what follows a member's value: ',' (another member
// follows) or '}' (the object ends).
func (d *fastDecoder) nextMember() (more, ok bool) {
	d.skipSpace()
	if d.i < len(d.s) {
		switch d.s[d.i] {
		case ',':
			d.i++
			return true, true
		case '}':
			d.i++
			return false, true
		}
	}
	return false, false
}

// key reads a member name and the ':' after it.
func (d *fastDecoder) key() (string, bool) {
	k, ok := d.str()
	if !ok || !d.consume(':') {
		return "", false
	}
	return k, true
}

// fieldSet holds the member names of one kind of object, in the order
// Marshal writes them.
type fieldSet struct {
	names []string
	// lits are the names as Marshal writes them, from the '{' or ',' before
	// them to the value: on a new line, indented, quoted, then ": ".
	lits []string
	// compact are the names quoted, then ":", as in JSON without
	// whitespace.
	compact []string
}

// newFieldSet returns the fieldSet of an object whose members Marshal
// indents by depth levels.
func newFieldSet(depth int, names ...string) *fieldSet {
	fs := &fieldSet{names: names}
	for _, n := range names {
		fs.lits = append(fs.lits, "\n"+strings.Repeat("  ", depth)+`"`+n+`": `)
		fs.compact = append(fs.compact, `"`+n+`":`)
	}
	return fs
}

// field reads a member name and the ':' after it, and returns the name's
// index in fs; ok=false for any other name. Only exact names count:
// encoding/json also matches names that differ in case, which are left to
// it. Most names are the one Marshal writes after the previous member,
// guess, so that one is first compared with the input as Marshal lays it
// out (and then as compact JSON), which saves skipping the whitespace,
// decoding the name and looking it up.
func (d *fastDecoder) field(fs *fieldSet, guess int) (int, bool) {
	if guess >= len(fs.names) {
		guess = 0
	}
	if strings.HasPrefix(d.s[d.i:], fs.lits[guess]) {
		d.i += len(fs.lits[guess])
		return guess, true
	}
	d.skipSpace()
	if strings.HasPrefix(d.s[d.i:], fs.compact[guess]) {
		d.i += len(fs.compact[guess])
		return guess, true
	}
	k, ok := d.key()
	if !ok {
		return 0, false
	}
	i := slices.Index(fs.names, k)
	return i, i >= 0
}

// null reads the literal null, if that is what comes next.
func (d *fastDecoder) null() bool {
	d.skipSpace()
	if len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "null" {
		d.i += 4
		return true
	}
	return false
}

// plainByte marks the bytes that may appear unescaped in a JSON string and
// need no further thought: printable ASCII other than '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// specialBytes marks the bytes of x that are not plainByte.
func specialBytes(x uint64) uint64 {
	return zeroBytes(x^('"'*ones)) | zeroBytes(x^('\\'*ones)) | (x-' '*ones)&^x&highs | x&highs
}

// str reads a string. Without escapes it returns a substring of the input.
func (d *fastDecoder) str() (string, bool) {
	d.skipSpace()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", false
	}
	start := d.i + 1
	nonASCII := false
	j := start
	for {
		for j+8 <= len(d.b) {
			m := specialBytes(binary.LittleEndian.Uint64(d.b[j:]))
			if m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		if j >= len(d.b) {
			return "", false // unterminated
		}
		c := d.b[j]
		switch {
		case plainByte[c]: // only near the end of the input
		case c == '"':
			v := d.s[start:j]
			if nonASCII && !utf8.ValidString(v) {
				return "", false
			}
			d.i = j + 1
			return v, true
		case c == '\\':
			return d.strEscaped(start, j)
		case c >= utf8.RuneSelf:
			nonASCII = true
		default:
			return "", false // a control character: not valid JSON
		}
		j++
	}
}

// strEscaped finishes str for a string starting at start whose first
// escape is at esc, building the unescaped value in a new buffer.
func (d *fastDecoder) strEscaped(start, esc int) (string, bool) {
	buf := make([]byte, 0, esc-start+16)
	buf = append(buf, d.s[start:esc]...)
	for j := esc; j < len(d.s); {
		c := d.s[j]
		switch {
		case plainByte[c] || c >= utf8.RuneSelf:
			buf = append(buf, c)
			j++
		case c == '"':
			// Escapes are ASCII, so the raw text is valid UTF-8 exactly
			// when the unescaped parts are.
			if !utf8.ValidString(d.s[start:j]) {
				return "", false
			}
			d.i = j + 1
			return string(buf), true
		case c == '\\':
			if j+1 >= len(d.s) {
				return "", false
			}
			switch e := d.s[j+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(d.s, j+2)
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					// Only a high surrogate followed by a low one is a
					// character; encoding/json turns anything else into
					// U+FFFD, which is not worth imitating.
					r2, ok := hex4(d.s, j+8)
					if !ok || d.s[j+6] != '\\' || d.s[j+7] != 'u' {
						return "", false
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						return "", false
					}
					j += 6
				}
				buf = utf8.AppendRune(buf, r)
				j += 4
			default:
				return "", false
			}
			j += 2
		default:
			return "", false // a control character
		}
	}
	return "", false // unterminated
}

// hex4 decodes the four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i < 0 || len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// maxDigits bounds the integers decodeFast reads: 19 decimal digits always
// fit in a uint64, so only the int64 range needs checking. Longer numbers
// (only a serial can be one) go to encoding/json.
const maxDigits = 19

// uint reads a non-negative integer in plain JSON form: no sign, fraction
// or exponent (encoding/json rejects those for integer fields, except "-0";
// a number that merely starts like this, such as 1.5 or 1e3, is caught by
// the caller, which finds '.' or 'e' where a ',' or '}' must be).
func (d *fastDecoder) uint() (uint64, bool) {
	d.skipSpace()
	return d.digits()
}

// int64 reads an integer, possibly negative.
func (d *fastDecoder) int64() (int64, bool) {
	d.skipSpace()
	neg := d.i < len(d.s) && d.s[d.i] == '-'
	if neg {
		d.i++
	}
	u, ok := d.digits()
	switch {
	case !ok:
		return 0, false
	case neg && u <= 1<<63:
		return -int64(u), true // int64(1<<63) wraps to -1<<63, which is right
	case !neg && u < 1<<63:
		return int64(u), true
	}
	return 0, false // out of range
}

// digits reads the digits of an integer at the read position.
func (d *fastDecoder) digits() (uint64, bool) {
	start := d.i
	var n uint64
	for d.i < len(d.s) && d.i-start <= maxDigits {
		c := d.s[d.i]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
		d.i++
	}
	digits := d.i - start
	if digits == 0 || digits > maxDigits || (digits > 1 && d.s[start] == '0') {
		return 0, false // no number, too long, or a leading zero (invalid JSON)
	}
	return n, true
}

// int reads an integer that must fit in an int, which is 32 bits on some
// platforms.
func (d *fastDecoder) int() (int, bool) {
	n, ok := d.int64()
	if !ok || int64(int(n)) != n {
		return 0, false
	}
	return int(n), true
}

var stateFields = newFieldSet(1, "version", "lineage", "serial", "assets", "pending")

// state reads the top-level object.
func (d *fastDecoder) state() (*State, bool) {
	s := new(State)
	var seen uint
	more, ok := d.beginObject()
	for f := 0; ok && more; f++ {
		if f, ok = d.field(stateFields, f); !ok {
			return nil, false
		}
		switch f {
		case 0:
			s.Version, ok = d.int()
		case 1:
			s.Lineage, ok = d.str()
		case 2:
			s.Serial, ok = d.uint()
		case 3:
			s.Assets, ok = d.assets()
		case 4:
			s.Pending, ok = d.pending()
		}
		if !ok || seen&(1<<f) != 0 {
			return nil, false // bad value or duplicate name
		}
		seen |= 1 << f
		more, ok = d.nextMember()
	}
	if !ok {
		return nil, false
	}
	return s, true
}

// assets reads the "assets" object.
func (d *fastDecoder) assets() (map[string]*Entry, bool) {
	more, ok := d.beginObject()
	if !ok {
		return nil, false
	}
	if !more {
		return map[string]*Entry{}, true
	}
	m := make(map[string]*Entry, d.assetsHint)
	// Entries are allocated from slabs rather than one by one. The map
	// points into them, so a full slab is never grown (that would move
	// the entries); a new one is started instead.
	slab := make([]Entry, 0, d.assetsHint)
	for more {
		name, ok := d.key()
		if !ok {
			return nil, false
		}
		if len(slab) == cap(slab) {
			slab = make([]Entry, 0, max(16, len(m)))
		}
		slab = append(slab, Entry{})
		e := &slab[len(slab)-1]
		// An unusable entry is left to encoding/json and State.check,
		// which name the first one in name order. Checking here, while the
		// entry is in the cache, costs a fraction of a later walk over the
		// map, whose order is random in memory.
		if !d.entry(e) || assetProblem(name, e) != "" {
			return nil, false
		}
		n := len(m)
		if m[name] = e; len(m) == n {
			return nil, false // a duplicate name
		}
		if more, ok = d.nextMember(); !ok {
			return nil, false
		}
	}
	return m, true
}

var entryFields = newFieldSet(3, "type", "account", "mchid", "file", "filename", "size", "sha256", "id", "endpoint", "uploaded_at", "attributes")

// entry reads one asset into e, which must be zero.
func (d *fastDecoder) entry(e *Entry) bool {
	var seen uint
	more, ok := d.beginObject()
	for f := 0; ok && more; f++ {
		if f, ok = d.field(entryFields, f); !ok {
			return false
		}
		switch f {
		case 0:
			e.Type, ok = d.str()
		case 1:
			e.Account, ok = d.str()
		case 2:
			e.MchID, ok = d.str()
		case 3:
			e.File, ok = d.str()
		case 4:
			e.Filename, ok = d.str()
		case 5:
			e.Size, ok = d.int64()
		case 6:
			e.SHA256, ok = d.str()
		case 7:
			e.ID, ok = d.str()
		case 8:
			e.Endpoint, ok = d.str()
		case 9:
			e.UploadedAt, ok = d.str()
		case 10:
			e.Attributes, ok = d.stringMap()
		}
		if !ok || seen&(1<<f) != 0 {
			return false // bad value or duplicate name
		}
		seen |= 1 << f
		more, ok = d.nextMember()
	}
	return ok
}

// stringMap reads an object of strings. Like encoding/json, it returns an
// empty map, not nil, for "{}".
func (d *fastDecoder) stringMap() (map[string]string, bool) {
	more, ok := d.beginObject()
	m := map[string]string{}
	for ok && more {
		var k, v string
		if k, ok = d.key(); !ok {
			return nil, false
		}
		if v, ok = d.str(); !ok {
			return nil, false
		}
		n := len(m)
		if m[k] = v; len(m) == n {
			return nil, false // a duplicate key
		}
		more, ok = d.nextMember()
	}
	return m, ok
}

// pending reads the "pending" object.
func (d *fastDecoder) pending() (map[string]*Pending, bool) {
	more, ok := d.beginObject()
	m := map[string]*Pending{}
	for ok && more {
		var name string
		if name, ok = d.key(); !ok {
			return nil, false
		}
		p := new(Pending)
		if !d.pendingSession(p) {
			return nil, false
		}
		n := len(m)
		if m[name] = p; len(m) == n {
			return nil, false // a duplicate name
		}
		more, ok = d.nextMember()
	}
	return m, ok
}

var pendingFields = newFieldSet(3, "type", "account", "sha256", "upload_id", "part_size", "part_count", "parts_acknowledged", "started_at")

// pendingSession reads one pending upload into p, which must be zero.
func (d *fastDecoder) pendingSession(p *Pending) bool {
	var seen uint
	more, ok := d.beginObject()
	for f := 0; ok && more; f++ {
		if f, ok = d.field(pendingFields, f); !ok {
			return false
		}
		switch f {
		case 0:
			p.Type, ok = d.str()
		case 1:
			p.Account, ok = d.str()
		case 2:
			p.SHA256, ok = d.str()
		case 3:
			p.UploadID, ok = d.str()
		case 4:
			p.PartSize, ok = d.int64()
		case 5:
			p.PartCount, ok = d.int()
		case 6:
			p.Acked, ok = d.ints()
		case 7:
			p.StartedAt, ok = d.str()
		}
		if !ok || seen&(1<<f) != 0 {
			return false // bad value or duplicate name
		}
		seen |= 1 << f
		more, ok = d.nextMember()
	}
	return ok
}

// ints reads an array of ints. Marshal writes a nil slice as null, which
// leaves the (fresh) field nil as in encoding/json; "[]" gives an empty,
// non-nil slice, as in encoding/json.
func (d *fastDecoder) ints() ([]int, bool) {
	if d.null() {
		return nil, true
	}
	if !d.consume('[') {
		return nil, false
	}
	out := []int{}
	if d.consume(']') {
		return out, true
	}
	for {
		n, ok := d.int()
		if !ok {
			return nil, false
		}
		out = append(out, n)
		if d.consume(']') {
			return out, true
		}
		if !d.consume(',') {
			return nil, false
		}
	}
}
