// Package noopcache remembers the inputs of recent plans that found no
// changes, so that a plan of exactly the same inputs can say "No changes"
// without decoding the lockfile, scanning or diffing (issue 15: a warm
// no-op plan close to `git status`).
//
// A record is a key: the SHA-256 of everything a plan's result depends
// on, which operation assembles with a Key — this wxmedia executable, the
// manifest's bytes and path, the environment and lockfile selected, the
// lockfile's bytes (lockfile.Digest), the stat cache's bytes
// (statcache.Cache.Digest, with every asset file vouched for by that
// cache, so their contents are the ones it recorded) and the assets'
// names and files. A change to any of them is a different key, and the
// plan is made in full. The record is local, disposable state in
// .wxmedia beside the manifest, like the stat cache: one that is missing,
// foreign or corrupt is ignored.
package noopcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/internal/filestat"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/statcache"
)

// FileName is the record's name in statcache.Dir.
const FileName = "noop"

// PathFor returns the record's path for the manifest at manifestPath.
func PathFor(manifestPath string) string {
	return filepath.Join(filepath.Dir(manifestPath), statcache.Dir, FileName)
}

// MaxRecords is how many no-op plans the file remembers, newest first
// (a few environments or lockfiles planned in turn).
const MaxRecords = 8

// Record is one plan that found no changes.
type Record struct {
	// Lockfile, Manifest and StatCache are the digests of the lockfile,
	// manifest and stat cache the plan read, all also part of Key: a plan
	// can tell early that no record can match, and start decoding the
	// lockfile at once.
	Lockfile  lockfile.Digest
	Manifest  [32]byte
	StatCache [32]byte
	// Key is the digest of all the plan's inputs (see Key).
	Key [32]byte
	// NoOp is the number of assets the plan found up to date.
	NoOp uint32
}

// Set is the records of one manifest directory.
type Set struct{ records []Record }

// Has reports whether a record read the lockfile, manifest and stat cache
// with these digests; a nil digest matches any.
func (s *Set) Has(lock *lockfile.Digest, manifest, cache *[32]byte) bool {
	for _, r := range s.records {
		if (lock == nil || r.Lockfile == *lock) && (manifest == nil || r.Manifest == *manifest) && (cache == nil || r.StatCache == *cache) {
			return true
		}
	}
	return false
}

// Find returns the record for the plan whose inputs' digest is key.
func (s *Set) Find(lock lockfile.Digest, key [32]byte) (Record, bool) {
	for _, r := range s.records {
		if r.Lockfile == lock && r.Key == key {
			return r, true
		}
	}
	return Record{}, false
}

// Add makes r the newest record, dropping any other with its key and the
// oldest beyond MaxRecords. It reports whether the set changed.
func (s *Set) Add(r Record) bool {
	if len(s.records) > 0 && s.records[0] == r {
		return false
	}
	out := make([]Record, 0, MaxRecords)
	out = append(out, r)
	for _, o := range s.records {
		if o.Key != r.Key && len(out) < MaxRecords {
			out = append(out, o)
		}
	}
	s.records = out
	return true
}

// The encoding, integers big-endian:
//
//	magic "WXMNOOP\x00" | version u16 | count u8 |
//	count × (lockfile [32], manifest [32], stat cache [32], key [32],
//	         noop u32) | crc32c of all before, u32
var magic = []byte("WXMNOOP\x00")

const (
	version    = 1
	header     = 8 + 2 + 1
	recordSize = 4*32 + 4
)

var crcTable = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// MarshalBinary encodes the set.
func (s *Set) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, header+len(s.records)*recordSize+4)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, version)
	b = append(b, byte(len(s.records)))
	for _, r := range s.records {
		b = append(b, r.Lockfile[:]...)
		b = append(b, r.Manifest[:]...)
		b = append(b, r.StatCache[:]...)
		b = append(b, r.Key[:]...)
		b = binary.BigEndian.AppendUint32(b, r.NoOp)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable())), nil
}

// ErrForeign reports data that is not a record file of this format and
// version.
var ErrForeign = errors.New("not a wxmedia no-op record of this version")

