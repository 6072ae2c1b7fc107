package statcache_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/wxmedia/wxmedia/statcache"
)

// FuzzDecode: whatever the bytes, Decode returns a cache or an error, never
// panics, and a cache it accepts survives an encode/decode round trip
// unchanged. Seeds are in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	good, _ := sample().MarshalBinary()
	f.Add(good)
	f.Add(good[:20])
	f.Add(good[:len(good)-4]) // the body: valid once its checksum is appended
	f.Add([]byte("WXMSTAT\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
		// The checksum would stop almost every mutation at the door: also
		// feed the parser the data with a valid checksum appended.
		check(t, binary.BigEndian.AppendUint32(bytes.Clone(data), crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))))
	})
}

func check(t *testing.T, data []byte) {
	c, err := statcache.Decode(data)
	if err != nil {
		return
	}
	once, _ := c.MarshalBinary()
	d, err := statcache.Decode(once)
	if err != nil {
		t.Fatalf("a cache re-encoded from accepted data does not decode: %v", err)
	}
	twice, _ := d.MarshalBinary()
	if !bytes.Equal(once, twice) || d.Len() != c.Len() {
		t.Fatal("round trip changed the cache")
	}
}
