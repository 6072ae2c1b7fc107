package lockfile

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile/internal/fastjson"
)

// Version is the lockfile format this build reads and writes.
const Version = 1

// ErrNotExist is returned by Load when there is no lockfile yet.
var ErrNotExist = errors.New("lockfile: not found")

// State is the whole lockfile.
type State struct {
	Version int    `json:"version"`
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
	// Assets maps an asset name to what was uploaded for it.
	Assets map[string]*Entry `json:"assets"`
	// Pending holds work a killed apply left half done, by asset name.
	Pending map[string]*Pending `json:"pending"`
}

// Entry records one uploaded asset. Every type has the same shape;
// applications read ID.
type Entry struct {
	Type     string `json:"type"`
	Account  string `json:"account"`
	MchID    string `json:"mchid"`
	File     string `json:"file"`
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	ID       string `json:"id"`
	// Endpoint is the origin that issued ID: "sandbox", or the scheme and
	// host of the endpoint. "" in lockfiles written before it was recorded.
	Endpoint   string            `json:"endpoint,omitempty"`
	UploadedAt string            `json:"uploaded_at,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Pending records a chunked upload session in progress, so a later apply
// resumes it. It is tied to the content it was started for.
type Pending struct {
	Type      string `json:"type"`
	Account   string `json:"account"`
	SHA256    string `json:"sha256"`
	UploadID  string `json:"upload_id"`
	PartSize  int64  `json:"part_size"`
	PartCount int    `json:"part_count"`
	Acked     []int  `json:"parts_acknowledged"`
	StartedAt string `json:"started_at,omitempty"`
}

// New returns an empty state with a fresh lineage.
func New() *State {
	return &State{Version: Version, Lineage: newUUID(), Assets: map[string]*Entry{}, Pending: map[string]*Pending{}}
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := *s
	c.Assets = make(map[string]*Entry, len(s.Assets))
	for k, v := range s.Assets {
		e := *v
		if v.Attributes != nil {
			e.Attributes = make(map[string]string, len(v.Attributes))
			for ak, av := range v.Attributes {
				e.Attributes[ak] = av
			}
		}
		c.Assets[k] = &e
	}
	c.Pending = make(map[string]*Pending, len(s.Pending))
	for k, v := range s.Pending {
		p := *v
		p.Acked = append([]int(nil), v.Acked...)
		c.Pending[k] = &p
	}
	return &c
}

// Names returns the asset names in s, sorted.
func (s *State) Names() []string {
	out := make([]string, 0, len(s.Assets))
	for n := range s.Assets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ParseError reports a lockfile that cannot be used. wxmedia never writes
// over such a file.
type ParseError struct {
	Path   string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: %s; wxmedia will not modify this file until it is fixed (restore it from version control, or resolve the merge by hand)", e.Path, e.Reason)
}

// Load reads the lockfile at path. It returns ErrNotExist (wrapped) when the
// file does not exist, and a *ParseError when it exists but cannot be used.
func Load(path string) (*State, error) {
	s, _, err := loadJournaled(path, nil)
	return s, err
}

// loadJournaled is Load, reading the lockfile's bytes through h when h is
// not nil; unsure reports a journal beside the lockfile, folded in, or a
// lockfile that grew as it was read (h then holds more than was decoded).
func loadJournaled(path string, h hash.Hash) (s *State, unsure bool, err error) {
	s, unsure, err = load(path, h)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("%s: %w", path, ErrNotExist)
	}
	if err != nil {
		return nil, false, err
	}
	// Uploads an interrupted apply recorded after its last full write.
	jb := &FileBackend{Path: path}
	data, err := jb.ReadJournal(context.Background())
	if err != nil || data == nil {
		return s, unsure, err
	}
	if _, err := replayJournal(s, jb.JournalName(), data); err != nil {
		return nil, true, markFile(err, jb)
	}
	return s, true, nil
}

// load reads and checks the lockfile at path. The fast decoder reads it
// a window at a time (decodeFastReader), so that a large lockfile is never
// in memory whole: the state's strings are copies packed tight, under half
// the file's size, and the file's text was, at 42 MB for 100,000 entries,
// the largest part of a plan's memory (issue 15). A file the fast decoder
// declines (invalid, unusual, a conflict marker: never valid JSON) is read
// whole and parsed as Parse does, for its detailed error.
//
// When h is not nil, every byte decoded is written to it, once.
func load(path string, h hash.Hash) (s *State, grown bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	var r io.Reader = f
	if h != nil {
		r = io.TeeReader(f, h)
	}
	if fi.Mode().IsRegular() {
		if s, ok := decodeFastReader(r, fi.Size()); ok {
			if err := s.check(path, false); err != nil {
				return nil, false, err
			}
			if h != nil {
				// Bytes after those the decoder took (the file grew
				// meanwhile) make the digest name no file that was read.
				if n, err := io.Copy(io.Discard, r); err != nil || n > 0 {
					return s, true, err
				}
			}
			return s, false, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, false, err
		}
		if h != nil {
			h.Reset()
		}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, false, err
	}
	s, err = parse(path, data, fastCopy)
	return s, false, err
}

// LoadOrNew is Load, but returns New() when the file does not exist.
func LoadOrNew(path string) (*State, error) {
	s, err := Load(path)
	if errors.Is(err, ErrNotExist) {
		return New(), nil
	}
	return s, err
}

// Parse decodes and checks lockfile bytes. name is used in messages.
func Parse(name string, data []byte) (*State, error) {
	return parse(name, data, fastCopy)
}

// How parse decodes.
type decodeMode int

const (
	fastCopy   decodeMode = iota // decodeFast, copying the strings it keeps, falling back on encoding/json
	fastShared                   // fastCopy, but the state shares data's memory: the caller never modifies data again
	stdlibOnly                   // encoding/json alone, to compare with in tests and benchmarks
)

func parse(name string, data []byte, mode decodeMode) (*State, error) {
	if line := conflictMarker(data); line > 0 {
		return nil, &ParseError{Path: name, Reason: fmt.Sprintf("line %d has a git conflict marker", line) + mergeNote(data)}
	}
	var s *State
	ok := false
	if mode != stdlibOnly {
		s, ok = decodeFast(data, mode == fastShared)
	}
	if !ok {
		// decodeFast declined: the document is invalid or unusual, and
		// encoding/json decides, with its detailed messages.
		var err error
		if s, err = decodeStd(name, data); err != nil {
			return nil, err
		}
	}
	// decodeFast has already checked every asset.
	if err := s.check(name, !ok); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeStd decodes with encoding/json, the reference decodeFast must
// agree with.
func decodeStd(name string, data []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, &ParseError{Path: name, Reason: "not a valid lockfile: " + describeJSONError(data, err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ParseError{Path: name, Reason: "not a valid lockfile: unexpected data after the JSON document"}
	}
	return &s, nil
}

// check validates a decoded state and replaces missing maps with empty
// ones. checkAssets=false skips checking each asset, for a state from
// decodeFast: it checks each asset as it goes (with assetProblem) and
// declines a document with an unusable one, which then comes here from
// encoding/json, so the message is the same either way.
func (s *State) check(name string, checkAssets bool) error {
	if s.Version != Version {
		return &ParseError{Path: name, Reason: fmt.Sprintf("lockfile version %d is not supported by this wxmedia (it reads version %d); use a matching wxmedia release", s.Version, Version)}
	}
	if !validUUID(s.Lineage) {
		return &ParseError{Path: name, Reason: fmt.Sprintf("lineage %q is not a UUID", s.Lineage)}
	}
	if s.Assets == nil {
		s.Assets = map[string]*Entry{}
	}
	if s.Pending == nil {
		s.Pending = map[string]*Pending{}
	}
	// The message names the first bad asset in name order, so that it does
	// not change from run to run. Sorting every name of a large lockfile
	// for that would cost more than the check itself, so the first is
	// picked among the bad ones only.
	var bad []string
	if checkAssets {
		for n, e := range s.Assets {
			if assetProblem(n, e) != "" {
				bad = append(bad, n)
			}
		}
	}
	if len(bad) > 0 {
		n := slices.Min(bad)
		return &ParseError{Path: name, Reason: assetProblem(n, s.Assets[n])}
	}
	bad = bad[:0]
	for n, p := range s.Pending {
		if pendingProblem(n, p) != "" {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		n := slices.Min(bad)
		return &ParseError{Path: name, Reason: pendingProblem(n, s.Pending[n])}
	}
	return nil
}

// assetProblem returns why the asset n cannot be used, or "".
func assetProblem(n string, e *Entry) string {
	switch {
	case e == nil:
		return fmt.Sprintf("assets.%s is null", safetext.Escape(n))
	case e.ID == "":
		return fmt.Sprintf("assets.%s has no id", safetext.Escape(n))
	case !validSHA256(e.SHA256):
		return fmt.Sprintf("assets.%s.sha256 %q is not 64 lowercase hex characters", safetext.Escape(n), e.SHA256)
	}
	if plain(n) && plain(e.Type) && plain(e.Account) && plain(e.MchID) && plain(e.File) && plain(e.Filename) &&
		plain(e.ID) && plain(e.Endpoint) && plain(e.UploadedAt) && plainMap(e.Attributes) {
		return "" // the common case, without building the list below
	}
	fields := []struct{ name, value string }{{"", n}, {"type", e.Type}, {"account", e.Account}, {"mchid", e.MchID},
		{"file", e.File}, {"filename", e.Filename}, {"id", e.ID}, {"endpoint", e.Endpoint}, {"uploaded_at", e.UploadedAt}}
	for _, k := range sortedKeys(e.Attributes) {
		fields = append(fields, struct{ name, value string }{"attributes." + k, k}, struct{ name, value string }{"attributes." + k, e.Attributes[k]})
	}
	for _, f := range fields {
		if c, bad := safetext.Find(f.value); bad {
			return controlProblem("assets", n, f.name, c)
		}
	}
	return ""
}

// pendingProblem returns why the pending upload n cannot be used, or "".
func pendingProblem(n string, p *Pending) string {
	if p == nil {
		return fmt.Sprintf("pending.%s is null", safetext.Escape(n))
	}
	for _, f := range []struct{ name, value string }{{"", n}, {"type", p.Type}, {"account", p.Account}, {"sha256", p.SHA256},
		{"upload_id", p.UploadID}, {"started_at", p.StartedAt}} {
		if c, bad := safetext.Find(f.value); bad {
			return controlProblem("pending", n, f.name, c)
		}
	}
	return ""
}

// controlProblem says that a lockfile string holds a control character,
// which nothing wxmedia records ever does: the file was edited or forged,
// and printing the value could act on the terminal of whoever reads it.
func controlProblem(section, name, field, c string) string {
	where := fmt.Sprintf("%s.%s", section, safetext.Escape(name))
	what := "the name of " + where
	if field != "" {
		what = where + "." + field
	}
	return fmt.Sprintf("%s contains the control character %s, which wxmedia never writes (the file was edited by hand or by a tool). Restore the lockfile from version control, or remove that entry and record it again with `wxmedia apply` or `wxmedia import`", what, c)
}

// The word-at-a-time tools of the fast decoder (package fastjson).
const (
	ones  = fastjson.Ones
	highs = fastjson.Highs
)

func zeroBytes(x uint64) uint64 { return fastjson.ZeroBytes(x) }

// plain reports whether s is printable ASCII, which needs no closer look
// for control characters. It checks eight bytes at a time (see
// validSHA256): it runs on every string of every entry at each load.
func plain(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		// High bit set: non-ASCII, below ' ' (0x20), or DEL (0x7f).
		if (x|(x-' '*ones)&^x|zeroBytes(x^0x7f*ones))&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func plainMap(m map[string]string) bool {
	for k, v := range m {
		if !plain(k) || !plain(v) {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func describeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Sprintf("line %d, column %d: %v", line, col, err)
	}
	if errors.Is(err, io.EOF) {
		return "the file is empty"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Sprintf("the lockfile must be a JSON object, not %s", te.Value)
		}
		line, col := position(data, te.Offset)
		return fmt.Sprintf("line %d, column %d: field %s must be %s, not %s", line, col, te.Field, te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// conflictMarker returns the 1-based number of the first line that is a
// git conflict marker, or 0. It runs on every load, so it first rules out
// markers with three fast substring searches, and otherwise walks the
// lines in place rather than splitting the file.
func conflictMarker(data []byte) int {
	if !bytes.Contains(data, []byte("<<<<<<< ")) && !bytes.Contains(data, []byte(">>>>>>> ")) && !bytes.Contains(data, []byte("=======")) {
		return 0
	}
	for line := 1; ; line++ {
		l, rest, more := bytes.Cut(data, []byte("\n"))
		if bytes.HasPrefix(l, []byte("<<<<<<< ")) || bytes.HasPrefix(l, []byte(">>>>>>> ")) || bytes.Equal(bytes.TrimRight(l, "\r"), []byte("=======")) {
			return line
		}
		if !more {
			return 0
		}
		data = rest
	}
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	// Eight bytes at a time (see ones in package fastjson): it runs once per asset
	// on every load, and a byte loop's comparisons mispredict on every
	// other random digit. For bytes below 0x80, adding 0x80-lo sets a
	// byte's high bit exactly when it is >= lo, and adding 0x7f-hi exactly
	// when it is > hi, with no carry into the next byte.
	for i := 0; i < len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		digit := (x + (0x80-'0')*ones) &^ (x + (0x7f-'9')*ones)
		af := (x + (0x80-'a')*ones) &^ (x + (0x7f-'f')*ones)
		if x&highs != 0 || (digit|af)&highs != highs {
			return false
		}
	}
	return true
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
				return false
			}
		}
	}
	return true
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Marshal returns the canonical bytes of s: sorted keys, two-space indent,
// trailing newline (see marshal).
func (s *State) Marshal() ([]byte, error) { return s.marshal(0) }

// content is the digest of the canonical encoding with the serial zeroed,
// used to decide whether a write changes anything.
func (s *State) content() ([]byte, error) {
	data, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	return contentSum(data, s.Serial), nil
}

// RemoveStaleTemps deletes temporary files a killed writer left beside
// path (atomicfile.WriteFile's ".<name>.tmp-*"). Call it only while holding
// the apply lock, when no other process can be writing path.
func RemoveStaleTemps(path string) { atomicfile.RemoveTemps(path) }

// ErroredName is the file the state is dumped to when the lockfile cannot be
// written.
const ErroredName = "wxmedia.errored.lock.json"

// Store owns a lockfile on disk for the length of an apply. Its Update
// method is the single writer: it is safe for concurrent use, applies a
// change, and returns only once that change is on disk. Concurrent updates
// are committed in groups: while one write is in flight, later changes
// queue up and the next write persists them all at once, so parallel
// uploads do not wait on one fsync each. Serial grows by one per write that
// changes the content.
type Store struct {
	path       string  // the backend's name, for messages
	backend    Backend // where the state is written
	erroredDir string  // where ErroredName is dumped ("": beside path)
	// erroredFile, when set, is the dump's path instead (SetErroredPath).
	erroredFile string

	mu       sync.Mutex
	flushed  *sync.Cond // signalled when a write ends
	state    *State
	written  []byte // content() (a digest) of what is on disk (nil: nothing on disk yet)
	failed   error  // first write failure; no further writes are attempted
	applied  uint64 // updates applied in memory
	durable  uint64 // updates known to be on disk
	writing  bool   // a goroutine is writing outside the lock
	dumpedTo string // where the errored dump went ("": nowhere yet)

	// Journal mode (FileBackend only; see journal.go).
	jb        JournalBackend  // nil: every write is a full write
	jsize     int64           // bytes appended to the journal since the last fold
	dirty     map[string]bool // names changed by UpdateNames since the last write
	needFull  bool            // an Update changed the state in ways only a full write records
	foldAt    int64           // journal size that triggers a fold
	forceFold bool            // Fold asked for the journal to be folded now
}

// Open loads path (or starts a new state when it does not exist) and
// returns a Store for it.
func Open(path string) (*Store, error) {
	return OpenBackend(context.Background(), &FileBackend{Path: path}, filepath.Dir(path))
}

// Err returns the write failure that stopped the store, or nil.
func (st *Store) Err() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.failed
}

// Path returns the lockfile path.
func (st *Store) Path() string { return st.path }

// State returns a copy of the current state.
func (st *Store) State() *State {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.state.Clone()
}

// WriteError reports that the lockfile could not be written. The state was
// dumped to Errored (when that succeeded) so no ID is lost.
type WriteError struct {
	Path    string
	Errored string // "" when the dump failed too
	Err     error
	// Recover says how to bring Errored back; "" means moving it over Path.
	Recover string
	// When Errored is the fallback in the user cache directory, BesideErr
	// says why the dump could not be written to Beside, its usual place.
	Beside    string
	BesideErr error
}

func (e *WriteError) Error() string {
	if e.Errored == "" {
		return fmt.Sprintf("writing %s failed: %v; the state could not be saved elsewhere either: IDs uploaded in this run are only in the output above", e.Path, e.Err)
	}
	where := e.Errored
	if e.BesideErr != nil {
		// The fallback: say why, so that the user looks there.
		where += fmt.Sprintf(" (it could not be written to %s: %v)", e.Beside, unwrapPath(e.BesideErr))
	}
	if e.Recover != "" {
		return fmt.Sprintf("writing %s failed: %v; the full state, including this run's uploads, was saved to %s. %s", e.Path, e.Err, where, e.Recover)
	}
	return fmt.Sprintf("writing %s failed: %v; the full state, including this run's uploads, was saved to %s. Fix the cause, then move %s over %s", e.Path, e.Err, where, e.Errored, e.Path)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Update applies fn to the state and returns once the result is on disk
// (a no-op when the content did not change). After one failed write every
// further Update returns that failure without writing, and the state,
// including fn's change, is dumped to ErroredName, so callers stop starting
// uploads and nothing recorded is lost.
func (st *Store) Update(fn func(*State)) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	fn(st.state)
	st.needFull = true
	return st.commitLocked()
}

// commitLocked counts an update applied to the state and waits until it is
// durable.
func (st *Store) commitLocked() error {
	if st.failed != nil {
		st.dumpErrored()
		return st.failed
	}
	st.applied++
	mine := st.applied
	for st.durable < mine {
		if st.failed != nil {
			return st.failed
		}
		if st.writing {
			st.flushed.Wait()
			continue
		}
		st.flushLocked()
	}
	return st.failed
}

// flushLocked writes everything applied so far. It releases the lock
// during the file write so that other updates can queue behind it.
func (st *Store) flushLocked() {
	if st.jb != nil && !st.needFull && !st.forceFold && st.jsize < st.foldAt {
		st.appendLocked()
		return
	}
	if st.jb != nil && st.jsize > 0 {
		st.foldLocked()
		return
	}
	st.dirty, st.needFull, st.forceFold = nil, false, false
	target := st.applied
	content, err := st.state.content()
	if err != nil {
		st.failed = err
		st.flushed.Broadcast()
		return
	}
	if st.written != nil && bytes.Equal(content, st.written) {
		st.durable = target
		st.flushed.Broadcast()
		return
	}
	st.state.Serial++
	data, err := st.state.Marshal()
	st.writeFullLocked(target, content, data, err)
}

func (st *Store) dumpErrored() {
	we, _ := st.failed.(*WriteError)
	data, err := st.state.Marshal()
	if err != nil {
		return
	}
	p, beside, besideErr := st.writeErrored(data)
	if we != nil && p != "" && besideErr != nil {
		we.Beside, we.BesideErr = beside, besideErr
	}
	if p != "" && we != nil {
		we.Errored = p
		if r, ok := st.backend.(interface{ RecoverHint(errored string) string }); ok {
			we.Recover = r.RecoverHint(p)
		}
	}
}
