package lockfile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/internal/filekind"
)

// LinkError reports a path wxmedia will not write through because it is a
// symbolic link: the write would land in whatever the link points to.
type LinkError struct {
	Path   string
	Target string // what the link points to, as stored in the link
	// Advice says why the path must not be a link and what to do.
	Advice string
}

func (e *LinkError) Error() string {
	return fmt.Sprintf("%s is a symbolic link to %s; %s", e.Path, e.Target, e.Advice)
}

// IsLink returns a *LinkError with advice when path is a symbolic link, and
// nil when it is anything else or does not exist.
func IsLink(path, advice string) error {
	if target, ok := linkTarget(path); ok {
		return &LinkError{Path: path, Target: target, Advice: advice}
	}
	return nil
}

// linkTarget returns what path points to when it is a symbolic link.
func linkTarget(path string) (string, bool) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return "", false
	}
	target, _ := os.Readlink(path)
	return target, true
}

// Resolve returns the real path of the lockfile spelled path, with every
// symbolic link in it followed. Commands resolve the path once and use the
// result for everything: the lock beside it, reads, and atomic writes (the
// temporary file is renamed over the real file, in its own directory), so
// every spelling of one lockfile takes one lock, and a lockfile that is a
// link stays a link, written through. A path that does not exist yet
// resolves through its directory. A link to nothing is refused: wxmedia does
// not create files through links.
func Resolve(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		// A lockfile that is (or links to) a device or a FIFO would make
		// every read hang or never end: /dev/zero, say.
		if fi, err := os.Stat(real); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
			return "", fmt.Errorf("%s is not a regular file (it is %s); a lockfile must be a regular file holding JSON. Remove it, or point -lockfile at the lockfile", path, filekind.Describe(fi.Mode()))
		}
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("resolving the lockfile path: %w", err)
	}
	if target, ok := linkTarget(path); ok {
		return "", fmt.Errorf("%s is a symbolic link to %s, which does not exist; wxmedia writes a lockfile through a link only when the file it points to exists. Point the link at an existing lockfile, or remove it (`rm %s`) to start a new lockfile here", path, target, path)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		// No directory yet: whoever writes reports it.
		return path, nil
	}
	return filepath.Join(dir, filepath.Base(path)), nil
}

// ErroredPaths lists, in the order they are tried, where the state is
// dumped when a lockfile cannot be written: primary (beside the lockfile,
// see ErroredPathFor), then, when that cannot be written either (a
// read-only or vanished directory), a file in the user cache directory
// named for primary's directory. apply refuses to run, and plan warns,
// while either exists.
func ErroredPaths(primary string) []string {
	paths := []string{primary}
	cache, err := os.UserCacheDir()
	if err != nil {
		return paths
	}
	abs, err := filepath.Abs(filepath.Dir(primary))
	if err != nil {
		return paths
	}
	sum := sha256.Sum256([]byte(abs))
	name := fmt.Sprintf("%s-%x.%s", filepath.Base(abs), sum[:8], filepath.Base(primary))
	return append(paths, filepath.Join(cache, "wxmedia", name))
}

// writeErrored writes the errored dump: where the last one went, else to
// each of ErroredPaths in turn. It returns where it went ("" when nowhere)
// and, for a fallback, the usual place and why that failed.
func (st *Store) writeErrored(data []byte) (path, beside string, besideErr error) {
	if st.dumpedTo != "" && atomicfile.WriteFile(st.dumpedTo, data, 0o644) == nil {
		return st.dumpedTo, "", nil
	}
	for i, p := range ErroredPaths(st.erroredPath()) {
		var err error
		if i > 0 { // beside the lockfile, never create its directory
			err = os.MkdirAll(filepath.Dir(p), 0o700)
		}
		if err == nil {
			err = atomicfile.WriteFile(p, data, 0o644)
		}
		if err == nil {
			st.dumpedTo = p
			return p, beside, besideErr
		}
		if i == 0 {
			beside, besideErr = p, err
		}
	}
	return "", "", nil
}

// unwrapPath drops the operation and path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
