package statcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
	"unsafe"

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
//
// A cache made by New holds its entries in a map; one made by Decode
// keeps the encoded data and an index of each entry's offset in it, and
// decodes an entry's fixed-size fields when it is looked up: a warm plan
// reads the cache of every file on every run, and most of what it holds
// is only compared.
type Cache struct {
	ref     int64 // Reference, ns since the Unix epoch; 0: nothing is trusted
	entries map[string]Entry
	// data and index: see Decode. index maps a path to the offset in data
	// of its entry's fixed part (entryFixed bytes).
	data  []byte
	index map[string]uint32
	// file is the encoding as Load read it or Save wrote it; nil once Put
	// changes the cache. See Digest.
	file []byte
	sum  *[32]byte // of file, once computed
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
	return len(c.entries) + len(c.index)
}

// Put records e for path. Head is copied and cut to HeadSize.
func (c *Cache) Put(path string, e Entry) {
	if len(e.Head) > HeadSize {
		e.Head = e.Head[:HeadSize]
	}
	e.Head = bytes.Clone(e.Head)
	c.file, c.sum = nil, nil
	if c.entries == nil {
		c.entries = map[string]Entry{}
	}
	delete(c.index, path)
	c.entries[path] = e
}

// get returns path's entry, decoding it from data if need be.
func (c *Cache) get(path string) (Entry, bool) {
	if e, ok := c.entries[path]; ok {
		return e, true
	}
	off, ok := c.index[path]
	if !ok {
		return Entry{}, false
	}
	return decodeFixed(c.data[off : off+entryFixed]), true
}

// Lookup returns path's entry if st matches it field for field and the
// entry is not racy (its mtime is older than Reference - RacySlack). A nil
// cache has no entries.
func (c *Cache) Lookup(path string, st Stat) (Entry, bool) {
	if c == nil {
		return Entry{}, false
	}
	e, ok := c.get(path)
	if !ok || e.Stat != st || e.MtimeNS >= c.ref-int64(RacySlack) {
		return Entry{}, false
	}
	return e, true
}

// The encoding, all integers big-endian or uvarint:
//
//	magic "WXMSTAT\x00" | version u16 | reference i64 | count uvarint
//	count × (path len uvarint, path, size u64, mtime i64, ctime i64,
//	         inode u64, sha256 [32], head len u8, head [HeadSize])
//	crc32c of everything before it, u32
//
// Paths are sorted and unique; head is zero-padded to HeadSize, so that
// every entry's fields after its path have one size (entryFixed) and are
// read in place. Version 1 (varints, heads of their own length) is
// foreign: such a cache is ignored and rebuilt.
var magic = []byte("WXMSTAT\x00")

const version = 2

// entryFixed is the size of an entry after its path.
const entryFixed = 8 + 8 + 8 + 8 + 32 + 1 + HeadSize

// crcTable is made when first used (by the goroutine that loads the cache
// while the manifest is parsed), not when every command starts.
var crcTable = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// MarshalBinary encodes the cache, entries sorted by path.
func (c *Cache) MarshalBinary() ([]byte, error) {
	paths := make([]string, 0, c.Len())
	for p := range c.entries {
		paths = append(paths, p)
	}
	for p := range c.index {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	b := make([]byte, 0, 64+len(paths)*(entryFixed+32))
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, version)
	b = binary.BigEndian.AppendUint64(b, uint64(c.ref))
	b = binary.AppendUvarint(b, uint64(len(paths)))
	for _, p := range paths {
		e, _ := c.get(p)
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		b = binary.BigEndian.AppendUint64(b, uint64(e.Size))
		b = binary.BigEndian.AppendUint64(b, uint64(e.MtimeNS))
		b = binary.BigEndian.AppendUint64(b, uint64(e.CtimeNS))
		b = binary.BigEndian.AppendUint64(b, e.Ino)
		b = append(b, e.SHA256[:]...)
		b = append(b, byte(len(e.Head)))
		b = append(b, e.Head...)
		b = append(b, make([]byte, HeadSize-len(e.Head))...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable())), nil
}

