package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
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
// other than the emulator (the test oracle) and providertest (the
// conformance suite, which imports the emulator and providers by design).
func providerPkgs(g map[string]*pkg) []string {
	var out []string
	for _, path := range own(g) {
		if strings.HasPrefix(path, module+"/providers/") && path != module+"/providers/emulator" && path != module+"/providers/providertest" {
			out = append(out, path)
		}
	}
	return out
}

// An exception is an import that breaks a rule today and is allowed until
// issue 13 (the architecture refactor) removes it. An exception that is no
// longer needed fails the test, so the list only shrinks.
type exception struct{ from, to, why string }

// v3uploadShared: the providers share the v3 signing, multipart and
// response-verification client through the sibling package v3upload
// (NewClient, Do, MultipartBody, ...). Issue 13 moves that into the
// providers contract package or an internal package, so no provider
// imports another.
const v3uploadShared = "shares the v3 client through the sibling v3upload (issue 13 moves it out of the providers)"

var exceptions = []exception{
	{"providers/brandchunk", "providers/v3upload", v3uploadShared},
	{"providers/brandimage", "providers/v3upload", v3uploadShared},
	{"providers/globalfile", "providers/v3upload", v3uploadShared},
	{"providers/marketingimage", "providers/v3upload", v3uploadShared},
	{"providers/platformcert", "providers/v3upload", v3uploadShared},
	{"providers/v2image", "providers/v3upload", v3uploadShared},
	{"providers/v3image", "providers/v3upload", v3uploadShared},
	{"providers/v3video", "providers/v3upload", v3uploadShared},
	{"main", "providers/brandchunk", "uploaders.go maps types to providers (issue 13: a provider registry)"},
	{"main", "providers/brandimage", "uploaders.go maps types to providers (issue 13: a provider registry)"},
	{"main", "providers/globalfile", "uploaders.go maps types to providers (issue 13: a provider registry)"},
	{"main", "providers/marketingimage", "uploaders.go maps types to providers (issue 13: a provider registry)"},
	{"main", "providers/v2image", "uploaders.go maps types to providers (issue 13: a provider registry)"},
	{"main", "providers/v3image", "uploaders.go maps types to providers (issue 13: a provider registry)"},
	{"main", "providers/v3video", "uploaders.go maps types to providers (issue 13: a provider registry)"},
	{"main", "providers/v3upload", "uploaders.go sets v3upload.Version for the User-Agent (issue 13: a provider registry)"},
}

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
			if strings.HasPrefix(d, module+"/providers/") && d != p && !under(d, p) {
				c.forbid("no provider imports a sibling provider", short(p), short(d))
			}
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
		// And nothing but main imports views.
		if p != module && slices.Contains(g[p].Imports, module+"/views") {
			c.forbid("nothing but main imports views", short(p), "views")
		}
	}

	// main reaches providers only through a registry.
	for _, d := range g[module].Imports {
		if strings.HasPrefix(d, module+"/providers/") && d != emu {
			c.forbid("main imports no provider subpackage except through the registry", "main", short(d))
		}
	}

	// main parses flags and renders; the operations run in operation: main
	// reaches no state backend, executor or stat cache itself.
	for _, d := range g[module].Imports {
		if d == module+"/pgstate" || d == module+"/executor" || d == module+"/statcache" {
			c.forbid("main runs no operation itself (no pgstate, executor or statcache: that is operation's job)", "main", short(d))
		}
	}

	// operation runs operations and renders nothing; it gets providers
	// through the constructor main passes, never a provider package.
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
