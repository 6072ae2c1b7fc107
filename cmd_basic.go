package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/hashicorp/go-multierror"
	"github.com/wxmedia/wxmedia/manifest"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planfile"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func init() {
	register(&command{name: "validate", synopsis: "check the manifest, every file and every account key; report all problems",
		help: "-no-secrets skips loading keys and certificates (and says so), for pipelines\n" +
			"that get no secrets, such as pull requests from forks.",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.BoolVar(&c.noSecrets, "no-secrets", false, "do not load keys or certificates (for pipelines without secrets)")
		},
		run: runValidate})
	register(&command{name: "plan", synopsis: "show what apply would upload, replace, rename or forget (no network)",
		help: "Exit codes with -detailed-exitcode: 0 no changes, 1 error, 2 changes present.",
		flags: func(c *cli, fs *flag.FlagSet) {
			c.planFlags(fs)
			fs.BoolVar(&c.detailedExit, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
			fs.StringVar(&c.planOut, "out", "", "save the plan to `FILE` for `wxmedia apply FILE`")
			fs.BoolVar(&c.markdown, "markdown", false, "print the plan as Markdown for a pull-request comment")
			fs.BoolVar(&c.noSecrets, "no-secrets", false, "do not check key or certificate files (plan reads none), for pipelines without secrets")
		},
		run: runPlan})
	register(&command{name: "output", usage: "[NAME]", synopsis: "print IDs from the lockfile",
		help: "With NAME, prints only that asset's ID (for scripts). Without it, prints every\n" +
			"asset as `name = id`; -json (or -format json) prints {name: {id, type, sha256}};\n" +
			"-format env prints WXMEDIA_<NAME>='<id>' lines for `source` or .env files;\n" +
			"-format yaml prints the -json document as YAML. With NAME, -format prints\n" +
			"just that asset in the format, and -attribute KEY prints one of its\n" +
			"attributes (such as a user package's resource_id).",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.StringVar(&c.outputFormat, "format", "", "output `FORMAT`: env, json or yaml")
			fs.StringVar(&c.attribute, "attribute", "", "with NAME: print its attribute `KEY` instead of its ID")
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

func runPlan(c *cli, args []string) int {
	if len(args) > 0 {
		return c.usageError("plan takes no arguments")
	}
	defer tuneGCForPlan()()
	w, err := c.loadReadOnlyWorkspace()
	if err != nil {
		return c.fail(err)
	}
	if msg := w.erroredDump(); msg != "" {
		fmt.Fprintf(c.stderr, "Warning: %s; until then apply refuses to run.\n", msg)
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
	names := st.Names()
	if c.attribute != "" && len(args) == 0 {
		return c.usageError("-attribute needs an asset name: wxmedia output -attribute KEY NAME")
	}
	if len(args) == 1 {
		e, ok := st.Assets[args[0]]
		if !ok {
			return c.fail(fmt.Errorf("no asset %q in %s; run `wxmedia output` to list them, or `wxmedia apply` if it was added recently", args[0], w.stateName()))
		}
		if c.attribute != "" {
			return c.outputAttribute(w, args[0], e)
		}
		if c.outputFormat == "" {
			if c.json {
				return c.printJSON(e.ID)
			}
			fmt.Fprintln(c.stdout, e.ID)
			return exitOK
		}
		names = args
	}
	format := c.outputFormat
	if c.json {
		format = "json"
	}
	type out struct {
		ID         string            `json:"id" yaml:"id"`
		Type       string            `json:"type" yaml:"type"`
		SHA256     string            `json:"sha256" yaml:"sha256"`
		Attributes map[string]string `json:"attributes,omitempty" yaml:"attributes,omitempty"`
	}
	all := map[string]out{}
	for _, n := range names {
		e := st.Assets[n]
		all[n] = out{ID: e.ID, Type: e.Type, SHA256: e.SHA256, Attributes: e.Attributes}
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
		// The manifest refuses such names, but the lockfile may hold older
		// entries: never let one ID silently overwrite another.
		if coll := manifest.EnvCollisions(st.Names()); len(coll) > 0 {
			var lines []string
			for _, n := range st.Names() {
				if f, ok := coll[n]; ok {
					lines = append(lines, fmt.Sprintf("%s and %s both become %s", safetext.Escape(f), safetext.Escape(n), envName(n)))
				}
			}
			return c.fail(fmt.Errorf("%s: cannot print -format env: %s; rename one asset of each pair in the manifest and apply, or `wxmedia forget` the one no longer used", w.lockPath, strings.Join(lines, "; ")))
		}
		for _, n := range names {
			fmt.Fprintf(c.stdout, "%s=%s\n", envName(n), shellQuote(st.Assets[n].ID))
		}
	case "":
		for _, n := range st.Names() {
			// The lockfile refuses control characters on load; escape
			// anyway, as this listing is for a terminal.
			fmt.Fprintf(c.stdout, "%s = %s\n", safetext.Escape(n), safetext.Escape(st.Assets[n].ID))
		}
	default:
		return c.usageError(fmt.Sprintf("unknown -format %q; use env, json or yaml", format))
	}
	return exitOK
}

// outputAttribute prints the attribute -attribute names of entry e.
func (c *cli) outputAttribute(w *workspace, name string, e *lockfile.Entry) int {
	v, ok := e.Attributes[c.attribute]
	if !ok {
		keys := make([]string, 0, len(e.Attributes))
		for k := range e.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		has := "it has none"
		if len(keys) > 0 {
			has = "it has: " + strings.Join(keys, ", ")
		}
		return c.fail(fmt.Errorf("asset %s in %s has no attribute %q; %s", name, w.stateName(), c.attribute, has))
	}
	if c.json {
		return c.printJSON(v)
	}
	fmt.Fprintln(c.stdout, v)
	return exitOK
}

// envName turns an asset name into an environment variable name:
// shop_photos/beijing.png → WXMEDIA_SHOP_PHOTOS_BEIJING_PNG.
func envName(asset string) string { return manifest.EnvName(asset) }

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
