// Package planfile reads and writes saved plans (`plan -out FILE`): the plan
// itself plus what apply needs to prove it is still current, namely the
// lockfile lineage and serial it was made against, the manifest's hash, and
// each planned file's sha256.
package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planner"
)

// Kind marks a saved plan file.
const Kind = "wxmedia-plan"

// File is a saved plan.
type File struct {
	Kind string `json:"kind"`
	// Manifest is the manifest the plan was made from.
	Manifest ManifestRef `json:"manifest"`
	// Options are the -target / -replace the plan was made with.
	Targets []string `json:"targets,omitempty"`
	Replace []string `json:"replace,omitempty"`
	*planner.Plan
}

// ManifestRef identifies the manifest content a plan was made from.
type ManifestRef struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// ParseError reports a plan file that cannot be used (the command layer
// suggests making a new one).
type ParseError struct {
	Path   string
	Reason string
}

func (e *ParseError) Error() string { return e.Path + ": " + e.Reason }

// Write saves f atomically.
func Write(path string, f *File) error {
	f.Kind = Kind
	if f.Plan != nil && f.Plan.Summarized() {
		return planner.ErrSummarized
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o644)
}

// Read loads and checks a saved plan.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &ParseError{Path: path, Reason: "no such plan file"}
	}
	if err != nil {
		return nil, &ParseError{Path: path, Reason: "cannot read the plan: " + err.Error()}
	}
	return Parse(path, data)
}

// Parse decodes and checks saved-plan bytes; name is used in messages.
func Parse(name string, data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ParseError{Path: name, Reason: "not a wxmedia plan file: the file is empty"}
	}
	if err := dec.Decode(&f); err != nil {
		return nil, &ParseError{Path: name, Reason: "not a wxmedia plan file: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ParseError{Path: name, Reason: "not a wxmedia plan file: unexpected data after the JSON document"}
	}
	switch {
	case f.Kind != Kind:
		return nil, &ParseError{Path: name, Reason: fmt.Sprintf("not a wxmedia plan file (kind %q)", f.Kind)}
	case f.Plan == nil:
		return nil, &ParseError{Path: name, Reason: "the plan is missing"}
	case f.FormatVersion != planner.FormatVersion:
		return nil, &ParseError{Path: name, Reason: fmt.Sprintf("plan format %q is not supported by this wxmedia (it reads %q)", f.FormatVersion, planner.FormatVersion)}
	}
	for i, c := range f.Changes {
		if c == nil || c.Name == "" {
			return nil, &ParseError{Path: name, Reason: fmt.Sprintf("change %d has no name", i)}
		}
		if c.Action.Uploads() || c.Action == planner.Rename {
			if c.After == nil || len(c.After.SHA256) != 64 {
				return nil, &ParseError{Path: name, Reason: fmt.Sprintf("change %s has no planned sha256", c.Name)}
			}
		}
		if c.Action == planner.Rename && (c.From == "" || c.Before == nil) {
			return nil, &ParseError{Path: name, Reason: fmt.Sprintf("rename %s has no source", c.Name)}
		}
		if c.Action == planner.Expand && (c.Before == nil || c.Before.ID == "" || c.After == nil || c.After.ExpandInto == "") {
			return nil, &ParseError{Path: name, Reason: fmt.Sprintf("expand %s has no recorded upload or no audience package", c.Name)}
		}
	}
	return &f, nil
}

// SHA256File returns the hex sha256 of a file's content.
func SHA256File(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// ErrStale is wrapped by every staleness error.
var ErrStale = errors.New("saved plan is stale")

// Stale is why a saved plan no longer applies.
type Stale int

const (
	// StaleLockfile: the lockfile was created, removed or written since.
	StaleLockfile Stale = iota
	// StaleLineage: the plan belongs to another lockfile lineage.
	StaleLineage
	// StaleManifest: the manifest changed since.
	StaleManifest
	// StaleEnv: the plan was made for another environment.
	StaleEnv
	// StaleContent: an asset file's content changed since.
	StaleContent
)

// StaleError says why a saved plan no longer applies, and that nothing was
// changed. It gives no advice: the command that renders it says what to
// do (make a new plan) for its Why.
type StaleError struct {
	Why    Stale
	Reason string
}

func (e *StaleError) Error() string {
	return ErrStale.Error() + ": " + e.Reason + "; nothing was changed"
}

// Is makes errors.Is(err, ErrStale) hold.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// CheckLockfile reports whether st is the lockfile state the plan was made
// against. exists tells whether the lockfile existed on disk.
func (f *File) CheckLockfile(st *lockfile.State, exists bool, lockPath string) error {
	ref := f.Lockfile
	switch {
	case ref.Lineage == "" && exists:
		return &StaleError{StaleLockfile, fmt.Sprintf("it was made before %s existed, and now it does (serial %d)", lockPath, st.Serial)}
	case ref.Lineage != "" && !exists:
		return &StaleError{StaleLockfile, fmt.Sprintf("it was made against %s (lineage %s), which no longer exists", lockPath, ref.Lineage)}
	case ref.Lineage != "" && ref.Lineage != st.Lineage:
		return &StaleError{StaleLineage, fmt.Sprintf("it belongs to another lockfile lineage (%s, but %s has %s)", ref.Lineage, lockPath, st.Lineage)}
	case ref.Lineage != "" && ref.Serial != st.Serial:
		return &StaleError{StaleLockfile, fmt.Sprintf("%s moved on since the plan was made (serial %d, now %d)", lockPath, ref.Serial, st.Serial)}
	}
	return nil
}
