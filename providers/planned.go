package providers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
)

// PlannedReader reads a section of a planned file for sending and proves,
// in the same pass, that the bytes it hands out are the planned ones. It
// hashes them with SHA-256 and, before it returns the last of them, checks
// that they hash to the expected digest and, when the section ends the
// file, that nothing follows it. On a mismatch it returns a
// *FileChangedError instead of the last bytes, so a request streaming it
// is cut short rather than completed with content other than planned:
// whatever the request already carries (a signed digest, a media_hash),
// the endpoint never receives a whole body to issue an ID for.
//
// Every provider sends its file through one: the whole file against
// Request.SHA256, or for a chunked upload each part against the digest
// its signature carries, with the parts read in order through one reader
// over the whole file.
type PlannedReader struct {
	f      io.ReaderAt
	off    int64
	length int64
	end    bool // the section ends the file
	want   string
	h      hash.Hash
	also   []io.Writer
	n      int64
	err    error // sticky
}

// NewPlannedReader returns a reader over the length bytes of f at off,
// which must hash (SHA-256, hex) to want. fileSize is the planned size of
// the whole file; a section that ends at it also checks that the file has
// grown no longer. Every byte returned is also written to each of also
// (a second digest a request needs, say), whose writes must not fail.
func NewPlannedReader(f io.ReaderAt, off, length, fileSize int64, want string, also ...io.Writer) *PlannedReader {
	return &PlannedReader{f: f, off: off, length: length, end: off+length == fileSize,
		want: strings.ToLower(want), h: sha256.New(), also: also}
}

// Content returns a PlannedReader over the whole of f, planned as r
// describes (Size, SHA256).
func (r *Request) Content(f io.ReaderAt, also ...io.Writer) *PlannedReader {
	return NewPlannedReader(f, 0, r.Size, r.Size, r.SHA256, also...)
}

func (r *PlannedReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.n == r.length {
		if r.length == 0 {
			if r.err = r.check(); r.err != nil {
				return 0, r.err
			}
		}
		return 0, io.EOF
	}
	if rest := r.length - r.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := r.f.ReadAt(p, r.off+r.n)
	r.h.Write(p[:n])
	for _, w := range r.also {
		w.Write(p[:n])
	}
	r.n += int64(n)
	switch {
	case r.n == r.length:
		if r.err = r.check(); r.err != nil {
			return 0, r.err
		}
		return n, nil
	case err == io.EOF || (err == nil && n < len(p)):
		r.err = &FileChangedError{Detail: fmt.Sprintf("it is shorter than the planned %d bytes", r.off+r.length)}
		return 0, r.err
	case err != nil:
		r.err = fmt.Errorf("read file: %w", err)
		return 0, r.err
	}
	return n, nil
}

// check runs once the section has been read whole.
func (r *PlannedReader) check() error {
	if r.end {
		var b [1]byte
		if n, _ := r.f.ReadAt(b[:], r.off+r.length); n != 0 {
			return &FileChangedError{Detail: fmt.Sprintf("it is longer than the planned %d bytes", r.off+r.length)}
		}
	}
	if got := hex.EncodeToString(r.h.Sum(nil)); got != r.want {
		what := "its content hashes"
		if r.off != 0 || !r.end {
			what = fmt.Sprintf("the %d bytes at offset %d hash", r.length, r.off)
		}
		return &FileChangedError{Detail: fmt.Sprintf("%s to sha256 %s, not the planned %s", what, short(got), short(r.want))}
	}
	return nil
}

// short abbreviates a hex digest for messages, as the plan does.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}

// AsFileChanged returns err as "asset: file changed since plan: …" when it
// is or wraps a *FileChangedError, and nil otherwise.
func AsFileChanged(asset string, err error) error {
	var fc *FileChangedError
	if errors.As(err, &fc) {
		return fmt.Errorf("%s: %w", asset, fc)
	}
	return nil
}

// LockedFile serialises reads of a File with Close. The HTTP transport may
// still be reading a request body in another goroutine when an upload
// returns (after an early answer); Close then waits for the read in
// progress, and later reads fail instead of touching a closed file.
type LockedFile struct {
	mu     sync.Mutex
	f      File
	closed bool
}

// NewLockedFile wraps f.
func NewLockedFile(f File) *LockedFile { return &LockedFile{f: f} }

// ReadAt implements io.ReaderAt.
func (l *LockedFile) ReadAt(p []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, errors.New("upload finished")
	}
	return l.f.ReadAt(p, off)
}

// Close closes the file once no read is in progress.
func (l *LockedFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.f.Close()
}

// BodyGuard is shared by the readers of one request's body (the first
// send and any GetBody retry by the transport): after Release, reads fail
// instead of reading a file the upload may have closed. It also keeps the
// first error a read met (other than EOF), which tells a file that changed
// under the upload from a network failure. The zero value is ready.
type BodyGuard struct {
	mu       sync.Mutex
	released bool
	err      error
}

// Reader returns r as a request body under g.
func (g *BodyGuard) Reader(r io.Reader) io.ReadCloser { return &guardedReader{g: g, r: r} }

// Release stops all reads and returns the first read error.
func (g *BodyGuard) Release() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = true
	return g.err
}

// guardedReader is a request body reader under a BodyGuard.
type guardedReader struct {
	g *BodyGuard
	r io.Reader
}

func (r *guardedReader) Read(p []byte) (int, error) {
	g := r.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.released {
		return 0, errors.New("request finished")
	}
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && g.err == nil {
		g.err = err
	}
	return n, err
}

func (r *guardedReader) Close() error { return nil }
