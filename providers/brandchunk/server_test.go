package brandchunk_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/signing"
)

// This file is a small stand-in for the brand user-package endpoints
// (docs/PROTOCOL.md §7), written against the protocol rather than the client:
// it checks the brand Authorization signature with crypto/rsa, decodes each
// part's base64 as a stream (so that it holds no part in memory unless
// asked to) and signs every answer.

const (
	testBrandID  = "1001"
	testSerial   = "1FB89742D19F2BD30B69948D16DECA0FCB4481EB"
	testPubKeyID = "PUB_KEY_ID_01142321349124100000000000000000"
	uploadsPath  = "/brand/marketing/user-package/uploads"
)

func loadKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "v3upload", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	k, err := signing.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var authRE = regexp.MustCompile(`^WECHATPAY-BRAND-SHA256-RSA2048 brand_id="([^"]+)",nonce_str="([0-9A-Za-z]{32})",signature="([A-Za-z0-9+/=]+)",timestamp="(\d+)",serial_no="([0-9A-F]+)"$`)

// recorded is one request as the server saw it.
type recorded struct {
	Method, URI   string
	Header        http.Header
	ContentLength int64
	Body          []byte // init and merge bodies; nil for parts
	Part          int    // part number of a PUT
	PartData      []byte // decoded part (when the server keeps parts)
	PartLen       int64
	Meta          map[string]string // file_meta of a PUT
	SignatureOK   bool
	Ctx           context.Context // the server request's context
}

// fakeSession is the server's view of one upload session.
type fakeSession struct {
	filename, digest string
	size, partSize   int64
	count            int
	parts            map[int][]byte // when keeping parts
	sums             map[int]string
	merged           string
}

// server answers E5a, E5 and E5b.
type server struct {
	*httptest.Server
	t        testing.TB
	wxKey    *rsa.PrivateKey
	brandPub *rsa.PublicKey
	partSize int64
	keep     bool // keep request bodies and parts
	mu       sync.Mutex
	reqs     []recorded
	sessions map[string]*fakeSession
	seq      int
	// hook, if set, may answer a request instead of the normal handling
	// (return true); it sees the request after its body was read.
	hook func(w http.ResponseWriter, r *recorded) bool
	// tamper, if set, rewrites a signed success body after signing.
	tamper func(r *recorded, body string) string
}

