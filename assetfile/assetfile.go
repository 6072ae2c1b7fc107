package assetfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wxmedia/wxmedia/internal/filekind"
)

// Error is a file that cannot be opened as an asset: Reason says why, in
// words that name the file and what to do, and Err is the underlying
// error, if any.
type Error struct {
	File   string // as the manifest names it, slash-separated
	Reason string
	Err    error
}

func (e *Error) Error() string { return e.Reason }

func (e *Error) Unwrap() error { return e.Err }

// OpenRoot opens the manifest directory dir ("" is the current
// directory) as the root that Open reads asset files through.
func OpenRoot(dir string) (*os.Root, error) {
	if dir == "" {
		dir = "."
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open the manifest directory: %w", err)
	}
	return root, nil
}

// Open opens the file rel (slash-separated, relative to root's directory)
// for reading. It refuses, with an *Error and without reading anything,
// a path that leads outside root (also through a symlink, at any
// component) and anything but a regular file, checked on the opened file
// itself, so that nothing swapped in between the check and the read gets
// through. A named pipe is refused at once, whether or not anything
// writes to it.
func Open(root *os.Root, rel string) (*os.File, error) {
	f, err := root.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|nonBlock, 0)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
		// os.Root refuses every absolute symlink, also one that points
		// inside, which the manifest allows: open such a link's target,
		// found inside, through the root. A link swapped in meanwhile is
		// refused by the root as ever.
		if _, inner, ok := resolve(root.Name(), rel); ok && inner != "" {
			f, err = root.OpenFile(inner, os.O_RDONLY|nonBlock, 0)
		}
	}
	if err != nil {
		return nil, openError(root, rel, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{File: rel, Reason: fmt.Sprintf("cannot read %s: %v", rel, unwrapPath(err)), Err: err}
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &Error{File: rel, Reason: fmt.Sprintf("%s is not a regular file (it is %s); name a regular file inside the manifest directory", rel, filekind.Describe(fi.Mode()))}
	}
	return f, nil
}

// openError explains why root.OpenFile refused rel. os.Root does not
// export the error it returns for a path that escapes the root, so an
// error that is neither "missing" nor "denied" is checked by resolving
// the path: if it resolves outside the root, that is the reason.
func openError(root *os.Root, rel string, err error) error {
	inner := unwrapPath(err)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return &Error{File: rel, Reason: fmt.Sprintf("cannot read %s: %v; check that it exists and this user can read it", rel, inner), Err: err}
	}
	if target, inner, ok := resolve(root.Name(), rel); ok && inner == "" {
		return &Error{File: rel, Reason: fmt.Sprintf("%s leads outside the manifest directory (to %s); asset files must stay inside it, so nothing was read: replace the link with the file itself", rel, target), Err: err}
	}
	return &Error{File: rel, Reason: fmt.Sprintf("cannot read %s: %v; check the file", rel, inner), Err: err}
}

// resolve follows the symlinks of rel under dir: target is where it leads
// and inner that place relative to dir ("" when it is outside dir). ok is
// false when rel cannot be resolved.
func resolve(dir, rel string) (target, inner string, ok bool) {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", "", false
	}
	link := filepath.Join(realDir, filepath.FromSlash(rel))
	target, err = filepath.EvalSymlinks(link)
	if err != nil {
		// A dangling link, or one in a loop: say where it points.
		t, lerr := os.Readlink(link)
		if lerr != nil {
			return "", "", false
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(link), t)
		}
		target = t
	}
	r, err := filepath.Rel(realDir, target)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return target, "", true
	}
	return target, r, true
}

// unwrapPath drops the *fs.PathError around err: messages name the file
// as the manifest does, not as the system call saw it.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
