package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/internal/errmark"
	"github.com/wxmedia/wxmedia/internal/filekind"
)

// The journal makes recording an upload cost O(1) instead of a rewrite of
// the whole lockfile. Beside wxmedia.lock.json, wxmedia.lock.json.journal
// holds one line per durable write of a Store since the lockfile was last
// written in full:
//
//	<crc32 of the JSON, 8 hex digits> <JSON record>\n
//
// A record names the lockfile lineage, the serial this write produced (one
// more than the previous write, as a full write would have), and the new
// value of every asset and pending session the write changed (null: gone).
// A Store appends and fsyncs one record per group of updates, folds the
// journal into the lockfile (one atomic full write, then the journal is
// removed) when it grows as large as the lockfile, when apply ends, and
// when a Store is opened over a journal a killed apply left. Load applies
// a leftover journal in memory, so plan sees every recorded upload.
//
// Crash safety is the lockfile's: a record is acknowledged only after its
// fsync; a crash mid-append leaves a last line without its newline, which
// was never acknowledged and is ignored; a crash between a fold's rename
// and the journal's removal leaves records whose serials the lockfile
// already has, which are skipped.

// JournalPath is the journal beside the lockfile at path.
func JournalPath(lockfilePath string) string { return lockfilePath + ".journal" }

// journalRecord is one line of the journal.
type journalRecord struct {
	Lineage string              `json:"lineage"`
	Serial  uint64              `json:"serial"`
	Assets  map[string]*Entry   `json:"assets,omitempty"`
	Pending map[string]*Pending `json:"pending,omitempty"`
}

// encodeJournalLine returns rec as one journal line.
func encodeJournalLine(rec *journalRecord) ([]byte, error) {
	js, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(js)+10)
	line = fmt.Appendf(line, "%08x ", crc32.ChecksumIEEE(js))
	line = append(line, js...)
	return append(line, '\n'), nil
}

// JournalError reports a journal that cannot be applied. Nothing is written
// until it is resolved.
type JournalError struct {
	Path   string
	Line   int
	Reason string
	// File marks a journal file beside a lockfile (rather than a table),
	// which version control may have brought along by mistake.
	File bool
}

func (e *JournalError) Error() string {
	where := e.Path
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	msg := fmt.Sprintf("%s: %s. The journal holds uploads an interrupted apply recorded after the last full write of the lockfile beside it; "+
		"restore that lockfile (from version control or a backup), or, if it was replaced on purpose and those records are not wanted, delete %s",
		where, e.Reason, e.Path)
	if e.File {
		msg += ". " + CommittedJournalAdvice(e.Path)
	}
	return msg
}

// CommittedJournalAdvice says what to do about a journal file that version
// control may have brought: it belongs to one machine's interrupted apply.
func CommittedJournalAdvice(path string) string {
	return fmt.Sprintf("A journal is never committed: if version control brought this one (`git ls-files %s` lists it), "+
		"run `git rm --cached %s`, add `*.lock.json.journal` to .gitignore, and delete the file", path, path)
}

// fileJournal is a backend that keeps its journal in a file beside the
// lockfile: *FileBackend, and any type that embeds one (as the operation
// package's local state backend does).
type fileJournal interface{ journalInFile() }

func (*FileBackend) journalInFile() {}

// markFile notes on a *JournalError from jb whether jb keeps its journal
// in a file.
func markFile(err error, jb JournalBackend) error {
	if je, ok := err.(*JournalError); ok {
		_, je.File = jb.(fileJournal)
	}
	return err
}

// replayJournal applies the journal data (read from path) to s. It returns
// how many records it applied.
func replayJournal(s *State, path string, data []byte) (int, error) {
	applied := 0
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			// A torn last line: its write never returned, so nobody was
			// told it was recorded.
			break
		}
		line := data[:i]
		data = data[i+1:]
		rec, reason := decodeJournalLine(line)
		if reason != "" {
			return applied, &JournalError{Path: path, Line: n, Reason: reason}
		}
		if rec.Lineage != s.Lineage {
			return applied, &JournalError{Path: path, Line: n, Reason: fmt.Sprintf("it continues lockfile lineage %s, but the lockfile has lineage %s", rec.Lineage, s.Lineage)}
		}
		if rec.Serial <= s.Serial {
			continue // already folded into the lockfile
		}
		if rec.Serial != s.Serial+1 {
			return applied, &JournalError{Path: path, Line: n, Reason: fmt.Sprintf("it continues serial %d, but the lockfile has serial %d", rec.Serial-1, s.Serial)}
		}
		for name, e := range rec.Assets {
			if e == nil {
				delete(s.Assets, name)
				continue
			}
			if p := assetProblem(name, e); p != "" {
				return applied, &JournalError{Path: path, Line: n, Reason: p}
			}
			s.Assets[name] = e
		}
		for name, p := range rec.Pending {
			if p == nil {
				delete(s.Pending, name)
			} else {
				s.Pending[name] = p
			}
		}
		s.Serial = rec.Serial
		applied++
	}
	return applied, nil
}

