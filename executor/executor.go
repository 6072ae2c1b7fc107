package executor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/internal/errmark"
	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
)

// Hook receives progress events. Implementations must be safe for
// concurrent use: uploads run in parallel.
type Hook interface {
	// Started is called before a change is carried out.
	Started(c *planner.Change)
	// Finished is called after it, with the recorded ID or the error.
	Finished(c *planner.Change, id string, err error)
}

// ReadHook is an optional extension of Hook: when the Hook implements it,
// Read is told about every chunk of a file the provider reads, for byte
// progress. A retried upload reads its file again from the start; Started
// is not repeated, so views reset their count on retry.
type ReadHook interface {
	Read(c *planner.Change, n int)
}

// NopHook ignores every event; embed it to implement only some methods.
type NopHook struct{}

// Started implements Hook.
func (NopHook) Started(*planner.Change) {}

// Finished implements Hook.
func (NopHook) Finished(*planner.Change, string, error) {}

// Resolver returns the uploader for an asset's account and type.
type Resolver func(account, typ string) (providers.Uploader, error)

// Executor applies plans to one lockfile.
type Executor struct {
	// Store is the lockfile, written after every success.
	Store *lockfile.Store
	// Dir is the manifest directory; planned file paths are relative to it,
	// and files are opened through an os.Root at it (package assetfile), so
	// an upload never reads outside it.
	Dir string
	// Resolve finds the uploader for each change.
	Resolve Resolver
	// Hook receives progress events; nil means none.
	Hook Hook
	// Parallelism bounds concurrent uploads; 0 means 1.
	Parallelism int
	// Stop, when closed, prevents new uploads from starting; uploads in
	// flight finish and are recorded. Cancel the context of Apply to abort
	// them instead.
	Stop <-chan struct{}
	// Now stamps uploaded_at; nil means time.Now.
	Now func() time.Time
}

// ErrStopped is reported for changes not started because Stop was closed.
var ErrStopped = errors.New("executor: stopped before this change started")

// The kinds of error Apply marks (internal/errmark), for the command layer
// to say what to do next. Their texts say what is wrong, not which command
// to run.
var (
	// ErrUnfinished marks changes a run left undone on purpose: uploads
	// not started after an interruption, forgets held back because an
	// upload failed. The next apply makes them.
	ErrUnfinished = errors.New("executor: changes left undone for the next apply")
	// ErrFileUnreadable marks an upload whose file is gone or unreadable
	// since the plan: making it readable again is enough, the plan stands.
	ErrFileUnreadable = errors.New("executor: file gone or unreadable since plan")
	// ErrPlanOutdated marks a change the lockfile no longer supports (an
	// expand whose recorded upload is gone): a new plan is needed.
	ErrPlanOutdated = errors.New("executor: change no longer matches the lockfile")
	// ErrExpandPending marks a failed expand of an upload that is
	// recorded: the next apply expands it without uploading.
	ErrExpandPending = errors.New("executor: expand pending")
)

// Report counts what an apply achieved.
type Report struct {
	// Done counts the changes carried out, by action.
	Done planner.Summary
	// Failed counts changes that were attempted and failed.
	Failed int
	// NotStarted counts uploads skipped because Stop was closed or the
	// context was cancelled before they began.
	NotStarted int
	// HeldBack counts forgets not carried out because an upload failed or
	// did not start: forgets run only after every upload succeeded.
	HeldBack int
}

