package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	// Unexported names count too: the emulator's readings and the pacer's
	// tuning are package-private, and a table naming them must stay true.
	ref := regexp.MustCompile("`([a-z0-9]+)\\.([A-Za-z][A-Za-z0-9]*)`")
	checked := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range ref.FindAllStringSubmatch(line, -1) {
			pkg, name := m[1], m[2]
			dir, ok := dirs[pkg]
			if !ok || name == "go" {
				continue // a file name such as `upload.go`
			}
			if !declares(t, dir, name) {
				t.Errorf("docs/PROTOCOL.md names %s.%s, which package %s (%s) does not declare", pkg, name, pkg, dir)
			}
			checked++
		}
	}
	if checked < 40 {
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

// declName reports whether declaration d declares name; a method counts
// (the emulator's switch points include methods such as methodNotAllowed).
func declName(d ast.Decl, name string) bool { return slices.Contains(declNames(d), name) }

// TestProtocolAssumptionsListed checks the other direction: every non-test
// Go file that marks a reading [ASSUMED] is named in docs/PROTOCOL.md's
// tables, by its file name or by a `pkg.Name` it declares, so that a new
// assumption cannot hide from the reference. Test helpers (providertest)
// only cite readings made elsewhere.
func TestProtocolAssumptionsListed(t *testing.T) {
	doc, err := os.ReadFile("docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows strings.Builder
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "|") {
			rows.WriteString(line + "\n")
		}
	}
	table := rows.String()
	found := 0
	filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != "." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "providertest") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(src), "[ASSUMED]") {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "emulator" && filepath.Base(p) == "doc.go" {
			return nil // the package comment explains the marker
		}
		found++
		if strings.Contains(table, "`"+filepath.Base(p)+"`") || strings.Contains(table, filepath.ToSlash(p)) {
			return nil
		}
		pkg := filepath.Base(filepath.Dir(p))
		for _, decl := range f.Decls {
			for _, name := range declNames(decl) {
				if strings.Contains(table, "`"+pkg+"."+name+"`") {
					return nil
				}
			}
		}
		t.Errorf("%s marks an [ASSUMED] reading, but docs/PROTOCOL.md's tables name neither the file nor anything it declares: add a row with its switch point", p)
		return nil
	})
	if found < 10 {
		t.Errorf("found only %d files with [ASSUMED]; has the marker changed?", found)
	}
}

// declNames lists the names a declaration declares at package level,
// methods included.
func declNames(d ast.Decl) []string {
	var names []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		names = append(names, d.Name.Name)
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				names = append(names, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	return names
}
