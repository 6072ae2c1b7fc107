package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// nextCommand matches advice about which wxmedia command to run next:
// "run plan again", "run apply again to finish them", "make a new plan",
// "remove it and run again", "run `wxmedia plan`", "make a new one with
// `wxmedia plan -out FILE`".
var nextCommand = regexp.MustCompile("(?i)\\brun (plan|apply)\\b|make a new plan|\\b(plan|apply|run) again\\b|\\b(run|make)\\b[^.;:]{0,20}`wxmedia (plan|apply)")

// adviceLayers may say which command to run next: the command layer, which
// knows the command that is running, and views, which renders for it.
var adviceLayers = []string{"internal/command", "views"}

// adviceExceptions are strings outside the advice layers that may name the
// next command, each with the reason. One that no longer matches fails the
// test, so the list only shrinks.
var adviceExceptions = []struct{ file, says, why string }{
	{"lockfile/merge.go", "run `wxmedia plan", "the first line of the conflict markers the merge driver writes into the lockfile: git shows it in the file, where no command layer renders it"},
}

// TestNoCommandAdviceBelowCommandLayer: the packages below the command
// layer return errors that say what is wrong (typed, or marked with a kind
// through internal/errmark); which command to run next is the command
// layer's advice (internal/command/diagnostics.go). Advice about the
// domain ("remove the link", "check expand_into") stays where the
// knowledge is. Every string literal of every non-test Go file outside
// the advice layers is checked (examples/ are programs of their own).
func TestNoCommandAdviceBelowCommandLayer(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	used := map[string]bool{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "examples") {
				return filepath.SkipDir
			}
			for _, l := range adviceLayers {
				if rel == l {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Errorf("%s: %v", fset.Position(lit.Pos()), err)
				return true
			}
			if m := nextCommand.FindString(s); m != "" {
				for _, e := range adviceExceptions {
					if e.file == rel && e.says == m {
						used[e.file+e.says] = true
						return true
					}
				}
				pos := fset.Position(lit.Pos())
				t.Errorf("%s:%d says %q: which command to run next is advice for the command layer (internal/command/diagnostics.go); return a typed or marked error instead", rel, pos.Line, m)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range adviceExceptions {
		if !used[e.file+e.says] {
			t.Errorf("the exception for %s saying %q is no longer needed: delete it from adviceExceptions", e.file, e.says)
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d files: is the module root %s?", checked, root)
	}
}
