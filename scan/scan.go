package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/statcache"
)

// Options tunes Files and Hashes.
type Options struct {
	// Workers bounds how many files are examined at once; 0 means GOMAXPROCS.
	Workers int
	// Cache, when set, supplies the sha256 of files whose stat data match a
	// trusted entry (see package statcache), so they are not read at all.
	// The scan only reads it; Result.Cache is what to save.
	Cache *statcache.Cache
	// RefreshHashes ignores Cache and hashes every file (the result still
	// carries a fresh cache to save).
	RefreshHashes bool
	// Checked, when set, is the Checker the manifest was loaded with: the
	// Stat it took of each file is used instead of stat'ing the file
	// again, which for a manifest loaded moments ago halves the system
	// calls of a warm plan. A file that changes after that is still hashed
	// as it is when read (and not cached), and uploads verify size and
	// hash again.
	Checked *Checker
	// ForgetChecked drops Checked's Stats once every file has been looked
	// at, for a caller that scans once (plan): on a large tree they are
	// memory the rest of the plan can use (10 MB for 100,000 files). A
	// later scan with the same Checker stats the files itself.
	ForgetChecked bool
	// InOrder fills Result.InOrder instead of Result.Facts, for
	// planner.BuildInOrder: a warm plan of 10,000 files spent about as
	// long building the map by name, and looking every asset up in it
	// again, as on the rest of the scan's own work.
	InOrder bool
	// Now is the clock: the scan reads it once, before any file is
	// examined, for the stat cache's reference time. nil means time.Now.
	Now func() time.Time
}

// Result is what Files learned.
type Result struct {
	// Facts holds every asset whose file passed its checks, by name.
	Facts map[string]planner.FileFacts
	// InOrder (with Options.InOrder, instead of Facts) holds the facts of
	// m.Assets[i] at i; an asset whose file did not pass has the zero
	// FileFacts.
	InOrder []planner.FileFacts
	// Hashed counts the files read and hashed; Cached those whose hash came
	// from the stat cache.
	Hashed, Cached int
	// Lines holds the line count of every user_package asset that passed
	// its content checks, by name.
	Lines map[string]int
	// Cache holds an entry for every file that passed, for the caller to
	// save; its reference time is when this scan started. When every file's
	// hash came from Options.Cache and it holds nothing else, Cache is
	// that cache itself, which need not be saved again.
	Cache *statcache.Cache
}

// bufSize is the read size when hashing; see BENCHMARKS.md for how it was
// chosen.
const bufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// Hashes hashes every asset's file (sha256, streamed, in parallel) and checks,
// from the same read, that its first bytes match its extension and that it
// still fits its type's size limit. Problems are returned together as a
// *multierror.Error of *manifest.FieldError, keyed to the asset's position.
func Hashes(ctx context.Context, m *manifest.Manifest, opts Options) (map[string]planner.FileFacts, error) {
	r, err := Files(ctx, m, opts)
	if r == nil {
		return nil, err
	}
	return r.Facts, err
}

// Files is Hashes with counts and the stat cache to save. On a problem
// with some files it returns a result for the others along with the error;
// on cancellation, a nil result.
func Files(ctx context.Context, m *manifest.Manifest, opts Options) (*Result, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Taken before any file is examined: an entry is trusted next time only
	// if its file's mtime is older than this by statcache.RacySlack. The
	// files were first stat'ed when the manifest was checked (Checked).
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ref := now()
	if c := opts.Checked; c != nil && !c.started.IsZero() && c.started.Before(ref) {
		ref = c.started
	}
	lookup := opts.Cache
	if opts.RefreshHashes {
		lookup = nil
	}
	root, err := assetfile.OpenRoot(m.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var infos map[string]seenStat
	if opts.Checked != nil {
		infos = opts.Checked.infosSeen()
	}
	dirs := newDirRoots(root)
	defer dirs.close()
	// A fixed set of workers takes the next asset from a shared counter: on
	// a warm tree each asset costs one stat, so a goroutine per asset would
	// cost more than the work.
	results := make([]scanned, len(m.Assets))
	// Every hash in hex, in one allocation: the workers write their own
	// 64 bytes, and nothing writes to it once they are done (hexSums).
	sums := make([]byte, 64*len(m.Assets))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(m.Assets)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(m.Assets) {
					return
				}
				r := &results[i]
				*r = scanAsset(m.Path, dirs, m.Assets[i], lookup, infos)
				if r.err == nil {
					hex.Encode(sums[i*64:(i+1)*64], r.entry.SHA256[:])
				}
			}
		})
	}
	wg.Wait()
	if opts.ForgetChecked {
		infos = nil
		opts.Checked.forget()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hexSums := unsafe.String(unsafe.SliceData(sums), len(sums))
	res := &Result{}
	if opts.InOrder {
		res.InOrder = make([]planner.FileFacts, len(m.Assets))
	} else {
		res.Facts = make(map[string]planner.FileFacts, len(m.Assets))
	}
	var merr *multierror.Error
	for i, a := range m.Assets {
		r := &results[i]
		if r.err != nil {
			merr = multierror.Append(merr, r.err)
			continue
		}
		f := planner.FileFacts{Size: r.entry.Size, SHA256: hexSums[i*64 : (i+1)*64]}
		if opts.InOrder {
			res.InOrder[i] = f
		} else {
			res.Facts[a.Name] = f
		}
		if a.Type == "user_package" {
			if res.Lines == nil {
				res.Lines = map[string]int{}
			}
			res.Lines[a.Name] = r.lines
		}
		if r.cached {
			res.Cached++
		} else {
			res.Hashed++
		}
	}
	if lookup != nil && res.Hashed == 0 && res.Cached == lookup.Len() {
		// Every entry was trusted and used: the cache is already what a
		// rebuild would produce, and need not be saved again.
		res.Cache = lookup
	} else {
		res.Cache = statcache.New(ref)
		for i, a := range m.Assets {
			if r := &results[i]; r.err == nil && r.cacheable {
				res.Cache.Put(a.File, r.entry)
			}
		}
	}
	if merr != nil {
		merr.ErrorFormat = manifest.FormatErrors
		return res, merr
	}
	return res, nil
}

