package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/views"
)

func init() {
	register(&command{name: "show", usage: "PLANFILE", synopsis: "render a saved plan (human, -json, -markdown)",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.BoolVar(&c.markdown, "markdown", false, "render as Markdown for a pull-request comment")
		},
		run: runShow})
	var fromSerial string
	register(&command{name: "import", usage: "NAME ID | NAME -from-serial SERIAL", synopsis: "record an ID uploaded elsewhere for the current content of NAME's file",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.DurationVar(&c.lockTimeout, "lock-timeout", 0, "wait up to `DUR` for another apply's lock")
			fs.StringVar(&fromSerial, "from-serial", "", "bring NAME's entry back from the kept state version `SERIAL` (see `wxmedia state history`)")
		},
		run: func(c *cli, args []string) int {
			if fromSerial != "" {
				if len(args) != 1 {
					return c.usageError("import -from-serial needs exactly one asset name")
				}
				return runImportFromSerial(c, args[0], fromSerial)
			}
			return runImport(c, args)
		}})
	register(&command{name: "forget", usage: "NAME", synopsis: "drop a lockfile entry (the remote media cannot be deleted)",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.DurationVar(&c.lockTimeout, "lock-timeout", 0, "wait up to `DUR` for another apply's lock")
		},
		run: runForget})
	var force bool
	register(&command{name: "force-unlock", synopsis: "remove a stale apply lock after confirmation",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.BoolVar(&force, "force", false, "do not ask for confirmation")
		},
		run: func(c *cli, args []string) int { return runForceUnlock(c, args, force) }})
}

func runShow(c *cli, args []string) int {
	if len(args) != 1 {
		return c.usageError("show needs exactly one plan file")
	}
	f, err := planfile.Read(args[0])
	if err != nil {
		return c.fail(err)
	}
	// Render what the changes add up to, never a stored count: an edited
	// file could add a forget while its summary still says 0.
	if got := planner.Summarize(f.Changes); got != f.Summary {
		fmt.Fprintf(c.stderr, "Warning: %s: its stored summary (%s) does not match its changes (%s), so the file was edited; showing the summary of the changes. `wxmedia apply` refuses this plan.\n",
			args[0], views.SummaryLine(f.Summary), views.SummaryLine(got))
		f.Summary = got
	}
	if err := c.planView().Render(f.Plan); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// editLockfile runs fn on the lockfile under the apply lock.
func (c *cli) editLockfile(w *workspace, op string, fn func(*lockfile.State) error) error {
	lock, err := w.lock(context.Background(), op, c.lockTimeout)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	store, err := w.openStore(context.Background())
	if err != nil {
		return err
	}
	// Try the edit on a copy first: a refused edit writes nothing (not even
	// a new, empty lockfile).
	if err := fn(store.State()); err != nil {
		return err
	}
	var ferr error
	if err := store.Update(func(s *lockfile.State) { ferr = fn(s) }); err != nil {
		return err
	}
	return ferr
}

func runImport(c *cli, args []string) int {
	if len(args) != 2 || strings.TrimSpace(args[1]) == "" {
		return c.usageError("import needs an asset name and the ID WeChat Pay returned for it")
	}
	name, id := args[0], args[1]
	if ch, bad := safetext.Find(id); bad {
		return c.fail(fmt.Errorf("the ID %s contains the control character %s, which no WeChat Pay ID has; copy the ID again (from the merchant platform or the API response), without line breaks or escape sequences", safetext.Escape(id), ch))
	}
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	a := w.m.Asset(name)
	if a == nil {
		return c.fail(fmt.Errorf("no asset %q in %s; import needs the asset declared in the manifest first", name, w.m.Path))
	}
	if msg := checkImportID(a, id); msg != "" {
		return c.fail(errors.New(msg))
	}
	size, sum, _, err := scan.HashFile(w.m.Dir, a.File)
	if err != nil {
		return c.fail(err)
	}
	mchid, origin := "", ""
	if acct := w.m.Accounts[a.Account]; acct != nil {
		mchid, origin = acct.MchID, acct.Origin()
	}
	err = c.editLockfile(w, "import", func(s *lockfile.State) error {
		if old, ok := s.Assets[name]; ok && old.ID != id {
			return fmt.Errorf("%s already has ID %s in %s; run `wxmedia forget %s` first to replace it", name, old.ID, w.stateName(), name)
		}
		s.Assets[name] = &lockfile.Entry{Type: a.Type, Account: a.Account, MchID: mchid, File: a.File, Filename: a.Filename,
			Size: size, SHA256: sum, ID: id, Endpoint: origin, UploadedAt: time.Now().UTC().Format(time.RFC3339)}
		return nil
	})
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Imported %s = %s (sha256 %s…).\n", name, id, sum[:12])
	return exitOK
}

func runForget(c *cli, args []string) int {
	if len(args) != 1 {
		return c.usageError("forget needs exactly one asset name")
	}
	name := args[0]
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	var id string
	err = c.editLockfile(w, "forget", func(s *lockfile.State) error {
		e, ok := s.Assets[name]
		if !ok {
			return fmt.Errorf("no asset %q in %s; run `wxmedia output` to list what is recorded", name, w.stateName())
		}
		id = e.ID
		delete(s.Assets, name)
		delete(s.Pending, name)
		return nil
	})
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Forgot %s (was %s). The media still exists at WeChat Pay; the next apply uploads it again if it is still in the manifest.\n", name, id)
	return exitOK
}

func runForceUnlock(c *cli, args []string, force bool) int {
	if len(args) != 0 {
		return c.usageError("force-unlock takes no arguments")
	}
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	if w.remote != nil {
		return c.forceUnlockRemote(w)
	}
	path := lockfile.LockPath(w.lockPath)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(c.stdout, "%s is not locked.\n", w.lockPath)
		return exitOK
	}
	holder := "unknown holder"
	if li := lockfile.ReadLockInfo(path); li != nil {
		holder = li.String()
	}
	if held, _ := lockfile.IsLocked(w.lockPath); held {
		fmt.Fprintf(c.stderr, "Warning: the lock is held right now by %s. Removing it lets another apply run alongside it.\n", holder)
	}
	if !force {
		if !c.stdinTTY {
			return c.fail(errors.New("force-unlock needs confirmation, but standard input is not a terminal; re-run with -force"))
		}
		fmt.Fprintf(c.stdout, "Lock held by %s.\nRemove it? Only 'yes' will be accepted: ", holder)
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			fmt.Fprintln(c.stdout, "Force-unlock cancelled.")
			return exitError
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Removed the lock on %s (was held by %s).\n", w.lockPath, holder)
	return exitOK
}
