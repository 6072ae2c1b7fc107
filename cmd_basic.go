package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/hashicorp/go-multierror"
	"github.com/wxmedia/wxmedia/manifest"
	"runtime"
	"runtime/debug"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/planner"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func init() {
	register(&command{name: "validate", synopsis: "check the manifest, every file and every account key; report all problems",
		run: runValidate})
	register(&command{name: "plan", synopsis: "show what apply would upload, replace, rename or forget (no network)",
		help: "Exit codes with -detailed-exitcode: 0 no changes, 1 error, 2 changes present.",
		flags: func(c *cli, fs *flag.FlagSet) {
			c.planFlags(fs)
			fs.BoolVar(&c.detailedExit, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
			fs.StringVar(&c.planOut, "out", "", "save the plan to `FILE` for `wxmedia apply FILE`")
			fs.BoolVar(&c.markdown, "markdown", false, "print the plan as Markdown for a pull-request comment")
		},
		run: runPlan})
	register(&command{name: "output", usage: "[NAME]", synopsis: "print IDs from the lockfile",
		help: "With NAME, prints only that asset's ID (for scripts). Without it, prints every\n" +
			"asset as `name = id`; -json (or -format json) prints {name: {id, type, sha256}};\n" +
			"-format env prints WXMEDIA_<NAME>='<id>' lines for `source` or .env files;\n" +
			"-format yaml prints the -json document as YAML.",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.StringVar(&c.outputFormat, "format", "", "output `FORMAT` for all IDs: env, json or yaml")
		},
		run: runOutput})
	register(&command{name: "version", synopsis: "print the version, Go version and commit", run: runVersion})
}

func (c *cli) planFlags(fs *flag.FlagSet) {
	fs.Var(&c.pf.targets, "target", "limit to assets matching `NAME` (repeatable; globs allowed)")
	fs.Var(&c.pf.replace, "replace", "force re-upload of `NAME` (repeatable; globs allowed)")
	fs.IntVar(&c.pf.parallelism, "parallelism", 4, "upload up to `N` files at once")
	fs.BoolVar(&c.pf.refreshHashes, "refresh-hashes", false, "hash every file, ignoring the stat cache in .wxmedia/ (which is then rewritten)")
}

func runValidate(c *cli, args []string) int {
	if len(args) > 0 {
		return c.usageError("validate takes no arguments")
	}
	w, err := c.loadWorkspace()
	if err == nil {
		ctx := context.Background()
		_, scanErr := planner.Scan(ctx, w.m, planner.ScanOptions{})
		r := accounts.New(w.m)
		defer r.Close()
		err = joinProblems(scanErr, r.Check(false))
	}
	if c.json {
		c.printJSON(validateJSON(err))
		if err != nil {
			return exitError
		}
		return exitOK
	}
	if err != nil {
		return c.fail(err)
	}
	n := len(w.m.Assets)
	fmt.Fprintf(c.stdout, "Success! %s is valid: %d %s, %d %s.\n", w.m.Path, len(w.m.Accounts), plural(len(w.m.Accounts), "account", "accounts"), n, plural(n, "asset", "assets"))
	return exitOK
}

// diagnostic is one problem in `validate -json` output.
type diagnostic struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
}

// validateJSON is the `validate -json` document, like Terraform's:
// {"format_version", "valid", "error_count", "diagnostics": [...]}.
func validateJSON(err error) any {
	diags := []diagnostic{}
	var errs []error
	var me *multierror.Error
	if errors.As(err, &me) {
		errs = me.WrappedErrors()
	} else if err != nil {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *manifest.FieldError
		if errors.As(e, &fe) {
			diags = append(diags, diagnostic{Severity: "error", File: fe.File, Line: fe.Line, Column: fe.Col, Path: fe.Path, Message: fe.Msg})
		} else {
			diags = append(diags, diagnostic{Severity: "error", Message: e.Error()})
		}
	}
	return struct {
		FormatVersion string       `json:"format_version"`
		Valid         bool         `json:"valid"`
		ErrorCount    int          `json:"error_count"`
		Diagnostics   []diagnostic `json:"diagnostics"`
	}{"1", len(diags) == 0, len(diags), diags}
}

