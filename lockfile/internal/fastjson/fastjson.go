// Package fastjson is the word-at-a-time JSON scanner behind the lockfile's
// fast decoder: unsafe string sharing and bit tricks, kept apart from the
// lockfile schema (lockfile/decode.go) so that the rest of package lockfile
// holds no unsafe code.
package fastjson

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Decoder reads JSON documents laid out as lockfile.State.Marshal writes
// them. It is the machinery of the lockfile's fast decoder (lockfile's
// decodeFast, which maps the lockfile schema onto it): word-at-a-time
// scanning, strings handed out as substrings of one string holding the
// whole input (so a string without escapes costs no allocation), and
// member names recognised by comparing the input with the way Marshal
// writes them.
//
// It only has to be right, not complete: every method reports ok=false
// for anything it is unsure encoding/json would read the same way (syntax
// errors, case-variant names, numbers that are not plain integers or might
// overflow, invalid UTF-8, lone surrogates), and the caller then decodes
// with encoding/json, whose errors are the ones users see.
//
// The strings it returns are copied, as they are read, into a few large
// blocks (an arena) holding only the values, not the document's names,
// punctuation and indentation: for a lockfile, under half of its size, and
// the input itself can be dropped once decoded. Told to share the input
// instead (New), it hands out substrings of the input itself, whose
// memory then lives as long as any of them does; the caller then promises
// never to modify it again.
// assetsHint guesses how many assets data holds, to size the map and the
// entry slab once. Marshal writes every entry on at least 10 lines and in
// more than 128 bytes, so for its output this is a slight overestimate;
// the byte bound keeps a file of blank lines from reserving much memory.
func assetsHint(data []byte) int {
	return min(bytes.Count(data, []byte("\n"))/10, len(data)/128) + 1
}

type Decoder struct {
	// b and s hold the same bytes, the input: b is read eight bytes at a
	// time, and values are read as substrings of s.
	b          []byte
	s          string
	i          int  // read position
	assetsHint int  // expected number of assets
	share      bool // hand out substrings of the input rather than copies
	arena      []byte
	total      int // the input's length (for a reader, as its size said)

	// A Decoder made by NewReader reads r through a window, buf: b is
	// buf's part holding input not yet read, and Refill slides it.
	r   io.Reader
	buf []byte
	eof bool
	err error // reading r failed
}

// New returns a Decoder reading data; with shareData, the strings it
// returns point into data itself (see Decoder).
func New(data []byte, shareData bool) *Decoder {
	return &Decoder{b: data, s: unsafe.String(unsafe.SliceData(data), len(data)), assetsHint: assetsHint(data), share: shareData, total: len(data)}
}

// Window is how much of its input a Decoder made by NewReader holds at
// once. Refill keeps a quarter of it ahead of the read position, so any
// value up to Window/4 long (an asset entry) is read whole; a longer one
// fails the decoding, as anything unexpected does. It is a variable for
// tests, which slide small windows over small documents.
//
// 512 KiB (an entry may be 128 KiB, some 300 times an asset's): every page
// of the window is a fresh page the process faults in, and a warm plan of
// 10,000 files, whose 4.2 MB lockfile filled a 4 MiB window, spent about
// 1,000 of its 7,000 page faults there (BENCHMARKS.md, session 4, warm
// plan round 2); sliding a smaller window copies at most a quarter of it
// per refill, within the processor's cache.
var Window = 512 << 10

// NewReader returns a Decoder reading r, which holds about size bytes,
// through a window of Window bytes rather than all at once: a large
// lockfile is then never in memory as a whole, only the values kept from
// it (copied, see Decoder). The caller calls Refill where no string from
// the input is held other than kept ones (between entries), and checks
// Err at the end.
func NewReader(r io.Reader, size int64) *Decoder {
	d := &Decoder{r: r, buf: make([]byte, 0, min(max(size+1, 512), int64(Window))), total: int(min(size, 1<<40))}
	d.Refill()
	if d.eof {
		d.assetsHint = assetsHint(d.b)
	} else {
		// Extrapolate from the window, as assetsHint counts.
		d.assetsHint = min(int(int64(bytes.Count(d.b, []byte("\n"))/10)*size/int64(max(len(d.b), 1))), d.total/128) + 1
	}
	return d
}

// Refill slides the window of a Decoder made by NewReader so that it
// holds at least Window/4 bytes past the read position, or the rest of
// the input. It must not be called while a substring of the input (other
// than a kept string) is in use; it does nothing for a Decoder made by New.
func (d *Decoder) Refill() {
	if d.r == nil || d.eof || len(d.b)-d.i >= Window/4 {
		return
	}
	n := copy(d.buf[:cap(d.buf)], d.b[d.i:])
	for n < cap(d.buf) && !d.eof {
		m, err := d.r.Read(d.buf[n:cap(d.buf)])
		n += m
		if err != nil {
			d.eof = true
			if err != io.EOF {
				d.err = err
			}
		}
	}
	d.b, d.i = d.buf[:n], 0
	d.s = unsafe.String(unsafe.SliceData(d.b), n)
}

