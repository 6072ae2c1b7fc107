package lockfile

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Conflict is an asset that both sides of a merge recorded with different
// IDs.
type Conflict struct {
	Name         string
	Ours, Theirs string // the IDs; "" when that side has no entry
}

// LineageError reports a merge of two different states.
type LineageError struct {
	Ours, Theirs string
}

func (e *LineageError) Error() string {
	return fmt.Sprintf("the two lockfiles belong to different states (lineage %s here, %s on the other side); they cannot be merged entry by entry: keep one of them, and bring the other's IDs over with `wxmedia import NAME ID`", e.Ours, e.Theirs)
}

// Merge is a three-way merge of lockfiles by asset name, for a git merge
// driver: an entry changed on one side only takes that side; both sides
// adding or changing an asset to the same ID agree; an entry forgotten on
// one side and changed on the other keeps the change (never losing an ID).
// Two different IDs for one asset are a conflict: the result holds ours
// and the conflict is listed, by name. base may be nil (no common
// ancestor). The result's serial is the larger of the two plus one; the
// lineages must match, or the error is a *LineageError.
func Merge(base, ours, theirs *State) (*State, []Conflict, error) {
	if ours.Lineage != theirs.Lineage || (base != nil && base.Lineage != ours.Lineage) {
		return nil, nil, &LineageError{Ours: ours.Lineage, Theirs: theirs.Lineage}
	}
	if base == nil {
		base = &State{}
	}
	out := ours.Clone()
	out.Serial = max(ours.Serial, theirs.Serial) + 1
	out.Assets = map[string]*Entry{}
	out.Pending = map[string]*Pending{}
	var conflicts []Conflict
	for _, n := range unionNames(base.Assets, ours.Assets, theirs.Assets) {
		b, o, t := base.Assets[n], ours.Assets[n], theirs.Assets[n]
		e, ok := pick3(b, o, t)
		switch {
		case ok:
		case o != nil && t != nil && o.ID != t.ID:
			conflicts = append(conflicts, Conflict{Name: n, Ours: o.ID, Theirs: t.ID})
			e = o
		case o != nil && t != nil:
			// One ID recorded twice (say, imported on both branches): the
			// later record wins, deterministically.
			e = o
			if t.UploadedAt > o.UploadedAt {
				e = t
			}
		case o != nil:
			// Forgotten on one side, changed on the other: keep the ID.
			e = o
		default:
			e = t
		}
		if e != nil {
			c := *e
			out.Assets[n] = &c
		}
	}
	for _, n := range unionNames(base.Pending, ours.Pending, theirs.Pending) {
		b, o, t := base.Pending[n], ours.Pending[n], theirs.Pending[n]
		p, ok := pick3(b, o, t)
		if !ok {
			// Two sessions for one asset: ours; the other is abandoned.
			p = o
		}
		if p != nil {
			c := *p
			out.Pending[n] = &c
		}
	}
	return out, conflicts, nil
}

// pick3 returns the merged value (nil: removed) when the sides agree or
// only one changed it, and ok=false when both changed it differently.
func pick3[T any](b, o, t *T) (v *T, ok bool) {
	switch {
	case reflect.DeepEqual(o, t):
		return o, true
	case reflect.DeepEqual(o, b):
		return t, true
	case reflect.DeepEqual(t, b):
		return o, true
	}
	return nil, false
}

func unionNames[T any](ms ...map[string]*T) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for n := range m {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ConflictTag starts the marker line of a conflict that `state merge`
// writes; the lockfile parser quotes such a line in its message, so that
// `wxmedia plan` explains it.
const ConflictTag = "wxmedia state merge:"

// ConflictDocument is what the merge driver leaves in the lockfile on a
// conflict: git conflict markers around two complete lockfiles, the first
// with our side of every conflicting asset, the second with theirs, and a
// first line that names the assets and says how to resolve it. Keeping
// either block (deleting the other and the marker lines) gives a valid
// lockfile.
func ConflictDocument(ours, theirs []byte, why string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<<<<<<< ours: %s %s; keep one of the two lockfiles below (delete the other and these three marker lines), commit, then run `wxmedia plan`\n", ConflictTag, why)
	b.Write(ours)
	b.WriteString("=======\n")
	b.Write(theirs)
	b.WriteString(">>>>>>> theirs\n")
	return b.Bytes()
}

// DescribeConflicts names each conflicting asset with both IDs.
func DescribeConflicts(cs []Conflict) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("asset %s has ID %s here and %s on the other side", c.Name, c.Ours, c.Theirs)
	}
	return strings.Join(parts, ", ")
}

// mergeNote quotes the explanation `state merge` left on its conflict
// marker line, or returns "".
func mergeNote(data []byte) string {
	_, rest, ok := bytes.Cut(data, []byte("<<<<<<< ours: "+ConflictTag+" "))
	if !ok {
		return ""
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	return " left by the wxmedia merge driver: " + string(line)
}
