package command

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzComplete: whatever words are typed, the completer never panics and
// prints only candidates starting with the word being completed, or a
// directive.
func FuzzComplete(f *testing.F) {
	for _, s := range []string{"-chdir\x00x\x00pl", "plan\x00-target\x00", "state\x00", "-manifest=a.yaml\x00output\x00", "--\x00-\x00=", "import\x00a\x00b\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words := strings.Split(line, "\x00")
		var out bytes.Buffer
		c := &cli{stdout: &out, stderr: &out, manifestPath: "wxmedia.yaml"}
		// -chdir and -manifest are honoured, so keep them inside the
		// test's empty directory.
		t.Chdir(t.TempDir())
		for i, w := range words {
			if strings.Contains(w, "/") || strings.Contains(w, "..") {
				words[i] = "x"
			}
		}
		if code := runComplete(c, words); code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		cur := words[len(words)-1]
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if l != "" && !strings.HasPrefix(l, cur) && !strings.HasPrefix(l, ":") {
				t.Fatalf("candidate %q does not start with %q", l, cur)
			}
		}
	})
}
