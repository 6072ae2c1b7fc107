package operation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/pgstate"
)

// StateBackend is where a workspace's state lives: the local lockfile, or
// the PostgreSQL workspace of the manifest's state block. Every operation
// reaches the state through it.
type StateBackend interface {
	lockfile.Backend
	lockfile.Historian
	// exists reports whether a state is stored.
	exists() bool
	// loadState reads and parses the stored state; the error wraps
	// lockfile.ErrNotExist when there is none yet.
	loadState(ctx context.Context) (*lockfile.State, error)
	// remote returns the PostgreSQL backend, or nil for the local lockfile.
	remote() *pgstate.Backend
	// erroredAdvice says how to bring back the errored-state dump p.
	erroredAdvice(p, lockPath string) string
	// prepareWrite runs under the lock before the state is opened for
	// writing.
	prepareWrite()
	// holder reports who holds the apply lock.
	holder(ctx context.Context) (LockHolder, error)
	// forceUnlock removes a stale lock held by h, or says why it cannot.
	forceUnlock(h LockHolder) error
}

// localBackend is the local lockfile (embedding keeps its journal methods).
type localBackend struct{ *lockfile.FileBackend }

func (b localBackend) exists() bool {
	_, err := os.Stat(b.Path)
	return err == nil
}
func (b localBackend) remote() *pgstate.Backend { return nil }
func (b localBackend) loadState(context.Context) (*lockfile.State, error) {
	return lockfile.Load(b.Path)
}
func (b localBackend) erroredAdvice(p, lockPath string) string {
	return fmt.Sprintf("Check it, move it over %s (or delete it if the lockfile is already complete)", lockPath)
}

// prepareWrite removes temporary files left by a killed apply; the caller
// holds the lock.
func (b localBackend) prepareWrite() { lockfile.RemoveStaleTemps(b.Path) }

// remoteBackend is a PostgreSQL workspace.
type remoteBackend struct{ *pgstate.Backend }

func (b remoteBackend) exists() bool             { return b.Backend.Exists() }
func (b remoteBackend) remote() *pgstate.Backend { return b.Backend }
func (b remoteBackend) loadState(ctx context.Context) (*lockfile.State, error) {
	return lockfile.LoadFrom(ctx, b)
}
func (b remoteBackend) erroredAdvice(p, _ string) string {
	return b.RecoverHint(p)
}
func (b remoteBackend) prepareWrite() {}

// State returns the workspace's state backend.
func (w *Workspace) State() StateBackend { return w.state }

// Remote reports whether the state lives in a PostgreSQL backend.
func (w *Workspace) Remote() bool { return w.state.remote() != nil }

// StateName is how messages name the state: the lockfile, or the backend.
func (w *Workspace) StateName() string { return w.state.Name() }

// StateExists reports whether a state is stored.
func (w *Workspace) StateExists() bool { return w.state.exists() }

// Lock takes the apply lock of the workspace's state for op, saying on the
// workspace's log when it waits for another holder.
func (w *Workspace) Lock(ctx context.Context, op string, timeout time.Duration) (lockfile.Unlocker, error) {
	ctx = lockfile.WithWaitNotice(ctx, func(holder *lockfile.LockInfo) {
		who := "another wxmedia process (its details could not be read)"
		if holder != nil {
			who = holder.String()
		}
		fmt.Fprintf(w.log, "Waiting up to %s for the lock on %s, held by %s...\n", timeout, w.StateName(), who)
	})
	return w.state.Lock(ctx, lockfile.NewLockInfo(op, commandLine()), timeout)
}

func commandLine() string {
	return "wxmedia " + strings.Join(os.Args[1:], " ")
}

// OpenStore opens the single writer of the workspace's state; the caller
// holds the lock. A failed write dumps the state beside the local lockfile
// either way.
func (w *Workspace) OpenStore(ctx context.Context) (*lockfile.Store, error) {
	st, err := lockfile.OpenBackend(ctx, w.state, filepath.Dir(w.LockPath))
	if err == nil {
		st.SetErroredPath(lockfile.ErroredPathFor(w.LockPath))
	}
	return st, err
}

// LoadExisting reads the state; the error wraps lockfile.ErrNotExist when
// there is none yet.
func (w *Workspace) LoadExisting() (*lockfile.State, error) {
	if w.prefetched != nil && !w.Remote() {
		w.startPrefetch()
		r := <-w.prefetched
		w.prefetched = nil
		w.decoded, w.decodedOK = r.digest, r.ok && r.err == nil
		return r.st, r.err
	}
	// A remote workspace drops the local prefetch, if any, unread.
	return w.state.loadState(context.Background())
}

// LoadState reads the state, or starts an empty one; exists tells which.
func (w *Workspace) LoadState() (st *lockfile.State, exists bool, err error) {
	st, err = w.LoadExisting()
	if errors.Is(err, lockfile.ErrNotExist) {
		return lockfile.New(), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return st, true, nil
}

// ErroredDump describes the errored-state dump an earlier apply left for
// this workspace's state (beside the lockfile, or in the user cache
// directory when it could not be written there) and how to recover; ""
// when there is none.
func (w *Workspace) ErroredDump() string {
	for _, p := range lockfile.ErroredPaths(lockfile.ErroredPathFor(w.LockPath)) {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		return fmt.Sprintf("%s exists: an earlier apply could not write %s and saved its full state there. %s", p, w.StateName(), w.state.erroredAdvice(p, w.LockPath))
	}
	return ""
}

// EditLockfile runs fn on the state under the apply lock, as op.
func (w *Workspace) EditLockfile(op string, timeout time.Duration, fn func(*lockfile.State) error) error {
	lock, err := w.Lock(context.Background(), op, timeout)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	store, err := w.OpenStore(context.Background())
	if err != nil {
		return err
	}
	// Try the edit on a copy first: a refused edit writes nothing (not even
	// a new, empty lockfile).
	if err := fn(store.State()); err != nil {
		return err
	}
	var ferr error
	if err := store.Update(func(s *lockfile.State) { ferr = fn(s) }); err != nil {
		return err
	}
	return ferr
}
