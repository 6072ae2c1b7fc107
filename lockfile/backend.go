package lockfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
)

// Backend is where the lockfile document lives: wxmedia.lock.json on disk
// (FileBackend, the default), or a shared store such as PostgreSQL. A
// Backend stores the canonical bytes it is given and returns them
// unchanged.
type Backend interface {
	// Name is how messages refer to the state: a path, or a description
	// of the remote workspace. It never contains a secret.
	Name() string
	// Load returns the stored document, or an error wrapping ErrNotExist
	// when there is none yet.
	Load(ctx context.Context) ([]byte, error)
	// Write stores data, a canonical document (see State.Marshal). A
	// remote backend refuses a write that would overwrite a document it did
	// not load (another lineage, or a serial someone else wrote).
	Write(ctx context.Context, data []byte) error
	// Lock takes the exclusive apply lock, waiting up to timeout (0: fail
	// at once). It returns a *LockError naming the holder when the lock
	// stays taken.
	Lock(ctx context.Context, info LockInfo, timeout time.Duration) (Unlocker, error)
}

// Unlocker releases a lock taken with Backend.Lock.
type Unlocker interface {
	Unlock() error
}

// FileBackend keeps the state in a local lockfile, written atomically, and
// locks with a lock file beside it.
type FileBackend struct {
	Path string
	// History, when set, keeps every document written, and the one found
	// on disk before the first write.
	History *History
	// lastName is the history file of the document a write replaces (what
	// was on disk before the first write, then what was last written), and
	// lastIDs how many IDs it holds: the bytes themselves are not kept, as
	// a lockfile of 100,000 assets is 35 MB.
	lastName string
	lastIDs  int
	seeded   bool
	jr       *journal // the journal file, once appended to or removed
}

// Name returns the lockfile path.
func (f *FileBackend) Name() string { return f.Path }

// Load reads the lockfile.
func (f *FileBackend) Load(ctx context.Context) ([]byte, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", f.Path, ErrNotExist)
	}
	return data, err
}

// Write replaces the lockfile atomically.
func (f *FileBackend) Write(ctx context.Context, data []byte) error {
	if f.History != nil {
		if err := f.keep(data); err != nil {
			return err
		}
	}
	return atomicfile.WriteFile(f.Path, data, 0o644)
}

// keep records data in the history before it replaces the lockfile, and
// first the lockfile's current document (from git, or an older wxmedia),
// so that what a write replaces can always be brought back. A version
// whose successor holds fewer IDs is marked, so pruning spares it longest.
func (f *FileBackend) keep(data []byte) error {
	now := time.Now()
	ids := idCount(data)
	if !f.seeded {
		f.seeded = true
		if prev, err := os.ReadFile(f.Path); err == nil {
			if _, perr := Parse(f.Path, prev); perr == nil {
				name, err := f.History.record(prev, "(found on disk)", now, idCount(prev) > ids)
				if err != nil {
					return err
				}
				f.lastName, f.lastIDs = name, idCount(prev)
			}
		}
	} else if f.lastName != "" && f.lastIDs > ids {
		if err := f.History.markKept(f.lastName); err != nil {
			return err
		}
	}
	name, err := f.History.record(data, Writer(), now, false)
	if err != nil {
		return err
	}
	f.lastName, f.lastIDs = name, ids
	return nil
}

// idCount counts the asset IDs in a canonical document: a write that
// lowers it forgets IDs. (Canonical documents put each asset's fields on
// lines of their own at this indentation.)
func idCount(data []byte) int {
	return bytes.Count(data, []byte("\n      \"id\": \""))
}

// Snapshots returns the kept versions (none without a History).
func (f *FileBackend) Snapshots(ctx context.Context) ([]Snapshot, error) {
	if f.History == nil {
		return nil, nil
	}
	return f.History.Snapshots(ctx)
}

// Lock takes the lock file beside the lockfile (see AcquireLock).
func (f *FileBackend) Lock(ctx context.Context, info LockInfo, timeout time.Duration) (Unlocker, error) {
	l, err := AcquireLock(ctx, f.Path, info, timeout)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// LoadFrom reads and parses the document in b. It returns an error wrapping
// ErrNotExist when b holds none, and a *ParseError when the document cannot
// be used.
func LoadFrom(ctx context.Context, b Backend) (*State, error) {
	data, err := b.Load(ctx)
	if err != nil {
		return nil, err
	}
	s, err := Parse(b.Name(), data)
	if err != nil {
		return nil, err
	}
	// Writes an interrupted apply journaled after its last full write.
	if err := applyJournal(ctx, s, b); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenBackend loads the state in b (or starts a new one when b holds none)
// and returns a Store that persists through b. When a write fails, the
// state is dumped to ErroredName in erroredDir.
func OpenBackend(ctx context.Context, b Backend, erroredDir string) (*Store, error) {
	st := &Store{path: b.Name(), backend: b, erroredDir: erroredDir}
	st.flushed = sync.NewCond(&st.mu)
	s, err := LoadFrom(ctx, b)
	if errors.Is(err, ErrNotExist) {
		st.state = New()
		if jb, ok := b.(JournalBackend); ok {
			if err := st.openJournal(ctx, jb); err != nil {
				return nil, err
			}
		}
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	st.state = s
	if st.written, err = s.content(); err != nil {
		return nil, err
	}
	if jb, ok := b.(JournalBackend); ok {
		if err := st.openJournal(ctx, jb); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Exists reports whether the backend holds a document: one was loaded at
// open, or a write has succeeded since.
func (st *Store) Exists() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.written != nil
}

// ErroredPathFor is where the state of the lockfile lockPath is dumped when
// it cannot be written: ErroredName beside it, or NAME.errored.lock.json for
// a lockfile NAME.lock.json of an environment or another manifest, so that
// one environment's dump is never taken for another's.
func ErroredPathFor(lockPath string) string {
	base := filepath.Base(lockPath)
	name := ErroredName
	if stem, ok := strings.CutSuffix(base, ".lock.json"); ok && base != "wxmedia.lock.json" {
		name = stem + ".errored.lock.json"
	}
	return filepath.Join(filepath.Dir(lockPath), name)
}

// SetErroredPath makes the store dump its state to path (instead of
// ErroredName in its errored directory) when a write fails.
func (st *Store) SetErroredPath(path string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.erroredFile = path
}

// Canonical reports whether data is exactly the canonical encoding of the
// state it holds.
func Canonical(name string, data []byte) (*State, bool, error) {
	s, err := Parse(name, data)
	if err != nil {
		return nil, false, err
	}
	m, err := s.Marshal()
	if err != nil {
		return nil, false, err
	}
	return s, bytes.Equal(m, data), nil
}

// erroredPath is where dumpErrored writes first: the path SetErroredPath
// gave, else the dump named for the lockfile (ErroredPathFor) in the
// errored directory.
func (st *Store) erroredPath() string {
	if st.erroredFile != "" {
		return st.erroredFile
	}
	dir := st.erroredDir
	if dir == "" {
		dir = filepath.Dir(st.path)
	}
	return filepath.Join(dir, filepath.Base(ErroredPathFor(st.path)))
}