// Apply carries out every change in p. It attempts every change even when
// some fail, and returns all failures together as a *multierror.Error. The
// lockfile is written after each success.
func (e *Executor) Apply(ctx context.Context, p *planner.Plan) (Report, error) {
	hook := e.Hook
	if hook == nil {
		hook = NopHook{}
	}
	var (
		mu   sync.Mutex
		errs *multierror.Error
		rep  Report
	)
	finish := func(c *planner.Change, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = multierror.Append(errs, err)
			rep.Failed++
			return
		}
		switch c.Action {
		case planner.Create:
			rep.Done.Create++
		case planner.Replace:
			rep.Done.Replace++
		case planner.Rename:
			rep.Done.Rename++
		case planner.Forget:
			rep.Done.Forget++
		case planner.Expand:
			rep.Done.Expand++
		}
	}
	if _, err := RecordEndpoints(e.Store, p); err != nil {
		return rep, err
	}
	local := func(c *planner.Change) {
		hook.Started(c)
		err := e.Store.UpdateNames([]string{c.Name, c.From}, func(s *lockfile.State) { applyLocal(s, c) })
		id := ""
		if c.Before != nil && c.Action == planner.Rename {
			id = c.Before.ID
		}
		hook.Finished(c, id, err)
		finish(c, err)
	}
	// Unchanged assets are done by definition; counting them lets the
	// summary account for every asset of the plan.
	for _, c := range p.Changes {
		if c.Action == planner.NoOp {
			rep.Done.NoOp++
		}
	}
	// Renames first: they only move a recorded ID, losing none.
	for _, c := range p.Changes {
		if c.Action == planner.Rename {
			local(c)
		}
	}
	root, err := e.openRoot(p)
	if err != nil {
		return rep, err
	}
	if root != nil {
		defer root.Close()
	}
	par := e.Parallelism
	if par < 1 {
		par = 1
	}
	g := new(errgroup.Group)
	g.SetLimit(par)
	for _, group := range uploadGroups(p.Changes) {
		g.Go(func() error {
			if e.stopRequested(ctx) {
				mu.Lock()
				rep.NotStarted += len(group)
				mu.Unlock()
				return nil
			}
			for _, c := range group {
				hook.Started(c)
			}
			id, err := e.upload(ctx, root, group)
			for _, c := range group {
				hook.Finished(c, id, err)
				finish(c, err)
			}
			return nil
		})
	}
	for _, c := range p.Changes {
		if c.Action != planner.Expand {
			continue
		}
		g.Go(func() error {
			if e.stopRequested(ctx) {
				mu.Lock()
				rep.NotStarted++
				mu.Unlock()
				return nil
			}
			hook.Started(c)
			err := e.expandOnly(ctx, c)
			id := ""
			if err == nil {
				id = c.Before.ID
			}
			hook.Finished(c, id, err)
			finish(c, err)
			return nil
		})
	}
	_ = g.Wait()
	// Forgets last, and only once every upload succeeded: a forgotten ID is
	// gone from the lockfile, so an asset whose replacement failed (or
	// never started) keeps the ID applications read until the next apply.
	var forgets []*planner.Change
	for _, c := range p.Changes {
		if c.Action == planner.Forget {
			forgets = append(forgets, c)
		}
	}
	if errs == nil && rep.NotStarted == 0 && !e.stopRequested(ctx) {
		for _, c := range forgets {
			local(c)
		}
	} else if len(forgets) > 0 {
		rep.HeldBack = len(forgets)
		names := make([]string, len(forgets))
		for i, c := range forgets {
			names[i] = c.Name
		}
		errs = multierror.Append(errs, errmark.Mark(fmt.Errorf("%d forget(s) held back because not every upload succeeded, so that no recorded ID is dropped before its replacement is recorded (%s still recorded)", len(forgets), strings.Join(names, ", ")), ErrUnfinished))
	}
	if rep.NotStarted > 0 {
		errs = multierror.Append(errs, errmark.Mark(fmt.Errorf("%d upload(s) not started because apply was interrupted: %w", rep.NotStarted, ErrStopped), ErrUnfinished))
	}
	if errs != nil {
		errs.ErrorFormat = formatErrors
		return rep, errs
	}
	return rep, nil
}

func (e *Executor) stopRequested(ctx context.Context) bool {
	if ctx.Err() != nil || e.Store.Err() != nil {
		return true
	}
	if e.Stop == nil {
		return false
	}
	select {
	case <-e.Stop:
		return true
	default:
		return false
	}
}

// RecordEndpoints writes, in one lockfile update, the endpoint of the
// unchanged entries p found without one (planner.Plan.UnrecordedEndpoints):
// the plan took them to come from their account's current endpoint, and
// from now on a change of endpoint replaces them. It returns how many it
// recorded.
func RecordEndpoints(store *lockfile.Store, p *planner.Plan) (int, error) {
	names := p.UnrecordedEndpoints()
	if len(names) == 0 {
		return 0, nil
	}
	byName := make(map[string]*planner.Change, len(p.Changes))
	for _, c := range p.Changes {
		byName[c.Name] = c
	}
	n := 0
	err := store.Update(func(s *lockfile.State) {
		for _, name := range names {
			c := byName[name]
			// Only the entry the plan saw: same ID, still without endpoint.
			if e := s.Assets[name]; e != nil && e.Endpoint == "" && e.ID == c.Before.ID {
				e.Endpoint = c.After.Endpoint
				n++
			}
		}
	})
	return n, err
}

func applyLocal(s *lockfile.State, c *planner.Change) {
	switch c.Action {
	case planner.Forget:
		delete(s.Assets, c.Name)
		delete(s.Pending, c.Name)
	case planner.Rename:
		old, ok := s.Assets[c.From]
		if !ok {
			return
		}
		moved := *old
		moved.File = c.After.File
		if moved.Endpoint == "" {
			moved.Endpoint = c.After.Endpoint // recorded once, like RecordEndpoints
		}
		// The entry describes the asset as it now is, so that the next plan
		// sees no filename change (the ID stands for the bytes).
		moved.Filename = c.After.Filename
		s.Assets[c.Name] = &moved
		delete(s.Assets, c.From)
	}
}

