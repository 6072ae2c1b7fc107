package mediatype

import (
	"strings"
	"testing"
)

func TestIDShapes(t *testing.T) {
	for _, name := range Names() {
		s := Lookup(name).ID()
		if s == nil {
			t.Fatalf("type %s has no ID shape", name)
		}
		if msg := s.Check(s.Example); msg != "" {
			t.Errorf("%s: its own example %q %s", name, s.Example, msg)
		}
	}
	for _, tc := range []struct{ typ, id, want string }{
		{"image", "K62a96Ooys-F2OsuRXPVx70-NSS-v5UDuu1u9dFqgfgizBalsX-OsJWi5S3C", ""},
		{"image", "has space", "has characters outside"},
		{"image", strings.Repeat("a", 513), "is 513 characters long; expected 1 to 512"},
		{"legacy_image", strings.Repeat("a", 257), "is 257 characters long"},
		{"global_file", "short", "is 5 characters long; expected 16 to 64 characters"},
		{"global_file", "b6a17e2a-1dc4-4376-8630-e73d06490c0d", ""},
		{"global_file", "b6a17e2a/1dc4/4376/8630/e73d06490c0d", "has characters outside"},
		{"user_package", "17587186700323d11ac17d8d3d4c8c4e5a250c3e804977e89af6a05ffa93751d0ec0179ca8", ""},
		{"marketing_image", "https://sandbox.wxmedia.invalid/marketing/x.png", ""},
		{"marketing_image", "K62a96Ooys-F2OsuRXPVx70", "is not a URL; expected an https:// URL"},
		{"brand_image", "ftp://x/y", "is not a URL"},
		{"brand_image", "https://x/" + strings.Repeat("a", 250), "is 260 characters long"},
	} {
		got := Lookup(tc.typ).ID().Check(tc.id)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s ID %.20q: Check = %q, want %q", tc.typ, tc.id, got, tc.want)
		}
	}
}
