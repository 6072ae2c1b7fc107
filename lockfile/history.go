package lockfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
)

// DefaultHistoryLimit is how many versions a local history keeps.
const DefaultHistoryLimit = 100

// ErrNoSnapshot is wrapped by a lookup of a serial the history does not hold.
var ErrNoSnapshot = errors.New("lockfile: no such version")

// Snapshot is one kept state document.
type Snapshot struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
	// Writer names who wrote it (user@host); Time is when (RFC 3339, UTC).
	Writer string `json:"writer"`
	Time   string `json:"written_at"`
	// Data is the canonical document.
	Data []byte `json:"-"`
}

// Historian is a Backend that keeps every document it stores, so that a
// forget or a bad restore never loses an ID for good.
type Historian interface {
	// Snapshots returns the kept versions, oldest first (by serial, then
	// time).
	Snapshots(ctx context.Context) ([]Snapshot, error)
}

// Writer names this process's user and host for the history.
func Writer() string {
	host, _ := os.Hostname()
	if u := os.Getenv("USER"); u != "" {
		return u + "@" + host
	}
	return host
}

// FindSnapshot returns the kept version with serial n: of several (after a
// git merge, or a lockfile made anew), the last written of lineage, else
// the last written.
func FindSnapshot(ctx context.Context, h Historian, n uint64, lineage string) (*Snapshot, error) {
	vs, err := h.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	var found *Snapshot
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Serial != n {
			continue
		}
		if vs[i].Lineage == lineage {
			return &vs[i], nil
		}
		if found == nil {
			found = &vs[i]
		}
	}
	if found == nil {
		return nil, fmt.Errorf("serial %d: %w", n, ErrNoSnapshot)
	}
	return found, nil
}

// History keeps past versions of a local lockfile as files in Dir, one per
// distinct document, named by serial and content hash so that a file is
// written once and never changed. It writes without following symbolic
// links: the directories are checked with Lstat and files are created
// exclusively, then renamed into place.
type History struct {
	// Root is the directory that must already exist (beside the
	// manifest); Dir is below it and created as needed.
	Root, Dir string
	// Limit is how many versions are kept; older ones are removed.
	Limit int
	// swept: temporary files a killed writer left have been removed.
	swept bool
}

// HistoryFor returns the history of the lockfile lockPath, kept in
// .wxmedia/history/<lockfile name> beside the manifest. WXMEDIA_HISTORY_LIMIT
// overrides the number of versions kept (at least 1).
func HistoryFor(manifestDir, lockPath string) (*History, error) {
	limit := DefaultHistoryLimit
	if v := os.Getenv("WXMEDIA_HISTORY_LIMIT"); v != "" {
		n, err := parsePositive(v)
		if err != nil {
			return nil, fmt.Errorf("WXMEDIA_HISTORY_LIMIT=%q: %v; set it to the number of state versions to keep (at least 1), or unset it for %d", v, err, DefaultHistoryLimit)
		}
		limit = n
	}
	return &History{Root: manifestDir, Dir: filepath.Join(manifestDir, ".wxmedia", "history", filepath.Base(lockPath)), Limit: limit}, nil
}

// docRef is the identity of a document: its lineage and serial.
type docRef struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

func parseRef(data []byte) (*docRef, error) {
	var r docRef
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("not a lockfile: %v", err)
	}
	return &r, nil
}

func parsePositive(s string) (int, error) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e9 {
			return 0, errors.New("not a positive whole number")
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 {
		return 0, errors.New("not a positive whole number")
	}
	return n, nil
}

// A history file is one line of JSON describing the version (a Snapshot
// without Data), then the document's canonical bytes as they are: no
// escaping, so keeping a version costs about what writing the lockfile does.

// fileName is the name of data's history file: serial first, so that names
// sort in serial order.
func historyName(serial uint64, data []byte) string {
	sum := sha256.Sum256(data)
	return fmt.Sprintf("%020d-%s.json", serial, hex.EncodeToString(sum[:8]))
}

// keptSuffix marks a version that held an ID its successor dropped (a
// forget): pruning removes such versions last.
const keptSuffix = ".keep.json"

// Record keeps data (a canonical document) unless it is kept already; with
// dropsIDs, data is marked as a version whose successor forgot IDs, so that
// pruning spares it as long as it can. It removes the oldest versions
// beyond Limit. It is the one place history is written: the backend calls
// it once per lockfile write.
func (h *History) Record(data []byte, writer string, when time.Time, dropsIDs bool) error {
	_, err := h.record(data, writer, when, dropsIDs)
	return err
}

