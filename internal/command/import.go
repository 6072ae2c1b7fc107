package command

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/wxmedia/wxmedia/operation"
)

// `wxmedia import NAME ID` and `import NAME -from-serial SERIAL`.

func init() {
	register(&command{name: "import", usage: "NAME ID | NAME -from-serial SERIAL", synopsis: "record an ID uploaded elsewhere for the current content of NAME's file",
		args: func() cmdArgs { return &importArgs{} }})
}

type importArgs struct {
	lockTimeout time.Duration
	fromSerial  string
}

func (a *importArgs) bind(fs *flag.FlagSet) {
	fs.DurationVar(&a.lockTimeout, "lock-timeout", 0, "wait up to `DUR` for another apply's lock")
	fs.StringVar(&a.fromSerial, "from-serial", "", "bring NAME's entry back from the kept state version `SERIAL` (see `wxmedia state history`)")
}

func (a *importArgs) run(c *cli, args []string) int {
	if a.fromSerial != "" {
		if len(args) != 1 {
			return c.usageError("import -from-serial needs exactly one asset name")
		}
		return a.fromSnapshot(c, args[0])
	}
	if len(args) != 2 || strings.TrimSpace(args[1]) == "" {
		return c.usageError("import needs an asset name and the ID WeChat Pay returned for it")
	}
	name, id := args[0], args[1]
	if err := operation.CheckImportID(id); err != nil {
		return c.fail(err)
	}
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	sum, err := w.Import(operation.ImportArgs{Name: name, ID: id, LockTimeout: a.lockTimeout})
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Imported %s = %s (sha256 %s…).\n", name, id, sum[:12])
	return ExitOK
}

// fromSnapshot brings back one entry from a kept version.
func (a *importArgs) fromSnapshot(c *cli, name string) int {
	w, v, snap, err := c.snapshot(a.fromSerial)
	if err != nil {
		return c.fail(err)
	}
	e, err := w.ImportFromSnapshot(name, v, snap, a.lockTimeout)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Imported %s = %s from serial %d (sha256 %s…).\n", name, e.ID, v.Serial, e.SHA256[:12])
	return ExitOK
}
