package lockfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
)

const sumA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
const sumB = "1b4f0e9851971998e732078544c96b36c3d01cedf7caa332359d6f1d83567014"

func entry(id, sum string) *lockfile.Entry {
	return &lockfile.Entry{Type: "image", Account: "shop", MchID: "1900000001", File: "media/a.png",
		Filename: "a.png", Size: 10, SHA256: sum, ID: id, UploadedAt: "2026-11-23T10:04:05Z"}
}

func TestMarshalDeterministic(t *testing.T) {
	s := lockfile.New()
	for _, n := range []string{"zeta", "alpha", "mid"} {
		s.Assets[n] = entry("id-"+n, sumA)
	}
	s.Assets["alpha"].Attributes = map[string]string{"z": "1", "a": "2"}
	a, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Clone().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("two marshals differ:\n%s\n%s", a, b)
	}
	if !bytes.HasSuffix(a, []byte("}\n")) || bytes.HasSuffix(a, []byte("\n\n")) {
		t.Errorf("want exactly one trailing newline, got %q", a[len(a)-4:])
	}
	if !bytes.Contains(a, []byte("\n  \"assets\": {\n    \"alpha\"")) {
		t.Errorf("want two-space indent and sorted keys, got:\n%s", a)
	}
	if i, j := bytes.Index(a, []byte(`"alpha"`)), bytes.Index(a, []byte(`"zeta"`)); i > j {
		t.Errorf("asset keys not sorted")
	}
	if i, j := bytes.Index(a, []byte(`"a": "2"`)), bytes.Index(a, []byte(`"z": "1"`)); i > j {
		t.Errorf("attribute keys not sorted")
	}
	// Round trip.
	back, err := lockfile.Parse("x", a)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := back.Marshal()
	if !bytes.Equal(a, c) {
		t.Errorf("round trip changed bytes")
	}
}

func TestWriteTwiceIdenticalBytes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wxmedia.lock.json")
	st, err := lockfile.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(s *lockfile.State) { s.Assets["a"] = entry("id1", sumA) }); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(p)
	// Reopen and write the same content: no change, no serial bump.
	st2, err := lockfile.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st2.Update(func(s *lockfile.State) { s.Assets["a"] = entry("id1", sumA) }); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(p)
	if !bytes.Equal(first, second) {
		t.Fatalf("rewriting identical content changed the file:\n%s\n%s", first, second)
	}
}

func TestSerialBumpsOnlyOnChange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	st, _ := lockfile.Open(p)
	steps := []struct {
		fn   func(*lockfile.State)
		want uint64
	}{
		{func(s *lockfile.State) { s.Assets["a"] = entry("id1", sumA) }, 1},
		{func(s *lockfile.State) {}, 1},
		{func(s *lockfile.State) { s.Assets["a"] = entry("id1", sumA) }, 1},
		{func(s *lockfile.State) { s.Assets["b"] = entry("id2", sumB) }, 2},
		{func(s *lockfile.State) { delete(s.Assets, "a") }, 3},
	}
	for i, step := range steps {
		if err := st.Update(step.fn); err != nil {
			t.Fatal(err)
		}
		got, err := lockfile.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Serial != step.want {
			t.Errorf("step %d: serial = %d, want %d", i, got.Serial, step.want)
		}
	}
}

func TestConcurrentUpdatesAllRecorded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	st, _ := lockfile.Open(p)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := string(rune('a' + i))
			if err := st.Update(func(s *lockfile.State) { s.Assets[name] = entry("id-"+name, sumA) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := lockfile.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	// Concurrent updates are committed in groups: at least one write, at
	// most one per update.
	if len(got.Assets) != 20 || got.Serial < 1 || got.Serial > 20 {
		t.Errorf("got %d assets serial %d, want 20 and 1..20", len(got.Assets), got.Serial)
	}
}

func TestParseErrors(t *testing.T) {
	valid, _ := lockfile.New().Marshal()
	cases := []struct {
		name, data, want string
	}{
		{"conflict", "{\n<<<<<<< HEAD\n  \"version\": 1\n=======\n>>>>>>> branch\n}\n", "line 2 has a git conflict marker"},
		{"syntax", "{\"version\": 1,,}", "line 1, column"},
		{"version", strings.Replace(string(valid), `"version": 1`, `"version": 7`, 1), "lockfile version 7 is not supported"},
		{"lineage", strings.Replace(string(valid), `"lineage": "`, `"lineage": "x`, 1), "is not a UUID"},
		{"unknown field", strings.Replace(string(valid), `"serial"`, `"seriall"`, 1), "unknown field"},
		{"wrong type", strings.Replace(string(valid), `"serial": 0`, `"serial": "3"`, 1), "serial"},
		{"trailing", string(valid) + "{}", "unexpected data after"},
		{"no id", `{"version":1,"lineage":"6f1c0c1e-0000-4000-8000-000000000000","serial":1,"assets":{"a":{"type":"image","sha256":"` + sumA + `"}}}`, "assets.a has no id"},
		{"bad sha", `{"version":1,"lineage":"6f1c0c1e-0000-4000-8000-000000000000","serial":1,"assets":{"a":{"id":"x","sha256":"XYZ"}}}`, "assets.a.sha256"},
		{"empty", "", "not a valid lockfile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lockfile.Parse("wxmedia.lock.json", []byte(tc.data))
			var pe *lockfile.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, want *ParseError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "wxmedia.lock.json") || !strings.Contains(msg, "will not modify") {
				t.Errorf("message %q lacks %q, the file name or the advice", msg, tc.want)
			}
		})
	}
}

