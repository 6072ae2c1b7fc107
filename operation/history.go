package operation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

// The kept state versions: `state history`, `state show SERIAL`,
// `state restore SERIAL` and `import NAME -from-serial SERIAL`.

// Snapshot returns the kept version with the serial given as text.
func (w *Workspace) Snapshot(ctx context.Context, arg string) (*lockfile.Snapshot, *lockfile.State, error) {
	n, err := strconv.ParseUint(arg, 10, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("serial %q is not a number; run `wxmedia state history` to list the kept versions of %s", arg, w.StateName())
	}
	lineage := ""
	if cur, err := w.LoadExisting(); err == nil {
		lineage = cur.Lineage
	}
	v, err := lockfile.FindSnapshot(ctx, w.state, n, lineage)
	if errors.Is(err, lockfile.ErrNoSnapshot) {
		if next := w.nextKept(ctx, n, lineage); next > 0 {
			return nil, nil, fmt.Errorf("no kept version with serial %d of %s: it was a journal record of an apply (or was pruned), and serial %d is the next kept version, holding what %d recorded unless a later change undid it; run `wxmedia state history` to list them", n, w.StateName(), next, n)
		}
		return nil, nil, fmt.Errorf("no kept version with serial %d of %s; run `wxmedia state history` to list them", n, w.StateName())
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := lockfile.Parse(fmt.Sprintf("serial %d of %s", n, w.StateName()), v.Data)
	if err != nil {
		return nil, nil, err
	}
	return v, st, nil
}

// nextKept returns the smallest kept serial above n in lineage, or 0.
func (w *Workspace) nextKept(ctx context.Context, n uint64, lineage string) uint64 {
	vs, err := w.state.Snapshots(ctx)
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

// HistoryRow is one kept version, as `state history` lists it.
type HistoryRow struct {
	Serial    uint64 `json:"serial"`
	Lineage   string `json:"lineage"`
	Time      string `json:"written_at"`
	Writer    string `json:"writer"`
	Added     int    `json:"added"`
	Changed   int    `json:"changed"`
	Forgotten int    `json:"forgotten"`
	Current   bool   `json:"current"`
}

// History lists the kept versions, oldest first, each with what it
// changed from the one before of its lineage; lineages counts the
// lineages among them.
func (w *Workspace) History(ctx context.Context) (rows []HistoryRow, lineages int, err error) {
	vs, err := w.state.Snapshots(ctx)
	if err != nil {
		return nil, 0, err
	}
	cur, _ := w.LoadExisting()
	rows = []HistoryRow{}
	prev := map[string]*lockfile.State{} // by lineage
	for _, v := range vs {
		st, err := lockfile.Parse(fmt.Sprintf("serial %d", v.Serial), v.Data)
		if err != nil {
			return nil, 0, err
		}
		p := prev[v.Lineage]
		if p == nil {
			p = &lockfile.State{}
		}
		r := HistoryRow{Serial: v.Serial, Lineage: v.Lineage, Time: v.Time, Writer: v.Writer}
		r.Added, r.Changed, r.Forgotten = DiffCounts(p, st)
		r.Current = cur != nil && cur.Lineage == v.Lineage && cur.Serial == v.Serial
		rows = append(rows, r)
		prev[v.Lineage] = st
	}
	return rows, len(prev), nil
}

// DiffCounts counts the entries added, changed (another ID or content) and
// forgotten from prev to cur.
func DiffCounts(prev, cur *lockfile.State) (added, changed, forgotten int) {
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

// Restore writes the kept version v (parsed: snap) back as a new serial,
// under the lock; it returns that serial, or 0 when the state already
// held the version's content.
func (w *Workspace) Restore(v *lockfile.Snapshot, snap *lockfile.State, timeout time.Duration) (uint64, error) {
	var serial uint64
	err := w.EditLockfile("state restore", timeout, func(s *lockfile.State) error {
		if s.Lineage != snap.Lineage {
			if len(s.Assets) > 0 || s.Serial > 0 {
				return fmt.Errorf("serial %d belongs to lineage %s, but %s now holds lineage %s; restore refuses to mix lineages: copy it out with `wxmedia state show -json %d` if you need it", v.Serial, snap.Lineage, w.StateName(), s.Lineage, v.Serial)
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
		return 0, err
	}
	if cur, err := w.LoadExisting(); err == nil && cur.Serial < serial {
		return 0, nil
	}
	return serial, nil
}

// ImportFromSnapshot brings back the entry name from the kept version v
// (parsed: snap) under the lock, and returns it.
func (w *Workspace) ImportFromSnapshot(name string, v *lockfile.Snapshot, snap *lockfile.State, timeout time.Duration) (*lockfile.Entry, error) {
	e, ok := snap.Assets[name]
	if !ok {
		names := snap.Names()
		return nil, fmt.Errorf("serial %d of %s has no asset %q; `wxmedia state show %d` lists its %d %s", v.Serial, w.StateName(), name, v.Serial, len(names), plural(len(names), "asset", "assets"))
	}
	err := w.EditLockfile("import", timeout, func(s *lockfile.State) error {
		if s.Lineage != snap.Lineage {
			return fmt.Errorf("serial %d belongs to lineage %s, but %s holds lineage %s; import -from-serial only brings back entries of the same state. To record that ID anyway, run `wxmedia import %s %s`", v.Serial, snap.Lineage, w.StateName(), s.Lineage, name, e.ID)
		}
		if old, ok := s.Assets[name]; ok && old.ID != e.ID {
			return fmt.Errorf("%s already has ID %s in %s; run `wxmedia forget %s` first to replace it", name, old.ID, w.StateName(), name)
		}
		ne := *e
		s.Assets[name] = &ne
		return nil
	})
	return e, err
}