// decodeJournalLine checks a line's checksum and decodes its record, or
// says what is wrong with it.
func decodeJournalLine(line []byte) (*journalRecord, string) {
	if len(line) < 10 || line[8] != ' ' {
		return nil, "not a journal record (want 8 hex digits, a space and a JSON record)"
	}
	sum, err := strconv.ParseUint(string(line[:8]), 16, 32)
	if err != nil {
		return nil, "not a journal record (want 8 hex digits, a space and a JSON record)"
	}
	js := line[9:]
	if uint32(sum) != crc32.ChecksumIEEE(js) {
		return nil, "the record's checksum does not match: the journal is damaged"
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var rec journalRecord
	if err := dec.Decode(&rec); err != nil {
		return nil, "the record is not valid JSON: " + err.Error()
	}
	if dec.More() {
		return nil, "unexpected data after the record"
	}
	if !validUUID(rec.Lineage) || rec.Serial == 0 {
		return nil, "the record has no lineage or serial"
	}
	return &rec, ""
}

// JournalBackend is a Backend that keeps a write-ahead journal beside its
// document, so that a Store records each write in O(1). FileBackend keeps
// it in a file beside the lockfile; pgstate in a table.
type JournalBackend interface {
	Backend
	// JournalName is how messages refer to the journal.
	JournalName() string
	// AppendJournal appends one line (see encodeJournalLine) and returns
	// once it is durable.
	AppendJournal(ctx context.Context, line []byte) error
	// ReadJournal returns the journal's lines in order, or nil when there
	// is none.
	ReadJournal(ctx context.Context) ([]byte, error)
	// RemoveJournal deletes the journal, after its records were folded
	// into the document.
	RemoveJournal(ctx context.Context) error
}

// JournalName returns the journal file beside the lockfile.
func (f *FileBackend) JournalName() string { return JournalPath(f.Path) }

// AppendJournal appends line to the journal file and fsyncs it.
func (f *FileBackend) AppendJournal(ctx context.Context, line []byte) error {
	if f.jr == nil {
		f.jr = &journal{path: JournalPath(f.Path)}
	}
	return f.jr.append(line)
}

// ReadJournal reads the journal file, if there is one. Only a regular file
// is read: a link is never followed (the journal is local, never committed)
// and a named pipe would block.
func (f *FileBackend) ReadJournal(ctx context.Context) ([]byte, error) {
	p := JournalPath(f.Path)
	if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
		return nil, errmark.Mark(fmt.Errorf("%s is not a regular file (it is %s); wxmedia writes its journal there itself and never follows a link: remove it (`rm %s`)", p, filekind.Describe(fi.Mode()), p), ErrNotRegular)
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// RemoveJournal deletes the journal file.
func (f *FileBackend) RemoveJournal(ctx context.Context) error {
	if f.jr == nil {
		f.jr = &journal{path: JournalPath(f.Path)}
	}
	return f.jr.remove()
}

// journal is the append side of a journal file.
type journal struct {
	path string
	f    *os.File // nil until the first append
}

// append writes line and fsyncs it. A new journal file's directory entry is
// fsynced too, so the record survives a crash.
func (j *journal) append(line []byte) error {
	if j.f == nil {
		f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|oNoFollow, 0o644)
		if err != nil {
			if fi, lerr := os.Lstat(j.path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return errmark.Mark(fmt.Errorf("%s is a symbolic link; wxmedia never writes its journal through a link (that would append to the file it points to): remove it (`rm %s`)", j.path, j.path), ErrNotRegular)
			}
			return err
		}
		if err := atomicfile.SyncDir(filepath.Dir(j.path)); err != nil {
			f.Close()
			return err
		}
		j.f = f
	}
	if _, err := j.f.Write(line); err != nil {
		return err
	}
	return j.f.Sync()
}

// remove deletes the journal after its records were folded into the
// lockfile.
func (j *journal) remove() error {
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
	if err := os.Remove(j.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(j.path))
}