// Err returns the error reading the input failed with, if it did; the
// decoding then read a truncated input and must not be trusted.
func (d *Decoder) Err() error { return d.err }

// keep returns v, a substring of the input, as a string that outlives it:
// a copy in the arena, or v itself when sharing the input.
func (d *Decoder) keep(v string) string {
	if d.share || v == "" {
		return v
	}
	if len(d.arena)+len(v) > cap(d.arena) {
		// A new block; the old one lives on in the strings that point into
		// it. Blocks grow with the input, up to 1 MiB: a small document
		// costs one small block, a large one a block per MiB of values.
		if len(v) > 4<<10 {
			return string(v) // a long value gets its own memory
		}
		d.arena = make([]byte, 0, max(min(d.total/2, 1<<20), 4<<10))
	}
	start := len(d.arena)
	d.arena = append(d.arena, v...)
	return unsafe.String(&d.arena[start], len(v))
}

// AtEnd skips whitespace and reports whether the input ends there.
func (d *Decoder) AtEnd() bool {
	for {
		d.SkipSpace()
		if d.i < len(d.s) || d.r == nil || d.eof {
			return d.i == len(d.s)
		}
		d.Refill()
	}
}

// AssetsHint guesses how many assets the input holds (see assetsHint),
// to size a map and an entry slab once.
func (d *Decoder) AssetsHint() int { return d.assetsHint }

// Word-at-a-time scanning: the eight bytes of a little-endian uint64 are
// tested at once, so a run of ordinary bytes costs one step per eight, not
// one per byte and a mispredicted branch where it ends. ones*c repeats the
// byte c eight times; highs holds each byte's high bit.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// Ones and Highs, and ZeroBytes, are the word-at-a-time tools, exported
// for the lockfile's validators (plain strings, sha256 digests).
const (
	Ones  = ones
	Highs = highs
)

// ZeroBytes is zeroBytes.
func ZeroBytes(x uint64) uint64 { return zeroBytes(x) }

// zeroBytes marks, with its high bit, the bytes of x that are zero. Only
// the lowest mark is reliable (a borrow can mark a byte above it), which
// is all the scanners below use.
func zeroBytes(x uint64) uint64 { return (x - ones) &^ x & highs }

func (d *Decoder) SkipSpace() {
	if d.i < len(d.b) && d.b[d.i] > ' ' {
		return // the common case, kept small enough to inline
	}
	d.skipSpaceSlow()
}

