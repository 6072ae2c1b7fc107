package views

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
)

// The state as `output`, `state history` and `state show` print it.

// OutputEntry is one asset in `output -json` and `-format yaml`.
type OutputEntry struct {
	ID         string            `json:"id" yaml:"id"`
	Type       string            `json:"type" yaml:"type"`
	SHA256     string            `json:"sha256" yaml:"sha256"`
	Attributes map[string]string `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

// OutputEntries returns the entries of st named in names, for -json and
// -format yaml.
func OutputEntries(st *lockfile.State, names []string) map[string]OutputEntry {
	all := map[string]OutputEntry{}
	for _, n := range names {
		e := st.Assets[n]
		all[n] = OutputEntry{ID: e.ID, Type: e.Type, SHA256: e.SHA256, Attributes: e.Attributes}
	}
	return all
}

// OutputYAML prints the entries of st named in names as YAML.
func OutputYAML(w io.Writer, st *lockfile.State, names []string) error {
	data, err := yaml.Marshal(OutputEntries(st, names))
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// OutputEnv prints the IDs of the entries named in names as
// WXMEDIA_<NAME>='<id>' lines for `source` or .env files.
func OutputEnv(w io.Writer, st *lockfile.State, names []string) {
	for _, n := range names {
		fmt.Fprintf(w, "%s=%s\n", manifest.EnvName(n), shellQuote(st.Assets[n].ID))
	}
}

// shellQuote single-quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// OutputList prints every entry of st as `name = id`.
func OutputList(w io.Writer, st *lockfile.State) {
	for _, n := range st.Names() {
		// The lockfile refuses control characters on load; escape
		// anyway, as this listing is for a terminal.
		fmt.Fprintf(w, "%s = %s\n", safetext.Escape(n), safetext.Escape(st.Assets[n].ID))
	}
}

// HistoryRow is one kept version of the state in `state history`.
type HistoryRow struct {
	Serial                    uint64
	Lineage, Time, Writer     string
	Added, Changed, Forgotten int
	Current                   bool
}

// History prints the kept versions as a table; with more than one
// lineage, each row starts with its lineage's first characters.
func History(w io.Writer, rows []HistoryRow, lineages int) {
	lin := func(HistoryRow) string { return "" }
	if lineages > 1 {
		fmt.Fprintf(w, "%-8s  ", "LINEAGE")
		lin = func(r HistoryRow) string { return fmt.Sprintf("%-8s  ", r.Lineage[:8]) }
	}
	fmt.Fprintf(w, "%6s  %-20s  %-24s  %5s  %7s  %9s\n", "SERIAL", "WRITTEN", "WRITER", "ADDED", "CHANGED", "FORGOTTEN")
	for _, r := range rows {
		line := lin(r) + fmt.Sprintf("%6d  %-20s  %-24s  %5d  %7d  %9d", r.Serial, r.Time, r.Writer, r.Added, r.Changed, r.Forgotten)
		if r.Current {
			line += "  (current)"
		}
		fmt.Fprintln(w, line)
	}
}

// HistoryGaps notes, on w (stderr: stdout stays a table that scripts
// parse), the serials missing between consecutive kept versions of a
// lineage, and why.
func HistoryGaps(w io.Writer, rows []HistoryRow) {
	list, n := unlistedSerials(rows)
	if n == 0 {
		return
	}
	what := "Serial " + list + " is"
	if n > 1 {
		what = "Serials " + list + " are"
	}
	fmt.Fprintf(w, "%s not listed: apply records each upload in the lockfile's journal and keeps a version only when it folds the journal into the lockfile (at the end of a run), so each version holds every change since the one above it. Versions beyond WXMEDIA_HISTORY_LIMIT are pruned as well.\n", what)
}

// unlistedSerials describes the serials missing between consecutive kept
// versions of a lineage ("2", "2 and 4", "2-5, 7 and 9"), or "" when none
// are, and how many there are.
func unlistedSerials(rows []HistoryRow) (string, int) {
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

// Snapshot prints the kept version v of the state named name, parsed as st.
func Snapshot(w io.Writer, name string, v *lockfile.Snapshot, st *lockfile.State) {
	fmt.Fprintf(w, "# serial %d of %s, lineage %s, written %s by %s\n", v.Serial, name, v.Lineage, v.Time, v.Writer)
	for _, n := range st.Names() {
		e := st.Assets[n]
		fmt.Fprintf(w, "%s = %s  (%s, sha256 %s…)\n", n, e.ID, e.Type, e.SHA256[:12])
	}
}
