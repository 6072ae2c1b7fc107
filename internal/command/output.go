package command

import (
	"flag"
	"fmt"

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
		e, err := w.Recorded(st, args[0])
		if err != nil {
			return c.fail(err)
		}
		if a.attribute != "" {
			v, err := w.Attribute(args[0], e, a.attribute)
			if err != nil {
				return c.fail(err)
			}
			if c.json {
				return c.printJSON(v)
			}
			fmt.Fprintln(c.stdout, v)
			return ExitOK
		}
		if a.format == "" {
			if c.json {
				return c.printJSON(e.ID)
			}
			fmt.Fprintln(c.stdout, e.ID)
			return ExitOK
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
		if err := w.CheckEnvNames(st); err != nil {
			return c.fail(err)
		}
		views.OutputEnv(c.stdout, st, names)
	case "":
		views.OutputList(c.stdout, st)
	default:
		return c.usageError(fmt.Sprintf("unknown -format %q; use env, json or yaml", format))
	}
	return ExitOK
}