// scanned is one asset's outcome.
type scanned struct {
	entry     statcache.Entry
	cached    bool // the hash came from the cache
	cacheable bool // entry describes the file as it was read throughout
	lines     int  // user_package: the file's line count
	err       error
}

// HashFile returns the size and sha256 of the file rel (slash-separated)
// in the manifest directory dir and its first mediatype.HeadSize bytes,
// reading it once. Like every read of an asset file, it goes through
// package assetfile: never outside dir, never anything but a regular file.
func HashFile(dir, rel string) (size int64, sum string, head []byte, err error) {
	root, err := assetfile.OpenRoot(dir)
	if err != nil {
		return 0, "", nil, err
	}
	defer root.Close()
	f, err := assetfile.Open(root, rel)
	if err != nil {
		return 0, "", nil, err
	}
	defer f.Close()
	size, s, head, err := hashReader(f)
	if err != nil {
		return 0, "", nil, err
	}
	return size, hex.EncodeToString(s[:]), head, nil
}

// hashReader streams r once through sha256, keeping its head.
func hashReader(r io.Reader) (size int64, sum [32]byte, head []byte, err error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	h := sha256.New()
	head = make([]byte, 0, mediatype.HeadSize)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if len(head) < mediatype.HeadSize {
				head = append(head, buf[:min(n, mediatype.HeadSize-len(head))]...)
			}
			h.Write(buf[:n])
			size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, sum, nil, rerr
		}
	}
	h.Sum(sum[:0])
	return size, sum, head, nil
}

// scanAsset examines a's file; checked holds the Stat the manifest check
// took of each file (nil: stat now).
func scanAsset(manifestPath string, dirs *dirRoots, a *manifest.Asset, cache *statcache.Cache, checked map[string]seenStat) (r scanned) {
	fe := func(msg string) scanned {
		return scanned{err: &manifest.FieldError{File: manifestPath, Line: a.Pos.Line, Col: a.Pos.Col, Path: "assets." + a.Name, Msg: msg}}
	}
	readErr := func(err error) scanned {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fe(fmt.Sprintf("cannot read %s: %v; check the file exists and is readable", a.File, err))
	}
	t := mediatype.Lookup(a.Type)
	if t == nil {
		return fe(fmt.Sprintf("unknown type %q", a.Type))
	}
	sizeErr := func(size int64) *scanned {
		if size == 0 {
			r := fe(fmt.Sprintf("%s is empty; WeChat Pay rejects empty files", a.File))
			return &r
		}
		if size > t.MaxSize {
			r := fe(fmt.Sprintf("%s is %s; %s allows at most %s: compress or resize it", a.File, mediatype.HumanSize(size), t.Name, mediatype.HumanSize(t.MaxSize)))
			return &r
		}
		return nil
	}
	// The stat decides, before any read, whether the file is too large and
	// whether the cache already knows its hash.
	info, ok := checked[a.File]
	if !ok {
		fi, err := os.Stat(a.Path)
		if err != nil {
			return readErr(err)
		}
		info = seen(fi)
	}
	if !info.mode.IsRegular() {
		return fe(fmt.Sprintf("%s is not a regular file; name a regular file", a.File))
	}
	st := info.st
	if e := sizeErr(st.Size); e != nil {
		return *e
	}
	if e, ok := cache.Lookup(a.File, st); ok {
		r = scanned{entry: e, cached: true, cacheable: true}
	} else {
		f, err := dirs.open(a.File)
		if ae := (*assetfile.Error)(nil); errors.As(err, &ae) && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
			// Swapped since the manifest was checked; Err keeps the kind for
			// the command layer's advice.
			swapped := fe(ae.Reason)
			swapped.err.(*manifest.FieldError).Err = ae
			return swapped
		}
		if err != nil {
			return readErr(err)
		}
		size, sum, head, err := hashReader(f)
		var after os.FileInfo
		if err == nil {
			after, err = f.Stat()
		}
		f.Close()
		if err != nil {
			return readErr(err)
		}
		// A file that changed while it was read is hashed as read, but not
		// cached: its stat data may not describe the bytes hashed.
		end := statcache.FromFileInfo(after)
		r = scanned{entry: statcache.Entry{Stat: end, SHA256: sum, Head: head},
			cacheable: end == st && size == st.Size}
		r.entry.Size = size
		if e := sizeErr(size); e != nil {
			return *e
		}
	}
	ext := mediatype.Ext(a.File)
	if ok, looks := mediatype.Sniff(ext, r.entry.Head); !ok {
		return fe(fmt.Sprintf("%s has extension .%s but its content looks like %s; WeChat Pay checks the bytes, so convert the file or fix its extension", a.File, ext, looks))
	}
	if t.Name == "user_package" {
		if r.lines, r.err = checkAudience(manifestPath, dirs.root, a); r.err != nil {
			return scanned{err: r.err}
		}
	}
	return r
}
