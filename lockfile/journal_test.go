package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
)

// fullOnly is a FileBackend without its journal: a Store over it rewrites
// the whole lockfile on every write, as wxmedia did before the journal.
type fullOnly struct{ f *FileBackend }

func (b fullOnly) Name() string                                 { return b.f.Name() }
func (b fullOnly) Load(ctx context.Context) ([]byte, error)     { return b.f.Load(ctx) }
func (b fullOnly) Write(ctx context.Context, data []byte) error { return b.f.Write(ctx, data) }
func (b fullOnly) Lock(ctx context.Context, info LockInfo, timeout time.Duration) (Unlocker, error) {
	return b.f.Lock(ctx, info, timeout)
}

// journalOps applies the same sequence of changes an apply makes (a
// pending session, its upload recorded, uploads, a forget, a rename) to st.
func journalOps(t *testing.T, st *Store, n int) {
	t.Helper()
	put := func(name string, e *Entry) {
		if err := st.UpdateNames([]string{name}, func(s *State) {
			s.Assets[name] = e
			delete(s.Pending, name)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UpdateNames([]string{"big"}, func(s *State) {
		s.Pending["big"] = &Pending{Type: "user_package", Account: "a", SHA256: testSum, UploadID: "u", PartSize: 5, PartCount: 2, Acked: []int{1}}
	}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		put(fmt.Sprintf("img%04d", i), &Entry{Type: "image", Account: "a", MchID: "1900000001", File: fmt.Sprintf("media/%04d.png", i),
			Filename: "x.png", Size: int64(i), SHA256: testSum, ID: fmt.Sprintf("id-%d", i), UploadedAt: "2026-11-28T01:02:03Z",
			Attributes: map[string]string{"k": "v<&>"}})
	}
	put("big", &Entry{Type: "user_package", Account: "a", SHA256: testSum, ID: "big-id"})
	// A no-op update writes nothing.
	put("img0000", st.state.Assets["img0000"])
	if err := st.UpdateNames([]string{"img0001", ""}, func(s *State) { delete(s.Assets, "img0001") }); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateNames([]string{"renamed", "img0002"}, func(s *State) {
		s.Assets["renamed"] = s.Assets["img0002"]
		delete(s.Assets, "img0002")
	}); err != nil {
		t.Fatal(err)
	}
}

// seedLockfile writes a lockfile with one asset, so the journal has a
// lockfile to continue.
func seedLockfile(t *testing.T, path string) {
	t.Helper()
	s := New()
	s.Lineage = "00000000-0000-4000-8000-000000000000"
	s.Serial = 7
	s.Assets["seed"] = &Entry{Type: "image", SHA256: testSum, ID: "seed-id"}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// After apply the lockfile is byte for byte what writing it in full after
// every update gives, whether or not the journal was folded on the way.
func TestJournalFoldMatchesFullWrites(t *testing.T) {
	for _, foldAt := range []int64{0, 2000} { // 0: the default, no fold before the end
		t.Run(fmt.Sprint("foldAt=", foldAt), func(t *testing.T) {
			dir := t.TempDir()
			full, journaled := filepath.Join(dir, "full.json"), filepath.Join(dir, "journal.json")
			seedLockfile(t, full)
			seedLockfile(t, journaled)
			a, err := OpenBackend(context.Background(), fullOnly{&FileBackend{Path: full}}, dir)
			if err != nil {
				t.Fatal(err)
			}
			journalOps(t, a, 40)
			b, err := Open(journaled)
			if err != nil {
				t.Fatal(err)
			}
			if b.jb == nil {
				t.Fatal("a Store over a local lockfile has no journal")
			}
			if foldAt > 0 {
				b.foldAt = foldAt
			}
			journalOps(t, b, 40)
			if foldAt == 0 {
				if _, err := os.Stat(JournalPath(journaled)); err != nil {
					t.Fatalf("no journal after the updates: %v", err)
				}
				// Nothing but the journal was written: the lockfile is the seed.
				if st, err := Parse(journaled, must(os.ReadFile(journaled))); err != nil || st.Serial != 7 {
					t.Fatalf("lockfile rewritten during the updates: serial %v, %v", st.Serial, err)
				}
			}
			if err := b.Fold(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(JournalPath(journaled)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("journal left after Fold: %v", err)
			}
			want, got := must(os.ReadFile(full)), must(os.ReadFile(journaled))
			if !bytes.Equal(want, got) {
				t.Errorf("folded lockfile differs from full writes:\n got %.300s\nwant %.300s", got, want)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A killed apply leaves a journal: Load sees its records at once, and the
// next Store folds it in before anything else. A torn last line (a record
// whose write never returned) is ignored.
func TestJournalReplayAfterCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wxmedia.lock.json")
	seedLockfile(t, path)
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	journalOps(t, st, 5)
	want, err := st.state.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	st.jb.(*FileBackend).jr.f.Close() // killed: no Fold
	f, err := os.OpenFile(JournalPath(path), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`0badc0de {"lineage":"00000000-0000-4000-8000-00`) // torn
	f.Close()

	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := must(loaded.Marshal()); !bytes.Equal(got, want) {
		t.Errorf("Load did not apply the journal:\n got %.300s\nwant %.300s", got, want)
	}
	if _, err := Open(path); err != nil {
		t.Fatal(err)
	}
	if got := must(os.ReadFile(path)); !bytes.Equal(got, want) {
		t.Errorf("Open did not fold the journal into the lockfile:\n got %.300s\nwant %.300s", got, want)
	}
	if _, err := os.Stat(JournalPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after Open folded it: %v", err)
	}
}

// A journal that does not continue the lockfile beside it is refused with
// a message naming it and saying what to do, and nothing is written.
func TestJournalMismatchRefused(t *testing.T) {
	line := func(lineage string, serial uint64) string {
		return string(must(encodeJournalLine(&journalRecord{Lineage: lineage, Serial: serial,
			Assets: map[string]*Entry{"x": {Type: "image", SHA256: testSum, ID: "x-id"}}})))
	}
	const lin = "00000000-0000-4000-8000-000000000000"
	for _, tc := range []struct{ name, journal, want string }{
		{"other lineage", line("11111111-1111-4111-8111-111111111111", 8), "continues lockfile lineage 11111111-1111-4111-8111-111111111111, but the lockfile has lineage " + lin},
		{"gap", line(lin, 10), "continues serial 9, but the lockfile has serial 7"},
		{"damaged", strings.Replace(line(lin, 8), "x-id", "y-id", 1), "checksum does not match"},
		{"garbage", "hello\n", "not a journal record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "wxmedia.lock.json")
			seedLockfile(t, path)
			before := must(os.ReadFile(path))
			if err := os.WriteFile(JournalPath(path), []byte(tc.journal), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, open := range []func() error{
				func() error { _, err := Load(path); return err },
				func() error { _, err := Open(path); return err },
			} {
				err := open()
				var je *JournalError
				if !errors.As(err, &je) || !strings.Contains(err.Error(), tc.want) ||
					!strings.Contains(err.Error(), JournalPath(path)+":1") || !strings.Contains(err.Error(), "delete "+JournalPath(path)) {
					t.Errorf("error = %v; want a JournalError naming %s:1, saying %q and what to do", err, JournalPath(path), tc.want)
				}
			}
			if !bytes.Equal(before, must(os.ReadFile(path))) {
				t.Error("the lockfile was written despite the bad journal")
			}
		})
	}
	t.Run("no lockfile", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "wxmedia.lock.json")
		if err := os.WriteFile(JournalPath(path), []byte(line(lin, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "there is no lockfile for it to continue") {
			t.Errorf("error = %v", err)
		}
	})
}

// The first write of a new lockfile is a full write: journal records need a
// lineage on disk to continue.
func TestJournalStartsAfterFirstFullWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	journalOps(t, st, 3)
	if _, err := Load(path); err != nil {
		t.Fatalf("after the updates the lockfile and journal do not load: %v", err)
	}
	if err := st.Fold(); err != nil {
		t.Fatal(err)
	}
	if got, want := must(os.ReadFile(path)), must(st.state.Marshal()); !bytes.Equal(got, want) {
		t.Error("folded lockfile is not the state")
	}
}

// FuzzJournalReplay: replaying any journal never panics, and what it
// accepts leaves a state that marshals, reloads and checks. With sealed
// set, each line of data is a record body that gets its correct checksum,
// so the fuzzer reaches past the checksum into the records.
func FuzzJournalReplay(f *testing.F) {
	const lin = "00000000-0000-4000-8000-000000000000"
	rec := func(serial uint64, a map[string]*Entry, p map[string]*Pending) []byte {
		return must(encodeJournalLine(&journalRecord{Lineage: lin, Serial: serial, Assets: a, Pending: p}))
	}
	good := append(rec(8, map[string]*Entry{"a": {Type: "image", SHA256: testSum, ID: "1"}}, map[string]*Pending{"a": nil}),
		rec(9, map[string]*Entry{"seed": nil}, map[string]*Pending{"p": {Type: "user_package", Acked: []int{1}}})...)
	f.Add(good, false)
	f.Add(good[:len(good)-7], false)
	f.Add([]byte(`{"lineage":"`+lin+`","serial":8,"assets":{"b":{"type":"image","sha256":"`+testSum+`","id":"2"}}}`+"\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		if sealed {
			var b []byte
			for body := range bytes.Lines(data) {
				body = bytes.TrimSuffix(body, []byte("\n"))
				b = fmt.Appendf(b, "%08x %s\n", crc32.ChecksumIEEE(body), body)
			}
			data = b
		}
		s := New()
		s.Lineage = lin
		s.Serial = 7
		s.Assets["seed"] = &Entry{Type: "image", SHA256: testSum, ID: "seed-id"}
		if _, err := replayJournal(s, "j", data); err != nil {
			var je *JournalError
			if !errors.As(err, &je) {
				t.Fatalf("error %v is not a JournalError", err)
			}
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse("replayed", out); err != nil {
			t.Fatalf("replayed state does not reload: %v", err)
		}
	})
}

// marshalStd is the encoding Marshal had before it wrote entry by entry:
// encoding/json over the whole State.
func marshalStd(s *State) []byte {
	c := *s
	if c.Assets == nil {
		c.Assets = map[string]*Entry{}
	}
	if c.Pending == nil {
		c.Pending = map[string]*Pending{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func TestMarshalMatchesEncodingJSON(t *testing.T) {
	states := canonicalStates()
	nilMaps := New()
	nilMaps.Assets, nilMaps.Pending = nil, nil
	withNil := New()
	withNil.Assets["x"] = nil
	withNil.Assets["<&>"] = &Entry{ID: "<&>\u2028", Attributes: map[string]string{"b": "1", "a": "2"}}
	states = append(states, nilMaps, withNil)
	for i, s := range states {
		got, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalStd(s); !bytes.Equal(got, want) {
			t.Errorf("state %d:\n got %s\nwant %s", i, got, want)
		}
		if sum, err := s.content(); err != nil || !bytes.Equal(sum, contentSum(marshalStd(&State{Version: s.Version, Lineage: s.Lineage, Assets: s.Assets, Pending: s.Pending}), 0)) {
			t.Errorf("state %d: content digest differs from the serial-0 encoding's", i)
		}
	}
}

// FuzzMarshalMatchesEncodingJSON: for any lockfile Parse accepts, Marshal
// writes what encoding/json writes.
func FuzzMarshalMatchesEncodingJSON(f *testing.F) {
	for _, s := range canonicalStates() {
		f.Add(must(s.Marshal()))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f", data)
		if err != nil {
			return
		}
		if got, want := must(s.Marshal()), marshalStd(s); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}
