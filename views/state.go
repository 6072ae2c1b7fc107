package views

import (
	"fmt"
	"io"
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

// Snapshot prints the kept version v of the state named name, parsed as st.
func Snapshot(w io.Writer, name string, v *lockfile.Snapshot, st *lockfile.State) {
	fmt.Fprintf(w, "# serial %d of %s, lineage %s, written %s by %s\n", v.Serial, name, v.Lineage, v.Time, v.Writer)
	for _, n := range st.Names() {
		e := st.Assets[n]
		fmt.Fprintf(w, "%s = %s  (%s, sha256 %s…)\n", n, e.ID, e.Type, e.SHA256[:12])
	}
}
