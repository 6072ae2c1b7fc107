package lockfile

import (
	"io"

	"github.com/wxmedia/wxmedia/lockfile/internal/fastjson"
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
// The strings in the result are copies packed into a few blocks (see
// fastjson.Decoder), a run of entries repeating a value (type, account,
// mchid, endpoint, upload time) shares one copy, and a file name that ends
// the entry's file path is that path's end: a large lockfile's state takes
// under half the memory of its text, which can be dropped once decoded.
// With shareData, the strings are substrings of data itself instead: the
// caller promises never to modify data again.
func decodeFast(data []byte, shareData bool) (*State, bool) {
	return decodeWith(fastjson.New(data, shareData))
}

// decodeFastReader is decodeFast reading r, which holds about size bytes,
// a window at a time (fastjson.NewReader), so that a large lockfile is
// never in memory whole. ok=false also when reading r failed.
func decodeFastReader(r io.Reader, size int64) (*State, bool) {
	d := fastjson.NewReader(r, size)
	s, ok := decodeWith(d)
	if d.Err() != nil {
		return nil, false
	}
	return s, ok
}

func decodeWith(d *fastjson.Decoder) (*State, bool) {
	s, ok := decodeState(d)
	if !ok || !d.AtEnd() { // bad, or trailing data
		return nil, false
	}
	return s, true
}

var stateFields = fastjson.NewFieldSet(1, "version", "lineage", "serial", "assets", "pending")

// decodeState reads the top-level object.
func decodeState(d *fastjson.Decoder) (*State, bool) {
	s := new(State)
	var seen uint
	more, ok := d.BeginObject()
	for f := 0; ok && more; f++ {
		d.Refill()
		if f, ok = d.Field(stateFields, f); !ok {
			return nil, false
		}
		switch f {
		case 0:
			s.Version, ok = d.Int()
		case 1:
			s.Lineage, ok = d.Str()
		case 2:
			s.Serial, ok = d.Uint()
		case 3:
			s.Assets, ok = decodeAssets(d)
		case 4:
			s.Pending, ok = decodePending(d)
		}
		if !ok || seen&(1<<f) != 0 {
			return nil, false // bad value or duplicate name
		}
		seen |= 1 << f
		more, ok = d.NextMember()
	}
	if !ok {
		return nil, false
	}
	return s, true
}

// decodeAssets reads the "assets" object.
func decodeAssets(d *fastjson.Decoder) (map[string]*Entry, bool) {
	more, ok := d.BeginObject()
	if !ok {
		return nil, false
	}
	if !more {
		return map[string]*Entry{}, true
	}
	m := make(map[string]*Entry, d.AssetsHint())
	// Entries are allocated from slabs of up to slabSize rather than one
	// by one (the hint may overestimate by a fifth, which is cheap in the
	// map but not in entries). The map points into them, so a full slab
	// is never grown (that would move the entries); a new one is started
	// instead.
	const slabSize = 4096
	var slab []Entry
	var last repeated
	for more {
		d.Refill() // between entries, nothing from the input is held
		name, ok := d.Key()
		if !ok {
			return nil, false
		}
		if len(slab) == cap(slab) {
			slab = make([]Entry, 0, min(slabSize, d.AssetsHint()))
		}
		slab = append(slab, Entry{})
		e := &slab[len(slab)-1]
		// An unusable entry is left to encoding/json and State.check,
		// which name the first one in name order. Checking here, while the
		// entry is in the cache, costs a fraction of a later walk over the
		// map, whose order is random in memory.
		if !decodeEntry(d, e, &last) || assetProblem(name, e) != "" {
			return nil, false
		}
		n := len(m)
		if m[name] = e; len(m) == n {
			return nil, false // a duplicate name
		}
		if more, ok = d.NextMember(); !ok {
			return nil, false
		}
	}
	return m, true
}

var entryFields = fastjson.NewFieldSet(3, "type", "account", "mchid", "file", "filename", "size", "sha256", "id", "endpoint", "uploaded_at", "attributes")

// repeated holds the previous entry's values of the fields that usually
// repeat from one entry to the next, so that a run of equal values shares
// one string.
type repeated struct{ typ, account, mchid, endpoint, uploadedAt string }

// decodeEntry reads one asset into e, which must be zero.
func decodeEntry(d *fastjson.Decoder, e *Entry, last *repeated) bool {
	var seen uint
	more, ok := d.BeginObject()
	for f := 0; ok && more; f++ {
		if f, ok = d.Field(entryFields, f); !ok {
			return false
		}
		switch f {
		case 0:
			e.Type, ok = d.StrLike(&last.typ)
		case 1:
			e.Account, ok = d.StrLike(&last.account)
		case 2:
			e.MchID, ok = d.StrLike(&last.mchid)
		case 3:
			e.File, ok = d.Str()
		case 4:
			e.Filename, ok = d.StrSuffix(e.File)
		case 5:
			e.Size, ok = d.Int64()
		case 6:
			e.SHA256, ok = d.Str()
		case 7:
			e.ID, ok = d.Str()
		case 8:
			e.Endpoint, ok = d.StrLike(&last.endpoint)
		case 9:
			e.UploadedAt, ok = d.StrLike(&last.uploadedAt)
		case 10:
			e.Attributes, ok = d.StringMap()
		}
		if !ok || seen&(1<<f) != 0 {
			return false // bad value or duplicate name
		}
		seen |= 1 << f
		more, ok = d.NextMember()
	}
	return ok
}

// decodePending reads the "pending" object.
func decodePending(d *fastjson.Decoder) (map[string]*Pending, bool) {
	more, ok := d.BeginObject()
	m := map[string]*Pending{}
	for ok && more {
		d.Refill()
		var name string
		if name, ok = d.Key(); !ok {
			return nil, false
		}
		p := new(Pending)
		if !decodePendingSession(d, p) {
			return nil, false
		}
		n := len(m)
		if m[name] = p; len(m) == n {
			return nil, false // a duplicate name
		}
		more, ok = d.NextMember()
	}
	return m, ok
}

var pendingFields = fastjson.NewFieldSet(3, "type", "account", "sha256", "upload_id", "part_size", "part_count", "parts_acknowledged", "started_at")

// decodePendingSession reads one pending upload into p, which must be zero.
func decodePendingSession(d *fastjson.Decoder, p *Pending) bool {
	var seen uint
	more, ok := d.BeginObject()
	for f := 0; ok && more; f++ {
		if f, ok = d.Field(pendingFields, f); !ok {
			return false
		}
		switch f {
		case 0:
			p.Type, ok = d.Str()
		case 1:
			p.Account, ok = d.Str()
		case 2:
			p.SHA256, ok = d.Str()
		case 3:
			p.UploadID, ok = d.Str()
		case 4:
			p.PartSize, ok = d.Int64()
		case 5:
			p.PartCount, ok = d.Int()
		case 6:
			p.Acked, ok = d.Ints()
		case 7:
			p.StartedAt, ok = d.Str()
		}
		if !ok || seen&(1<<f) != 0 {
			return false // bad value or duplicate name
		}
		seen |= 1 << f
		more, ok = d.NextMember()
	}
	return ok
}
