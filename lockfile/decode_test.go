package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile/internal/fastjson"
)

// parseReference is Parse as it was before decodeFast: encoding/json only,
// every name sorted up front, the file split into lines. The one
// deliberate difference is that null pending sessions are reported in name
// order (Parse used to pick one at random).
func parseReference(name string, data []byte) (*State, error) {
	if line := conflictMarkerSplit(data); line > 0 {
		return nil, &ParseError{Path: name, Reason: fmt.Sprintf("line %d has a git conflict marker", line)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, &ParseError{Path: name, Reason: "not a valid lockfile: " + describeJSONError(data, err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ParseError{Path: name, Reason: "not a valid lockfile: unexpected data after the JSON document"}
	}
	if s.Version != Version {
		return nil, &ParseError{Path: name, Reason: fmt.Sprintf("lockfile version %d is not supported by this wxmedia (it reads version %d); use a matching wxmedia release", s.Version, Version)}
	}
	if !validUUID(s.Lineage) {
		return nil, &ParseError{Path: name, Reason: fmt.Sprintf("lineage %q is not a UUID", s.Lineage)}
	}
	if s.Assets == nil {
		s.Assets = map[string]*Entry{}
	}
	if s.Pending == nil {
		s.Pending = map[string]*Pending{}
	}
	for _, n := range s.Names() {
		e := s.Assets[n]
		switch {
		case e == nil:
			return nil, &ParseError{Path: name, Reason: fmt.Sprintf("assets.%s is null", safetext.Escape(n))}
		case e.ID == "":
			return nil, &ParseError{Path: name, Reason: fmt.Sprintf("assets.%s has no id", safetext.Escape(n))}
		case !validSHA256Reference(e.SHA256):
			return nil, &ParseError{Path: name, Reason: fmt.Sprintf("assets.%s.sha256 %q is not 64 lowercase hex characters", safetext.Escape(n), e.SHA256)}
		}
		fields := [][2]string{{"", n}, {"type", e.Type}, {"account", e.Account}, {"mchid", e.MchID}, {"file", e.File},
			{"filename", e.Filename}, {"id", e.ID}, {"endpoint", e.Endpoint}, {"uploaded_at", e.UploadedAt}}
		var keys []string
		for k := range e.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fields = append(fields, [2]string{"attributes." + k, k}, [2]string{"attributes." + k, e.Attributes[k]})
		}
		if r := controlReference("assets", n, fields); r != "" {
			return nil, &ParseError{Path: name, Reason: r}
		}
	}
	var pending []string
	for n := range s.Pending {
		pending = append(pending, n)
	}
	sort.Strings(pending)
	for _, n := range pending {
		p := s.Pending[n]
		if p == nil {
			return nil, &ParseError{Path: name, Reason: fmt.Sprintf("pending.%s is null", safetext.Escape(n))}
		}
		fields := [][2]string{{"", n}, {"type", p.Type}, {"account", p.Account}, {"sha256", p.SHA256}, {"upload_id", p.UploadID}, {"started_at", p.StartedAt}}
		if r := controlReference("pending", n, fields); r != "" {
			return nil, &ParseError{Path: name, Reason: r}
		}
	}
	return &s, nil
}

// controlReference is the control-character check, rune by rune.
func controlReference(section, n string, fields [][2]string) string {
	for _, f := range fields {
		for _, r := range f[1] {
			if safetext.Unsafe(r) {
				return controlProblem(section, n, f[0], safetext.Escape(string(r)))
			}
		}
	}
	return ""
}

func conflictMarkerSplit(data []byte) int {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("<<<<<<< ")) || bytes.HasPrefix(l, []byte(">>>>>>> ")) || bytes.Equal(bytes.TrimRight(l, "\r"), []byte("=======")) {
			return i + 1
		}
	}
	return 0
}

