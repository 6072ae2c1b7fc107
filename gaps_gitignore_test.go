package main

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesIgnoreJournal: every example project's .gitignore keeps the
// lockfile's write-ahead journal (and the lock file) out of commits; a
// journal belongs to one machine's interrupted apply, and a committed one
// breaks every other clone's plan.
func TestExamplesIgnoreJournal(t *testing.T) {
	manifests, err := filepath.Glob("examples/*/wxmedia.yaml")
	if err != nil || len(manifests) == 0 {
		t.Fatalf("no example manifests found (%v)", err)
	}
	for _, m := range manifests {
		dir := filepath.Dir(m)
		data, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
		if err != nil {
			t.Errorf("%s: %v; add a .gitignore that lists *.lock.json.journal", dir, err)
			continue
		}
		for _, name := range []string{"wxmedia.lock.json.journal", "wxmedia.lock.json.lock"} {
			if !ignores(string(data), name) {
				t.Errorf("%s/.gitignore does not ignore %s; add a line matching it (*.lock.json.journal, *.lock.json.lock)", dir, name)
			}
		}
	}
}

// ignores reports whether a line of the .gitignore text, read as a glob,
// matches name (enough for the examples' simple patterns).
func ignores(gitignore, name string) bool {
	for _, line := range strings.Split(gitignore, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "/")
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		if ok, _ := path.Match(line, name); ok {
			return true
		}
	}
	return false
}
