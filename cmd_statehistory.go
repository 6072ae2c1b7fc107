package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wxmedia/wxmedia/lockfile"
)

// The kept state versions: `state history`, `state show SERIAL`,
// `state restore SERIAL` and `import NAME -from-serial SERIAL`.

// historian is where the workspace's state versions are kept.
func (w *workspace) historian() lockfile.Historian {
	if w.remote != nil {
		return w.remote
	}
	return &lockfile.FileBackend{Path: w.lockPath, History: w.history}
}

// stateName is how messages name the state: the lockfile, or the backend.
func (w *workspace) stateName() string {
	if w.remote != nil {
		return w.remote.Name()
	}
	return w.lockPath
}

// snapshot returns the kept version with the serial given as text.
func (w *workspace) snapshot(ctx context.Context, arg string) (*lockfile.Snapshot, *lockfile.State, error) {
	n, err := strconv.ParseUint(arg, 10, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("serial %q is not a number; run `wxmedia state history` to list the kept versions of %s", arg, w.stateName())
	}
	lineage := ""
	if cur, err := w.loadExisting(); err == nil {
		lineage = cur.Lineage
	}
	v, err := lockfile.FindSnapshot(ctx, w.historian(), n, lineage)
	if errors.Is(err, lockfile.ErrNoSnapshot) {
		if next := nextKept(ctx, w, n, lineage); next > 0 {
			return nil, nil, fmt.Errorf("no kept version with serial %d of %s: it was a journal record of an apply (or was pruned), and serial %d is the next kept version, holding what %d recorded unless a later change undid it; run `wxmedia state history` to list them", n, w.stateName(), next, n)
		}
		return nil, nil, fmt.Errorf("no kept version with serial %d of %s; run `wxmedia state history` to list them", n, w.stateName())
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := lockfile.Parse(fmt.Sprintf("serial %d of %s", n, w.stateName()), v.Data)
	if err != nil {
		return nil, nil, err
	}
	return v, st, nil
}

// nextKept returns the smallest kept serial above n in lineage, or 0.
func nextKept(ctx context.Context, w *workspace, n uint64, lineage string) uint64 {
	vs, err := w.historian().Snapshots(ctx)
	if err != nil {
		return 0
	}
	var next uint64
	for _, v := range vs {
		if v.Lineage == lineage && v.Serial > n && (next == 0 || v.Serial < next) {
			next = v.Serial
		}
	}
	return next
}

// unlistedSerials describes the serials missing between consecutive kept
// versions of a lineage ("2", "2 and 4", "2-5, 7 and 9"), or "" when none
// are, and how many there are.
func unlistedSerials(rows []historyRow) (string, int) {
	var ranges []string
	count := 0
	last := map[string]uint64{}
	for _, r := range rows {
		if p, ok := last[r.Lineage]; ok && r.Serial > p+1 {
			count += int(r.Serial - p - 1)
			if r.Serial == p+2 {
				ranges = append(ranges, strconv.FormatUint(p+1, 10))
			} else {
				ranges = append(ranges, fmt.Sprintf("%d-%d", p+1, r.Serial-1))
			}
		}
		last[r.Lineage] = r.Serial
	}
	const show = 6
	switch {
	case len(ranges) == 0:
		return "", 0
	case len(ranges) > show:
		return strings.Join(ranges[:show], ", ") + " and others", count
	case len(ranges) == 1:
		return ranges[0], count
	}
	return strings.Join(ranges[:len(ranges)-1], ", ") + " and " + ranges[len(ranges)-1], count
}

// historyRow is one line of `state history`.
type historyRow struct {
	Serial    uint64 `json:"serial"`
	Lineage   string `json:"lineage"`
	Time      string `json:"written_at"`
	Writer    string `json:"writer"`
	Added     int    `json:"added"`
	Changed   int    `json:"changed"`
	Forgotten int    `json:"forgotten"`
	Current   bool   `json:"current"`
}

// diffCounts counts the entries added, changed (another ID or content) and
// forgotten from prev to cur.
func diffCounts(prev, cur *lockfile.State) (added, changed, forgotten int) {
	for n, e := range cur.Assets {
		p, ok := prev.Assets[n]
		switch {
		case !ok:
			added++
		case p.ID != e.ID || p.SHA256 != e.SHA256:
			changed++
		}
	}
	for n := range prev.Assets {
		if _, ok := cur.Assets[n]; !ok {
			forgotten++
		}
	}
	return added, changed, forgotten
}

func runStateHistory(c *cli) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	ctx := context.Background()
	vs, err := w.historian().Snapshots(ctx)
	if err != nil {
		return c.fail(err)
	}
	cur, _ := w.loadExisting()
	rows := []historyRow{}
	prev := map[string]*lockfile.State{} // by lineage
	for _, v := range vs {
		st, err := lockfile.Parse(fmt.Sprintf("serial %d", v.Serial), v.Data)
		if err != nil {
			return c.fail(err)
		}
		p := prev[v.Lineage]
		if p == nil {
			p = &lockfile.State{}
		}
		r := historyRow{Serial: v.Serial, Lineage: v.Lineage, Time: v.Time, Writer: v.Writer}
		r.Added, r.Changed, r.Forgotten = diffCounts(p, st)
		r.Current = cur != nil && cur.Lineage == v.Lineage && cur.Serial == v.Serial
		rows = append(rows, r)
		prev[v.Lineage] = st
	}
	if c.json {
		return c.printJSON(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(c.stdout, "No kept versions of %s yet: every write from now on keeps one.\n", w.stateName())
		return exitOK
	}
	// Versions of more than one lineage (a lockfile made anew) are told
	// apart by their lineage's first characters.
	lin := func(historyRow) string { return "" }
	if len(prev) > 1 {
		fmt.Fprintf(c.stdout, "%-8s  ", "LINEAGE")
		lin = func(r historyRow) string { return fmt.Sprintf("%-8s  ", r.Lineage[:8]) }
	}
	fmt.Fprintf(c.stdout, "%6s  %-20s  %-24s  %5s  %7s  %9s\n", "SERIAL", "WRITTEN", "WRITER", "ADDED", "CHANGED", "FORGOTTEN")
	for _, r := range rows {
		line := lin(r) + fmt.Sprintf("%6d  %-20s  %-24s  %5d  %7d  %9d", r.Serial, r.Time, r.Writer, r.Added, r.Changed, r.Forgotten)
		if r.Current {
			line += "  (current)"
		}
		fmt.Fprintln(c.stdout, line)
	}
	// The note goes to stderr: stdout stays a table that scripts parse.
	if list, n := unlistedSerials(rows); n > 0 {
		what := "Serial " + list + " is"
		if n > 1 {
			what = "Serials " + list + " are"
		}
		fmt.Fprintf(c.stderr, "%s not listed: apply records each upload in the lockfile's journal and keeps a version only when it folds the journal into the lockfile (at the end of a run), so each version holds every change since the one above it. Versions beyond WXMEDIA_HISTORY_LIMIT are pruned as well.\n", what)
	}
	return exitOK
}

// withSnapshot loads the workspace and its kept version with the serial
// given as text, and runs fn on them.
func (c *cli) withSnapshot(arg string, fn func(w *workspace, v *lockfile.Snapshot, st *lockfile.State) int) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	v, st, err := w.snapshot(context.Background(), arg)
	if err != nil {
		return c.fail(err)
	}
	return fn(w, v, st)
}

