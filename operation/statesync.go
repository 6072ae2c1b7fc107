package operation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/internal/errmark"
	"github.com/wxmedia/wxmedia/lockfile"
)

// `wxmedia state pull` and `state push`: copy the document between the
// manifest's state backend and a local file.

// needRemote refuses sub for a workspace whose state is the local lockfile.
func (w *Workspace) needRemote(sub string) error {
	if !w.Remote() {
		return fmt.Errorf("%s has no state block, so the state is the local lockfile %s already; `wxmedia state %s` is for a manifest whose state block names a PostgreSQL backend (see `wxmedia schema`)", w.M.Path, w.LockPath, sub)
	}
	return nil
}

// Pulled is what Pull read.
type Pulled struct {
	Data  []byte          // the stored document, exactly
	State *lockfile.State // parsed
	From  string          // the backend's name
}

// Pull reads the stored document of the workspace's backend, and refuses
// one wxmedia would not read itself.
func (w *Workspace) Pull(ctx context.Context) (*Pulled, error) {
	if err := w.needRemote("pull"); err != nil {
		return nil, err
	}
	data, err := w.state.Load(ctx)
	if errors.Is(err, lockfile.ErrNotExist) {
		return nil, errmark.Mark(fmt.Errorf("%w: nothing is stored yet", err), ErrNothingStored)
	}
	if err != nil {
		return nil, err
	}
	// Never hand applications a document wxmedia would not read itself.
	st, err := lockfile.Parse(w.StateName(), data)
	if err != nil {
		return nil, err
	}
	return &Pulled{Data: data, State: st, From: w.StateName()}, nil
}

// WritePulled writes a pulled document to out (default: the local
// lockfile), atomically, and returns the path written.
func (w *Workspace) WritePulled(p *Pulled, out string) (string, error) {
	if out == "" {
		out = w.LockPath
	}
	if err := atomicfile.WriteFile(out, p.Data, 0o644); err != nil {
		return out, fmt.Errorf("writing %s: %w", out, err)
	}
	return out, nil
}

// PushArgs stores the local lockfile File (default: the workspace's) in
// the backend.
type PushArgs struct {
	File        string
	Force       bool
	LockTimeout time.Duration
}

// Pushed is what Push did.
type Pushed struct {
	File  string          // the lockfile pushed
	To    string          // the backend's name
	State *lockfile.State // as stored (its serial possibly raised)
	// Unchanged: the backend held the file's content already (at the
	// serial State.Serial); nothing was written.
	Unchanged bool
}

// Push stores a local lockfile in the backend under the lock. It refuses
// to replace a stored state of another lineage, or one written after the
// file was taken, unless a.Force; a stored serial is never lowered.
func (w *Workspace) Push(ctx context.Context, a PushArgs) (*Pushed, error) {
	if err := w.needRemote("push"); err != nil {
		return nil, err
	}
	file := a.File
	if file == "" {
		file = w.LockPath
	}
	local, err := lockfile.Load(file)
	if err != nil {
		return nil, err
	}
	lock, err := w.Lock(ctx, "state push", a.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	remote, err := lockfile.LoadFrom(ctx, w.state)
	var pe *lockfile.ParseError
	switch {
	case errors.Is(err, lockfile.ErrNotExist):
		remote = nil
	case errors.As(err, &pe) && a.Force:
		remote = nil // replaced below; Load recorded the row for the swap
	case err != nil:
		return nil, err
	}
	name := w.StateName()
	if remote != nil {
		same := local.Lineage == remote.Lineage
		if same && bytes.Equal(withSerial(local, 0), withSerial(remote, 0)) {
			return &Pushed{File: file, To: name, State: remote, Unchanged: true}, nil
		}
		switch {
		case a.Force:
		case !same:
			return nil, fmt.Errorf("%s holds another state (lineage %s) than %s (lineage %s); nothing was changed. Pull it with `wxmedia state pull -out -` and compare; re-run with -force only if %s should replace it", name, remote.Lineage, file, local.Lineage, file)
		case remote.Serial >= local.Serial:
			return nil, fmt.Errorf("%s was written after %s was taken (stored serial %d, file serial %d); nothing was changed. Pull it with `wxmedia state pull -out -` and merge by hand; re-run with -force only if %s should replace it", name, file, remote.Serial, local.Serial, file)
		}
		if local.Serial <= remote.Serial {
			// Serials only grow, so saved plans of the replaced state go stale.
			local.Serial = remote.Serial + 1
		}
	}
	data, err := local.Marshal()
	if err != nil {
		return nil, err
	}
	if err := w.state.Write(ctx, data); err != nil {
		return nil, err
	}
	return &Pushed{File: file, To: name, State: local}, nil
}

// withSerial returns the canonical bytes of s with its serial set to n.
func withSerial(s *lockfile.State, n uint64) []byte {
	c := s.Clone()
	c.Serial = n
	data, _ := c.Marshal()
	return data
}

// LockHolder describes who holds a workspace's apply lock.
type LockHolder struct {
	// Held is false when nobody does (locally: there is no lock file).
	Held bool
	// Live: a process holds it right now (a local lock file may be stale;
	// a PostgreSQL lock never is).
	Live bool
	// Removable: force-unlock may remove it (a lock file). A PostgreSQL
	// lock ends with its holder's connection and is never removed.
	Removable bool
	Holder    string // "unknown holder" when its details cannot be read
}

// Holder reports who holds the workspace's apply lock.
func (w *Workspace) Holder(ctx context.Context) (LockHolder, error) { return w.state.holder(ctx) }

// ForceUnlock removes a stale lock held by h. A PostgreSQL lock is an
// advisory lock held by its holder's connection and released when that
// ends, so it is never stale: that is refused, saying so.
func (w *Workspace) ForceUnlock(h LockHolder) error { return w.state.forceUnlock(h) }

func (b localBackend) holder(context.Context) (LockHolder, error) {
	path := lockfile.LockPath(b.Path)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return LockHolder{}, nil
	}
	h := LockHolder{Held: true, Removable: true, Holder: "unknown holder"}
	if li := lockfile.ReadLockInfo(path); li != nil {
		h.Holder = li.String()
	}
	h.Live, _ = lockfile.IsLocked(b.Path)
	return h, nil
}

func (b localBackend) forceUnlock(LockHolder) error { return lockfile.RemoveLock(b.Path) }

func (b remoteBackend) holder(ctx context.Context) (LockHolder, error) {
	li, err := b.Holder(ctx)
	if err != nil || li == nil {
		return LockHolder{}, err
	}
	return LockHolder{Held: true, Live: true, Holder: li.String()}, nil
}

func (b remoteBackend) forceUnlock(h LockHolder) error {
	return fmt.Errorf("%s is locked by %s. Its lock is a PostgreSQL advisory lock held by that process's database connection and is released when the connection ends, so it is never stale: stop that process, or wait for it", b.Name(), h.Holder)
}
