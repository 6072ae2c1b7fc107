package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestProtocolSwitchPoints keeps docs/PROTOCOL.md honest: every `pkg.Name`
// its tables give as the switch point of an assumption is declared in that
// package, so a rename in code cannot leave the reference pointing nowhere.
func TestProtocolSwitchPoints(t *testing.T) {
	doc, err := os.ReadFile("docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{} // package directory base name → path
	filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && !strings.HasPrefix(d.Name(), ".") && d.Name() != "testdata" {
			dirs[d.Name()] = p
		}
		return nil
	})
	ref := regexp.MustCompile("`([a-z0-9]+)\\.([A-Z][A-Za-z0-9]*)`")
	checked := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range ref.FindAllStringSubmatch(line, -1) {
			pkg, name := m[1], m[2]
			dir, ok := dirs[pkg]
			if !ok {
				continue // a file name such as `upload.go`
			}
			if !declares(t, dir, name) {
				t.Errorf("docs/PROTOCOL.md names %s.%s, which package %s (%s) does not declare", pkg, name, pkg, dir)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d switch points; has the table format changed?", checked)
	}
}

// declares reports whether the non-test Go files in dir declare name at
// package level.
func declares(t *testing.T, dir, name string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if declName(d, name) {
				return true
			}
		}
	}
	return false
}

// declName reports whether declaration d declares name (methods aside).
func declName(d ast.Decl, name string) bool {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Recv == nil && d.Name.Name == name
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if s.Name.Name == name {
					return true
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.Name == name {
						return true
					}
				}
			}
		}
	}
	return false
}
