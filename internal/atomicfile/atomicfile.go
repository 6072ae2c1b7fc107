// Package atomicfile writes files so that a crash leaves either the old or
// the new content, never a torn file: the lockfile, the stat cache, saved
// plans, state history and the emulator's key files are all written
// through it.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically: a temporary file in the same
// directory is written and fsynced, renamed over path, and the directory is
// fsynced, so a crash leaves either the old or the new file, never a torn one.
// The rename replaces a symlink at path rather than writing through it.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// tempPrefix is the name WriteFile's temporary files for path start with:
// ".<base>.tmp-".
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// SyncDir fsyncs the directory dir, so that a rename or a new file in it
// survives a crash. Platforms that cannot sync a directory are not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// RemoveTemps deletes the temporary files a killed WriteFile left beside
// path. Call it only when no other process can be writing path.
func RemoveTemps(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPrefix(path)+"*"))
	for _, m := range matches {
		os.Remove(m)
	}
}
