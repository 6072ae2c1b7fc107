package views

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
)

// NewApplyProgress returns the terminal view of apply: a bar for the whole
// run (bytes, files done, ETA) and one bar per upload in flight, with a line
// per finished asset printed above them. Use it only when w is a terminal;
// NewApply's line-per-asset view is for logs and pipes.
func NewApplyProgress(w io.Writer, p *planner.Plan) Apply {
	v := &applyProgress{out: w, lines: &applyHuman{start: map[string]time.Time{}}, bars: map[string]*assetBar{}}
	var total int64
	for _, c := range p.Changes {
		if c.Action.Uploads() {
			total += c.After.Size
			v.files++
		}
	}
	// The bars are 32 columns wide; the lines around them may use the whole
	// terminal (80 columns when the width cannot be read).
	v.p = mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
	v.lines.w = v.p // lines print above the bars
	v.totalBytes = total
	if v.files == 0 {
		// Only renames and forgets: no bytes to count, no bar to draw.
		return v
	}
	v.total = v.p.AddBar(total, mpb.BarPriority(1<<30), mpb.BarWidth(32),
		mpb.PrependDecorators(
			decor.Name("Uploading ", decor.WCSyncSpaceR),
			decor.Any(func(decor.Statistics) string { return fmt.Sprintf("%d/%d files", v.doneCount(), v.files) }, decor.WCSyncSpace),
		),
		mpb.AppendDecorators(
			decor.Counters(decor.SizeB1024(0), "% .1f / % .1f", decor.WCSyncSpace),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), "done"),
		),
	)
	return v
}

type applyProgress struct {
	out   io.Writer
	lines *applyHuman
	p     *mpb.Progress
	total *mpb.Bar // nil when nothing is uploaded
	files int
	// totalBytes is what the overall bar counts up to.
	totalBytes int64

	mu   sync.Mutex
	done int
	bars map[string]*assetBar
}

type assetBar struct {
	bar  *mpb.Bar
	size int64
	read int64
}

func (v *applyProgress) doneCount() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.done
}

func (v *applyProgress) Started(c *planner.Change) {
	if !c.Action.Uploads() {
		v.lines.Started(c)
		return
	}
	v.lines.mu.Lock()
	v.lines.start[c.Name] = time.Now() // for the elapsed time in the done line
	v.lines.mu.Unlock()
	b := v.p.AddBar(c.After.Size, mpb.BarRemoveOnComplete(), mpb.BarWidth(32),
		mpb.PrependDecorators(decor.Name("  "+c.Name, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace)))
	v.mu.Lock()
	v.bars[c.Name] = &assetBar{bar: b, size: c.After.Size}
	v.mu.Unlock()
}

// Read implements executor.ReadHook.
func (v *applyProgress) Read(c *planner.Change, n int) {
	v.mu.Lock()
	ab := v.bars[c.Name]
	if ab == nil {
		v.mu.Unlock()
		return
	}
	// Providers that read a file twice (v2 hashes it first) must not push
	// the bars past the file size.
	add := min(int64(n), ab.size-ab.read)
	ab.read += add
	v.mu.Unlock()
	if add > 0 {
		ab.bar.IncrInt64(add)
		v.total.IncrInt64(add)
	}
}

func (v *applyProgress) Finished(c *planner.Change, id string, err error) {
	v.mu.Lock()
	ab := v.bars[c.Name]
	delete(v.bars, c.Name)
	if c.Action.Uploads() {
		v.done++
	}
	v.mu.Unlock()
	if ab != nil {
		if rest := ab.size - ab.read; err == nil && rest > 0 {
			v.total.IncrInt64(rest)
		}
		ab.bar.Abort(true)
	}
	v.lines.Finished(c, id, err)
}

// Retrying prints the retry. The re-read of the file does not move the
// bars again: Read caps each asset at its size.
func (v *applyProgress) Retrying(req *providers.Request, attempt int, delay time.Duration, err error) {
	v.lines.Retrying(req, attempt, delay, err)
}

func (v *applyProgress) Planned(*planner.Plan) {}

func (v *applyProgress) Complete(s planner.Summary, failed int, interrupted bool) {
	if v.total != nil {
		if failed == 0 && !interrupted {
			// Every upload succeeded: whatever the providers reported reading
			// (a resumed session sends only its missing parts), the bar ends
			// at its total and says done.
			v.total.SetCurrent(v.totalBytes)
		} else {
			// Failed or skipped uploads never get there: stop it where it is.
			v.total.Abort(false)
		}
	}
	v.p.Wait()
	v.lines.w = v.out
	v.lines.Complete(s, failed, interrupted)
}
