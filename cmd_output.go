package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/views"
)

// `wxmedia output [NAME]`.

func init() {
	register(&command{name: "output", usage: "[NAME]", synopsis: "print IDs from the lockfile",
		help: "With NAME, prints only that asset's ID (for scripts). Without it, prints every\n" +
			"asset as `name = id`; -json (or -format json) prints {name: {id, type, sha256}};\n" +
			"-format env prints WXMEDIA_<NAME>='<id>' lines for `source` or .env files;\n" +
			"-format yaml prints the -json document as YAML. With NAME, -format prints\n" +
			"just that asset in the format, and -attribute KEY prints one of its\n" +
			"attributes (such as a user package's resource_id).",
		args: func() cmdArgs { return &outputArgs{} }})
}

type outputArgs struct {
	format    string
	attribute string
}

func (a *outputArgs) bind(fs *flag.FlagSet) {
	fs.StringVar(&a.format, "format", "", "output `FORMAT`: env, json or yaml")
	fs.StringVar(&a.attribute, "attribute", "", "with NAME: print its attribute `KEY` instead of its ID")
}

func (a *outputArgs) run(c *cli, args []string) int {
	if len(args) > 1 {
		return c.usageError("output takes at most one asset name")
	}
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	st, err := w.LoadExisting()
	if err != nil {
		return c.fail(fmt.Errorf("%w; run `wxmedia apply` first", err))
	}
	names := st.Names()
	if a.attribute != "" && len(args) == 0 {
		return c.usageError("-attribute needs an asset name: wxmedia output -attribute KEY NAME")
	}
	if len(args) == 1 {
		e, ok := st.Assets[args[0]]
		if !ok {
			return c.fail(fmt.Errorf("no asset %q in %s; run `wxmedia output` to list them, or `wxmedia apply` if it was added recently", args[0], w.StateName()))
		}
		if a.attribute != "" {
			return c.outputAttribute(w, args[0], e, a.attribute)
		}
		if a.format == "" {
			if c.json {
				return c.printJSON(e.ID)
			}
			fmt.Fprintln(c.stdout, e.ID)
			return exitOK
		}
		names = args
	}
	format := a.format
	if c.json {
		format = "json"
	}
	switch format {
	case "json":
		return c.printJSON(views.OutputEntries(st, names))
	case "yaml":
		if err := views.OutputYAML(c.stdout, st, names); err != nil {
			return c.fail(err)
		}
	case "env":
		// The manifest refuses such names, but the lockfile may hold older
		// entries: never let one ID silently overwrite another.
		if coll := manifest.EnvCollisions(st.Names()); len(coll) > 0 {
			var lines []string
			for _, n := range st.Names() {
				if f, ok := coll[n]; ok {
					lines = append(lines, fmt.Sprintf("%s and %s both become %s", safetext.Escape(f), safetext.Escape(n), manifest.EnvName(n)))
				}
			}
			return c.fail(fmt.Errorf("%s: cannot print -format env: %s; rename one asset of each pair in the manifest and apply, or `wxmedia forget` the one no longer used", w.LockPath, strings.Join(lines, "; ")))
		}
		views.OutputEnv(c.stdout, st, names)
	case "":
		views.OutputList(c.stdout, st)
	default:
		return c.usageError(fmt.Sprintf("unknown -format %q; use env, json or yaml", format))
	}
	return exitOK
}

// outputAttribute prints the attribute key of entry e.
func (c *cli) outputAttribute(w *operation.Workspace, name string, e *lockfile.Entry, key string) int {
	v, ok := e.Attributes[key]
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
		return c.fail(fmt.Errorf("asset %s in %s has no attribute %q; %s", name, w.StateName(), key, has))
	}
	if c.json {
		return c.printJSON(v)
	}
	fmt.Fprintln(c.stdout, v)
	return exitOK
}
