package noopcache_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/wxmedia/wxmedia/noopcache"
)

// FuzzDecode: Decode never panics, and what it accepts encodes back to the
// same bytes.
func FuzzDecode(f *testing.F) {
	good, _ := sample().MarshalBinary()
	f.Add(good)
	f.Add(good[:20])
	f.Add(good[:len(good)-4])
	f.Add([]byte("WXMNOOP\x00\x00\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
		// With a valid checksum appended, mutations reach the parser.
		check(t, binary.BigEndian.AppendUint32(bytes.Clone(data), crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))))
	})
}

func check(t *testing.T, data []byte) {
	s, err := noopcache.Decode(data)
	if err != nil {
		return
	}
	again, err := s.MarshalBinary()
	if err != nil || !bytes.Equal(again, data) {
		t.Fatalf("decoded %x, encoded again %x (%v)", data, again, err)
	}
}
