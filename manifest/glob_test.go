package manifest

import (
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

// TestGlobDoubleStar checks `**` crossing directories, extensions matched in
// any case, and the plan-time path rules still applying to matches.
func TestGlobDoubleStar(t *testing.T) {
	files := map[string]string{
		"media/shops/Guangzhou.PNG":      pngData,
		"media/shops/north/beijing.png":  pngData,
		"media/shops/north/deep/tj.png":  pngData,
		"media/shops/north/skip.jpg":     jpgData,
		"media/shops/north/notes.pngx":   pngData,
		"media/shops/north/dir.png/x.md": "x",
	}
	m, err, text := load(t, header+"  x:\n    type: image\n    account: shop\n    glob: media/shops/**/*.png\n", files)
	if err != nil {
		t.Fatalf("Load: %s", text)
	}
	var got []string
	for _, a := range m.Assets {
		if strings.HasPrefix(a.Name, "x/") {
			got = append(got, a.Name+"="+a.File)
		}
	}
	want := []string{"x/1.png=media/shops/1.png", "x/2.png=media/shops/2.png", "x/Guangzhou.PNG=media/shops/Guangzhou.PNG",
		"x/beijing.png=media/shops/north/beijing.png", "x/tj.png=media/shops/north/deep/tj.png"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("glob media/shops/**/*.png matched\n%v\nwant\n%v", got, want)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings %v, want none", m.Warnings)
	}
}

func TestGlobSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"outside.png": pngData})
	files := map[string]string{
		"media/shops/deep/out.png": "symlink:" + outside + "/outside.png",
	}
	_, err, text := load(t, header+"  x:\n    type: image\n    account: shop\n    glob: media/**/*.png\n", files)
	if err == nil || !strings.Contains(text, "outside the manifest directory") {
		t.Fatalf("a ** match that is a symlink out of the tree: got %v, want an error naming it", text)
	}
}

func TestGlobNoMatchWarns(t *testing.T) {
	for _, tc := range []struct{ name, glob string }{
		{"no match", "media/*.gif"},
		{"only directories", "media/*s"},
		{"double star", "media/**/*.gif"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err, text := load(t, header+"  x:\n    type: image\n    account: shop\n    glob: "+tc.glob+"\n", nil)
			if err != nil {
				t.Fatalf("Load: %s", text)
			}
			if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0].Error(), "24:11: assets.x.glob: glob "+tc.glob+" matches no files") {
				t.Fatalf("warnings = %v, want one saying the glob matches no files", m.Warnings)
			}
		})
	}
}

func TestAnyCaseExt(t *testing.T) {
	for in, want := range map[string]string{
		"media/*.png":    "media/*.[pP][nN][gG]",
		"a/**/*.mp4":     "a/**/*.[mM][pP]4",
		"a.b/*":          "a.b/*",
		"media/*.{a,b}":  "media/*.{a,b}",
		"media/x.":       "media/x.",
		"media/noext/*":  "media/noext/*",
		"media/*.[pj]ng": "media/*.[pj]ng",
	} {
		if got := anyCaseExt(in); got != want {
			t.Errorf("anyCaseExt(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzAnyCaseExt: the rewritten pattern stays valid and matches at least
// what the pattern matched, and the same names with the extension in
// another case.
func FuzzAnyCaseExt(f *testing.F) {
	for _, s := range []string{"media/*.png", "a/**/*.MP4", "x.{a,b}", "media/[.png", "a.b/c", "*.", `a\.png`, "*.p[n]g"} {
		f.Add(s, "media/Guangzhou.PNG")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		out := anyCaseExt(pattern)
		if !doublestar.ValidatePattern(pattern) {
			return
		}
		if !doublestar.ValidatePattern(out) {
			t.Fatalf("anyCaseExt(%q) = %q, not a valid pattern", pattern, out)
		}
		if ok, _ := doublestar.Match(pattern, name); ok {
			if ok2, _ := doublestar.Match(out, name); !ok2 {
				t.Fatalf("%q matches %q but anyCaseExt's %q does not", pattern, name, out)
			}
		}
		if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
			upper := name[:dot] + strings.ToUpper(name[dot:])
			if ok, _ := doublestar.Match(pattern, name); ok && out != pattern {
				if ok2, _ := doublestar.Match(out, upper); !ok2 {
					t.Fatalf("%q does not match %q with its extension in upper case", out, upper)
				}
			}
		}
	})
}

// TestOneDir: only matches in one directory skip the check for repeated
// base names; a subdirectory's file, or a sibling directory sharing a
// prefix, is another directory.
func TestOneDir(t *testing.T) {
	for _, tc := range []struct {
		rels []string
		want bool
	}{
		{nil, true},
		{[]string{"a.png", "b.png"}, true},
		{[]string{"media/a.png", "media/b.png"}, true},
		{[]string{"a.png", "media/a.png"}, false},
		{[]string{"media/a.png", "media/sub/a.png"}, false},
		{[]string{"media/a.png", "media2/a.png"}, false},
		{[]string{"m/a.png", "media/a.png"}, false},
		{[]string{"media/x/a.png", "media/y/a.png"}, false},
	} {
		if got := oneDir(tc.rels); got != tc.want {
			t.Errorf("oneDir(%q) = %v, want %v", tc.rels, got, tc.want)
		}
	}
}
