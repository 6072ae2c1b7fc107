package manifest

import (
	"testing"
)

// FuzzParseEnv parses manifests with an environment selected: the
// environments block never panics the parser, a result is either a
// manifest or positioned problems, and a selected environment's overrides
// land in the accounts.
func FuzzParseEnv(f *testing.F) {
	f.Add([]byte("version: 1\naccounts:\n  a: {api: v3, mchid: \"1\", endpoint: sandbox}\nassets:\n  x: {type: image, account: a, file: media/a.jpg}\nenvironments:\n  x:\n    accounts:\n      a: {mchid: \"2\"}\n"))
	dir := f.TempDir()
	writeTree(f, dir, defaultFiles)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseWith("wxmedia.yaml", data, dir, Options{Env: "x"})
		if (m == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of them", m, err)
		}
		if err != nil {
			for _, fe := range fieldErrors(t, err) {
				if fe.File != "wxmedia.yaml" || fe.Msg == "" {
					t.Fatalf("bad problem %#v", fe)
				}
			}
			return
		}
		if m.Env != "x" {
			t.Fatalf("Env = %q, want x", m.Env)
		}
	})
}

func TestEnvironmentOverrides(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, defaultFiles)
	src := []byte("version: 1\naccounts:\n  a: {api: v3, mchid: \"1\", endpoint: sandbox}\nassets:\n  x: {type: image, account: a, file: media/a.jpg}\nenvironments:\n  prod:\n    accounts:\n      a: {mchid: \"2\", rate_limit: 3}\n")
	m, err := ParseWith("wxmedia.yaml", src, dir, Options{})
	if err != nil || m.Accounts["a"].MchID != "1" || m.Env != "" {
		t.Fatalf("without -env: %v, %+v", err, m)
	}
	m, err = ParseWith("wxmedia.yaml", src, dir, Options{Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Accounts["a"]; a.MchID != "2" || a.RateLimit != 3 || a.Endpoint != "sandbox" || m.Env != "prod" {
		t.Fatalf("with -env prod: %+v", a)
	}
}
