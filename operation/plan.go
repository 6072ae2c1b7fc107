package operation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/statcache"
)

// PlanArgs are the options plan and apply share.
type PlanArgs struct {
	Targets     []string
	Replace     []string
	Parallelism int
	// RefreshHashes hashes every file, ignoring the stat cache.
	RefreshHashes bool
}

// MakePlan hashes the files and diffs them against st. A plan made before
// the lockfile exists records an empty lineage, so that a saved plan can
// tell "no lockfile yet" from "this lockfile".
func (w *Workspace) MakePlan(ctx context.Context, st *lockfile.State, exists bool, pa *PlanArgs) (*planner.Plan, error) {
	logged := w.logged.n.Load()
	facts, cache, err := w.scan(ctx, pa.RefreshHashes)
	if err != nil {
		return nil, err
	}
	p, err := planner.BuildInOrder(w.M, facts, st, planner.Options{Targets: pa.Targets, Replace: pa.Replace})
	if err != nil {
		return nil, err
	}
	w.warnUnmatched(st, pa)
	w.noteUnrecordedEndpoints(p)
	p.Environment = w.M.Env
	if !exists {
		p.Lockfile = planner.LockRef{}
	}
	w.recordNoOp(p, pa, cache, logged)
	return p, nil
}

// SavePlan writes p, made with pa, to path for `wxmedia apply FILE`.
func (w *Workspace) SavePlan(path string, p *planner.Plan, pa *PlanArgs) error {
	sum, err := planfile.SHA256File(w.M.Path)
	if err != nil {
		return err
	}
	f := &planfile.File{Manifest: planfile.ManifestRef{Path: w.M.Path, SHA256: sum}, Targets: pa.Targets, Replace: pa.Replace, Plan: p}
	if err := planfile.Write(path, f); err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	return nil
}

// scan hashes the files, trusting the stat cache in .wxmedia/ beside the
// manifest unless refresh is set, and saves the updated cache, which it
// returns. The cache is disposable: one that cannot be written costs a
// warning, never the command.
func (w *Workspace) scan(ctx context.Context, refresh bool) ([]planner.FileFacts, *statcache.Cache, error) {
	cache := w.cache
	if refresh {
		cache = nil
	}
	r, err := scan.Files(ctx, w.M, scan.Options{Cache: cache, RefreshHashes: refresh, Checked: w.manifestStats(), ForgetChecked: true, InOrder: true})
	if r == nil {
		return nil, nil, err
	}
	for _, warn := range scan.AudienceWarnings(w.M, r.Lines) {
		fmt.Fprintln(w.log, "Warning: "+warn)
	}
	if r.Cache != cache {
		cachePath := statcache.PathFor(w.M.Path)
		serr := statcache.Save(cachePath, r.Cache)
		var le *lockfile.LinkError
		if errors.As(serr, &le) {
			fmt.Fprintf(w.log, "Warning: not saving the stat cache: %v.\n", serr)
		} else if serr != nil {
			fmt.Fprintf(w.log, "Warning: could not save the stat cache %s (%v); the next plan will hash every file again. Check that the directory is writable, or ignore this.\n", cachePath, serr)
		}
	}
	return r.InOrder, r.Cache, err
}

// warnUnmatched warns about -target and -replace patterns that name no
// asset in the manifest or the lockfile: a typo would otherwise plan nothing
// and exit 0.
func (w *Workspace) warnUnmatched(st *lockfile.State, pa *PlanArgs) {
	if len(pa.Targets) == 0 && len(pa.Replace) == 0 {
		return
	}
	names := st.Names()
	for _, a := range w.M.Assets {
		names = append(names, a.Name)
	}
	for _, flag := range []struct {
		name string
		pats []string
	}{{"-target", pa.Targets}, {"-replace", pa.Replace}} {
		for _, p := range planner.Unmatched(flag.pats, names) {
			fmt.Fprintf(w.log, "Warning: %s %q matches no asset in %s or the lockfile; check the name (`wxmedia output` lists recorded assets)\n", flag.name, p, w.M.Path)
		}
	}
}

// noteUnrecordedEndpoints tells, once per plan, about lockfile entries
// written before endpoints were recorded: they are taken to come from
// their account's current endpoint, which the next apply records.
func (w *Workspace) noteUnrecordedEndpoints(p *planner.Plan) {
	names := p.UnrecordedEndpoints()
	if len(names) == 0 {
		return
	}
	shown := names
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(names)-5))
	}
	fmt.Fprintf(w.log, "Note: %d lockfile %s (%s) %s no endpoint, because an older wxmedia wrote %s; %s taken to come from %s account's current endpoint, and the next apply records it. From then on, switching an account's endpoint replaces its assets.\n",
		len(names), plural(len(names), "entry", "entries"), strings.Join(shown, ", "), plural(len(names), "has", "have"),
		plural(len(names), "it", "them"), plural(len(names), "it is", "they are"), plural(len(names), "its", "their"))
}

// loadSavedPlan reads a plan file and proves it is still current (same
// manifest, same lockfile lineage and serial, same file contents) and is
// the plan those call for; it returns the rebuilt plan.
func (w *Workspace) loadSavedPlan(ctx context.Context, store *lockfile.Store, path string) (*planner.Plan, error) {
	f, err := planfile.Read(path)
	if err != nil {
		return nil, err
	}
	sum, err := planfile.SHA256File(w.M.Path)
	if err != nil {
		return nil, err
	}
	if sum != f.Manifest.SHA256 {
		return nil, &planfile.StaleError{Why: planfile.StaleManifest, Reason: fmt.Sprintf("%s changed since %s was made", w.M.Path, path)}
	}
	if f.Plan.Environment != w.M.Env {
		return nil, &planfile.StaleError{Why: planfile.StaleEnv, Reason: fmt.Sprintf("%s was made for %s, but this apply is for %s", path, envLabel(f.Plan.Environment), envLabel(w.M.Env))}
	}
	if err := f.CheckLockfile(store.State(), w.StateExists(), w.StateName()); err != nil {
		return nil, err
	}
	facts, err := scan.Hashes(ctx, w.M, scan.Options{})
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, ch := range f.Changes {
		if ch.After == nil {
			continue
		}
		// A name the manifest does not declare is Compare's to report.
		if got, ok := facts[ch.Name]; ok && got.SHA256 != ch.After.SHA256 {
			changed = append(changed, ch.Name)
		}
	}
	if len(changed) > 0 {
		return nil, &planfile.StaleError{Why: planfile.StaleContent, Reason: fmt.Sprintf("the content of %s changed since %s was made", strings.Join(changed, ", "), path)}
	}
	// The file says what a reviewer approved, but only what the current
	// manifest, lockfile and files call for may be done: rebuild that plan
	// and apply it only when the two are the same in every field.
	fresh, err := planner.Build(w.M, facts, store.State(), planner.Options{Targets: f.Targets, Replace: f.Replace})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !w.StateExists() {
		fresh.Lockfile = planner.LockRef{}
	}
	if diffs := planfile.Compare(f.Plan, fresh); len(diffs) > 0 {
		return nil, &planfile.MismatchError{Path: path, Diffs: diffs}
	}
	return fresh, nil
}