// Decode parses an encoded set. It returns an error, never panics, for
// data that is truncated, corrupt or of another format or version.
func Decode(data []byte) (*Set, error) {
	if len(data) < header+4 || !bytes.Equal(data[:8], magic) || binary.BigEndian.Uint16(data[8:]) != version {
		return nil, ErrForeign
	}
	n := int(data[10])
	if n > MaxRecords || len(data) != header+n*recordSize+4 {
		return nil, errors.New("wrong length: the record file is corrupt")
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable()) != binary.BigEndian.Uint32(data[len(data)-4:]) {
		return nil, errors.New("checksum mismatch: the record file is corrupt")
	}
	s := &Set{records: make([]Record, n)}
	for i := range s.records {
		b := body[header+i*recordSize:]
		r := &s.records[i]
		copy(r.Lockfile[:], b[:32])
		copy(r.Manifest[:], b[32:64])
		copy(r.StatCache[:], b[64:96])
		copy(r.Key[:], b[96:128])
		r.NoOp = binary.BigEndian.Uint32(b[128:])
	}
	return s, nil
}

// Load reads the set at path. It always returns a usable set: when the
// file is missing or cannot be used, an empty one, with an error saying
// why for those who want to log it.
func Load(path string) (*Set, error) {
	if err := statcache.CheckDir(path); err != nil {
		return &Set{}, err
	}
	// Only a regular file is read (a FIFO would make the plan wait).
	if fi, err := os.Lstat(path); err != nil {
		return &Set{}, err
	} else if !fi.Mode().IsRegular() {
		return &Set{}, fmt.Errorf("ignoring %s: not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return &Set{}, err
	}
	s, err := Decode(data)
	if err != nil {
		return &Set{}, fmt.Errorf("ignoring %s: %w", path, err)
	}
	return s, nil
}

// Save writes s to path atomically, into an existing local-state
// directory (the stat cache's: a plan records a no-op only with a stat
// cache on disk), never through a link.
func Save(path string, s *Set) error {
	if err := statcache.CheckDir(path); err != nil {
		return err
	}
	data, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// Key collects a plan's inputs into one digest. Each input is named and
// length-prefixed, so that no two different sequences of inputs write the
// same bytes.
type Key struct{ h hash.Hash }

// keyFormat changes whenever what a plan's result depends on changes in
// a way the executable's identity would not show.
const keyFormat = "wxmedia no-op key 1"

// NewKey starts a key with the identity of the running executable (its
// path, size, mtime, ctime and inode: a rebuilt or upgraded wxmedia plans
// anew). ok is false when that identity is unknown; no key can then be
// trusted.
func NewKey() (k *Key, ok bool) {
	id, ok := executable()
	if !ok {
		return nil, false
	}
	k = &Key{h: sha256.New()}
	k.Add("format", []byte(keyFormat))
	k.Add("executable", id)
	return k, true
}

// Add writes one named input.
func (k *Key) Add(name string, value []byte) {
	var n [2 * binary.MaxVarintLen64]byte
	k.h.Write(binary.AppendUvarint(n[:0], uint64(len(name))))
	k.h.Write([]byte(name))
	k.h.Write(binary.AppendUvarint(n[:0], uint64(len(value))))
	k.h.Write(value)
}

// AddEach writes one named input made of n parts, each appended to b by
// part and framed by its length (a part is shorter than 4 GiB), without
// holding them all at once.
func (k *Key) AddEach(name string, n int, part func(i int, b []byte) []byte) {
	var buf [binary.MaxVarintLen64]byte
	k.h.Write(binary.AppendUvarint(buf[:0], uint64(len(name))))
	k.h.Write([]byte(name))
	k.h.Write(binary.AppendUvarint(buf[:0], uint64(n)))
	b := make([]byte, 0, 32<<10)
	for i := range n {
		start := len(b)
		b = part(i, append(b, 0, 0, 0, 0))
		binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
		if len(b) >= 28<<10 {
			k.h.Write(b)
			b = b[:0]
		}
	}
	k.h.Write(b)
}

// AddString writes one named input.
func (k *Key) AddString(name, value string) { k.Add(name, []byte(value)) }

// Sum returns the key's digest.
func (k *Key) Sum() (sum [32]byte) {
	k.h.Sum(sum[:0])
	return sum
}

// executable is the running executable's identity.
var executable = sync.OnceValues(func() ([]byte, bool) {
	path, err := os.Executable()
	if err != nil {
		return nil, false
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	ctime, ino := filestat.CtimeIno(fi)
	id := path
	for _, v := range []int64{fi.Size(), fi.ModTime().UnixNano(), ctime, int64(ino)} {
		id += "\x00" + strconv.FormatInt(v, 10)
	}
	return []byte(id), true
})
