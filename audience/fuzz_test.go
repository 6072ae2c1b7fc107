package audience_test

import (
	"bytes"
	"testing"

	"github.com/wxmedia/wxmedia/audience"
)

// FuzzCheck: whatever the bytes, Check never fails on an in-memory reader,
// counts the lines as bytes.Count does, lists problems in file order within
// the line count, and never quotes a line it calls a raw mobile number.
// Seeds are in testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	f.Add([]byte("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\n"), false)
	f.Add([]byte("e10adc3949ba59abbe56e057f20f883e\r\n13800138000\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, md5 bool) {
		dt := audience.OpenID
		if md5 {
			dt = audience.MobileMD5
		}
		rep, err := audience.Check(bytes.NewReader(data), dt)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		if rep.Lines != lines {
			t.Fatalf("Lines = %d, want %d", rep.Lines, lines)
		}
		if rep.BadCount < len(rep.Bad) || rep.RawMobiles > rep.BadCount || len(rep.Bad) > audience.MaxReported {
			t.Fatalf("inconsistent report %+v", rep)
		}
		prev := 0
		for _, p := range rep.Bad {
			if p.Line <= prev || p.Line > rep.Lines {
				t.Fatalf("problem at line %d after %d, of %d lines", p.Line, prev, rep.Lines)
			}
			prev = p.Line
		}
	})
}
