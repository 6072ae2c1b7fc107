package v3upload_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/internal/v3upload"
	"github.com/wxmedia/wxmedia/signing"
)

const (
	testMchID    = "1900000001"
	testSerial   = "1FB89742D19F2BD30B69948D16DECA0FCB4481EB"
	testPubKeyID = "PUB_KEY_ID_01142321349124100000000000000000"
	imagePath    = "/v3/merchant/media/upload"
)

var imageEndpoint = v3upload.Endpoint{
	Type: "image", Path: imagePath, DigestKey: "sha256", Scheme: signing.SchemeV3,
	IDField: "media_id", IDMinLen: 1, IDMaxLen: 512,
}

func loadKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	k, err := signing.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// recorded is one request as the server saw it.
type recorded struct {
	Method, URI      string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Body             []byte
}

// server is a minimal stand-in for WeChat Pay: it records each request and
// answers through respond (by default a signed success).
type server struct {
	*httptest.Server
	t       testing.TB
	wxKey   *rsa.PrivateKey
	mu      sync.Mutex
	reqs    []recorded
	respond func(w http.ResponseWriter, r *recorded)
}

func newServer(t testing.TB) *server {
	s := &server{t: t, wxKey: loadKey(t, "wechatpay_key.pem")}
	s.respond = func(w http.ResponseWriter, r *recorded) {
		s.signed(w, 200, `{"media_id":"MEDIA-1"}`, time.Now(), s.wxKey, testPubKeyID)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client gave up; nothing to answer
		}
		rec := recorded{r.Method, r.RequestURI, r.Header.Clone(), r.ContentLength, r.TransferEncoding, body}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		respond := s.respond
		s.mu.Unlock()
		respond(w, &rec)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) setRespond(f func(w http.ResponseWriter, r *recorded)) {
	s.mu.Lock()
	s.respond = f
	s.mu.Unlock()
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// signed writes a response signed as docs/PROTOCOL.md §1.2 says, computed here
// with crypto/rsa directly rather than through package signing.
func (s *server) signed(w http.ResponseWriter, status int, body string, at time.Time, key *rsa.PrivateKey, serial string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := "c5ac7061fccab6bf3e254dcf98995b8c"
	sum := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + body + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Request-ID", "08F78BB5AF0610D302A4F3BF3A1B0001")
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	h.Set("Wechatpay-Serial", serial)
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func account(s *server) *providers.Account {
	wx := loadKey(s.t, "wechatpay_key.pem")
	return &providers.Account{
		Name:                 "shop",
		API:                  "v3",
		MchID:                testMchID,
		SerialNo:             testSerial,
		PrivateKey:           loadKey(s.t, "merchant_key.pem"),
		WechatPayKeys:        map[string]*rsa.PublicKey{testPubKeyID: &wx.PublicKey},
		WechatPayPublicKeyID: testPubKeyID,
		BaseURL:              s.URL,
		HTTPClient:           s.Client(),
		UserAgent:            "wxmedia/1.2.3-test",
	}
}

// memFile is a providers.File over a byte slice that records Close.
type memFile struct {
	*bytes.Reader
	closed atomic.Bool
}

func (m *memFile) Close() error { m.closed.Store(true); return nil }

func request(name string, content []byte) (*providers.Request, *[]*memFile) {
	var opened []*memFile
	sum := sha256.Sum256(content)
	return &providers.Request{
		Asset:    "storefront",
		Filename: name,
		Size:     int64(len(content)),
		SHA256:   hex.EncodeToString(sum[:]),
		Open: func() (providers.File, error) {
			f := &memFile{Reader: bytes.NewReader(content)}
			opened = append(opened, f)
			return f, nil
		},
	}, &opened
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image bytes")

var authRE = regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="([0-9A-Za-z]{32})",timestamp="(\d+)",serial_no="([0-9A-F]+)",signature="([A-Za-z0-9+/=]+)"$`)

func TestUploadRequestOnTheWire(t *testing.T) {
	s := newServer(t)
	acct := account(s)
	req, opened := request("a.png", pngBytes)
	res, err := v3upload.New(imageEndpoint, acct).Upload(context.Background(), req)
	if err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	if res.ID != "MEDIA-1" {
		t.Errorf("Upload().ID = %q, want MEDIA-1", res.ID)
	}
	if len(*opened) != 1 || !(*opened)[0].closed.Load() {
		t.Errorf("Open called %d times / file closed: want exactly once and closed", len(*opened))
	}

	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.URI != imagePath {
		t.Errorf("request line = %s %s, want POST %s", r.Method, r.URI, imagePath)
	}
	for k, want := range map[string]string{
		"Accept":           "application/json",
		"User-Agent":       "wxmedia/1.2.3-test",
		"Wechatpay-Serial": testPubKeyID,
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}

	// Exact Content-Length, no chunking.
	if r.ContentLength != int64(len(r.Body)) || len(r.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %v, body %d bytes: want an exact length", r.ContentLength, r.TransferEncoding, len(r.Body))
	}

	// The body is byte for byte the layout of docs/PROTOCOL.md §1.5.
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	b := params["boundary"]
	meta := `{"filename":"a.png","sha256":"` + req.SHA256 + `"}`
	want := "--" + b + "\r\n" +
		`Content-Disposition: form-data; name="meta";` + "\r\n" +
		"Content-Type: application/json\r\n" +
		"\r\n" +
		meta + "\r\n" +
		"--" + b + "\r\n" +
		`Content-Disposition: form-data; name="file"; filename="a.png"` + "\r\n" +
		"Content-Type: image/png\r\n" +
		"\r\n" +
		string(pngBytes) + "\r\n" +
		"--" + b + "--\r\n"
	if string(r.Body) != want {
		t.Errorf("body =\n%q\nwant\n%q", r.Body, want)
	}

	// Parts parse in order with a standard reader.
	mr := multipart.NewReader(bytes.NewReader(r.Body), b)
	var parts []string
	var metaPart []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		parts = append(parts, p.FormName())
		if p.FormName() == "meta" {
			metaPart = data
		} else if p.FileName() != "a.png" || !bytes.Equal(data, pngBytes) {
			t.Errorf("file part: filename %q, %d bytes", p.FileName(), len(data))
		}
	}
	if strings.Join(parts, ",") != "meta,file" {
		t.Errorf("parts = %v, want meta,file", parts)
	}

	// The signature covers exactly the meta part's bytes and verifies with
	// the merchant's public key.
	m := authRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("Authorization = %q, does not match %s", r.Header.Get("Authorization"), authRE)
	}
	if m[1] != testMchID || m[4] != testSerial {
		t.Errorf("Authorization mchid %s serial %s", m[1], m[4])
	}
	ts, _ := strconv.ParseInt(m[3], 10, 64)
	if d := time.Now().Unix() - ts; d < 0 || d > 60 {
		t.Errorf("Authorization timestamp %d is %d s from now", ts, d)
	}
	signed := fmt.Sprintf("POST\n%s\n%s\n%s\n%s\n", imagePath, m[3], m[2], metaPart)
	sig, _ := base64.StdEncoding.DecodeString(m[5])
	sum := sha256.Sum256([]byte(signed))
	pub := loadKey(t, "merchant_key.pem").PublicKey
	if err := rsa.VerifyPKCS1v15(&pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("request signature over the meta part does not verify: %v", err)
	}
}

func TestUploadEscapesFilename(t *testing.T) {
	s := newServer(t)
	req, _ := request(`a"b\c.png`, pngBytes)
	if _, err := v3upload.New(imageEndpoint, account(s)).Upload(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	body := string(s.requests()[0].Body)
	if !strings.Contains(body, `filename="a\"b\\c.png"`+"\r\n") {
		t.Errorf("file part header not escaped:\n%q", body)
	}
	if !strings.Contains(body, `{"filename":"a\"b\\c.png","sha256":"`) {
		t.Errorf("meta not JSON-escaped:\n%q", body)
	}
}

func TestUploadGlobalDigestKeyAndPDF(t *testing.T) {
	s := newServer(t)
	s.setRespond(func(w http.ResponseWriter, r *recorded) {
		s.signed(w, 200, `{"file_id":"b6a17e2a-1dc4-4376-8630-e73d06490c0d"}`, time.Now(), s.wxKey, testPubKeyID)
	})
	ep := v3upload.Endpoint{Type: "global_file", Path: "/v3/global/merchant-storage/file/upload", DigestKey: "digest",
		Scheme: signing.SchemeV3, IDField: "file_id", IDMinLen: 16, IDMaxLen: 64}
	req, _ := request("licence.pdf", []byte("%PDF-1.4 fake"))
	res, err := v3upload.New(ep, account(s)).Upload(context.Background(), req)
	if err != nil || res.ID != "b6a17e2a-1dc4-4376-8630-e73d06490c0d" {
		t.Fatalf("Upload() = %v, %v", res, err)
	}
	body := string(s.requests()[0].Body)
	for _, want := range []string{`{"digest":"` + req.SHA256 + `","filename":"licence.pdf"}`, "Content-Type: application/pdf\r\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%q", want, body)
		}
	}
}

func TestUploadBrand(t *testing.T) {
	s := newServer(t)
	s.setRespond(func(w http.ResponseWriter, r *recorded) {
		s.signed(w, 200, `{"image_url":"https://wxpaylogo.qpic.cn/x"}`, time.Now(), s.wxKey, testPubKeyID)
	})
	ep := v3upload.Endpoint{Type: "brand_image", Path: "/brand/marketing/product-coupon/media/upload-image", DigestKey: "sha256",
		Scheme: signing.SchemeBrand, IDField: "image_url", IDMinLen: 1, IDMaxLen: 256}
	acct := account(s)
	acct.MchID = "1001"
	req, _ := request("a.png", pngBytes)
	res, err := v3upload.New(ep, acct).Upload(context.Background(), req)
	if err != nil || res.ID != "https://wxpaylogo.qpic.cn/x" {
		t.Fatalf("Upload() = %v, %v", res, err)
	}
	r := s.requests()[0]
	auth := r.Header.Get("Authorization")
	re := regexp.MustCompile(`^WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1001",nonce_str="[0-9A-Za-z]{32}",signature="[A-Za-z0-9+/=]+",timestamp="\d+",serial_no="` + testSerial + `"$`)
	if !re.MatchString(auth) {
		t.Errorf("Authorization = %q, want brand form", auth)
	}
	if r.Header.Get("Wechatpay-Serial") != testPubKeyID {
		t.Errorf("Wechatpay-Serial = %q", r.Header.Get("Wechatpay-Serial"))
	}

	// Without a public key ID a brand upload is refused before any traffic.
	acct.WechatPayPublicKeyID = ""
	_, err = v3upload.New(ep, acct).Upload(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "needs wechatpay_public_key_id") {
		t.Errorf("Upload() without public key id = %v", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestUploadWithoutPublicKeyIDHeader(t *testing.T) {
	// Platform-certificate mode: no Wechatpay-Serial request header, the
	// response is keyed by the certificate serial.
	s := newServer(t)
	const certSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	s.setRespond(func(w http.ResponseWriter, r *recorded) {
		s.signed(w, 200, `{"media_id":"M"}`, time.Now(), s.wxKey, certSerial)
	})
	acct := account(s)
	acct.WechatPayPublicKeyID = ""
	acct.WechatPayKeys = map[string]*rsa.PublicKey{certSerial: &s.wxKey.PublicKey}
	req, _ := request("a.png", pngBytes)
	if _, err := v3upload.New(imageEndpoint, acct).Upload(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.requests()[0].Header["Wechatpay-Serial"]; ok {
		t.Error("Wechatpay-Serial sent without a public key id")
	}
}

func TestUploadRejectsUntrustedResponses(t *testing.T) {
	other := loadKey(t, "other_key.pem")
	body := `{"media_id":"MEDIA-1"}`
	tests := []struct {
		name    string
		respond func(s *server, w http.ResponseWriter)
		want    string
	}{
		{"body changed after signing", func(s *server, w http.ResponseWriter) {
			rec := httptest.NewRecorder()
			s.signed(rec, 200, body, time.Now(), s.wxKey, testPubKeyID)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(200)
			io.WriteString(w, `{"media_id":"EVIL-1"}`)
		}, "signature does not verify"},
		{"signed by another key", func(s *server, w http.ResponseWriter) {
			s.signed(w, 200, body, time.Now(), other, testPubKeyID)
		}, "signature does not verify"},
		{"unknown serial", func(s *server, w http.ResponseWriter) {
			s.signed(w, 200, body, time.Now(), s.wxKey, "PUB_KEY_ID_0000")
		}, `unknown Wechatpay-Serial "PUB_KEY_ID_0000"`},
		{"stale timestamp", func(s *server, w http.ResponseWriter) {
			s.signed(w, 200, body, time.Now().Add(-400*time.Second), s.wxKey, testPubKeyID)
		}, "timestamp out of range"},
		{"missing signature header", func(s *server, w http.ResponseWriter) {
			w.Header().Set("Wechatpay-Serial", testPubKeyID)
			w.WriteHeader(200)
			io.WriteString(w, body)
		}, "missing header Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) { tc.respond(s, w) })
			req, _ := request("a.png", pngBytes)
			res, err := v3upload.New(imageEndpoint, account(s)).Upload(context.Background(), req)
			if res != nil {
				t.Errorf("Upload() returned a result %+v from an untrusted response", res)
			}
			var ve *providers.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Upload() error = %v (%T), want *providers.VerifyError", err, err)
			}
			if ve.Asset != "storefront" || !strings.Contains(ve.Reason, tc.want) {
				t.Errorf("VerifyError = %+v, want reason containing %q", ve, tc.want)
			}
			if providers.IsRetryable(err) {
				t.Error("IsRetryable(VerifyError) = true")
			}
		})
	}
}

func TestUploadMalformedSuccess(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `<html>ok</html>`, "not a JSON object"},
		{"no id field", `{"file_id":"x"}`, `no "media_id" field`},
		{"empty id", `{"media_id":""}`, `"media_id" is empty`},
		{"number id", `{"media_id":42}`, `"media_id" is not a string`},
		{"id too long", `{"media_id":"` + strings.Repeat("x", 513) + `"}`, `"media_id" is 513 bytes long, want 1..512`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) {
				s.signed(w, 200, tc.body, time.Now(), s.wxKey, testPubKeyID)
			})
			req, _ := request("a.png", pngBytes)
			res, err := v3upload.New(imageEndpoint, account(s)).Upload(context.Background(), req)
			if res != nil || err == nil {
				t.Fatalf("Upload() = %v, %v; want an error", res, err)
			}
			if !strings.Contains(err.Error(), "malformed response") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Upload() error = %q, want malformed response: %s", err, tc.want)
			}
			if providers.IsRetryable(err) {
				t.Error("IsRetryable(malformed success) = true")
			}
		})
	}
}

