package views

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
)

// Apply reports apply progress; it implements executor.Hook.
type Apply interface {
	Started(c *planner.Change)
	Finished(c *planner.Change, id string, err error)
	// Retrying reports a failed attempt that will be tried again.
	Retrying(req *providers.Request, attempt int, delay time.Duration, err error)
	// Planned reports the plan about to be applied (JSON view only; the
	// human view prints the plan through the plan view).
	Planned(p *planner.Plan)
	// Complete prints the closing line, with the counts of what was done.
	Complete(done planner.Summary, failed int, interrupted bool)
}

// NewApply returns the human view (progress lines on w) or the JSON view
// (one event per line on w).
func NewApply(w io.Writer, json bool) Apply {
	if json {
		return &applyJSON{w: w, enc: newEncoder(w)}
	}
	return &applyHuman{w: w, start: map[string]time.Time{}}
}

type applyHuman struct {
	mu    sync.Mutex
	w     io.Writer
	start map[string]time.Time
}

func verb(a planner.Action) (doing, done string) {
	switch a {
	case planner.Forget:
		return "forgetting", "forgotten"
	case planner.Rename:
		return "renaming", "renamed"
	case planner.Replace:
		return "replacing", "replaced"
	case planner.Expand:
		return "expanding", "expanded"
	}
	return "uploading", "uploaded"
}

func (v *applyHuman) Started(c *planner.Change) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.start[c.Name] = time.Now()
	doing, _ := verb(c.Action)
	size := ""
	if c.After != nil && c.Action.Uploads() {
		size = " (" + mediatype.HumanSize(c.After.Size) + ")"
	}
	fmt.Fprintf(v.w, "%s: %s%s...\n", c.Name, doing, size)
}

func (v *applyHuman) Finished(c *planner.Change, id string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	elapsed := time.Since(v.start[c.Name]).Round(time.Millisecond)
	delete(v.start, c.Name) // keeps memory to the uploads in flight
	if err != nil {
		fmt.Fprintf(v.w, "%s: %s after %s\n", c.Name, forgetColor.Sprint("failed"), elapsed)
		return
	}
	_, done := verb(c.Action)
	if id != "" {
		fmt.Fprintf(v.w, "%s: %s after %s [id=%s]\n", c.Name, done, elapsed, id)
	} else {
		fmt.Fprintf(v.w, "%s: %s\n", c.Name, done)
	}
}

func (v *applyHuman) Retrying(req *providers.Request, attempt int, delay time.Duration, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.w, "%s: attempt %d failed, retrying in %s: %v\n", req.Asset, attempt, delay.Round(time.Millisecond), err)
}

func (v *applyHuman) Planned(*planner.Plan) {}

func (v *applyHuman) Complete(s planner.Summary, failed int, interrupted bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	head := createColor.Sprint("Apply complete!")
	switch {
	case interrupted:
		head = forgetColor.Sprint("Apply interrupted.")
	case failed > 0:
		head = forgetColor.Sprint("Apply failed.")
	}
	fmt.Fprintf(v.w, "%s %s\n", head, doneLine(s, failed))
}

func doneLine(s planner.Summary, failed int) string {
	line := fmt.Sprintf("Assets: %d uploaded, %d replaced", s.Create, s.Replace)
	if s.Rename > 0 {
		line += fmt.Sprintf(", %d renamed", s.Rename)
	}
	if s.Expand > 0 {
		line += fmt.Sprintf(", %d expanded", s.Expand)
	}
	line += fmt.Sprintf(", %d forgotten", s.Forget)
	if failed > 0 {
		line += fmt.Sprintf(", %d failed", failed)
	}
	return line + "."
}

type applyJSON struct {
	mu  sync.Mutex
	w   io.Writer
	enc *json.Encoder
}

func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// Event is one line of `apply -json` output.
type Event struct {
	Level     string `json:"@level"`
	Message   string `json:"@message"`
	Timestamp string `json:"@timestamp"`
	Type      string `json:"type"`
	Asset     string `json:"asset,omitempty"`
	Action    string `json:"action,omitempty"`
	ID        string `json:"id,omitempty"`
	Error     string `json:"error,omitempty"`
	// Summary is set on the final event.
	Summary *planner.Summary `json:"summary,omitempty"`
	Failed  int              `json:"failed,omitempty"`
	// Plan is set on the planned_changes event.
	Plan *planner.Plan `json:"plan,omitempty"`
	// Account, AssetType and Rate (requests per second) are set on
	// apply_rate events.
	Account   string  `json:"account,omitempty"`
	AssetType string  `json:"asset_type,omitempty"`
	Rate      float64 `json:"rate,omitempty"`
}

func (v *applyJSON) emit(e Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e.Timestamp = time.Now().UTC().Format(time.RFC3339Nano)
	_ = v.enc.Encode(e)
}

func (v *applyJSON) Started(c *planner.Change) {
	doing, _ := verb(c.Action)
	v.emit(Event{Level: "info", Message: c.Name + ": " + doing, Type: "apply_start", Asset: c.Name, Action: c.Action.String()})
}

func (v *applyJSON) Finished(c *planner.Change, id string, err error) {
	if err != nil {
		v.emit(Event{Level: "error", Message: c.Name + ": failed", Type: "apply_errored", Asset: c.Name, Action: c.Action.String(), Error: err.Error()})
		return
	}
	_, done := verb(c.Action)
	v.emit(Event{Level: "info", Message: c.Name + ": " + done, Type: "apply_complete", Asset: c.Name, Action: c.Action.String(), ID: id})
}

func (v *applyJSON) Retrying(req *providers.Request, attempt int, delay time.Duration, err error) {
	v.emit(Event{Level: "warn", Message: fmt.Sprintf("%s: attempt %d failed, retrying in %s", req.Asset, attempt, delay.Round(time.Millisecond)),
		Type: "apply_retry", Asset: req.Asset, Error: err.Error()})
}

func (v *applyJSON) Planned(p *planner.Plan) {
	v.emit(Event{Level: "info", Message: SummaryLine(p.Summary), Type: "planned_changes", Plan: p})
}

func (v *applyJSON) Complete(s planner.Summary, failed int, interrupted bool) {
	level, msg := "info", "Apply complete! "
	switch {
	case interrupted:
		level, msg = "error", "Apply interrupted. "
	case failed > 0:
		level, msg = "error", "Apply failed. "
	}
	v.emit(Event{Level: level, Message: msg + doneLine(s, failed), Type: "change_summary", Summary: &s, Failed: failed})
}
