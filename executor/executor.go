package executor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"

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
	// Dir is the manifest directory; planned file paths are relative to it.
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

// Report counts what an apply achieved.
type Report struct {
	// Done counts the changes carried out, by action.
	Done planner.Summary
	// Failed counts changes that were attempted and failed.
	Failed int
	// NotStarted counts uploads skipped because Stop was closed or the
	// context was cancelled before they began.
	NotStarted int
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
		}
	}
	// Lockfile-only changes first: they cannot fail remotely.
	for _, c := range p.Changes {
		switch c.Action {
		case planner.Forget, planner.Rename:
			hook.Started(c)
			err := e.Store.UpdateNames([]string{c.Name, c.From}, func(s *lockfile.State) { applyLocal(s, c) })
			id := ""
			if c.Before != nil && c.Action == planner.Rename {
				id = c.Before.ID
			}
			hook.Finished(c, id, err)
			finish(c, err)
		}
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
			id, err := e.upload(ctx, group)
			for _, c := range group {
				hook.Finished(c, id, err)
				finish(c, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	if rep.NotStarted > 0 {
		errs = multierror.Append(errs, fmt.Errorf("%d upload(s) not started because apply was interrupted; run apply again to finish them: %w", rep.NotStarted, ErrStopped))
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
		s.Assets[c.Name] = &moved
		delete(s.Assets, c.From)
	}
}

// uploadGroups batches the uploads in changes so that assets with identical
// content, filename, type and account are uploaded once and all record the
// same ID. Groups keep plan order.
func uploadGroups(changes []*planner.Change) [][]*planner.Change {
	type key struct{ sha, filename, typ, account, mchid string }
	index := map[key]int{}
	var groups [][]*planner.Change
	for _, c := range changes {
		if !c.Action.Uploads() {
			continue
		}
		k := key{c.After.SHA256, c.After.Filename, c.Type, c.Account, c.After.MchID}
		if i, ok := index[k]; ok {
			groups[i] = append(groups[i], c)
			continue
		}
		index[k] = len(groups)
		groups = append(groups, []*planner.Change{c})
	}
	return groups
}

// upload sends the first change's file and records the ID for every change
// in the group.
func (e *Executor) upload(ctx context.Context, group []*planner.Change) (string, error) {
	c := group[0]
	u, err := e.Resolve(c.Account, c.Type)
	if err != nil {
		return "", fmt.Errorf("%s: %w", c.Name, err)
	}
	path := filepath.Join(e.Dir, filepath.FromSlash(c.After.File))
	req := &providers.Request{
		Asset:    c.Name,
		Filename: c.After.Filename,
		Size:     c.After.Size,
		SHA256:   c.After.SHA256,
		Open: func() (providers.File, error) {
			f, err := os.Open(path)
			if err != nil {
				// Seen here only when the file went away, or stopped being
				// readable, after the plan looked at it.
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return nil, fmt.Errorf("cannot read %s: %w; check that it exists and this user can read it, then run apply again", c.After.File, err)
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
	now := e.now().UTC().Format(time.RFC3339)
	names := make([]string, len(group))
	for i, c := range group {
		names[i] = c.Name
	}
	if err := e.Store.UpdateNames(names, func(s *lockfile.State) {
		for _, c := range group {
			s.Assets[c.Name] = &lockfile.Entry{Type: c.Type, Account: c.Account, MchID: c.After.MchID, File: c.After.File,
				Filename: c.After.Filename, Size: c.After.Size, SHA256: c.After.SHA256, ID: res.ID,
				UploadedAt: now, Attributes: res.Attributes}
			delete(s.Pending, c.Name)
		}
	}); err != nil {
		return res.ID, fmt.Errorf("%s: uploaded as %s but %w", c.Name, res.ID, err)
	}
	return res.ID, nil
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
