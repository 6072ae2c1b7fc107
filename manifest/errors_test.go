package manifest

import (
	"errors"
	"io/fs"
	"testing"
)

func TestFieldErrorError(t *testing.T) {
	cases := []struct {
		e    *FieldError
		want string
	}{
		{&FieldError{File: "wxmedia.yaml", Line: 12, Col: 5, Path: "assets.storefront.file", Msg: "no such file media/x.jpg"},
			"wxmedia.yaml:12:5: assets.storefront.file: no such file media/x.jpg"},
		{&FieldError{File: "wxmedia.yaml", Line: 3, Msg: "invalid YAML"}, "wxmedia.yaml:3: invalid YAML"},
		{&FieldError{File: "w.yaml", Msg: "no such file"}, "w.yaml: no such file"},
	}
	for _, tc := range cases {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	e := &FieldError{File: "x", Err: fs.ErrPermission}
	if !errors.Is(e, fs.ErrPermission) {
		t.Errorf("errors.Is(FieldError{Err: ErrPermission}, ErrPermission) = false")
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"private_key_file", "private_key_env", "api", "mchid"}
	cases := []struct{ in, want string }{
		{"privat_key_file", "private_key_file"},
		{"private_key_fil", "private_key_file"},
		{"PRIVATE_KEY_ENV", "private_key_env"},
		{"mch_id", "mchid"},
		{"apis", "api"},
		{"colour", ""},
		{"", ""},
	}
	for _, tc := range cases {
		if got := suggest(tc.in, keys); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if d := levenshtein("kitten", "sitting"); d != 3 {
		t.Errorf("levenshtein(kitten, sitting) = %d, want 3", d)
	}
}

func TestCheckEndpoint(t *testing.T) {
	ok := []string{"sandbox", "https://api.mch.weixin.qq.com", "https://apihk.mch.weixin.qq.com/", "http://127.0.0.1:8787",
		"http://localhost:8787", "http://[::1]:8787", "https://10.0.0.1:8443/prefix"}
	for _, s := range ok {
		if msg := checkEndpoint(s); msg != "" {
			t.Errorf("checkEndpoint(%q) = %q, want ok", s, msg)
		}
	}
	bad := []string{"", "SANDBOX", "api.mch.weixin.qq.com", "http://example.com", "http://10.0.0.1", "ftp://x", "https://",
		"https://u:p@x", "https://x/?a=1", "https://x/#f", "mailto:a@b", "://"}
	for _, s := range bad {
		if msg := checkEndpoint(s); msg == "" {
			t.Errorf("checkEndpoint(%q) = ok, want a problem", s)
		}
	}
}

func TestSizes(t *testing.T) {
	cases := []struct {
		n, limit int64
		got, lim string
	}{
		{3250585, 2 << 20, "3.1 MiB", "2 MiB"},
		{2<<20 + 1, 2 << 20, "2097153 bytes", "2097152 bytes"},
		{2 << 20, 2<<20 - 1, "2097152 bytes", "2097151 bytes"},
		{30 << 20, 20 << 20, "30.0 MiB", "20 MiB"},
		{2000, 1000, "2.0 KiB", "1000 bytes"},
	}
	for _, tc := range cases {
		got, lim := sizes(tc.n, tc.limit)
		if got != tc.got || lim != tc.lim {
			t.Errorf("sizes(%d, %d) = %q, %q; want %q, %q", tc.n, tc.limit, got, lim, tc.got, tc.lim)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	cases := map[string]string{"my shop": "my_shop", "-x": "x", "商店": "", "a/b": "a_b"}
	for in, want := range cases {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