// uploadGroups batches the uploads in changes so that assets with identical
// content, filename, type and account are uploaded once and all record the
// same ID. Groups keep plan order.
func uploadGroups(changes []*planner.Change) [][]*planner.Change {
	// An audience file uploaded as two data types is two uploads.
	type key struct{ sha, filename, typ, account, mchid, dataType, description string }
	index := map[key]int{}
	var groups [][]*planner.Change
	for _, c := range changes {
		if !c.Action.Uploads() {
			continue
		}
		k := key{c.After.SHA256, c.After.Filename, c.Type, c.Account, c.After.MchID, c.After.DataType, c.After.Description}
		if i, ok := index[k]; ok {
			groups[i] = append(groups[i], c)
			continue
		}
		index[k] = len(groups)
		groups = append(groups, []*planner.Change{c})
	}
	return groups
}

// openRoot opens the manifest directory as an os.Root when p uploads
// anything; a plan with nothing to upload reads no file.
func (e *Executor) openRoot(p *planner.Plan) (*os.Root, error) {
	for _, c := range p.Changes {
		if c.Action.Uploads() {
			root, err := assetfile.OpenRoot(e.Dir)
			if err != nil {
				return nil, fmt.Errorf("%w; nothing was uploaded", err)
			}
			return root, nil
		}
	}
	return nil, nil
}

// upload sends the first change's file and records the ID for every change
// in the group.
func (e *Executor) upload(ctx context.Context, root *os.Root, group []*planner.Change) (string, error) {
	c := group[0]
	u, err := e.Resolve(c.Account, c.Type)
	if err != nil {
		return "", fmt.Errorf("%s: %w", c.Name, err)
	}
	req := &providers.Request{
		Asset:    c.Name,
		Filename: c.After.Filename,
		Size:     c.After.Size,
		SHA256:   c.After.SHA256,
		// user_package only; the others ignore them.
		DataType:    c.After.DataType,
		Description: c.After.Description,
		Open: func() (providers.File, error) {
			// Only the planned regular file inside the manifest directory
			// is read: not a symlink swapped in since plan that leads
			// outside it, and not a named pipe (which would block).
			f, err := assetfile.Open(root, c.After.File)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				// Gone, or unreadable, since plan: fixing that is enough.
				return nil, errmark.Mark(err, ErrFileUnreadable)
			}
			if err != nil {
				return nil, err
			}
			if rh, ok := e.Hook.(ReadHook); ok {
				return &countingFile{File: f, read: func(n int) { rh.Read(c, n) }}, nil
			}
			return f, nil
		},
	}
	if pd := e.Store.PendingFor(c.Name); pd != nil && pd.SHA256 == c.After.SHA256 && pd.Type == c.Type && pd.Account == c.Account {
		req.Session = &providers.Session{UploadID: pd.UploadID, PartSize: pd.PartSize, PartCount: pd.PartCount, Acked: pd.Acked}
	}
	req.OnSession = func(s providers.Session) error {
		return e.Store.UpdateNames([]string{c.Name}, func(st *lockfile.State) {
			st.Pending[c.Name] = &lockfile.Pending{Type: c.Type, Account: c.Account, SHA256: c.After.SHA256,
				UploadID: s.UploadID, PartSize: s.PartSize, PartCount: s.PartCount, Acked: append([]int(nil), s.Acked...),
				StartedAt: e.now().UTC().Format(time.RFC3339)}
		})
	}
	res, err := u.Upload(ctx, req)
	if err != nil {
		return "", err
	}
	if err := checkResult(c.Name, res); err != nil {
		return "", err
	}
	now := e.now().UTC().Format(time.RFC3339)
	names := make([]string, len(group))
	for i, c := range group {
		names[i] = c.Name
	}
	if err := e.Store.UpdateNames(names, func(s *lockfile.State) {
		for _, c := range group {
			s.Assets[c.Name] = &lockfile.Entry{Type: c.Type, Account: c.Account, MchID: c.After.MchID, File: c.After.File,
				Filename: c.After.Filename, Size: c.After.Size, SHA256: c.After.SHA256, ID: res.ID,
				Endpoint: c.After.Endpoint, UploadedAt: now, Attributes: uploadAttributes(res, c)}
			delete(s.Pending, c.Name)
		}
	}); err != nil {
		return res.ID, fmt.Errorf("%s: uploaded as %s but %w", c.Name, res.ID, err)
	}
	// The upload is recorded before any expand: if apply stops here, the
	// next plan expands without uploading again.
	for _, c := range group {
		if c.After.ExpandInto == "" {
			continue
		}
		if err := e.expand(ctx, c, u, res.ID); err != nil {
			return res.ID, fmt.Errorf("uploaded as %s and recorded, but %w", res.ID, err)
		}
	}
	return res.ID, nil
}