func TestUploadAPIErrors(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		body       string
		retryAfter string
		wantCode   string
		wantMsg    string
		retryable  bool
		wantDelay  time.Duration // 0: expect none; <0: roughly 90s
		wantHint   string
	}{
		{"param error", 400, `{"code":"PARAM_ERROR","message":"图片格式错误","detail":{"field":"file","issue":"not an image"}}`, "",
			"PARAM_ERROR", `图片格式错误; detail: {"field":"file","issue":"not an image"}`, false, 0, "fix the file or its filename"},
		{"invalid request", 400, `{"code":"INVALID_REQUEST","message":"Wechatpay-Serial 无效"}`, "", "INVALID_REQUEST", "Wechatpay-Serial 无效", false, 0, "wechatpay_public_key_id"},
		{"sign error", 401, `{"code":"SIGN_ERROR","message":"签名错误"}`, "", "SIGN_ERROR", "签名错误", false, 0, "serial_no is the serial of the certificate"},
		{"no auth", 403, `{"code":"NO_AUTH","message":"商户无权限"}`, "", "NO_AUTH", "商户无权限", false, 0, "merchant portal"},
		{"not found", 404, `{"code":"NOT_FOUND","message":"x"}`, "", "NOT_FOUND", "x", false, 0, "check the account's api and endpoint"},
		{"rate limited", 429, `{"code":"FREQUENCY_LIMIT_EXCEED","message":"频率超限"}`, "3", "FREQUENCY_LIMIT_EXCEED", "频率超限", true, 3 * time.Second, "rate_limit"},
		{"rate limited, http date", 429, `{"code":"RATELIMIT_EXCEEDED","message":"slow down"}`, date, "RATELIMIT_EXCEEDED", "slow down", true, -1, "rate_limit"},
		{"daily quota", 429, `{"code":"FREQUENCY_LIMIT_EXCEED","message":"超过当日上传上限"}`, "", "FREQUENCY_LIMIT_EXCEED", "超过当日上传上限", false, 0, "tomorrow"},
		{"daily quota english", 429, `{"code":"FREQUENCY_LIMIT_EXCEED","message":"daily upload quota exceeded"}`, "", "FREQUENCY_LIMIT_EXCEED", "daily upload quota exceeded", false, 0, "tomorrow"},
		{"system error", 500, `{"code":"SYSTEM_ERROR","message":"系统错误"}`, "", "SYSTEM_ERROR", "系统错误", true, 0, "retry later"},
		{"bad gateway html", 502, "<html>\n<body>502 Bad Gateway</body>\n</html>", "bogus", "", "<html> <body>502 Bad Gateway</body> </html>", true, 0, "server-side problem"},
		{"empty 503", 503, "", "", "", "", true, 0, "server-side problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) {
				w.Header().Set("Request-ID", "REQ-42")
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			req, _ := request("a.png", pngBytes)
			res, err := v3upload.New(imageEndpoint, account(s)).Upload(context.Background(), req)
			var ae *providers.APIError
			if res != nil || !errors.As(err, &ae) {
				t.Fatalf("Upload() = %v, %v (%T); want *providers.APIError", res, err, err)
			}
			if ae.Asset != "storefront" || ae.HTTPStatus != tc.status || ae.Code != tc.wantCode || ae.Message != tc.wantMsg ||
				ae.RequestID != "REQ-42" || ae.Endpoint != "POST "+imagePath {
				t.Errorf("APIError = %+v", ae)
			}
			if ae.Retryable != tc.retryable || providers.IsRetryable(err) != tc.retryable {
				t.Errorf("Retryable = %v, IsRetryable = %v, want %v", ae.Retryable, providers.IsRetryable(err), tc.retryable)
			}
			switch {
			case tc.wantDelay > 0 && ae.RetryAfter() != tc.wantDelay,
				tc.wantDelay == 0 && ae.RetryAfter() != 0,
				tc.wantDelay < 0 && (ae.RetryAfter() < 80*time.Second || ae.RetryAfter() > 91*time.Second):
				t.Errorf("RetryAfter() = %v, want %v", ae.RetryAfter(), tc.wantDelay)
			}
			if !strings.Contains(ae.Hint, tc.wantHint) {
				t.Errorf("Hint = %q, want it to contain %q", ae.Hint, tc.wantHint)
			}
			// Only the daily quota is ErrDailyQuota, for the command layer's
			// advice to come back tomorrow.
			if quota := strings.HasPrefix(tc.name, "daily quota"); errors.Is(err, providers.ErrDailyQuota) != quota {
				t.Errorf("errors.Is(err, ErrDailyQuota) = %v, want %v", !quota, quota)
			}
		})
	}
}