func newServer(t testing.TB, partSize int64) *server {
	s := &server{t: t, wxKey: loadKey(t, "wechatpay_key.pem"), brandPub: &loadKey(t, "merchant_key.pem").PublicKey,
		partSize: partSize, keep: true, sessions: map[string]*fakeSession{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func (s *server) setHook(h func(w http.ResponseWriter, r *recorded) bool) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

// addSession creates a session as E5a would, for resume tests, with the
// given parts already received.
func (s *server) addSession(content []byte, filename string, acked ...int) providers.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("1758718670032%063x", s.seq)
	sum := sha256.Sum256(content)
	ss := &fakeSession{filename: filename, digest: hex.EncodeToString(sum[:]), size: int64(len(content)), partSize: s.partSize,
		count: int((int64(len(content)) + s.partSize - 1) / s.partSize), parts: map[int][]byte{}, sums: map[int]string{}}
	for _, n := range acked {
		off := int64(n-1) * s.partSize
		p := content[off:min(off+s.partSize, int64(len(content)))]
		ss.parts[n] = p
		ps := sha256.Sum256(p)
		ss.sums[n] = hex.EncodeToString(ps[:])
	}
	s.sessions[id] = ss
	return providers.Session{UploadID: id, PartSize: s.partSize, PartCount: ss.count, Acked: acked}
}

func (s *server) forget(id string) {
	s.mu.Lock()
	delete(s.sessions, id)
	s.mu.Unlock()
}

// signed writes a response signed as docs/PROTOCOL.md §1.2 says.
func (s *server) signed(w http.ResponseWriter, r *recorded, status int, v any) {
	b, _ := json.Marshal(v)
	body := string(b)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := "c5ac7061fccab6bf3e254dcf98995b8c"
	sum := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + body + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.wxKey, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	tamper := s.tamper
	s.mu.Unlock()
	if tamper != nil {
		body = tamper(r, body)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Request-ID", "REQ-"+strconv.Itoa(r.Part))
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	h.Set("Wechatpay-Serial", testPubKeyID)
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// fail writes a v3 error body (unsigned, as WeChat Pay's are not checked).
func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"code": code, "message": msg})
	w.Write(b)
}

func (s *server) serve(w http.ResponseWriter, hr *http.Request) {
	rec := recorded{Method: hr.Method, URI: hr.RequestURI, Header: hr.Header.Clone(), ContentLength: hr.ContentLength, Ctx: hr.Context()}
	m := authRE.FindStringSubmatch(hr.Header.Get("Authorization"))
	// The signature is checked as the body streams in.
	sig := sha256.New()
	if m != nil {
		fmt.Fprintf(sig, "%s\n%s\n%s\n%s\n", hr.Method, hr.RequestURI, m[4], m[2])
	}
	body := io.TeeReader(hr.Body, sig)

	rest := strings.TrimPrefix(hr.URL.Path, uploadsPath)
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	var perr error
	switch {
	case hr.Method == http.MethodPut && len(segs) == 2:
		rec.Part, _ = strconv.Atoi(segs[1])
		perr = s.readPart(body, &rec)
	default:
		rec.Body, perr = io.ReadAll(body)
	}
	if m != nil {
		sig.Write([]byte("\n"))
		raw, _ := base64.StdEncoding.DecodeString(m[3])
		rec.SignatureOK = m[1] == testBrandID && m[5] == testSerial &&
			rsa.VerifyPKCS1v15(s.brandPub, crypto.SHA256, sig.Sum(nil), raw) == nil
	}
	s.mu.Lock()
	stored := rec
	if !s.keep {
		stored.Body, stored.PartData = nil, nil
	}
	s.reqs = append(s.reqs, stored)
	hook := s.hook
	s.mu.Unlock()
	if hook != nil && hook(w, &rec) {
		return
	}

	switch {
	case !rec.SignatureOK:
		fail(w, 401, "SIGN_ERROR", "signature verification failed")
	case hr.Header.Get("Wechatpay-Serial") != testPubKeyID:
		fail(w, 400, "INVALID_REQUEST", "Wechatpay-Serial is wrong")
	case hr.Header.Get("Accept") != "application/json":
		fail(w, 400, "INVALID_REQUEST", "Accept must be application/json")
	case perr != nil:
		fail(w, 400, "PARAM_ERROR", perr.Error())
	case hr.Method == http.MethodPost && rest == "":
		s.init(w, &rec)
	case hr.Method == http.MethodPut && len(segs) == 2:
		s.putPart(w, &rec, segs[0])
	case hr.Method == http.MethodPost && len(segs) == 1 && segs[0] != "":
		s.merge(w, &rec, segs[0])
	default:
		fail(w, 404, "NOT_FOUND", "no such endpoint")
	}
}

// readPart decodes {"file":"<base64>","file_meta":{...}} as it streams.
func (s *server) readPart(body io.Reader, rec *recorded) error {
	br := bufio.NewReaderSize(body, 16<<10)
	const prefix = `{"file":"`
	head := make([]byte, len(prefix))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != prefix {
		return errors.New(`body does not start with {"file":"`)
	}
	var data bytes.Buffer
	h := sha256.New()
	w := io.Writer(h)
	if s.keep {
		w = io.MultiWriter(h, &data)
	}
	n, err := io.Copy(w, base64.NewDecoder(base64.StdEncoding, &untilQuote{br: br}))
	if err != nil {
		return fmt.Errorf("file is not standard base64: %v", err)
	}
	rest, _ := io.ReadAll(br)
	var tail struct {
		Meta map[string]string `json:"file_meta"`
	}
	if len(rest) == 0 || rest[0] != ',' || json.Unmarshal(append([]byte("{"), rest[1:]...), &tail) != nil {
		return fmt.Errorf("bad JSON after file: %q", rest)
	}
	rec.PartLen, rec.Meta = n, tail.Meta
	if s.keep {
		rec.PartData = data.Bytes()
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != tail.Meta["digest"] {
		return fmt.Errorf("file_meta.digest %s is not the part's SHA-256 %s", tail.Meta["digest"], got)
	}
	return nil
}

// untilQuote reads up to (and consumes) the next '"'.
type untilQuote struct {
	br   *bufio.Reader
	done bool
}

func (u *untilQuote) Read(p []byte) (int, error) {
	if u.done {
		return 0, io.EOF
	}
	if u.br.Buffered() == 0 {
		if _, err := u.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := u.br.Peek(min(u.br.Buffered(), len(p)))
	if i := bytes.IndexByte(buf, '"'); i >= 0 {
		copy(p, buf[:i])
		u.br.Discard(i + 1)
		u.done = true
		return i, nil
	}
	copy(p, buf)
	u.br.Discard(len(buf))
	return len(buf), nil
}

func (s *server) init(w http.ResponseWriter, rec *recorded) {
	var req struct {
		Info struct {
			Filename string `json:"filename"`
			Digest   string `json:"digest"`
			FileSize int64  `json:"file_size"`
		} `json:"user_package_file_info"`
	}
	if err := json.Unmarshal(rec.Body, &req); err != nil || req.Info.FileSize <= 0 || len(req.Info.Digest) != 64 || req.Info.Filename == "" {
		fail(w, 400, "PARAM_ERROR", "bad init body")
		return
	}
	if rec.Header.Get("Content-Type") != "application/json" {
		fail(w, 400, "INVALID_REQUEST", "Content-Type")
		return
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("1758718670032%063x", s.seq)
	ss := &fakeSession{filename: req.Info.Filename, digest: req.Info.Digest, size: req.Info.FileSize, partSize: s.partSize,
		count: int((req.Info.FileSize + s.partSize - 1) / s.partSize), parts: map[int][]byte{}, sums: map[int]string{}}
	s.sessions[id] = ss
	s.mu.Unlock()
	s.signed(w, rec, 200, map[string]any{"upload_id": id, "part_size": ss.partSize, "part_count": ss.count})
}

func (s *server) putPart(w http.ResponseWriter, rec *recorded, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		fail(w, 404, "NOT_FOUND", "no upload task "+id)
		return
	}
	n := rec.Part
	want := ss.partSize
	if n == ss.count {
		want = ss.size - int64(ss.count-1)*ss.partSize
	}
	switch {
	case rec.Header.Get("Content-Type") != "application/json":
		fail(w, 400, "INVALID_REQUEST", "Content-Type")
	case n < 1 || n > ss.count:
		fail(w, 400, "INVALID_REQUEST", "part_number out of range")
	case rec.PartLen != want:
		fail(w, 400, "INVALID_REQUEST", fmt.Sprintf("part %d must be %d bytes, got %d", n, want, rec.PartLen))
	case rec.Meta["filename"] != ss.filename:
		fail(w, 400, "INVALID_REQUEST", "file_meta.filename differs")
	default:
		ss.sums[n] = rec.Meta["digest"]
		if s.keep {
			ss.parts[n] = rec.PartData
		}
		s.mu.Unlock()
		s.signed(w, rec, 200, map[string]any{"return_message": "success", "part_number": n})
		s.mu.Lock()
	}
}

func (s *server) merge(w http.ResponseWriter, rec *recorded, id string) {
	s.mu.Lock()
	ss := s.sessions[id]
	if ss == nil {
		s.mu.Unlock()
		fail(w, 404, "NOT_FOUND", "no upload task "+id)
		return
	}
	if len(rec.Body) != 0 || rec.Header.Get("Content-Type") != "" {
		s.mu.Unlock()
		fail(w, 400, "INVALID_REQUEST", "merge takes no body")
		return
	}
	if len(ss.sums) != ss.count {
		s.mu.Unlock()
		fail(w, 400, "INVALID_REQUEST", "cannot merge unless all parts have succeeded")
		return
	}
	if s.keep {
		h := sha256.New()
		for i := 1; i <= ss.count; i++ {
			h.Write(ss.parts[i])
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != ss.digest {
			s.mu.Unlock()
			fail(w, 400, "INVALID_REQUEST", "merged digest mismatch")
			return
		}
	}
	if ss.merged == "" {
		ss.merged = "RES-" + id[len(id)-8:]
	}
	rid := ss.merged
	s.mu.Unlock()
	s.signed(w, rec, 200, map[string]any{"upload_id": id, "resource_id": rid, "state": "MERGED", "part_count": ss.count})
}
