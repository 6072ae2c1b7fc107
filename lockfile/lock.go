package lockfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"

	"github.com/wxmedia/wxmedia/internal/errmark"
)

// LockInfo describes who holds the apply lock. It is written into the lock
// file so that a second apply can name the holder.
type LockInfo struct {
	PID       int    `json:"pid"`
	Host      string `json:"host"`
	User      string `json:"user,omitempty"`
	Command   string `json:"command"`
	Created   string `json:"created"`
	Operation string `json:"operation"`
}

func (li *LockInfo) String() string {
	who := li.Host
	if li.User != "" {
		who = li.User + "@" + li.Host
	}
	return fmt.Sprintf("pid %d on %s, running %q (%s) since %s", li.PID, who, li.Command, li.Operation, li.Created)
}

// deadHere reports whether li names a process on this host that is no
// longer running: a lock file left by a killed apply, not the live holder.
func (li *LockInfo) deadHere() bool {
	host, _ := os.Hostname()
	return li.Host == host && li.PID > 0 && !processAlive(li.PID)
}

// NewLockInfo describes this process.
func NewLockInfo(operation, command string) LockInfo {
	host, _ := os.Hostname()
	return LockInfo{PID: os.Getpid(), Host: host, User: os.Getenv("USER"), Command: command,
		Created: time.Now().UTC().Format(time.RFC3339), Operation: operation}
}

// LockPath is the lock file beside a lockfile.
func LockPath(lockfilePath string) string { return lockfilePath + ".lock" }

// LockError reports a lock held by someone else.
type LockError struct {
	Path string
	// Info is the holder's description; nil when it could not be read.
	Info    *LockInfo
	Waited  time.Duration
	Timeout bool
	// Advice replaces the default advice (which is about the lock file)
	// when set.
	Advice string
}

func (e *LockError) Error() string {
	holder := "another wxmedia process (its details could not be read)"
	if e.Info != nil {
		holder = e.Info.String()
	}
	msg := fmt.Sprintf("%s is locked by %s", e.Path, holder)
	if e.Waited >= time.Millisecond {
		msg += fmt.Sprintf("; waited %s", e.Waited.Round(time.Millisecond))
	}
	if e.Advice != "" {
		return msg + ". " + e.Advice
	}
	return msg + ". Wait for it to finish (or pass -lock-timeout to wait longer); if that process is gone and the lock is stale, remove it with `wxmedia force-unlock`"
}

// Lock is a held apply lock.
type Lock struct {
	fl   *flock.Flock
	path string
}

