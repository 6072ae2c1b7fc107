package statcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/mediatype"
)

// Dir is the directory beside the manifest that holds local, uncommitted
// state; FileName is the cache's name in it.
const (
	Dir      = ".wxmedia"
	FileName = "cache"
)

// HeadSize is how many leading bytes of each file an entry keeps, so that
// the magic-byte check can run again without opening the file (it must, if
// the asset's extension or type changed).
const HeadSize = mediatype.HeadSize

// PathFor returns the cache path for the manifest at manifestPath.
func PathFor(manifestPath string) string {
	return filepath.Join(filepath.Dir(manifestPath), Dir, FileName)
}

// Entry is what the cache knows about one file.
type Entry struct {
	Stat
	SHA256 [32]byte
	// Head is the file's first bytes, at most HeadSize.
	Head []byte
}

// Cache maps a file's path (relative to the manifest, slash-separated) to
// its Entry. Lookup may be called concurrently; Put may not.
type Cache struct {
	ref     int64 // Reference, ns since the Unix epoch; 0: nothing is trusted
	entries map[string]Entry
}

// New returns an empty cache whose Reference is ref: the wall-clock time
// taken before the first file of the scan that fills it was examined.
func New(ref time.Time) *Cache {
	return &Cache{ref: ref.UnixNano(), entries: map[string]Entry{}}
}

// Reference returns the time the scan that wrote the cache started.
func (c *Cache) Reference() time.Time { return time.Unix(0, c.ref) }

// Len returns the number of entries.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// Put records e for path. Head is copied and cut to HeadSize.
func (c *Cache) Put(path string, e Entry) {
	if len(e.Head) > HeadSize {
		e.Head = e.Head[:HeadSize]
	}
	e.Head = bytes.Clone(e.Head)
	c.entries[path] = e
}

// Lookup returns path's entry if st matches it field for field and the
// entry is not racy (its mtime is older than Reference - RacySlack). A nil
// cache has no entries.
func (c *Cache) Lookup(path string, st Stat) (Entry, bool) {
	if c == nil {
		return Entry{}, false
	}
	e, ok := c.entries[path]
	if !ok || e.Stat != st || e.MtimeNS >= c.ref-int64(RacySlack) {
		return Entry{}, false
	}
	return e, true
}

// The encoding, all integers big-endian or varint:
//
//	magic "WXMSTAT\x00" | version u16 | reference i64 | count uvarint
//	count × (path len uvarint, path, size uvarint, mtime varint,
//	         ctime varint, inode uvarint, sha256 [32], head len u8, head)
//	crc32c of everything before it, u32
var magic = []byte("WXMSTAT\x00")

const version = 1

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes the cache, entries sorted by path.
func (c *Cache) MarshalBinary() ([]byte, error) {
	paths := make([]string, 0, len(c.entries))
	for p := range c.entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	b := make([]byte, 0, 64+len(paths)*96)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, version)
	b = binary.BigEndian.AppendUint64(b, uint64(c.ref))
	b = binary.AppendUvarint(b, uint64(len(paths)))
	for _, p := range paths {
		e := c.entries[p]
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		b = binary.AppendUvarint(b, uint64(e.Size))
		b = binary.AppendVarint(b, e.MtimeNS)
		b = binary.AppendVarint(b, e.CtimeNS)
		b = binary.AppendUvarint(b, e.Ino)
		b = append(b, e.SHA256[:]...)
		b = append(b, byte(len(e.Head)))
		b = append(b, e.Head...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable)), nil
}

// ErrForeign reports data that is not a cache of this format and version.
var ErrForeign = errors.New("not a wxmedia stat cache of this version")

