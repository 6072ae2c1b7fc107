package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/lockfile"
)

// The state backend selected by the manifest's `state:` block, and the
// `wxmedia state` command that copies the document between it and a local
// file.

func init() {
	var out string
	var force bool
	register(&command{name: "state", usage: "pull|push [FILE] | history | show SERIAL | restore SERIAL | merge BASE OURS THEIRS [PATH]",
		synopsis: "copy, list, restore and merge kept versions of the state",
		help: "`state pull` writes the stored lockfile document to the local lockfile\n" +
			"(wxmedia.lock.json beside the manifest, or -lockfile), atomically, for\n" +
			"application configs to read; -out FILE writes it elsewhere, -out - to stdout.\n" +
			"The bytes are exactly those a local apply would have written.\n" +
			"`state push [FILE]` stores a local lockfile (default: the local lockfile) in\n" +
			"the backend, to move an existing project there or to bring back a\n" +
			"wxmedia.errored.lock.json. It refuses to replace a stored state of another\n" +
			"lineage, or one written after FILE, unless -force is given.\n" +
			"`state history` lists the kept versions (every full write keeps one: in\n" +
			"PostgreSQL in a versions table, locally the last 100 in .wxmedia/history/, or\n" +
			"WXMEDIA_HISTORY_LIMIT; apply journals each upload and writes in full at the\n" +
			"end of a run, so one version holds a run's uploads); `state show SERIAL` prints one;\n" +
			"`state restore SERIAL` writes one back as a new serial, under the lock, after\n" +
			"confirmation.\n" +
			"`state merge BASE OURS THEIRS [PATH]` is the git merge driver for lockfiles\n" +
			"(%O %A %B %P); given PATH, it refuses while a journal lies beside it.",
		flags: func(c *cli, fs *flag.FlagSet) {
			fs.StringVar(&out, "out", "", "pull: write to `FILE` instead of the local lockfile (- for stdout)")
			fs.BoolVar(&force, "force", false, "push: replace the stored state even if it has another lineage or is newer")
			fs.DurationVar(&c.lockTimeout, "lock-timeout", 0, "push, restore: wait up to `DUR` for another apply's lock")
			fs.BoolVar(&c.autoApprove, "auto-approve", false, "restore: skip the interactive confirmation")
		},
		run: func(c *cli, args []string) int {
			if len(args) == 0 {
				return c.usageError("state needs a subcommand: pull, push, history, show, restore or merge")
			}
			switch args[0] {
			case "pull":
				if len(args) != 1 {
					return c.usageError("state pull takes no arguments; use -out FILE")
				}
				return runStatePull(c, out)
			case "push":
				if len(args) > 2 {
					return c.usageError("state push takes at most one lockfile")
				}
				file := ""
				if len(args) == 2 {
					file = args[1]
				}
				return runStatePush(c, file, force)
			}
			if sub, ok := stateSubcommands[args[0]]; ok {
				return sub(c, args[1:])
			}
			return c.usageError(fmt.Sprintf("unknown state subcommand %q; use pull, push, history, show, restore or merge", args[0]))
		}})
}

// backend is where the workspace's state lives.
func (w *workspace) backend() lockfile.Backend {
	if w.remote != nil {
		return w.remote
	}
	return &lockfile.FileBackend{Path: w.lockPath, History: w.history}
}

// lock takes the apply lock of the workspace's state.
func (w *workspace) lock(ctx context.Context, op string, timeout time.Duration) (lockfile.Unlocker, error) {
	ctx = lockfile.WithWaitNotice(ctx, func(holder *lockfile.LockInfo) {
		who := "another wxmedia process (its details could not be read)"
		if holder != nil {
			who = holder.String()
		}
		fmt.Fprintf(w.stderr, "Waiting up to %s for the lock on %s, held by %s...\n", timeout, w.stateName(), who)
	})
	return w.backend().Lock(ctx, lockfile.NewLockInfo(op, commandLine()), timeout)
}

// openStore opens the single writer of the workspace's state. A failed
// write dumps the state beside the local lockfile either way.
func (w *workspace) openStore(ctx context.Context) (*lockfile.Store, error) {
	st, err := lockfile.OpenBackend(ctx, w.backend(), filepath.Dir(w.lockPath))
	if err == nil {
		st.SetErroredPath(lockfile.ErroredPathFor(w.lockPath))
	}
	return st, err
}

// loadExisting reads the state; the error wraps lockfile.ErrNotExist when
// there is none yet.
func (w *workspace) loadExisting() (*lockfile.State, error) {
	if w.remote == nil {
		if w.prefetched != nil {
			r := <-w.prefetched
			w.prefetched = nil
			return r.st, r.err
		}
		return lockfile.Load(w.lockPath)
	}
	return lockfile.LoadFrom(context.Background(), w.remote)
}