func runStateShow(c *cli, arg string) int {
	return c.withSnapshot(arg, func(w *workspace, v *lockfile.Snapshot, st *lockfile.State) int { return c.showSnapshot(w, v, st) })
}

func (c *cli) showSnapshot(w *workspace, v *lockfile.Snapshot, st *lockfile.State) int {
	if c.json {
		c.stdout.Write(v.Data)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "# serial %d of %s, lineage %s, written %s by %s\n", v.Serial, w.stateName(), v.Lineage, v.Time, v.Writer)
	for _, n := range st.Names() {
		e := st.Assets[n]
		fmt.Fprintf(c.stdout, "%s = %s  (%s, sha256 %s…)\n", n, e.ID, e.Type, e.SHA256[:12])
	}
	return exitOK
}

// confirm asks the user to type yes, or fails saying how to skip asking.
func (c *cli) confirm(what, flagName string) error {
	if c.autoApprove {
		return nil
	}
	if !c.stdinTTY {
		return fmt.Errorf("%s needs confirmation, but standard input is not a terminal; re-run with %s", what, flagName)
	}
	fmt.Fprint(c.stdout, "\nOnly 'yes' will be accepted to approve.\n\n  Enter a value: ")
	line, _ := bufio.NewReader(c.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return fmt.Errorf("%s cancelled; nothing was changed", what)
	}
	return nil
}