func TestUploadTransportErrors(t *testing.T) {
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter)
	}{
		{"connection reset", func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
		{"truncated body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			io.WriteString(w, `{"media_id":`)
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				buf.Flush()
				conn.Close()
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) { tc.respond(w) })
			req, _ := request("a.png", pngBytes)
			res, err := v3upload.New(imageEndpoint, account(s)).Upload(context.Background(), req)
			var te *providers.TransportError
			if res != nil || !errors.As(err, &te) {
				t.Fatalf("Upload() = %v, %v (%T); want *providers.TransportError", res, err, err)
			}
			if !providers.IsRetryable(err) {
				t.Error("IsRetryable(TransportError) = false")
			}
		})
	}
}

func TestUploadTimeoutIsTransportError(t *testing.T) {
	s := newServer(t)
	release := make(chan struct{})
	defer close(release)
	s.setRespond(func(w http.ResponseWriter, r *recorded) { <-release })
	acct := account(s)
	acct.HTTPClient = &http.Client{Transport: s.Client().Transport, Timeout: 200 * time.Millisecond}
	req, _ := request("a.png", pngBytes)
	_, err := v3upload.New(imageEndpoint, acct).Upload(context.Background(), req)
	var te *providers.TransportError
	if !errors.As(err, &te) || !providers.IsRetryable(err) {
		t.Errorf("Upload() = %v (%T), want a retryable *providers.TransportError", err, err)
	}
}

