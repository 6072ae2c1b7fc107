package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/wxmedia/wxmedia"

// pkg is what `go list -deps -json` says of one package.
type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string // direct imports of its non-test files
	Deps       []string // everything it needs to build, transitively
}

// graph lists every package the module's packages build from.
func graph(t *testing.T) map[string]*pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	trackSources(t)
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard,Imports,Deps", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s/...: %v\n%s", module, err, stderr.String())
	}
	g := map[string]*pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		g[p.ImportPath] = &p
	}
	if g[module+"/planner"] == nil || g[module+"/providers"] == nil {
		t.Fatalf("go list -deps did not list the module's packages")
	}
	return g
}

// trackSources stats every Go file of the module. go test caches a passing
// result by the files the test itself opened or stat'ed, not by what the go
// list it runs read: without this, an import added anywhere would leave a
// cached pass standing.
func trackSources(t *testing.T) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// own lists the module's packages, sorted.
func own(g map[string]*pkg) []string {
	var out []string
	for path := range g {
		if path == module || strings.HasPrefix(path, module+"/") {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out
}

// short drops the module prefix for messages: "planner", "main".
func short(path string) string {
	if path == module {
		return "main"
	}
	return strings.TrimPrefix(path, module+"/")
}

// under reports whether path is dir or a package below it.
func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// providerPkgs are the provider implementations: subpackages of providers
// other than the emulator (the test oracle), providertest (the conformance
// suite, which imports the emulator and providers by design), the registry
// (which lists them all) and providers/internal (the wire code they share).
func providerPkgs(g map[string]*pkg) []string {
	var out []string
	for _, path := range own(g) {
		if strings.HasPrefix(path, module+"/providers/") && path != module+"/providers/emulator" && path != module+"/providers/providertest" &&
			path != registryPkg && !under(path, module+"/providers/internal") {
			out = append(out, path)
		}
	}
	return out
}

// registryPkg lists every provider; it is how the command layer reaches
// them.
const registryPkg = module + "/providers/registry"

// commandPkg is the command layer: flags, operations, rendering.
const commandPkg = module + "/internal/command"

// An exception is an import that breaks a rule today and is allowed until
// issue 13 (the architecture refactor) removes it. An exception that is no
// longer needed fails the test, so the list only shrinks.
type exception struct{ from, to, why string }

var exceptions = []exception{}

// checker collects violations and the exceptions that were used.
type checker struct {
	t    *testing.T
	used map[exception]bool
}

// forbid fails the test for an import of to by from (both short names),
// unless it is a listed exception.
func (c *checker) forbid(rule, from, to string) {
	for _, e := range exceptions {
		if e.from == from && e.to == to {
			c.used[e] = true
			return
		}
	}
	c.t.Errorf("%s: %s depends on %s", rule, from, to)
}

func TestArchitecture(t *testing.T) {
	g := graph(t)
	c := &checker{t: t, used: map[exception]bool{}}

	// The planner is pure: no network, no uploads, no executor.
	for _, d := range g[module+"/planner"].Deps {
		if under(d, module+"/providers") || under(d, module+"/executor") || d == "net/http" {
			c.forbid("the planner decides, it never uploads (no providers, executor or net/http)", "planner", short(d))
		}
	}

	// The planner reads no files: package scan examines them and hands the
	// planner FileFacts.
	for _, d := range g[module+"/planner"].Deps {
		if d == module+"/scan" || d == module+"/statcache" {
			c.forbid("the planner reads no files (no scan or statcache: it takes FileFacts)", "planner", short(d))
		}
	}
	if slices.Contains(g[module+"/planner"].Imports, module+"/assetfile") {
		c.forbid("the planner reads no files (no assetfile: it takes FileFacts)", "planner", "assetfile")
	}

	// The lockfile's unsafe fast decoder lives in lockfile/internal/fastjson,
	// apart from the state, locks, backends and the Store.
	if slices.Contains(g[module+"/lockfile"].Imports, "unsafe") {
		c.forbid("package lockfile holds no unsafe code (the fast decoder is lockfile/internal/fastjson)", "lockfile", "unsafe")
	}

	// Providers upload; they never touch the plan or the state.
	for _, p := range append([]string{module + "/providers"}, providerPkgs(g)...) {
		for _, d := range g[p].Deps {
			if under(d, module+"/planner") || under(d, module+"/executor") || under(d, module+"/lockfile") || under(d, module+"/operation") {
				c.forbid("providers never touch plans or state (no planner, executor, lockfile or operation)", short(p), short(d))
			}
		}
	}

	// The emulator is an independent oracle: the standard library only, so
	// no bug can hide on both sides of the wire.
	emu := module + "/providers/emulator"
	for _, d := range g[emu].Deps {
		if !g[d].Standard && !strings.HasPrefix(d, emu+"/") {
			c.forbid("the emulator is standard library only (no provider client code)", "providers/emulator", short(d))
		}
	}

	// No provider imports a sibling.
	for _, p := range providerPkgs(g) {
		for _, d := range g[p].Deps {
			if strings.HasPrefix(d, module+"/providers/") && d != p && !under(d, p) && !under(d, module+"/providers/internal") {
				c.forbid("no provider imports a sibling provider", short(p), short(d))
			}
		}
	}

	// The shared wire code under providers/internal serves every provider,
	// so it depends on none of them (nor on the registry).
	for _, p := range own(g) {
		if !under(p, module+"/providers/internal") {
			continue
		}
		for _, d := range g[p].Deps {
			if slices.Contains(providerPkgs(g), d) || d == registryPkg {
				c.forbid("providers/internal is shared wire code: it imports no provider", short(p), short(d))
			}
		}
	}

	// The registry is how the command layer reaches providers; no other
	// package (least of all a provider) builds on it.
	for _, p := range own(g) {
		if p != commandPkg && slices.Contains(g[p].Imports, registryPkg) {
			c.forbid("only internal/command imports providers/registry", short(p), "providers/registry")
		}
	}

	// Only views renders: colour, tables, progress bars, terminal checks.
	ui := []string{"github.com/fatih/color", "github.com/olekukonko/tablewriter", "github.com/vbauerster/mpb", "github.com/mattn/go-isatty"}
	for _, p := range own(g) {
		if under(p, module+"/views") {
			continue
		}
		for _, d := range g[p].Imports {
			if slices.ContainsFunc(ui, func(u string) bool { return under(d, u) }) {
				c.forbid("only views imports color, tablewriter, mpb and isatty", short(p), d)
			}
		}
		// And nothing but the command layer imports views.
		if p != commandPkg && slices.Contains(g[p].Imports, module+"/views") {
			c.forbid("nothing but internal/command imports views", short(p), "views")
		}
	}

	// main is only the process's entry: os.Args to command.Run, its exit
	// code to os.Exit. It imports the command layer and the standard
	// library, nothing else.
	if g[commandPkg] == nil {
		t.Errorf("the command package (internal/command) is missing")
	}
	for _, d := range g[module].Imports {
		if d != commandPkg && !g[d].Standard {
			c.forbid("main imports only internal/command and the standard library", "main", short(d))
		}
	}

	// The command layer reaches providers only through the registry (and
	// runs the emulator for `wxmedia emulator`).
	for _, d := range g[commandPkg].Imports {
		if strings.HasPrefix(d, module+"/providers/") && d != emu && d != registryPkg {
			c.forbid("internal/command imports no provider subpackage except through the registry", "internal/command", short(d))
		}
	}

	// The command layer parses flags and renders; the operations run in
	// operation: it reaches no state backend, executor or stat cache itself.
	for _, d := range g[commandPkg].Imports {
		if d == module+"/pgstate" || d == module+"/executor" || d == module+"/statcache" {
			c.forbid("internal/command runs no operation itself (no pgstate, executor or statcache: that is operation's job)", "internal/command", short(d))
		}
	}

	// operation runs operations and renders nothing; it gets providers
	// through the constructor the command layer passes, never a provider
	// package.
	op := module + "/operation"
	if g[op] == nil {
		t.Errorf("the operation package is missing")
	} else {
		for _, d := range g[op].Imports {
			if strings.HasPrefix(d, module+"/providers/") {
				c.forbid("operation imports no provider subpackage", "operation", short(d))
			}
		}
	}

	for _, e := range exceptions {
		if !c.used[e] {
			t.Errorf("the exception %s -> %s (%s) is no longer needed: delete it from the list in arch_test.go", e.from, e.to, e.why)
		}
	}
}

// sourceOf returns the non-test Go files of pkg (a short name), by name.
func sourceOf(t *testing.T, pkg string) map[string][]byte {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}\n{{range .GoFiles}}{{.}}\n{{end}}", module+"/"+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	lines := strings.Fields(string(out))
	if len(lines) < 2 {
		t.Fatalf("go list listed no %s files: %q", pkg, out)
	}
	files := map[string][]byte{}
	for _, name := range lines[1:] {
		data, err := os.ReadFile(filepath.Join(lines[0], name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	return files
}

// TestPlannerHasNoClock: the planner is given every time it needs (the
// scan stage reads the clock, once, through scan.Options.Now), so that a
// plan depends only on its inputs.
func TestPlannerHasNoClock(t *testing.T) {
	for name, data := range sourceOf(t, "planner") {
		for _, clock := range []string{"time.Now(", "time.Since(", "time.Until("} {
			if bytes.Contains(data, []byte(clock)) {
				t.Errorf("planner/%s calls %s: the planner takes times as inputs, it reads no clock", name, clock)
			}
		}
	}
}

// TestManifestLooksAtNoAssetFile: package manifest parses and validates;
// it globs, stats and reads the head of asset files only through its Files
// interface (assetfile.Tree, or the scan stage's scan.Checker). It still
// opens the manifest itself and checks credential files (account.go),
// which are not asset files.
func TestManifestLooksAtNoAssetFile(t *testing.T) {
	for name, data := range sourceOf(t, "manifest") {
		for _, call := range []string{"os.Lstat(", "filepath.EvalSymlinks(", "os.DirFS(", "Readdirnames(", "ReadDir(", "doublestar.Glob(", "io.ReadFull("} {
			if bytes.Contains(data, []byte(call)) {
				t.Errorf("manifest/%s calls %s: asset files are looked at through manifest.Files (package assetfile, scan)", name, call)
			}
		}
	}
}
