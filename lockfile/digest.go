package lockfile

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/wxmedia/wxmedia/internal/filestat"
)

// Digest is the SHA-256 of a lockfile's bytes: two lockfiles with one
// Digest hold the same state.
type Digest [32]byte

// LoadDigest is Load, also returning the digest of the bytes it decoded.
// ok is false when the state is not those bytes' alone: a journal beside
// the lockfile was folded in, or the file grew while it was read.
func LoadDigest(path string) (s *State, d Digest, ok bool, err error) {
	h := sha256.New()
	s, unsure, err := loadJournaled(path, h)
	if err != nil {
		return nil, d, false, err
	}
	h.Sum(d[:0])
	return s, d, !unsure, nil
}

// ErrUnsettled reports a lockfile whose bytes are not, alone, its state
// as ReadDigest read it: a journal lies beside it, or it was replaced or
// written while being read.
var ErrUnsettled = errors.New("the lockfile is not settled")

// ReadDigest returns the digest of the lockfile at path without decoding
// it, reading through a small buffer (a plan on an unchanged tree asks
// only whether the lockfile is the one an earlier plan read). It returns
// ErrUnsettled (wrapped) unless the bytes read are the whole state: there
// is no journal beside the lockfile before or after the read (an apply
// recording uploads there), and the path names the file read, unchanged,
// once it is read (an apply folding its journal replaces the file by
// rename; a write in place moves its ctime). A missing lockfile is
// ErrNotExist (wrapped). It stops, with ctx's error, once ctx is done.
func ReadDigest(ctx context.Context, path string) (d Digest, err error) {
	journal := JournalPath(path)
	if err := noJournal(journal); err != nil {
		return d, err
	}
	// Only a regular file is opened: opening a FIFO would wait for a
	// writer.
	if fi, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return d, fmt.Errorf("%s: %w", path, ErrNotExist)
	} else if err != nil {
		return d, err
	} else if !fi.Mode().IsRegular() {
		return d, fmt.Errorf("%s is not a regular file: %w", path, ErrUnsettled)
	}
	f, err := os.Open(path)
	if err != nil {
		return d, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return d, err
	}
	if !before.Mode().IsRegular() {
		return d, fmt.Errorf("%s is not a regular file: %w", path, ErrUnsettled)
	}
	h := sha256.New()
	buf := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return d, err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return d, err
		}
	}
	if afterDigestRead != nil {
		afterDigestRead()
	}
	after, err := os.Stat(path)
	if err != nil {
		return d, err
	}
	if !os.SameFile(before, after) || !sameStat(before, after) {
		return d, fmt.Errorf("%s changed while it was read: %w", path, ErrUnsettled)
	}
	if err := noJournal(journal); err != nil {
		return d, err
	}
	h.Sum(d[:0])
	return d, nil
}

// afterDigestRead, when set (by tests), runs between ReadDigest's read and
// its checks.
var afterDigestRead func()

// noJournal returns ErrUnsettled (wrapped) when anything is at journal.
func noJournal(journal string) error {
	if _, err := os.Lstat(journal); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s exists: %w", journal, ErrUnsettled)
	}
	return nil
}

func ctimeOf(fi fs.FileInfo) int64 {
	c, _ := filestat.CtimeIno(fi)
	return c
}

// sameStat: a and b, of one file, show no write between them (size,
// mtime, and where the platform has one, ctime).
func sameStat(a, b fs.FileInfo) bool {
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && ctimeOf(a) == ctimeOf(b)
}