func TestUploadCanceled(t *testing.T) {
	s := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	arrived := make(chan struct{})
	s.setRespond(func(w http.ResponseWriter, r *recorded) {
		close(arrived)
		<-ctx.Done()
		// Never answer: an empty 200 could reach the client before it
		// notices the cancellation, and no server sends one.
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
	go func() {
		<-arrived
		cancel()
	}()
	req, opened := request("a.png", pngBytes)
	res, err := v3upload.New(imageEndpoint, account(s)).Upload(ctx, req)
	if res != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload() = %v, %v; want context.Canceled", res, err)
	}
	var te *providers.TransportError
	if errors.As(err, &te) || providers.IsRetryable(err) {
		t.Errorf("Upload() canceled = %v (%T): want a plain, non-retryable context error", err, err)
	}
	if !(*opened)[0].closed.Load() {
		t.Error("file not closed")
	}
}

func TestUploadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(a *providers.Account, r *providers.Request)
		want string
	}{
		{"no private key", func(a *providers.Account, r *providers.Request) { a.PrivateKey = nil }, "no private key"},
		{"no mchid", func(a *providers.Account, r *providers.Request) { a.MchID = "" }, "no mchid"},
		{"no serial", func(a *providers.Account, r *providers.Request) { a.SerialNo = "" }, "no serial_no"},
		{"no base url", func(a *providers.Account, r *providers.Request) { a.BaseURL = "" }, "no endpoint"},
		{"no wechatpay keys", func(a *providers.Account, r *providers.Request) { a.WechatPayKeys = nil }, "could not be verified"},
		{"public key id without key", func(a *providers.Account, r *providers.Request) { a.WechatPayPublicKeyID = "PUB_KEY_ID_X" }, "has no public key for it"},
		{"filename with newline", func(a *providers.Account, r *providers.Request) { r.Filename = "a\r\n.png" }, "line break"},
		{"open fails", func(a *providers.Account, r *providers.Request) {
			r.Open = func() (providers.File, error) { return nil, os.ErrPermission }
		}, "open: permission denied"},
		{"file shorter than planned", func(a *providers.Account, r *providers.Request) { r.Size++ }, "file changed since plan: it is shorter"},
		{"file longer than planned", func(a *providers.Account, r *providers.Request) { r.Size-- }, "file changed since plan: it is longer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			acct := account(s)
			req, _ := request("a.png", pngBytes)
			tc.edit(acct, req)
			_, err := v3upload.New(imageEndpoint, acct).Upload(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "storefront: ") {
				t.Errorf("Upload() error = %v, want it to contain %q", err, tc.want)
			}
			if providers.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true", err)
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("server saw %d requests, want none", n)
			}
		})
	}
}

