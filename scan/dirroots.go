package scan

import (
	"os"
	"path"
	"sync"

	"github.com/wxmedia/wxmedia/assetfile"
)

// maxDirRoots bounds how many directories dirRoots keeps open: a tree of
// a file per directory must not run out of file descriptors.
const maxDirRoots = 256

// dirRoots opens asset files through a root per directory: the directory
// of a file is opened (through the manifest directory's root, so it is
// inside) once, and each of its files with a single openat, instead of an
// openat and a close per path component per file (issue 15: a cold plan
// of 100,000 files in 100 directories made 300,000 openat calls for
// them). Anything that does not open cleanly that way (a missing file, a
// symlink leaving the directory, something not a regular file) is opened
// again through the manifest directory's root, which decides as it always
// has, with its messages.
type dirRoots struct {
	root *os.Root
	mu   sync.Mutex
	dirs map[string]*os.Root // nil: could not be opened, or over maxDirRoots
}

func newDirRoots(root *os.Root) *dirRoots {
	return &dirRoots{root: root, dirs: map[string]*os.Root{}}
}

// open opens the asset file rel (slash-separated) as assetfile.Open does.
func (d *dirRoots) open(rel string) (*os.File, error) {
	if dir, base := path.Split(rel); dir != "" && base != "" && base != "." && base != ".." {
		if sub := d.dir(dir[:len(dir)-1]); sub != nil {
			if f, err := assetfile.Open(sub, base); err == nil {
				return f, nil
			}
		}
	}
	return assetfile.Open(d.root, rel)
}

// dir returns the root of the directory dir, opening it the first time.
func (d *dirRoots) dir(dir string) *os.Root {
	d.mu.Lock()
	defer d.mu.Unlock()
	sub, ok := d.dirs[dir]
	if !ok {
		if len(d.dirs) < maxDirRoots {
			sub, _ = d.root.OpenRoot(dir)
		}
		d.dirs[dir] = sub
	}
	return sub
}

// close closes the directories opened.
func (d *dirRoots) close() {
	for _, sub := range d.dirs {
		if sub != nil {
			sub.Close()
		}
	}
}
