package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// minFoldAt is the smallest journal that is folded into the lockfile
// before apply ends. Beyond it, the journal is folded when it grows as
// large as the lockfile, so each record costs O(1) amortised.
const minFoldAt = 1 << 20

// UpdateNames is Update for a change to the named assets and pending
// sessions only (fn must touch no others, nor the lineage or serial). In a
// Store over a local lockfile it appends one journal record instead of
// rewriting the lockfile; it returns once the record is on disk.
func (st *Store) UpdateNames(names []string, fn func(*State)) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.jb == nil || st.written == nil {
		fn(st.state)
		st.needFull = true
		return st.commitLocked()
	}
	before := make([][]byte, len(names))
	for i, n := range names {
		before[i] = st.snapshotLocked(n)
	}
	fn(st.state)
	for i, n := range names {
		if !bytes.Equal(before[i], st.snapshotLocked(n)) {
			if st.dirty == nil {
				st.dirty = map[string]bool{}
			}
			st.dirty[n] = true
		}
	}
	return st.commitLocked()
}

// snapshotLocked encodes what the state holds for name, to tell whether
// an update changed it.
func (st *Store) snapshotLocked(name string) []byte {
	b, _ := json.Marshal(struct {
		E *Entry
		P *Pending
	}{st.state.Assets[name], st.state.Pending[name]})
	return b
}

// PendingFor returns a copy of the pending session recorded for name, or
// nil, without copying the whole state as State does.
func (st *Store) PendingFor(name string) *Pending {
	st.mu.Lock()
	defer st.mu.Unlock()
	p := st.state.Pending[name]
	if p == nil {
		return nil
	}
	c := *p
	c.Acked = append([]int(nil), p.Acked...)
	return &c
}

// Fold writes the journal's records into the lockfile and removes the
// journal. apply calls it when it ends; it is a no-op without a journal.
func (st *Store) Fold() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	for st.writing {
		st.flushed.Wait()
	}
	if st.failed != nil {
		return st.failed
	}
	if st.jb == nil || (st.jsize == 0 && len(st.dirty) == 0) {
		return nil
	}
	st.forceFold = true
	return st.commitLocked()
}

// appendLocked writes the changes since the last write as one journal
// record. Like flushLocked, it releases the lock while writing.
func (st *Store) appendLocked() {
	target := st.applied
	if len(st.dirty) == 0 {
		st.durable = target
		st.flushed.Broadcast()
		return
	}
	rec := &journalRecord{Lineage: st.state.Lineage, Serial: st.state.Serial + 1, Assets: map[string]*Entry{}, Pending: map[string]*Pending{}}
	for n := range st.dirty {
		rec.Assets[n] = st.state.Assets[n]
		// null when there is none: there may have been one before.
		rec.Pending[n] = st.state.Pending[n]
	}
	line, err := encodeJournalLine(rec)
	if err != nil {
		st.failed = err
		st.flushed.Broadcast()
		return
	}
	st.dirty = nil
	st.state.Serial++
	st.writing = true
	st.mu.Unlock()
	err = st.jb.AppendJournal(context.Background(), line)
	st.mu.Lock()
	st.writing = false
	if err != nil {
		st.failed = &WriteError{Path: st.jb.JournalName(), Err: err}
		st.dumpErrored()
	} else {
		st.jsize += int64(len(line))
		st.durable = target
	}
	st.flushed.Broadcast()
}

// foldLocked writes the whole state to the lockfile (one serial more when
// changes are waiting) and removes the journal.
func (st *Store) foldLocked() {
	target := st.applied
	if len(st.dirty) > 0 || st.needFull {
		st.state.Serial++
	}
	st.dirty, st.needFull, st.forceFold = nil, false, false
	data, err := st.state.marshal(int(st.foldAt))
	var content []byte
	if err == nil {
		content = contentSum(data, st.state.Serial)
	}
	st.writeFullLocked(target, content, data, err)
}

// writeFullLocked writes data (the state, whose content() is content, as
// of update target; err is any failure to encode it) to the backend,
// releasing the lock meanwhile, then removes the journal it supersedes.
func (st *Store) writeFullLocked(target uint64, content, data []byte, err error) {
	supersedes := st.jb != nil && st.jsize > 0
	st.writing = true
	st.mu.Unlock()
	if err == nil {
		err = st.backend.Write(context.Background(), data)
	}
	if err == nil && supersedes {
		// The document now holds every record: a journal that could not
		// be removed is skipped when replayed (its serials are folded).
		_ = st.jb.RemoveJournal(context.Background())
	}
	st.mu.Lock()
	st.writing = false
	if err != nil {
		st.failed = &WriteError{Path: st.path, Err: err}
		st.dumpErrored()
	} else {
		st.written = content
		st.jsize = 0
		st.foldAt = max(minFoldAt, int64(len(data)))
		st.durable = target
	}
	st.flushed.Broadcast()
}

// openJournal replays a journal a killed apply left beside the document
// and folds it in at once, before anything else uses the state; the
// caller holds the apply lock. state is nil when the backend holds no
// document: then a journal is an error, and the first write will be a full
// one.
func (st *Store) openJournal(ctx context.Context, jb JournalBackend) error {
	st.jb = jb
	// About the lockfile's size: a few hundred bytes per asset.
	st.foldAt = max(minFoldAt, 300*int64(len(st.state.Assets)))
	data, err := jb.ReadJournal(ctx)
	if err != nil {
		return fmt.Errorf("reading %s: %w", jb.JournalName(), err)
	}
	if data == nil {
		return nil
	}
	if st.written == nil {
		return markFile(&JournalError{Path: jb.JournalName(), Reason: "there is no lockfile for it to continue"}, jb)
	}
	if _, err := replayJournal(st.state, jb.JournalName(), data); err != nil {
		return markFile(err, jb)
	}
	out, err := st.state.Marshal()
	if err != nil {
		return err
	}
	if err := jb.Write(ctx, out); err != nil {
		return &WriteError{Path: st.path, Err: err}
	}
	st.written = contentSum(out, st.state.Serial)
	return jb.RemoveJournal(ctx)
}

// applyJournal applies the journal of b, if b keeps one, to s (loaded
// from b), for readers that take no lock.
func applyJournal(ctx context.Context, s *State, b Backend) error {
	jb, ok := b.(JournalBackend)
	if !ok {
		return nil
	}
	data, err := jb.ReadJournal(ctx)
	if err != nil || data == nil {
		return err
	}
	_, err = replayJournal(s, jb.JournalName(), data)
	return markFile(err, jb)
}