func validSHA256Reference(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// checkAgainstStdlib is the property FuzzDecodeMatchesStdlib checks.
func checkAgainstStdlib(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := decodeFast(data, false)
	if shared, sharedOK := decodeFast(bytes.Clone(data), true); sharedOK != ok || !reflect.DeepEqual(shared, fast) {
		t.Fatalf("decodeFast decodes a shared buffer differently from a copy:\n%q", data)
	}
	// Read a window at a time, by a reader returning a few bytes a call:
	// what it accepts, it decodes as from the whole buffer. (A window
	// smaller than an entry declines.)
	full := fastjson.Window
	for _, window := range []int{64, 1 << 10, full} {
		func() {
			defer func(w int) { fastjson.Window = w }(fastjson.Window)
			fastjson.Window = window
			r := iotest.HalfReader(bytes.NewReader(data))
			if rd, rdOK := decodeFastReader(r, int64(len(data))); rdOK && (!ok || !reflect.DeepEqual(rd, fast)) {
				t.Fatalf("decodeFastReader (window %d) decodes differently from decodeFast (ok %v):\n%q\nreader: %s\nfast:   %s", window, ok, data, dump(rd), dump(fast))
			} else if !rdOK && ok && window == full {
				t.Fatalf("decodeFastReader declines what decodeFast decodes:\n%q", data)
			}
		}()
	}
	if ok {
		std, err := decodeStd("fuzz", data)
		if err != nil {
			t.Fatalf("decodeFast accepted a document encoding/json rejects (%v):\n%q", err, data)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("decodeFast and encoding/json disagree on\n%q\nfast:   %s\nstdlib: %s", data, dump(fast), dump(std))
		}
	}
	got, gotErr := Parse("fuzz", data)
	want, wantErr := parseReference("fuzz", data)
	if errString(gotErr) != errString(wantErr) {
		t.Fatalf("Parse error differs from encoding/json's on\n%q\ngot:  %v\nwant: %v", data, gotErr, wantErr)
	}
	if (gotErr == nil) != (got != nil) {
		t.Fatalf("Parse returned state %v with error %v", got, gotErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse result differs from encoding/json's on\n%q\ngot:  %s\nwant: %s", data, dump(got), dump(want))
	}
	if got, want := conflictMarker(data), conflictMarkerSplit(data); got != want {
		t.Fatalf("conflictMarker = %d, want %d on\n%q", got, want, data)
	}
}

// dump shows a state with nil and empty maps and slices told apart, which
// is what reflect.DeepEqual compares.
func dump(s *State) string {
	if s == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version=%d lineage=%q serial=%d assets(nil=%v)={", s.Version, s.Lineage, s.Serial, s.Assets == nil)
	for _, n := range s.Names() {
		fmt.Fprintf(&b, "%q: ", n)
		if e := s.Assets[n]; e != nil {
			fmt.Fprintf(&b, "%+v (attributes nil=%v), ", *e, e.Attributes == nil)
		} else {
			b.WriteString("nil, ")
		}
	}
	fmt.Fprintf(&b, "} pending(nil=%v)={", s.Pending == nil)
	for n, p := range s.Pending {
		fmt.Fprintf(&b, "%q: ", n)
		if p != nil {
			fmt.Fprintf(&b, "%+v (acked nil=%v), ", *p, p.Acked == nil)
		} else {
			b.WriteString("nil, ")
		}
	}
	b.WriteString("}")
	return b.String()
}

// FuzzDecodeMatchesStdlib checks that decodeFast never decides differently
// from encoding/json: whatever it accepts, encoding/json accepts too and
// decodes to the same State, and Parse returns exactly what the
// encoding/json-only Parse did, state or message. The seeds in
// testdata/fuzz/FuzzDecodeMatchesStdlib cover the cases decodeFast must
// decline (duplicates, nulls, case-variant names, odd numbers, invalid
// UTF-8, lone surrogates, trailing data) and those it must get right
// (escapes, Unicode, any field order and whitespace).
func FuzzDecodeMatchesStdlib(f *testing.F) {
	for _, s := range canonicalStates() {
		data, err := s.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(checkAgainstStdlib)
}

const testSum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// canonicalStates are states whose Marshal output decodeFast must decode
// itself.
func canonicalStates() []*State {
	empty := New()
	full := New()
	full.Serial = 123456789012345678
	full.Assets["a"] = &Entry{Type: "image", Account: "shop", MchID: "1900000001", File: "media/a.png",
		Filename: "a.png", Size: 10, SHA256: testSum, ID: "id-a", Endpoint: "https://api.mch.weixin.qq.com", UploadedAt: "2026-11-23T10:04:05Z"}
	full.Assets["b/with \"quotes\", \\ and spaces"] = &Entry{Type: "video", SHA256: testSum, ID: "id-\u00e9-\u200b-\ufeff",
		Size: -1, Attributes: map[string]string{"title": "<b>&</b>", "": "", "ключ": "значение 😀"}}
	full.Assets["图片/猫.png"] = &Entry{SHA256: testSum, ID: "媒体", File: "\U0010FFFF", Filename: "~"}
	full.Assets["invalid \xff utf-8"] = &Entry{SHA256: testSum, ID: "\xc3"} // Marshal writes U+FFFD
	full.Pending["big.mp4"] = &Pending{Type: "user_package", Account: "shop", SHA256: testSum, UploadID: "u-1",
		PartSize: 5 << 20, PartCount: 3, Acked: []int{1, 2}, StartedAt: "2026-11-23T10:04:05Z"}
	full.Pending["fresh.mp4"] = &Pending{Type: "user_package", PartCount: 1}          // Acked nil: written as null
	full.Pending["none.mp4"] = &Pending{Type: "user_package", Acked: []int{}}         // written as []
	full.Pending["neg.mp4"] = &Pending{PartSize: -1, PartCount: -2, Acked: []int{-3}} // odd, but valid
	// Small, because the fuzzer spends up to a minute minimising each new
	// input it finds interesting, in proportion to its size.
	return []*State{empty, full, bigState(3)}
}

// bigState returns a state of n assets shaped like a real project's.
func bigState(n int) *State {
	s := New()
	for i := range n {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		hexSum := hex.EncodeToString(sum[:])
		e := &Entry{Type: "image", Account: "shop", MchID: "1900000001",
			File: fmt.Sprintf("media/%05d.png", i), Filename: fmt.Sprintf("%05d.png", i), Size: 16384,
			SHA256: hexSum, ID: "bench-" + hexSum[:16], UploadedAt: "2026-11-23T10:04:05Z"}
		if i%10 == 0 {
			e.Attributes = map[string]string{"alt": fmt.Sprintf("picture %d", i)}
		}
		s.Assets[fmt.Sprintf("pics/%05d.png", i)] = e
	}
	return s
}

// TestDecodeFastTakesCanonical guards the point of decodeFast: what
// Marshal writes must not fall back to encoding/json.
func TestDecodeFastTakesCanonical(t *testing.T) {
	for i, s := range append(canonicalStates(), bigState(1000)) {
		data, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeFast(data, false); !ok {
			t.Errorf("state %d: decodeFast declined Marshal's output:\n%s", i, data)
		}
		checkAgainstStdlib(t, data)
	}
}

// TestDecodeFastRandomStates checks random states, with strings drawn from
// an alphabet of what needs escaping or is not ASCII, as Marshal writes
// them and in other layouts: decodeFast must accept them all and agree
// with encoding/json.
func TestDecodeFastRandomStates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Control characters are escaped too, but Parse refuses them in assets
	// (decodeFast declines those, for encoding/json to report), so only
	// pending sessions, checked after decoding, draw from all of it.
	safe := []string{"a", "Z", "0", " ", "\"", "\\", "/", "é", "猫", "😀", "\u200b", "\ufffd", "\xff", "<", "&"}
	alphabet := append([]string{"\n", "\t", "\x00", "\x1f", "\x7f", "\u2028"}, safe...)
	draw := func(from []string) string {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(from[rng.IntN(len(from))])
		}
		return b.String()
	}
	str := func() string { return draw(safe) }
	anyStr := func() string { return draw(alphabet) }
	for range 200 {
		s := New()
		s.Serial = rng.Uint64N(1e18)
		for range rng.IntN(5) {
			e := &Entry{Type: str(), Account: str(), MchID: str(), File: str(), Filename: str(),
				Size: rng.Int64() >> rng.IntN(64) * int64(1-2*rng.IntN(2)), SHA256: testSum, ID: "x" + str()}
			if rng.IntN(2) == 0 {
				e.UploadedAt = str()
			}
			for range rng.IntN(3) {
				if e.Attributes == nil {
					e.Attributes = map[string]string{}
				}
				e.Attributes[str()] = str()
			}
			s.Assets[str()] = e
		}
		for range rng.IntN(3) {
			p := &Pending{Type: anyStr(), Account: anyStr(), SHA256: anyStr(), UploadID: anyStr(),
				PartSize: rng.Int64N(1 << 40), PartCount: rng.IntN(1000), StartedAt: anyStr()}
			for range rng.IntN(4) - 1 { // -1: leave nil
				p.Acked = append(p.Acked, rng.IntN(1000))
			}
			s.Pending[anyStr()] = p
		}
		data, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var compact, tabs bytes.Buffer
		json.Compact(&compact, data)
		json.Indent(&tabs, data, "", "\t")
		for _, doc := range [][]byte{data, compact.Bytes(), tabs.Bytes()} {
			if _, ok := decodeFast(doc, false); !ok {
				t.Fatalf("decodeFast declined\n%s", doc)
			}
			checkAgainstStdlib(t, doc)
		}
	}
}

// TestParseTakesFastPath checks that Parse and Load use decodeFast: they
// allocate a fixed handful of objects however many assets there are, where
// encoding/json allocates several per asset.
func TestParseTakesFastPath(t *testing.T) {
	data, err := bigState(1000).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse("x", data)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(parsed, loaded) {
		t.Fatal("Load and Parse disagree")
	}
	// encoding/json makes about ten allocations per asset. decodeFast
	// makes two per asset with attributes (every tenth here) and a few
	// dozen in all for the rest.
	for name, fn := range map[string]func() (*State, error){
		"Parse": func() (*State, error) { return Parse("x", data) },
		"Load":  func() (*State, error) { return Load(path) },
	} {
		allocs := testing.AllocsPerRun(5, func() {
			if _, err := fn(); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 500 {
			t.Errorf("%s of 1000 assets made %.0f allocations: it no longer takes the fast path", name, allocs)
		}
	}
}

// TestDecodeFastDeclines lists documents decodeFast must leave to
// encoding/json, because encoding/json rejects them or decodes them in a
// way decodeFast does not imitate.
func TestDecodeFastDeclines(t *testing.T) {
	const lin = `"lineage":"6f1c0c1e-0000-4000-8000-000000000000"`
	ent := func(fields string) string {
		return `{"version":1,` + lin + `,"assets":{"a":{"id":"x","sha256":"` + testSum + `"` + fields + `}}}`
	}
	for _, doc := range []string{
		``, `null`, `[]`, `{"version":1,` + lin + `} {}`, `{"version":1,` + lin + `}x`,
		`{"version":1,"version":1,` + lin + `}`,
		`{"version":1,` + lin + `,"assets":{},"assets":{}}`,
		ent(`,"id":"y"`),
		ent(`,"attributes":{"k":"1"},"attributes":{"j":"2"}`),
		ent(`,"attributes":{"k":"1","k":"2"}`),
		`{"version":1,` + lin + `,"assets":{"a":{"id":"x","sha256":"` + testSum + `"},"a":{"id":"y","sha256":"` + testSum + `"}}}`,
		`{"version":1,` + lin + `,"pending":{"p":{},"p":{}}}`,
		`{"version":1,` + lin + `,"assets":null}`,
		`{"version":1,` + lin + `,"assets":{"a":null}}`,
		`{"version":1,` + lin + `,"pending":{"p":null}}`,
		ent(`,"type":null`), ent(`,"size":null`), ent(`,"attributes":null`),
		ent(`,"ID":"y"`), ent(`,"Type":"y"`), ent(`,"ſize":1`),
		ent(`,"size":1e3`), ent(`,"size":1.0`), ent(`,"size":01`), ent(`,"size":- 1`), ent(`,"size":"1"`),
		ent(`,"size":9223372036854775808`), ent(`,"size":-9223372036854775809`), ent(`,"size":10000000000000000000`),
		`{"version":1,` + lin + `,"serial":-0}`,
		ent(`,"type":"\ud800"`), ent(`,"type":"\udc00"`), ent(`,"type":"\ud800\u0041"`),
		ent(`,"type":"\x"`), ent(`,"type":"\u12"`),
		ent(`,"type":"` + "\xff" + `"`), ent(`,"type":"` + "\xed\xa0\x80" + `"`), ent(`,"type":"a` + "\x01" + `"`),
		ent(`,"colour":"red"`),
		`{"version":1,` + lin + `,"assets":{"a":{"sha256":"` + testSum + `"}}}`, // no id
		`{"version":1,` + lin + `,"assets":{"a":{"id":"x","sha256":"ABC"}}}`,
	} {
		if s, ok := decodeFast([]byte(doc), false); ok {
			t.Errorf("decodeFast accepted %q as %s", doc, dump(s))
		}
		checkAgainstStdlib(t, []byte(doc))
	}
}

// TestCheckNamesFirstProblem checks that the message names the first bad
// asset and the first null pending session in name order, as it did when
// every name was sorted up front.
func TestCheckNamesFirstProblem(t *testing.T) {
	const head = `{"version":1,"lineage":"6f1c0c1e-0000-4000-8000-000000000000",`
	for _, tc := range []struct{ doc, want string }{
		{head + `"assets":{"z":{"id":"x"},"m":null,"b":{"sha256":"` + testSum + `"},"c":{"id":"x","sha256":"` + testSum + `"}}}`, "assets.b has no id"},
		{head + `"assets":{"z":{"id":"x"},"m":null}}`, "assets.m is null"},
		{head + `"assets":{"z":{"id":"x","sha256":"` + testSum + `"},"y":{"id":"x","sha256":"abc"}}}`, `assets.y.sha256 "abc" is not`},
		{head + `"pending":{"q":null,"p":null,"r":null}}`, "pending.p is null"},
	} {
		_, err := Parse("f", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want %q", tc.doc, err, tc.want)
		}
		checkAgainstStdlib(t, []byte(tc.doc))
	}
}

func TestValidSHA256(t *testing.T) {
	for c := range 256 {
		for i := range 64 {
			b := []byte(testSum)
			b[i] = byte(c)
			if got, want := validSHA256(string(b)), validSHA256Reference(string(b)); got != want {
				t.Fatalf("validSHA256(%q) = %v, want %v", b, got, want)
			}
		}
	}
	for _, s := range []string{"", testSum[:63], testSum + "0", strings.ToUpper(testSum), strings.Repeat("\u00e9", 32)} {
		if validSHA256(s) {
			t.Errorf("validSHA256(%q) = true", s)
		}
	}
}

func TestConflictMarker(t *testing.T) {
	for _, tc := range []struct {
		data string
		want int
	}{
		{"", 0},
		{"{}\n", 0},
		{"<<<<<<< HEAD\n", 1},
		{"<<<<<<<\n", 0},
		{"{\n=======\n", 2},
		{"{\n=======\r\r\n", 2},
		{"{\n=======\r", 2},
		{"{\n ======= \n", 0},
		{"{\n========\n", 0},
		{"a\nb\n>>>>>>> other", 3},
		{"a\r\n>>>>>>> other\r\n", 2},
		{`{"x": "<<<<<<< ======= >>>>>>> "}` + "\n", 0},
	} {
		if got := conflictMarker([]byte(tc.data)); got != tc.want {
			t.Errorf("conflictMarker(%q) = %d, want %d", tc.data, got, tc.want)
		}
		if got := conflictMarkerSplit([]byte(tc.data)); got != tc.want {
			t.Errorf("reference conflictMarker(%q) = %d, want %d", tc.data, got, tc.want)
		}
	}
}

// BenchmarkParse10k compares Parse ("fast") and Load's variant of it, which
// shares the file's buffer instead of copying it ("fast-shared"), with
// the encoding/json-only path ("stdlib") on a 10,000-asset lockfile. The
// stdlib sub-benchmark also reports fast's time divided by its own, as
// fast/stdlib.
//
//	go test -run '^$' -bench Parse10k -count 5 ./lockfile/
func BenchmarkParse10k(b *testing.B) {
	data, err := bigState(10000).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := decodeFast(data, false); !ok {
		b.Fatal("decodeFast declined the benchmark lockfile")
	}
	var fastNs float64
	run := func(mode decodeMode) func(*testing.B) {
		return func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parse("bench", data, mode); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns/1e6, "ms/op")
			switch {
			case mode == fastCopy:
				fastNs = ns
			case mode == stdlibOnly && fastNs > 0:
				b.ReportMetric(fastNs/ns, "fast/stdlib")
			}
		}
	}
	b.Run("fast", run(fastCopy))
	b.Run("fast-shared", run(fastShared))
	b.Run("stdlib", run(stdlibOnly))
}

// TestDecodeFastReaderSlides: a lockfile many windows long is decoded a
// window at a time to the state decodeFast reads from the whole buffer,
// and Load, which reads it so, returns what Parse does; a read that fails
// part way declines rather than return the part read.
func TestDecodeFastReaderSlides(t *testing.T) {
	defer func(w int) { fastjson.Window = w }(fastjson.Window)
	fastjson.Window = 4 << 10 // entries are about 400 bytes
	data, err := bigState(2000).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, ok := decodeFast(data, false)
	if !ok {
		t.Fatal("decodeFast declined a Marshal output")
	}
	got, ok := decodeFastReader(iotest.HalfReader(bytes.NewReader(data)), int64(len(data)))
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeFastReader: ok %v, state differs: %v", ok, !reflect.DeepEqual(got, want))
	}
	if len(data) < 50*fastjson.Window {
		t.Fatalf("the document is only %d bytes: the window hardly slides", len(data))
	}
	broken := io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(errors.New("disk on fire")))
	if _, ok := decodeFastReader(broken, int64(len(data))); ok {
		t.Fatal("decodeFastReader accepted a read that failed half way")
	}
	path := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, parsed) {
		t.Fatal("Load and Parse of the same lockfile differ")
	}
}

// TestLoadDeclinedReadsWhole: a lockfile the windowed decoder declines
// (here, an entry longer than a window) is still loaded, by the whole-file
// path, and a broken one gets Parse's message.
func TestLoadDeclinedReadsWhole(t *testing.T) {
	defer func(w int) { fastjson.Window = w }(fastjson.Window)
	fastjson.Window = 512
	s := bigState(3)
	for _, e := range s.Assets {
		e.Attributes = map[string]string{"long": strings.Repeat("x", 2000)}
	}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "wxmedia.lock.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := decodeFastReader(bytes.NewReader(data), int64(len(data))); ok {
		t.Fatal("an entry four windows long was decoded through the window")
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Assets, s.Assets) {
		t.Fatal("Load of a declined lockfile lost entries")
	}
	bad := append(bytes.Clone(data[:len(data)/2]), "\n<<<<<<< ours\n"...)
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	_, want := Parse(path, bad)
	if err == nil || err.Error() != want.Error() {
		t.Fatalf("Load of a conflicted lockfile: %v, want %v", err, want)
	}
}
