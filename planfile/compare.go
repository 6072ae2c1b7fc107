package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/planner"
)

// ErrMismatch is wrapped by the error of a saved plan that is not the plan
// the current manifest, lockfile and files call for: it was edited, or made
// by a wxmedia that plans differently.
var ErrMismatch = errors.New("saved plan refused")

// Compare returns how saved differs from fresh, the plan rebuilt from the
// current manifest, lockfile and files with the saved options: one line per
// difference, sorted, none when the saved plan may be applied. Every field
// of every change counts (action, name, type, account, reason, the old name
// of a rename, the lockfile entry before, the planned file after), and so
// do the lockfile reference and the summary, so that what a reviewer read
// in the saved plan is exactly what apply does. It compares the JSON form
// of the plans, so a field added to a change later is compared too.
func Compare(saved, fresh *planner.Plan) []string {
	var diffs []string
	if saved.Lockfile != fresh.Lockfile {
		diffs = append(diffs, fmt.Sprintf("lockfile: the plan was made against lineage %q serial %d, but it is lineage %q serial %d now",
			saved.Lockfile.Lineage, saved.Lockfile.Serial, fresh.Lockfile.Lineage, fresh.Lockfile.Serial))
	}
	if got := planner.Summarize(saved.Changes); saved.Summary != got {
		diffs = append(diffs, fmt.Sprintf("summary: the plan's summary (%s) does not count its own changes (%s)", summaryText(saved.Summary), summaryText(got)))
	}
	want := map[string]map[string]string{}
	for _, c := range fresh.Changes {
		want[c.Name] = flatten(c)
	}
	seen := map[string]bool{}
	for _, c := range saved.Changes {
		if c == nil {
			continue // Parse refuses these; Compare stays total
		}
		if seen[c.Name] {
			diffs = append(diffs, fmt.Sprintf("%s: the plan lists it more than once", c.Name))
			continue
		}
		seen[c.Name] = true
		w, ok := want[c.Name]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: the plan has a %s of %s that the current manifest and lockfile do not call for", c.Name, c.Action, c.Name))
			continue
		}
		diffs = append(diffs, fieldDiffs(c.Name, flatten(c), w)...)
	}
	for _, c := range fresh.Changes {
		if !seen[c.Name] {
			diffs = append(diffs, fmt.Sprintf("%s: the plan leaves out this %s", c.Name, c.Action))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// fieldDiffs describes, one line per field, where got (the saved change)
// differs from want (the rebuilt one).
func fieldDiffs(name string, got, want map[string]string) []string {
	var out []string
	for k, g := range got {
		w, ok := want[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s is %s in the plan, but absent now", name, k, g))
		case g != w:
			out = append(out, fmt.Sprintf("%s: %s is %s in the plan, but %s now", name, k, g, w))
		}
	}
	for k, w := range want {
		if _, ok := got[k]; !ok {
			out = append(out, fmt.Sprintf("%s: %s is absent from the plan, but %s now", name, k, w))
		}
	}
	return out
}

// flatten maps each leaf of c's JSON form to its JSON text, by dotted path
// ("after.file" → `"media/a.png"`). JSON text quotes strings and escapes
// control characters, so the values are safe to print.
func flatten(c *planner.Change) map[string]string {
	data, err := json.Marshal(c)
	if err != nil {
		// A Change is plain data; this cannot happen. Make it a difference
		// rather than a match.
		return map[string]string{"": err.Error()}
	}
	// Numbers stay their exact text: as float64, sizes above 2^53 that
	// differ could compare equal.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return map[string]string{"": err.Error()}
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for k, x := range m {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x)
			}
			return
		}
		b, _ := json.Marshal(v)
		out[prefix] = string(b)
	}
	walk("", v)
	return out
}

func summaryText(s planner.Summary) string {
	return fmt.Sprintf("%d create, %d replace, %d rename, %d forget, %d no-op", s.Create, s.Replace, s.Rename, s.Forget, s.NoOp)
}

// MismatchError is the error for the saved plan at Path whose Compare found
// Diffs. It wraps ErrMismatch; the command layer suggests making a new plan.
type MismatchError struct {
	Path  string
	Diffs []string
}

func (e *MismatchError) Error() string {
	const max = 20
	shown := e.Diffs
	more := ""
	if len(shown) > max {
		shown, more = shown[:max], fmt.Sprintf("\n  … and %d more", len(e.Diffs)-max)
	}
	return fmt.Sprintf("%v: %s does not match the plan for the current manifest, lockfile and files; nothing was uploaded or changed. Do not apply a plan file that was edited:\n  - %s%s",
		ErrMismatch, e.Path, strings.Join(shown, "\n  - "), more)
}

func (e *MismatchError) Unwrap() error { return ErrMismatch }
