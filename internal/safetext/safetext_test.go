package safetext_test

import (
	"testing"

	"github.com/wxmedia/wxmedia/internal/safetext"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"storefront", "storefront"},
		{"图片/猫.png", "图片/猫.png"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"line\nbreak\r\t", `line\nbreak\r\t`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\u0085`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"bad \xff utf8", `bad \xff utf8`},
	} {
		if got := safetext.Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		_, bad := safetext.Find(tc.in)
		if bad != (tc.in != tc.want) {
			t.Errorf("Find(%q) = %v, want %v", tc.in, bad, tc.in != tc.want)
		}
	}
}

// TestFindASCIIFastPath: Find, which passes printable ASCII without
// decoding runes, reports what a rune-by-rune check with Unsafe does, for
// every byte value after a printable prefix, and for the first unsafe
// character after non-ASCII text.
func TestFindASCIIFastPath(t *testing.T) {
	for b := range 256 {
		s := "pics/a" + string([]byte{byte(b)}) + "b"
		ch, bad := safetext.Find(s)
		wantBad := b < 0x20 || b >= 0x7f // a control character, DEL, or a lone byte of invalid UTF-8
		if bad != wantBad || bad && ch == "" {
			t.Errorf("Find(%q) = %q, %v; want unsafe %v", s, ch, bad, wantBad)
		}
	}
	if ch, bad := safetext.Find("a猫\u202eb\x1b"); !bad || ch != `\u202e` {
		t.Errorf("Find after non-ASCII = %q, %v; want \\u202e", ch, bad)
	}
	if ch, bad := safetext.Find("ab\x1b猫"); !bad || ch != `\x1b` {
		t.Errorf("Find = %q, %v; want \\x1b", ch, bad)
	}
}