// Decode parses an encoded cache. It returns an error, never panics, for
// data that is truncated, corrupt or of another format or version. The
// cache keeps data: the caller must not modify it afterwards.
func Decode(data []byte) (*Cache, error) {
	const header = 8 + 2 + 8
	if len(data) < header+1+4 || !bytes.Equal(data[:8], magic) || binary.BigEndian.Uint16(data[8:]) != version {
		return nil, ErrForeign
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, errors.New("checksum mismatch: the cache is corrupt")
	}
	d := decoder{b: body[header:]}
	// Paths are cut from one string copy of the data and heads point into
	// data, so that a cache of 10,000 entries costs a few allocations, not
	// 20,000: it is read on every plan.
	str, base := string(body), len(body)
	c := &Cache{ref: int64(binary.BigEndian.Uint64(body[10:]))}
	n := d.uvarint()
	// Each entry takes at least 1+1+1+1+1+32+1 bytes: a count beyond that is
	// a lie, and must not size an allocation.
	if d.err == nil && n > uint64(len(d.b))/38 {
		d.fail()
	}
	c.entries = make(map[string]Entry, min(n, 1<<20))
	for i := uint64(0); i < n && d.err == nil; i++ {
		pb := d.bytes(d.uvarint())
		off := base - len(d.b) - len(pb)
		p := str[off : off+len(pb)]
		var e Entry
		size := d.uvarint()
		e.MtimeNS = d.varint()
		e.CtimeNS = d.varint()
		e.Ino = d.uvarint()
		copy(e.SHA256[:], d.bytes(32))
		hl := uint64(d.byte())
		if hl > HeadSize || size > 1<<62 {
			d.fail()
		}
		e.Head = d.bytes(hl)
		e.Size = int64(size)
		if d.err != nil {
			break
		}
		if _, dup := c.entries[p]; dup || p == "" {
			d.fail()
			break
		}
		c.entries[p] = e
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errors.New("malformed entry: the cache is corrupt")
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// Load reads the cache at path. It always returns a usable cache: when the
// file is missing or cannot be used, an empty one (which trusts nothing),
// with an error saying why for those who want to log it.
func Load(path string) (*Cache, error) {
	if err := checkDir(path); err != nil {
		return New(time.Time{}), err
	}
	// Only a regular file is read: a link to /dev/zero or a FIFO would
	// make every plan hang. Save replaces whatever is there.
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return New(time.Time{}), fmt.Errorf("ignoring stat cache %s: not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return New(time.Time{}), err
	}
	c, err := Decode(data)
	if err != nil {
		return New(time.Time{}), fmt.Errorf("ignoring stat cache %s: %w", path, err)
	}
	return c, nil
}

// Save writes c to path atomically (temporary file, fsync, rename), so that
// concurrent plans leave one whole cache or the other, never a torn one. It
// creates the directory, with a .gitignore that keeps it out of commits.
func Save(path string, c *Cache) error {
	data, err := c.MarshalBinary()
	if err != nil {
		return err
	}
	if err := checkDir(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Best effort: the cache works without it. O_EXCL: never through a
	// link.
	if f, err := os.OpenFile(filepath.Join(dir, ".gitignore"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
		_, _ = f.WriteString("# Local wxmedia state (stat cache): never commit it.\n*\n")
		f.Close()
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// checkDir refuses a cache directory that is a symbolic link (committed to
// the repository, say): the cache would be written into, and read from,
// wherever it points. Within the directory, the cache file is only ever
// replaced by rename, which replaces a link rather than following it.
func checkDir(path string) error {
	dir := filepath.Dir(path)
	return lockfile.IsLink(dir, fmt.Sprintf("wxmedia keeps its local state only in a real directory beside the manifest and never reads or writes the stat cache through a link. It is never committed: remove the link (`rm %s`) and the next plan makes the directory", dir))
}

// Vouches reports whether the cache holds a trusted entry for the file at
// path whose Stat is fi: that file was read when the entry was made and,
// having the same size, mtime, ctime and inode, has not been written,
// chmod'ed or chown'ed since. Where the platform records no ctime
// (Windows), a permission change would go unseen, so nothing is vouched
// for. A nil cache vouches for nothing. It fits
// scan.Checker.Known.
func (c *Cache) Vouches(path string, fi fs.FileInfo) bool {
	st := FromFileInfo(fi)
	if st.CtimeNS == 0 {
		return false
	}
	_, ok := c.Lookup(path, st)
	return ok
}
