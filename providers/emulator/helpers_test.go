package emulator

// A tiny hand-written WeChat Pay client, stdlib only, written from
// docs/PROTOCOL.md independently of the wxmedia providers.

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow is the pinned clock of most tests.
var testNow = time.Date(2026, 11, 23, 10, 4, 5, 0, time.UTC)

func parsePrivateKey(t testing.TB, pemBytes []byte) *rsa.PrivateKey {
	t.Helper()
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		t.Fatal("private key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func wechatPayPublicKey(t testing.TB) *rsa.PublicKey {
	t.Helper()
	b, _ := pem.Decode(Sandbox().WechatPayPublicKeyPEM)
	if b == nil {
		t.Fatal("public key is not PEM")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PublicKey)
}

// signer signs v3 or brand requests.
type signer struct {
	scheme, idKey, id, serial string
	key                       *rsa.PrivateKey
	now                       time.Time
	nonce                     string
}

func newSigner(t testing.TB, m SandboxMerchant) *signer {
	s := &signer{scheme: "WECHATPAY2-SHA256-RSA2048", idKey: "mchid", id: m.MchID, serial: m.SerialNo,
		key: parsePrivateKey(t, m.PrivateKeyPEM), now: testNow, nonce: "593BEC0C930BF1AFEB40B4A08C8FB242"}
	if m.API == APIBrand {
		s.scheme, s.idKey = "WECHATPAY-BRAND-SHA256-RSA2048", "brand_id"
	}
	return s
}

func (s *signer) authorization(method, uri string, body []byte) string {
	ts := strconv.FormatInt(s.now.Unix(), 10)
	msg := method + "\n" + uri + "\n" + ts + "\n" + s.nonce + "\n" + string(body) + "\n"
	sum := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf(`%s %s="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`,
		s.scheme, s.idKey, s.id, s.nonce, ts, s.serial, base64.StdEncoding.EncodeToString(sig))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func metaJSON(filename, key, digest string) []byte {
	b, _ := json.Marshal(map[string]string{"filename": filename, key: digest})
	return b
}

// buildMultipart builds meta + file parts the way the Go SDK does.
func buildMultipart(meta []byte, filename, fileType string, content []byte, fileFirst bool) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	writeMeta := func() {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="meta";`)
		h.Set("Content-Type", "application/json")
		p, _ := w.CreatePart(h)
		p.Write(meta)
	}
	writeFile := func() {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, filename))
		if fileType != "" {
			h.Set("Content-Type", fileType)
		}
		p, _ := w.CreatePart(h)
		p.Write(content)
	}
	if fileFirst {
		writeFile()
		writeMeta()
	} else {
		writeMeta()
		writeFile()
	}
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// png returns a small PNG-looking file of n bytes.
func pngBytes(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	for i := 8; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func jpegBytes(n int) []byte {
	b := pngBytes(n)
	copy(b, "\xff\xd8\xff\xe0")
	return b
}

// uploadReq describes one multipart upload request.
type uploadReq struct {
	path      string
	meta      []byte // signed and sent unless sentMeta is set
	sentMeta  []byte // if set, sent instead of meta (signature stays over meta)
	filename  string // file part filename
	fileType  string
	content   []byte
	fileFirst bool
	wpSerial  string // Wechatpay-Serial header, if set
	noAuth    bool
	auth      string // overrides Authorization
}

func (s *signer) request(u uploadReq) *http.Request {
	sent := u.meta
	if u.sentMeta != nil {
		sent = u.sentMeta
	}
	body, ct := buildMultipart(sent, u.filename, u.fileType, u.content, u.fileFirst)
	r := httptest.NewRequest(http.MethodPost, u.path, bytes.NewReader(body))
	r.Header.Set("Content-Type", ct)
	r.Header.Set("Accept", "application/json")
	switch {
	case u.auth != "":
		r.Header.Set("Authorization", u.auth)
	case !u.noAuth:
		r.Header.Set("Authorization", s.authorization(http.MethodPost, u.path, u.meta))
	}
	if u.wpSerial != "" {
		r.Header.Set("Wechatpay-Serial", u.wpSerial)
	}
	return r
}

// imageUpload returns a valid E1 request description for content.
func imageUpload(filename string, content []byte) uploadReq {
	return uploadReq{path: PathImageUpload, meta: metaJSON(filename, "sha256", sha256Hex(content)),
		filename: filename, fileType: "image/png", content: content}
}

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	s, err := NewSandbox(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(s http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

type errBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// wantError checks a v3 error answer.
func wantError(t testing.TB, w *httptest.ResponseRecorder, status int, code, msgPart string) {
	t.Helper()
	var e errBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	if w.Code != status || e.Code != code {
		t.Fatalf("got %d %s (%q), want %d %s", w.Code, e.Code, e.Message, status, code)
	}
	if msgPart != "" && !strings.Contains(e.Message, msgPart) {
		t.Errorf("message %q does not mention %q", e.Message, msgPart)
	}
	if w.Header().Get("Request-ID") == "" {
		t.Error("error answer has no Request-ID")
	}
	if w.Header().Get("Wechatpay-Signature") != "" {
		t.Error("error answer is signed")
	}
}

// verifyResponse checks the response signature headers (docs/PROTOCOL.md §1.2).
func verifyResponse(t testing.TB, h http.Header, body []byte, now time.Time) {
	t.Helper()
	ts, nonce, sig, serial := h.Get("Wechatpay-Timestamp"), h.Get("Wechatpay-Nonce"), h.Get("Wechatpay-Signature"), h.Get("Wechatpay-Serial")
	if ts == "" || nonce == "" || sig == "" || serial == "" || h.Get("Request-ID") == "" {
		t.Fatalf("missing signature headers: %v", h)
	}
	if serial != SandboxWechatPayKeyID {
		t.Errorf("Wechatpay-Serial = %q, want %q", serial, SandboxWechatPayKeyID)
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(n, 0)).Abs() >= 5*time.Minute {
		t.Errorf("Wechatpay-Timestamp %q is not near %v", ts, now)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatalf("signature not base64: %v", err)
	}
	sum := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + string(body) + "\n"))
	if err := rsa.VerifyPKCS1v15(wechatPayPublicKey(t), crypto.SHA256, sum[:], raw); err != nil {
		t.Fatalf("response signature does not verify: %v", err)
	}
}

// wantOK checks a signed 200 answer and returns its JSON fields.
func wantOK(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", w.Code, w.Body.String())
	}
	verifyResponse(t, w.Header(), w.Body.Bytes(), testNow)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
