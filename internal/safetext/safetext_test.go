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