// AcquireLock takes the exclusive lock beside lockfilePath, waiting up to
// timeout (0: fail at once) with backoff from 100 ms up to 2 s. It returns a
// *LockError naming the holder when the lock stays taken.
func AcquireLock(ctx context.Context, lockfilePath string, info LockInfo, timeout time.Duration) (*Lock, error) {
	path := LockPath(lockfilePath)
	start := time.Now()
	delay := 100 * time.Millisecond
	unreadable := 0
	noticed := false
	for {
		l, err := tryLock(path)
		if err != nil {
			return nil, err
		}
		if l != nil {
			data, err := json.MarshalIndent(info, "", "  ")
			if err == nil {
				err = writeNoFollow(path, append(data, '\n'))
			}
			if err != nil {
				l.Unlock()
				return nil, fmt.Errorf("writing lock info to %s: %w", path, err)
			}
			return l, nil
		}
		waited := time.Since(start)
		if waited >= timeout {
			info := ReadLockInfo(path)
			if (info == nil || info.deadHere()) && unreadable < 50 {
				// The holder took the lock an instant ago and has not
				// written who it is yet (the file may still name a killed
				// earlier holder), or released it an instant ago: look
				// again (for up to half a second) before giving up.
				unreadable++
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return nil, &LockError{Path: path, Info: info, Waited: waited, Timeout: timeout > 0}
		}
		if !noticed {
			noticed = true
			NoticeWait(ctx, ReadLockInfo(path))
		}
		d := min(delay, timeout-waited)
		select {
		case <-ctx.Done():
			return nil, &LockError{Path: path, Info: ReadLockInfo(path), Waited: time.Since(start)}
		case <-time.After(d):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// tryLock takes the lock once; nil, nil means someone else holds it.
func tryLock(path string) (*Lock, error) {
	for range 10 {
		// The lock file is never followed through a symbolic link (one
		// committed to the repository, say): creating it, or writing the
		// holder's description into it, would write the file the link
		// points to.
		if err := IsLink(path, lockLinkAdvice(path)); err != nil {
			return nil, errmark.Mark(err, ErrNotRegular)
		}
		fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR|oNoFollow))
		ok, err := fl.TryLock()
		if err != nil {
			if lerr := IsLink(path, lockLinkAdvice(path)); lerr != nil {
				return nil, errmark.Mark(lerr, ErrNotRegular) // swapped in since the check above
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !ok {
			fl.Close()
			return nil, nil
		}
		// The holder before us may have removed the file between our open
		// and our lock; then we hold a lock on a file nobody else sees.
		held, err1 := fl.Stat()
		cur, err2 := os.Lstat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, cur) {
			return &Lock{fl: fl, path: path}, nil
		}
		fl.Close()
	}
	return nil, fmt.Errorf("locking %s: the lock file keeps changing under us", path)
}

// lockLinkAdvice is what a *LinkError for the lock file at path says.
func lockLinkAdvice(path string) string {
	return fmt.Sprintf("wxmedia creates its apply lock only as a regular file and never writes through a link (that would overwrite the file it points to). The lock file is local and never committed: remove the link (`rm %s`)", path)
}

// ErrNotRegular marks the refusal of a local file of apply's, the lock or
// the journal, that is a link or not a regular file (internal/errmark):
// both are local and never committed, so removing it, as the message says,
// is safe, and then the command can run again.
var ErrNotRegular = errors.New("lockfile: a local lock or journal file is not a regular file")

// writeNoFollow replaces the content of the regular file at path, failing
// rather than following a symbolic link.
func writeNoFollow(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC|oNoFollow, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Unlock releases the lock and removes the lock file.
func (l *Lock) Unlock() error {
	err := os.Remove(l.path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if uerr := l.fl.Close(); err == nil {
		err = uerr
	}
	return err
}

// ReadLockInfo reads the holder's description, or returns nil.
func ReadLockInfo(path string) *LockInfo {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return nil
	}
	var li LockInfo
	if json.Unmarshal(data, &li) != nil {
		return nil
	}
	return &li
}

// IsLocked reports whether someone currently holds the lock at lockfilePath.
func IsLocked(lockfilePath string) (bool, error) {
	path := LockPath(lockfilePath)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	l, err := tryLock(path)
	if err != nil {
		return false, err
	}
	if l == nil {
		return true, nil
	}
	// We took it only to look: release without removing the holder's info.
	l.fl.Close()
	return false, nil
}

type waitNoticeKey struct{}

// WithWaitNotice returns a context under which a Backend's Lock, when it
// finds the lock taken and is about to wait, calls fn once with the
// holder (nil when unknown), so that a waiting command can say whom it
// waits for.
func WithWaitNotice(ctx context.Context, fn func(holder *LockInfo)) context.Context {
	return context.WithValue(ctx, waitNoticeKey{}, fn)
}

// NoticeWait calls the function WithWaitNotice put in ctx, if any. Backends
// call it once per Lock, when they start waiting.
func NoticeWait(ctx context.Context, holder *LockInfo) {
	if fn, ok := ctx.Value(waitNoticeKey{}).(func(*LockInfo)); ok && fn != nil {
		fn(holder)
	}
}

// RemoveLock removes the lock file of the lockfile at lockfilePath, for
// `wxmedia force-unlock` after the user confirmed the lock is stale. A lock
// file that is already gone is no error.
func RemoveLock(lockfilePath string) error {
	if err := os.Remove(LockPath(lockfilePath)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