// decodeFixed decodes an entry's fixed part (checked by Decode).
func decodeFixed(b []byte) Entry {
	e := Entry{Stat: Stat{
		Size:    int64(binary.BigEndian.Uint64(b)),
		MtimeNS: int64(binary.BigEndian.Uint64(b[8:])),
		CtimeNS: int64(binary.BigEndian.Uint64(b[16:])),
		Ino:     binary.BigEndian.Uint64(b[24:]),
	}}
	copy(e.SHA256[:], b[32:64])
	hl := int(b[64])
	e.Head = b[65 : 65+hl : 65+hl]
	return e
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
	if crc32.Checksum(body, crcTable()) != sum {
		return nil, errors.New("checksum mismatch: the cache is corrupt")
	}
	// Every entry is checked here, once; Lookup then reads the fields of
	// the one it needs in place. Paths are strings over data itself (the
	// caller does not modify it), so a cache of 10,000 entries costs an
	// index, not a copy of the data and 10,000 decoded entries.
	c := &Cache{ref: int64(binary.BigEndian.Uint64(body[10:])), data: body}
	rest := body[header:]
	n, k := binary.Uvarint(rest)
	// Each entry takes at least 1+1+entryFixed bytes: a count beyond that
	// is a lie, and must not size an allocation.
	if k <= 0 || n > uint64(len(rest)-k)/(2+entryFixed) || uint64(len(body)) > math.MaxUint32 {
		return nil, errMalformed
	}
	rest = rest[k:]
	c.index = make(map[string]uint32, n)
	prev := ""
	for i := uint64(0); i < n; i++ {
		pl, k := binary.Uvarint(rest)
		if k <= 0 || pl == 0 || pl > uint64(len(rest)-k) || uint64(len(rest)-k)-pl < entryFixed {
			return nil, errMalformed
		}
		pb := rest[k : k+int(pl)]
		p := unsafe.String(&pb[0], len(pb))
		fixed := rest[k+int(pl) : k+int(pl)+entryFixed]
		if i > 0 && p <= prev || binary.BigEndian.Uint64(fixed) > 1<<62 || fixed[64] > HeadSize {
			return nil, errMalformed // unsorted, repeated, or out of range
		}
		prev = p
		c.index[p] = uint32(len(body) - len(rest) + k + int(pl))
		rest = rest[k+int(pl)+entryFixed:]
	}
	if len(rest) != 0 {
		return nil, errMalformed
	}
	return c, nil
}

var errMalformed = errors.New("malformed entry: the cache is corrupt")

// Load reads the cache at path. It always returns a usable cache: when the
// file is missing or cannot be used, an empty one (which trusts nothing),
// with an error saying why for those who want to log it.
func Load(path string) (*Cache, error) {
	if err := CheckDir(path); err != nil {
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
	c.file = data
	return c, nil
}

// Digest returns the SHA-256 of the cache's file as Load read it or Save
// last wrote it: two caches with one digest vouch for the same files with
// the same contents. ok is false for a cache that is in no file as it is
// now (new, or changed by Put since). Not safe for concurrent use with Put
// or Save.
func (c *Cache) Digest() (sum [32]byte, ok bool) {
	if c == nil || c.file == nil {
		return sum, false
	}
	if c.sum == nil {
		s := sha256.Sum256(c.file)
		c.sum = &s
	}
	return *c.sum, true
}

// Save writes c to path atomically (temporary file, fsync, rename), so that
// concurrent plans leave one whole cache or the other, never a torn one. It
// creates the directory, with a .gitignore that keeps it out of commits.
func Save(path string, c *Cache) error {
	data, err := c.MarshalBinary()
	if err != nil {
		return err
	}
	if err := CheckDir(path); err != nil {
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
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	c.file, c.sum = data, nil
	return nil
}

// CheckDir refuses a local-state directory (the directory of path, .wxmedia)
// that is a symbolic link (committed to the repository, say): the stat
// cache and the no-op record would be written into, and read from,
// wherever it points. Within the directory, files are only ever replaced
// by rename, which replaces a link rather than following it.
func CheckDir(path string) error {
	dir := filepath.Dir(path)
	return lockfile.IsLink(dir, fmt.Sprintf("wxmedia keeps its local state only in a real directory beside the manifest and never reads or writes it through a link. It is never committed: remove the link (`rm %s`) and the next plan makes the directory", dir))
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