// markKept marks the version kept in the history file plain (a name
// record returned) as one whose successor forgot IDs, as Record with
// dropsIDs does, without needing its bytes.
func (h *History) markKept(plain string) error {
	kept := strings.TrimSuffix(plain, ".json") + keptSuffix
	if err := os.Rename(plain, kept); err != nil {
		if _, serr := os.Lstat(kept); serr == nil {
			return nil // marked already
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil // pruned meanwhile
		}
		return fmt.Errorf("keeping state history in %s: %w", h.Dir, err)
	}
	return atomicfile.SyncDir(h.Dir)
}

// record is Record, returning the name the version is kept under without
// the kept mark (see markKept).
func (h *History) record(data []byte, writer string, when time.Time, dropsIDs bool) (string, error) {
	ref, err := parseRef(data)
	if err != nil {
		return "", err
	}
	if err := h.mkdirs(); err != nil {
		return "", err
	}
	if !h.swept {
		// Writers hold the apply lock, so any temporary file here was left
		// by a killed one.
		h.swept = true
		stale, _ := filepath.Glob(filepath.Join(h.Dir, ".*.tmp-*"))
		for _, s := range stale {
			os.Remove(s)
		}
	}
	plain := filepath.Join(h.Dir, historyName(ref.Serial, data))
	kept := strings.TrimSuffix(plain, ".json") + keptSuffix
	if _, err := os.Lstat(kept); err == nil {
		return plain, nil
	}
	if _, err := os.Lstat(plain); err == nil {
		if !dropsIDs {
			return plain, nil
		}
		return plain, h.markKept(plain)
	}
	name := plain
	if dropsIDs {
		name = kept
	}

	head, err := json.Marshal(Snapshot{Lineage: ref.Lineage, Serial: ref.Serial, Writer: writer, Time: when.UTC().Format(time.RFC3339)})
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, len(head)+1+len(data))
	buf = append(append(append(buf, head...), '\n'), data...)
	if err := atomicfile.WriteFile(name, buf, 0o644); err != nil { // temp file + rename: never writes through a link
		return "", fmt.Errorf("keeping state history in %s: %w", h.Dir, err)
	}
	return plain, h.prune()
}

// mkdirs creates Dir below Root, refusing any part that is a symbolic link.
func (h *History) mkdirs() error {
	rel, err := filepath.Rel(h.Root, h.Dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("state history %s is not below %s", h.Dir, h.Root)
	}
	p := h.Root
	for i, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("keeping state history: %w", err)
			}
			if i == 0 {
				// .wxmedia is local: never committed.
				atomicfile.WriteFile(filepath.Join(p, ".gitignore"), []byte("# Local wxmedia state (stat cache, state history): never commit it.\n*\n"), 0o644)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("keeping state history: %w", err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("keeping state history: %s is not a directory (a symbolic link is refused); remove it so that wxmedia can create the directory", p)
		}
	}
	return nil
}

// names returns the history file names, oldest serial first.
func (h *History) names() ([]string, error) {
	ents, err := os.ReadDir(h.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// prune removes the oldest versions beyond Limit: first those not marked
// as holding forgotten IDs, then, if need be, the marked ones.
func (h *History) prune() error {
	names, err := h.names()
	if err != nil || len(names) <= h.Limit {
		return err
	}
	var plain, kept []string
	for _, n := range names {
		if strings.HasSuffix(n, keptSuffix) {
			kept = append(kept, n)
		} else {
			plain = append(plain, n)
		}
	}
	excess := len(names) - h.Limit
	// The newest version is never removed: it is the lockfile's own.
	victims := plain[:min(excess, max(len(plain)-1, 0))]
	if rest := excess - len(victims); rest > 0 {
		victims = append(victims, kept[:min(rest, len(kept))]...)
	}
	for _, n := range victims {
		if err := os.Remove(filepath.Join(h.Dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Snapshots returns the kept versions, oldest first.
func (h *History) Snapshots(ctx context.Context) ([]Snapshot, error) {
	names, err := h.names()
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(h.Dir, n))
		if err != nil {
			return nil, err
		}
		head, doc, _ := bytes.Cut(data, []byte("\n"))
		var v Snapshot
		if err := json.Unmarshal(head, &v); err != nil {
			return nil, fmt.Errorf("%s: not a wxmedia state version (%v); delete the file", filepath.Join(h.Dir, n), err)
		}
		v.Data = doc
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Serial != out[j].Serial {
			return out[i].Serial < out[j].Serial
		}
		return out[i].Time < out[j].Time
	})
	return out, nil
}