// checkResult refuses an ID or attribute holding a control character:
// the lockfile refuses to load one (it would act on the terminal of whoever
// prints it), so recording it would lock the project out of its own state.
// No WeChat Pay ID contains one; an endpoint that answers so is broken or
// hostile.
func checkResult(name string, res *providers.Result) error {
	vals := []string{res.ID}
	for k, v := range res.Attributes {
		vals = append(vals, k, v)
	}
	for _, v := range vals {
		if c, bad := safetext.Find(v); bad {
			return fmt.Errorf("%s: the endpoint answered with an ID or attribute containing the control character %s (%s); it was not recorded. Check the account's endpoint", name, c, safetext.Escape(v))
		}
	}
	return nil
}

// uploadAttributes returns the attributes to record for c's upload: the
// provider's, and a user_package's data_type and description, even an
// empty one (a change of either re-uploads).
func uploadAttributes(res *providers.Result, c *planner.Change) map[string]string {
	attrs := maps.Clone(res.Attributes)
	if c.After.DataType != "" {
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs[planner.AttrDataType] = c.After.DataType
		attrs[planner.AttrDescription] = c.After.Description
	}
	return attrs
}

// expandOnly carries out an Expand change: the recorded upload expands the
// audience package the manifest names.
func (e *Executor) expandOnly(ctx context.Context, c *planner.Change) error {
	if c.Before == nil || c.After == nil {
		return errmark.Mark(fmt.Errorf("%s: the expand has no recorded upload", c.Name), ErrPlanOutdated)
	}
	u, err := e.Resolve(c.Account, c.Type)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	return e.expand(ctx, c, u, c.Before.ID)
}

// expand asks u to add the upload uploadID to c's expand_into package and
// records it in c's lockfile entry (expanded_into, expanded_at).
func (e *Executor) expand(ctx context.Context, c *planner.Change, u providers.Uploader, uploadID string) error {
	x, ok := u.(providers.Expander)
	if !ok {
		return fmt.Errorf("%s: type %s cannot expand an audience package: %w", c.Name, c.Type, providers.ErrUnsupportedType)
	}
	into := c.After.ExpandInto
	res, err := x.Expand(ctx, &providers.ExpandRequest{Asset: c.Name, UploadID: uploadID, Into: into})
	if err != nil {
		return errmark.Mark(fmt.Errorf("expanding audience package %s failed (the upload is recorded): %w", into, err), ErrExpandPending)
	}
	if err := checkResult(c.Name, res); err != nil {
		return err
	}
	now := e.now().UTC().Format(time.RFC3339)
	if err := e.Store.UpdateNames([]string{c.Name}, func(s *lockfile.State) {
		old := s.Assets[c.Name]
		if old == nil || old.ID != uploadID {
			return // forgotten or replaced meanwhile: nothing to record
		}
		ent := *old
		ent.Attributes = maps.Clone(old.Attributes)
		if ent.Attributes == nil {
			ent.Attributes = map[string]string{}
		}
		maps.Copy(ent.Attributes, res.Attributes)
		ent.Attributes[planner.AttrExpandedInto] = into
		ent.Attributes[planner.AttrExpandedAt] = now
		s.Assets[c.Name] = &ent
	}); err != nil {
		return fmt.Errorf("%s: expanded audience package %s but %w", c.Name, into, err)
	}
	return nil
}

func (e *Executor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func formatErrors(es []error) string {
	if len(es) == 1 {
		return es[0].Error()
	}
	failed := 0
	for _, err := range es {
		if !errors.Is(err, ErrStopped) {
			failed++
		}
	}
	head := fmt.Sprintf("%d %s failed", failed, plural(failed, "change", "changes"))
	if failed < len(es) {
		head += ", and apply was interrupted"
	}
	s := head + ":"
	for _, err := range es {
		s += "\n  - " + err.Error()
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// countingFile reports every read to a ReadHook.
type countingFile struct {
	providers.File
	read func(n int)
}

func (f *countingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if n > 0 {
		f.read(n)
	}
	return n, err
}

func (f *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	if n > 0 {
		f.read(n)
	}
	return n, err
}