func runStateRestore(c *cli, arg string) int {
	return c.withSnapshot(arg, c.restoreSnapshot)
}

func (c *cli) restoreSnapshot(w *workspace, v *lockfile.Snapshot, snap *lockfile.State) int {
	if cur, err := w.loadExisting(); err == nil {
		a, ch, f := diffCounts(cur, snap)
		fmt.Fprintf(c.stdout, "Restoring serial %d of %s over serial %d: %d to add back, %d to change, %d to forget.\n", v.Serial, w.stateName(), cur.Serial, a, ch, f)
	}
	if err := c.confirm("state restore", "-auto-approve"); err != nil {
		return c.fail(err)
	}
	var serial uint64
	err := c.editLockfile(w, "state restore", func(s *lockfile.State) error {
		if s.Lineage != snap.Lineage {
			if len(s.Assets) > 0 || s.Serial > 0 {
				return fmt.Errorf("serial %d belongs to lineage %s, but %s now holds lineage %s; restore refuses to mix lineages: copy it out with `wxmedia state show -json %d` if you need it", v.Serial, snap.Lineage, w.stateName(), s.Lineage, v.Serial)
			}
			// No state yet: take the version's lineage and go on from it.
			s.Lineage, s.Serial = snap.Lineage, snap.Serial
		}
		r := snap.Clone()
		s.Assets, s.Pending = r.Assets, r.Pending
		serial = s.Serial + 1
		return nil
	})
	if err != nil {
		return c.fail(err)
	}
	if cur, err := w.loadExisting(); err == nil && cur.Serial < serial {
		fmt.Fprintf(c.stdout, "%s already holds the content of serial %d; nothing to do.\n", w.stateName(), v.Serial)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "Restored serial %d of %s as serial %d.\n", v.Serial, w.stateName(), serial)
	return exitOK
}

// runImportFromSerial brings back one entry from a kept version.
func runImportFromSerial(c *cli, name, serial string) int {
	return c.withSnapshot(serial, func(w *workspace, v *lockfile.Snapshot, snap *lockfile.State) int {
		return c.importFromSnapshot(w, name, v, snap)
	})
}

func (c *cli) importFromSnapshot(w *workspace, name string, v *lockfile.Snapshot, snap *lockfile.State) int {
	e, ok := snap.Assets[name]
	if !ok {
		names := snap.Names()
		return c.fail(fmt.Errorf("serial %d of %s has no asset %q; `wxmedia state show %d` lists its %d %s", v.Serial, w.stateName(), name, v.Serial, len(names), plural(len(names), "asset", "assets")))
	}
	err := c.editLockfile(w, "import", func(s *lockfile.State) error {
		if s.Lineage != snap.Lineage {
			return fmt.Errorf("serial %d belongs to lineage %s, but %s holds lineage %s; import -from-serial only brings back entries of the same state. To record that ID anyway, run `wxmedia import %s %s`", v.Serial, snap.Lineage, w.stateName(), s.Lineage, name, e.ID)
		}
		if old, ok := s.Assets[name]; ok && old.ID != e.ID {
			return fmt.Errorf("%s already has ID %s in %s; run `wxmedia forget %s` first to replace it", name, old.ID, w.stateName(), name)
		}
		ne := *e
		s.Assets[name] = &ne
		return nil
	})
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Imported %s = %s from serial %d (sha256 %s…).\n", name, e.ID, v.Serial, e.SHA256[:12])
	return exitOK
}

// stateSubcommands are the `state` subcommands beyond pull and push.
var stateSubcommands = map[string]func(c *cli, args []string) int{
	"history": func(c *cli, args []string) int {
		if len(args) != 0 {
			return c.usageError("state history takes no arguments")
		}
		return runStateHistory(c)
	},
	"show": func(c *cli, args []string) int {
		if len(args) != 1 {
			return c.usageError("state show needs one serial (see `wxmedia state history`)")
		}
		return runStateShow(c, args[0])
	},
	"restore": func(c *cli, args []string) int {
		if len(args) != 1 {
			return c.usageError("state restore needs one serial (see `wxmedia state history`)")
		}
		return runStateRestore(c, args[0])
	},
}
