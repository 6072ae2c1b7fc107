package manifest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/mediatype"
)

// validManifest is a complete manifest using every feature; with
// defaultFiles it loads without problems.
const validManifest = header + `  storefront:
    type: image
    account: shop
    file: media/a.jpg
    filename: storefront.jpg
  shop_photos:
    type: image
    account: shop
    glob: media/shops/*.png
  legacy_logo: {type: legacy_image, account: legacy, file: media/b.png}
  users: {type: user_package, account: brandacct, file: media/users.csv, data_type: openid}
  clip: {type: video, account: shop, file: media/clip.mp4}
`

// billionLaughs nests lists of aliases 9 levels deep: 10^9 leaves if
// anything expanded it.
func billionLaughs(where string) string {
	var b strings.Builder
	b.WriteString("version: 1\nlol0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "lol%d: &l%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString(where)
	return b.String()
}

// mergeBomb nests merge keys: each level merges the previous one ten times.
func mergeBomb() string {
	var b strings.Builder
	b.WriteString("version: 1\naccounts:\n  m0: &m0 {api: v3, mchid: \"1\", endpoint: sandbox}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "  m%d: &m%d {<<: [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*m%d", i-1)
		}
		b.WriteString("]}\n")
	}
	return b.String()
}

// wideAliases aliases one big mapping from many accounts, so that walking
// it costs accounts × keys nodes.
func wideAliases(accounts, keys int) string {
	var b strings.Builder
	b.WriteString("version: 1\nx: &big\n")
	for i := 0; i < keys; i++ {
		fmt.Fprintf(&b, "  k%d: %d\n", i, i)
	}
	b.WriteString("accounts:\n")
	for i := 0; i < accounts; i++ {
		fmt.Fprintf(&b, "  a%d: *big\n", i)
	}
	return b.String()
}

func fuzzSeeds() []string {
	return []string{
		validManifest,
		"",
		"version: 1\n",
		"version: 1\nversion: 1\naccounts:\n  a: {api: v3}\n  a: {api: v2}\n",
		"version: 1\naccounts:\n\tshop:\n\t\tapi: v3\n",
		"version: 1\n---\nversion: 1\n",
		"version: 1\naccounts:\n  a: &a {api: v3, mchid: \"1\", endpoint: sandbox}\n  b: *a\n  c: {<<: *a, mchid: \"2\"}\nassets:\n  x: &x {type: image, account: a, file: media/a.jpg}\n  y: {<<: [*x, *x], file: media/b.png}\n",
		"version: 1\naccounts: &s {a: *s}\n",
		"version: 1\naccounts:\n  a: &r {<<: *r}\n",
		billionLaughs("accounts:\n  a:\n    api: v3\n    platform_certificate_files: *l8\n"),
		mergeBomb(),
		"version: 1\n# caf\xe9\n",
		"version: 1\nassets:\n  x: {type: image, account: a, glob: \"media/[\"}\n",
		"version: 1\nassets:\n  x: {type: image, account: a, file: ../../etc/passwd}\n",
		"\xef\xbb\xbfversion: 1\n",
		"? [a, b]\n: c\n",
		"version: !!binary aGVsbG8=\n",
		"version: 1\naccounts:\n  a:\n    api: v2\n    mchid: 1\n    rate_limit: .inf\n    sign_type: [MD5]\n",
	}
}

// FuzzParse checks that Parse never panics, that it returns either a
// manifest or a sorted list of positioned problems, and that a manifest it
// accepts keeps its invariants.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	writeTree(f, dir, defaultFiles)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("wxmedia.yaml", data, dir)
		if (m == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of them", m, err)
		}
		if err != nil {
			errs := fieldErrors(t, err)
			if len(errs) == 0 || len(errs) > maxErrors+1 {
				t.Fatalf("Parse returned %d problems", len(errs))
			}
			for i, fe := range errs {
				if fe.File != "wxmedia.yaml" || fe.Msg == "" {
					t.Fatalf("bad problem %#v", fe)
				}
				if i > 0 && (errs[i-1].Line > fe.Line || errs[i-1].Line == fe.Line && errs[i-1].Col > fe.Col) {
					t.Fatalf("problems out of order: %v before %v", errs[i-1], fe)
				}
			}
			return
		}
		if m.Version != 1 || m.Dir != dir {
			t.Fatalf("Version, Dir = %d, %q", m.Version, m.Dir)
		}
		for i, a := range m.Assets {
			if i > 0 && m.Assets[i-1].Name >= a.Name {
				t.Fatalf("assets not sorted and unique: %q, %q", m.Assets[i-1].Name, a.Name)
			}
			if mediatype.Lookup(a.Type) == nil || m.Account(a.Account) == nil || m.Asset(a.Name) != a {
				t.Fatalf("asset %+v: bad type, account or lookup", a)
			}
			if a.Path != filepath.Join(dir, filepath.FromSlash(a.File)) || strings.HasPrefix(a.File, "../") || a.Size <= 0 {
				t.Fatalf("asset %+v: bad path or size", a)
			}
		}
	})
}

// TestAliasBombs checks that alias expansion stays bounded: yaml.v3 does
// not expand aliases when decoding into a yaml.Node, and the validator
// charges every alias it follows against a node budget.
func TestAliasBombs(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		text string
		want string
	}{
		{"billion laughs unused", billionLaughs(""), "unknown top-level key lol0"},
		{"billion laughs in a list", billionLaughs("accounts:\n  a:\n    api: v3\n    mchid: \"1\"\n    endpoint: sandbox\n    platform_certificate_files: *l8\n"),
			"accounts.a.platform_certificate_files[9]: must be a single value, not a list"},
		{"merge bomb", mergeBomb(), ""},
		{"self merge", "version: 1\naccounts:\n  a: &r {api: v3, mchid: \"1\", endpoint: sandbox, <<: *r}\n", ""},
		{"wide aliases", wideAliases(200, 1000), "the manifest is too complex: its aliases expand to more than 50000 nodes"},
	}
	defer func(n int) { nodeBudget = n }(nodeBudget)
	nodeBudget = 50_000
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			m, err := Parse("wxmedia.yaml", []byte(tc.text), dir)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Parse took %v", d)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(m.Accounts) == 0 {
					t.Errorf("no accounts")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error does not contain %q: %v", tc.want, err)
			}
			if n := len(fieldErrors(t, err)); n > maxErrors+1 {
				t.Errorf("%d problems, want at most %d", n, maxErrors+1)
			}
		})
	}
}

// TestValidSeed keeps the main fuzz seed honest: it must load cleanly.
func TestValidSeed(t *testing.T) {
	m, err, out := load(t, validManifest, nil)
	if err != nil {
		t.Fatalf("Load: %s", out)
	}
	want := []string{"clip", "legacy_logo", "shop_photos/1.png", "shop_photos/2.png", "storefront", "users"}
	var got []string
	for _, a := range m.Assets {
		got = append(got, a.Name)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("asset names = %v, want %v", got, want)
	}
	if a := m.Asset("storefront"); a.Filename != "storefront.jpg" || a.File != "media/a.jpg" {
		t.Errorf("storefront = %+v", a)
	}
}