func runPlan(c *cli, args []string) int {
	if len(args) > 0 {
		return c.usageError("plan takes no arguments")
	}
	defer tuneGCForPlan()()
	w, err := c.loadReadOnlyWorkspace()
	if err != nil {
		return c.fail(err)
	}
	st, exists, err := w.loadState()
	if err != nil {
		return c.fail(err)
	}
	p, err := w.makePlan(context.Background(), st, exists, &c.pf)
	if err != nil {
		return c.fail(err)
	}
	if c.planOut != "" {
		sum, err := planfile.SHA256File(w.m.Path)
		if err != nil {
			return c.fail(err)
		}
		f := &planfile.File{Manifest: planfile.ManifestRef{Path: w.m.Path, SHA256: sum}, Targets: c.pf.targets, Replace: c.pf.replace, Plan: p}
		if err := planfile.Write(c.planOut, f); err != nil {
			return c.fail(fmt.Errorf("saving the plan: %w", err))
		}
	}
	if err := c.planView().Render(p); err != nil {
		return c.fail(err)
	}
	if c.planOut != "" && !c.json {
		fmt.Fprintf(c.stdout, "\nSaved the plan to %s. Apply exactly this plan with:\n  wxmedia apply %s\n", c.planOut, c.planOut)
	}
	if c.detailedExit && p.HasChanges() {
		return exitChanges
	}
	return exitOK
}

func runOutput(c *cli, args []string) int {
	if len(args) > 1 {
		return c.usageError("output takes at most one asset name")
	}
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	st, err := w.loadExisting()
	if err != nil {
		return c.fail(fmt.Errorf("%w; run `wxmedia apply` first", err))
	}
	if len(args) == 1 {
		e, ok := st.Assets[args[0]]
		if !ok {
			return c.fail(fmt.Errorf("no asset %q in %s; run `wxmedia output` to list them, or `wxmedia apply` if it was added recently", args[0], w.lockPath))
		}
		if c.json {
			return c.printJSON(e.ID)
		}
		fmt.Fprintln(c.stdout, e.ID)
		return exitOK
	}
	format := c.outputFormat
	if c.json {
		format = "json"
	}
	type out struct {
		ID     string `json:"id" yaml:"id"`
		Type   string `json:"type" yaml:"type"`
		SHA256 string `json:"sha256" yaml:"sha256"`
	}
	all := map[string]out{}
	for n, e := range st.Assets {
		all[n] = out{ID: e.ID, Type: e.Type, SHA256: e.SHA256}
	}
	switch format {
	case "json":
		return c.printJSON(all)
	case "yaml":
		data, err := yaml.Marshal(all)
		if err != nil {
			return c.fail(err)
		}
		c.stdout.Write(data)
	case "env":
		for _, n := range st.Names() {
			fmt.Fprintf(c.stdout, "%s=%s\n", envName(n), shellQuote(st.Assets[n].ID))
		}
	case "":
		for _, n := range st.Names() {
			fmt.Fprintf(c.stdout, "%s = %s\n", n, st.Assets[n].ID)
		}
	default:
		return c.usageError(fmt.Sprintf("unknown -format %q; use env, json or yaml", format))
	}
	return exitOK
}

// envName turns an asset name into an environment variable name:
// shop_photos/beijing.png → WXMEDIA_SHOP_PHOTOS_BEIJING_PNG.
func envName(asset string) string {
	b := []byte("WXMEDIA_" + strings.ToUpper(asset))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// shellQuote single-quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runVersion(c *cli, args []string) int {
	commit, modVersion := "unknown", version
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			modVersion = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	if c.json {
		return c.printJSON(map[string]string{"version": modVersion, "go": runtime.Version(), "commit": commit})
	}
	fmt.Fprintf(c.stdout, "wxmedia %s\n%s %s/%s\ncommit %s\n", modVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH, commit)
	return exitOK
}

func (c *cli) printJSON(v any) int {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *cli) usageError(msg string) int {
	fmt.Fprintf(c.stderr, "Error: %s; see -h\n", msg)
	return exitError
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// joinProblems merges problem lists into one, printed one per line in
// manifest order.
func joinProblems(errs ...error) error {
	var merr *multierror.Error
	for _, e := range errs {
		if e != nil {
			merr = multierror.Append(merr, e)
		}
	}
	if merr == nil {
		return nil
	}
	merr.ErrorFormat = manifest.FormatErrors
	return merr
}