// growingFile has size bytes until the upload has streamed them, then
// grows: the pre-flight size check (1-byte reads) passes, the check at the
// end of the stream does not.
type growingFile struct {
	size     int64
	grown    atomic.Bool
	streamed atomic.Int64
}

func (g *growingFile) Read(p []byte) (int, error) { return 0, io.EOF }
func (g *growingFile) Close() error               { return nil }
func (g *growingFile) ReadAt(p []byte, off int64) (int, error) {
	limit := g.size
	if g.grown.Load() {
		limit += 10
	}
	if off >= limit {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), limit-off))
	clear(p[:n])
	if len(p) > 1 {
		g.streamed.Add(int64(n))
		if off+int64(n) >= g.size {
			g.grown.Store(true)
		}
	}
	if off+int64(n) == limit {
		return n, io.EOF
	}
	return n, nil
}

func TestUploadFileChangedDuringUpload(t *testing.T) {
	s := newServer(t)
	f := &growingFile{size: 1000}
	req := &providers.Request{Asset: "storefront", Filename: "a.png", Size: 1000, SHA256: strings.Repeat("0", 64),
		Open: func() (providers.File, error) { return f, nil }}
	res, err := v3upload.New(imageEndpoint, account(s)).Upload(context.Background(), req)
	if res != nil || err == nil || !strings.Contains(err.Error(), "file changed since plan") {
		t.Fatalf("Upload() = %v, %v; want file changed since plan", res, err)
	}
	if f.streamed.Load() != 1000 {
		t.Errorf("streamed %d bytes before failing, want 1000 (the change must be caught at the end of the stream)", f.streamed.Load())
	}
	var te *providers.TransportError
	if errors.As(err, &te) || providers.IsRetryable(err) {
		t.Errorf("Upload() = %v (%T): want a permanent error", err, err)
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("server recorded %d complete requests, want none", n)
	}
}

func TestUploadConcurrent(t *testing.T) {
	s := newServer(t)
	c := v3upload.New(imageEndpoint, account(s))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := request(fmt.Sprintf("a%d.png", i), pngBytes)
			_, err := c.Upload(context.Background(), req)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(s.requests()); n != 8 {
		t.Errorf("server saw %d requests, want 8", n)
	}
}