// skipSpaceSlow is kept out of line so that skipSpace inlines.
//
//go:noinline
func (d *Decoder) skipSpaceSlow() {
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

// Consume skips whitespace and then the byte c, reporting whether c was
// there.
func (d *Decoder) Consume(c byte) bool {
	d.SkipSpace()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// BeginObject reads the '{' of an object and reports whether a member
// follows (false for "{}"). It leaves the read position just after the
// '{', so that field can match Marshal's layout from there.
func (d *Decoder) BeginObject() (more, ok bool) {
	if !d.Consume('{') {
		return false, false
	}
	open := d.i
	if d.Consume('}') {
		return false, true
	}
	d.i = open
	return true, true
}

// NextMember reads what follows a member's value: ',' (another member
// follows) or '}' (the object ends).
func (d *Decoder) NextMember() (more, ok bool) {
	d.SkipSpace()
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

// Key reads a member name and the ':' after it.
func (d *Decoder) Key() (string, bool) {
	k, ok := d.Str()
	if !ok || !d.Consume(':') {
		return "", false
	}
	return k, true
}

// name reads a member name and the ':' after it, as a substring of the
// input valid only while it is (to look it up, not to keep).
func (d *Decoder) name() (string, bool) {
	k, ok := d.str()
	if !ok || !d.Consume(':') {
		return "", false
	}
	return k, true
}

// FieldSet holds the member names of one kind of object, in the order
// Marshal writes them.
type FieldSet struct {
	names []string
	// lits are the names as Marshal writes them, from the '{' or ',' before
	// them to the value: on a new line, indented, quoted, then ": ".
	lits []string
	// compact are the names quoted, then ":", as in JSON without
	// whitespace.
	compact []string
}

// NewFieldSet returns the FieldSet of an object whose members Marshal
// indents by depth levels.
func NewFieldSet(depth int, names ...string) *FieldSet {
	fs := &FieldSet{names: names}
	for _, n := range names {
		fs.lits = append(fs.lits, "\n"+strings.Repeat("  ", depth)+`"`+n+`": `)
		fs.compact = append(fs.compact, `"`+n+`":`)
	}
	return fs
}

// Field reads a member name and the ':' after it, and returns the name's
// index in fs; ok=false for any other name. Only exact names count:
// encoding/json also matches names that differ in case, which are left to
// it. Most names are the one Marshal writes after the previous member,
// guess, so that one is first compared with the input as Marshal lays it
// out (and then as compact JSON), which saves skipping the whitespace,
// decoding the name and looking it up.
func (d *Decoder) Field(fs *FieldSet, guess int) (int, bool) {
	if guess >= len(fs.names) {
		guess = 0
	}
	if strings.HasPrefix(d.s[d.i:], fs.lits[guess]) {
		d.i += len(fs.lits[guess])
		return guess, true
	}
	d.SkipSpace()
	if strings.HasPrefix(d.s[d.i:], fs.compact[guess]) {
		d.i += len(fs.compact[guess])
		return guess, true
	}
	k, ok := d.name()
	if !ok {
		return 0, false
	}
	i := slices.Index(fs.names, k)
	return i, i >= 0
}

// Null reads the literal null, if that is what comes next.
func (d *Decoder) Null() bool {
	d.SkipSpace()
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

// Str reads a string.
func (d *Decoder) Str() (string, bool) {
	v, ok := d.str()
	if !ok {
		return "", false
	}
	return d.keep(v), true
}

// StrLike reads a string, returning *last instead when the two are equal
// and otherwise remembering the string in *last: one copy serves a run of
// entries that repeat a value (type, account, endpoint, upload time).
func (d *Decoder) StrLike(last *string) (string, bool) {
	v, ok := d.str()
	if !ok {
		return "", false
	}
	if v != *last {
		*last = d.keep(v)
	}
	return *last, true
}

// StrSuffix reads a string, returning the end of whole instead when it is
// one (a file's base name after its path).
func (d *Decoder) StrSuffix(whole string) (string, bool) {
	v, ok := d.str()
	if !ok {
		return "", false
	}
	if strings.HasSuffix(whole, v) {
		return whole[len(whole)-len(v):], true
	}
	return d.keep(v), true
}

// str reads a string. Without escapes it returns a substring of the input,
// valid only while the input is; with escapes, a new string.
func (d *Decoder) str() (string, bool) {
	d.SkipSpace()
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
func (d *Decoder) strEscaped(start, esc int) (string, bool) {
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

// Uint reads a non-negative integer in plain JSON form: no sign, fraction
// or exponent (encoding/json rejects those for integer fields, except "-0";
// a number that merely starts like this, such as 1.5 or 1e3, is caught by
// the caller, which finds '.' or 'e' where a ',' or '}' must be).
func (d *Decoder) Uint() (uint64, bool) {
	d.SkipSpace()
	return d.digits()
}

// Int64 reads an integer, possibly negative.
func (d *Decoder) Int64() (int64, bool) {
	d.SkipSpace()
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
func (d *Decoder) digits() (uint64, bool) {
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

// Int reads an integer that must fit in an int, which is 32 bits on some
// platforms.
func (d *Decoder) Int() (int, bool) {
	n, ok := d.Int64()
	if !ok || int64(int(n)) != n {
		return 0, false
	}
	return int(n), true
}

// StringMap reads an object of strings. Like encoding/json, it returns an
// empty map, not nil, for "{}".
func (d *Decoder) StringMap() (map[string]string, bool) {
	more, ok := d.BeginObject()
	m := map[string]string{}
	for ok && more {
		var k, v string
		if k, ok = d.Key(); !ok {
			return nil, false
		}
		if v, ok = d.Str(); !ok {
			return nil, false
		}
		n := len(m)
		if m[k] = v; len(m) == n {
			return nil, false // a duplicate key
		}
		more, ok = d.NextMember()
	}
	return m, ok
}

// Ints reads an array of ints. Marshal writes a nil slice as null, which
// leaves the (fresh) field nil as in encoding/json; "[]" gives an empty,
// non-nil slice, as in encoding/json.
func (d *Decoder) Ints() ([]int, bool) {
	if d.Null() {
		return nil, true
	}
	if !d.Consume('[') {
		return nil, false
	}
	out := []int{}
	if d.Consume(']') {
		return out, true
	}
	for {
		n, ok := d.Int()
		if !ok {
			return nil, false
		}
		out = append(out, n)
		if d.Consume(']') {
			return out, true
		}
		if !d.Consume(',') {
			return nil, false
		}
	}
}