func (c *cli) needRemote(w *workspace, sub string) error {
	if w.remote == nil {
		return fmt.Errorf("%s has no state block, so the state is the local lockfile %s already; `wxmedia state %s` is for a manifest whose state block names a PostgreSQL backend (see `wxmedia schema`)", w.m.Path, w.lockPath, sub)
	}
	return nil
}

func runStatePull(c *cli, out string) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	if err := c.needRemote(w, "pull"); err != nil {
		return c.fail(err)
	}
	data, err := w.remote.Load(context.Background())
	if errors.Is(err, lockfile.ErrNotExist) {
		return c.fail(fmt.Errorf("%w: nothing is stored yet; run `wxmedia apply` (or `wxmedia state push` to store an existing lockfile) first", err))
	}
	if err != nil {
		return c.fail(err)
	}
	// Never hand applications a document wxmedia would not read itself.
	st, err := lockfile.Parse(w.remote.Name(), data)
	if err != nil {
		return c.fail(err)
	}
	if out == "-" {
		if _, err := c.stdout.Write(data); err != nil {
			return c.fail(err)
		}
		return exitOK
	}
	if out == "" {
		out = w.lockPath
	}
	if err := atomicfile.WriteFile(out, data, 0o644); err != nil {
		return c.fail(fmt.Errorf("writing %s: %w", out, err))
	}
	if c.json {
		return c.printJSON(map[string]any{"written": out, "from": w.remote.Name(), "lineage": st.Lineage, "serial": st.Serial, "assets": len(st.Assets)})
	}
	fmt.Fprintf(c.stdout, "Wrote %s from %s (serial %d, %d %s).\n", out, w.remote.Name(), st.Serial, len(st.Assets), plural(len(st.Assets), "asset", "assets"))
	return exitOK
}

func runStatePush(c *cli, file string, force bool) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	if err := c.needRemote(w, "push"); err != nil {
		return c.fail(err)
	}
	if file == "" {
		file = w.lockPath
	}
	local, err := lockfile.Load(file)
	if err != nil {
		return c.fail(err)
	}
	ctx := context.Background()
	lock, err := w.lock(ctx, "state push", c.lockTimeout)
	if err != nil {
		return c.fail(err)
	}
	defer lock.Unlock()
	remote, err := lockfile.LoadFrom(ctx, w.remote)
	var pe *lockfile.ParseError
	switch {
	case errors.Is(err, lockfile.ErrNotExist):
		remote = nil
	case errors.As(err, &pe) && force:
		remote = nil // replaced below; Load recorded the row for the swap
	case err != nil:
		return c.fail(err)
	}
	name := w.remote.Name()
	if remote != nil {
		same := local.Lineage == remote.Lineage
		if same && bytes.Equal(withSerial(local, 0), withSerial(remote, 0)) {
			fmt.Fprintf(c.stdout, "%s already holds the content of %s (serial %d); nothing to do.\n", name, file, remote.Serial)
			return exitOK
		}
		switch {
		case force:
		case !same:
			return c.fail(fmt.Errorf("%s holds another state (lineage %s) than %s (lineage %s); nothing was changed. Pull it with `wxmedia state pull -out -` and compare; re-run with -force only if %s should replace it", name, remote.Lineage, file, local.Lineage, file))
		case remote.Serial >= local.Serial:
			return c.fail(fmt.Errorf("%s was written after %s was taken (stored serial %d, file serial %d); nothing was changed. Pull it with `wxmedia state pull -out -` and merge by hand; re-run with -force only if %s should replace it", name, file, remote.Serial, local.Serial, file))
		}
		if local.Serial <= remote.Serial {
			// Serials only grow, so saved plans of the replaced state go stale.
			local.Serial = remote.Serial + 1
		}
	}
	data, err := local.Marshal()
	if err != nil {
		return c.fail(err)
	}
	if err := w.remote.Write(ctx, data); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Stored %s in %s (lineage %s, serial %d, %d %s).\n", file, name, local.Lineage, local.Serial, len(local.Assets), plural(len(local.Assets), "asset", "assets"))
	return exitOK
}

// withSerial returns the canonical bytes of s with its serial set to n.
func withSerial(s *lockfile.State, n uint64) []byte {
	c := s.Clone()
	c.Serial = n
	data, _ := c.Marshal()
	return data
}

// forceUnlockRemote explains that a PostgreSQL lock needs no removal.
func (c *cli) forceUnlockRemote(w *workspace) int {
	li, err := w.remote.Holder(context.Background())
	if err != nil {
		return c.fail(err)
	}
	if li == nil {
		fmt.Fprintf(c.stdout, "%s is not locked.\n", w.remote.Name())
		return exitOK
	}
	return c.fail(fmt.Errorf("%s is locked by %s. Its lock is a PostgreSQL advisory lock held by that process's database connection and is released when the connection ends, so it is never stale: stop that process, or wait for it", w.remote.Name(), li))
}