func TestCorruptFileNeverOverwritten(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	corrupt := []byte("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> other\n")
	os.WriteFile(p, corrupt, 0o644)
	if _, err := lockfile.Open(p); err == nil {
		t.Fatal("Open of a corrupt lockfile succeeded")
	}
	got, _ := os.ReadFile(p)
	if !bytes.Equal(got, corrupt) {
		t.Error("corrupt lockfile was modified")
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := lockfile.Load(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, lockfile.ErrNotExist) {
		t.Fatalf("Load = %v, want ErrNotExist", err)
	}
	s, err := lockfile.LoadOrNew(filepath.Join(t.TempDir(), "nope.json"))
	if err != nil || s.Lineage == "" || s.Serial != 0 {
		t.Fatalf("LoadOrNew = %+v, %v", s, err)
	}
}

func TestWriteFailureDumpsErroredState(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wxmedia.lock.json")
	st, err := lockfile.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	// A directory where the lockfile should be makes rename fail.
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(s *lockfile.State) { s.Assets["a"] = entry("id-precious", sumA) })
	var we *lockfile.WriteError
	if !errors.As(err, &we) {
		t.Fatalf("Update = %v, want *WriteError", err)
	}
	if !strings.Contains(err.Error(), lockfile.ErroredName) || !strings.Contains(err.Error(), "Fix the cause, then move ") {
		t.Errorf("message %q does not say how to recover", err)
	}
	dump, err := lockfile.Load(filepath.Join(dir, lockfile.ErroredName))
	if err != nil {
		t.Fatal(err)
	}
	if dump.Assets["a"] == nil || dump.Assets["a"].ID != "id-precious" {
		t.Errorf("errored dump lacks the uploaded ID: %+v", dump.Assets)
	}
	// Later updates keep failing but still reach the dump.
	err = st.Update(func(s *lockfile.State) { s.Assets["b"] = entry("id-b", sumB) })
	if err == nil {
		t.Fatal("second Update after a failure succeeded")
	}
	dump, _ = lockfile.Load(filepath.Join(dir, lockfile.ErroredName))
	if dump.Assets["b"] == nil {
		t.Error("second upload missing from the errored dump")
	}
}

func TestNoTempFilesLeft(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wxmedia.lock.json")
	st, _ := lockfile.Open(p)
	for i := 0; i < 5; i++ {
		st.Update(func(s *lockfile.State) { s.Assets[string(rune('a'+i))] = entry("x", sumA) })
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only the lockfile", names)
	}
}

func FuzzParse(f *testing.F) {
	valid, _ := lockfile.New().Marshal()
	f.Add(valid)
	f.Add([]byte(`{"version":1,"lineage":"6f1c0c1e-0000-4000-8000-000000000000","serial":3,"assets":{"a":{"type":"image","account":"s","mchid":"1","file":"a.png","filename":"a.png","size":1,"sha256":"` + sumA + `","id":"x","attributes":{"k":"v"}}},"pending":{"b":{"type":"user_package","upload_id":"u","part_size":5,"part_count":2,"parts_acknowledged":[1]}}}`))
	f.Add([]byte("<<<<<<< HEAD\n"))
	f.Add([]byte(`{"version":1,"assets":null,"pending":{"x":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := lockfile.Parse("fuzz", data)
		if err != nil {
			return
		}
		// A state that parses must marshal and parse back to the same bytes.
		a, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		s2, err := lockfile.Parse("fuzz", a)
		if err != nil {
			t.Fatalf("re-parse of marshalled state failed: %v\n%s", err, a)
		}
		b, _ := s2.Marshal()
		if !bytes.Equal(a, b) {
			t.Fatalf("not stable:\n%s\n%s", a, b)
		}
	})
}

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wxmedia.lock.json")
	for _, n := range []string{".wxmedia.lock.json.tmp-123", ".wxmedia.lock.json.tmp-abc", "keep.json", ".other.tmp-1"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	lockfile.RemoveStaleTemps(p)
	ents, _ := os.ReadDir(dir)
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != ".other.tmp-1,keep.json" {
		t.Errorf("left %v", left)
	}
}
