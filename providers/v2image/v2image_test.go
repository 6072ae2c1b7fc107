package v2image_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/v2image"
)

const (
	testMchID  = "1900000109"
	testAPIKey = "192006250b4c09247ec02edce69f6a2d" // the sample key of the v2 docs
)

// clientCert is a self-signed TLS client certificate, made once per test
// binary, standing in for apiclient_cert.pem.
var clientCert = sync.OnceValue(func() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x1FB89742),
		Subject:      pkix.Name{CommonName: testMchID},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
})

// v2Sign is the APIv2 sign of docs/PROTOCOL.md §2, written here independently of
// package signing.
func v2Sign(fields map[string]string, key, signType string) string {
	var names []string
	for k, v := range fields {
		if k != "sign" && k != "media" && v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var s string
	for _, k := range names {
		s += k + "=" + fields[k] + "&"
	}
	s += "key=" + key
	if signType == "HMAC-SHA256" {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(s))
		return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
	}
	sum := md5.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// answer is an XML answer: the fields in order, as CDATA.
func answer(fields ...[2]string) string {
	var b strings.Builder
	b.WriteString("<xml>")
	for _, f := range fields {
		fmt.Fprintf(&b, "<%s><![CDATA[%s]]></%s>", f[0], f[1], f[0])
	}
	b.WriteString("</xml>")
	return b.String()
}

// signedAnswer appends the sign of fields under key and signType.
func signedAnswer(key, signType string, fields ...[2]string) string {
	m := map[string]string{}
	for _, f := range fields {
		m[f[0]] = f[1]
	}
	return answer(append(fields, [2]string{"sign", v2Sign(m, key, signType)})...)
}

func success(id string) [][2]string {
	return [][2]string{{"return_code", "SUCCESS"}, {"return_msg", "OK"}, {"result_code", "SUCCESS"}, {"media_id", id}}
}

// part is one multipart part as the server saw it.
type part struct {
	Name, Filename string
	Header         map[string][]string
	Data           []byte
}

// recorded is one request as the server saw it.
type recorded struct {
	Method, URI      string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Body             []byte
	ClientCerts      int
	Parts            []part
}

func (r *recorded) field(name string) (string, bool) {
	for _, p := range r.Parts {
		if p.Name == name {
			return string(p.Data), true
		}
	}
	return "", false
}

// server is a minimal stand-in for the v2 endpoint behind mutual TLS.
type server struct {
	*httptest.Server
	t       testing.TB
	mu      sync.Mutex
	reqs    []recorded
	respond func(w http.ResponseWriter, r *recorded)
}

func newServer(t testing.TB) *server {
	s := &server{t: t}
	s.respond = func(w http.ResponseWriter, r *recorded) {
		st, _ := r.field("sign_type")
		io.WriteString(w, signedAnswer(testAPIKey, st, success("MEDIA-V2-1")...))
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		rec := recorded{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), ContentLength: r.ContentLength,
			TransferEncoding: r.TransferEncoding, Body: body, ClientCerts: len(r.TLS.PeerCertificates)}
		if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
			mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				data, _ := io.ReadAll(p)
				rec.Parts = append(rec.Parts, part{p.FormName(), p.FileName(), p.Header, data})
			}
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		respond := s.respond
		s.mu.Unlock()
		respond(w, &rec)
	}))
	pool := x509.NewCertPool()
	pool.AddCert(clientCert().Leaf)
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	s.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	s.StartTLS()
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

// account returns a v2 account whose HTTP client presents clientCert.
func account(s *server) *providers.Account {
	hc := s.Client()
	tr := hc.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{clientCert()}
	return &providers.Account{
		Name:       "legacy",
		API:        "v2",
		MchID:      testMchID,
		APIKey:     testAPIKey,
		BaseURL:    s.URL,
		HTTPClient: &http.Client{Transport: tr, Timeout: 10 * time.Second},
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
	var mu sync.Mutex
	sum := sha256.Sum256(content)
	return &providers.Request{
		Asset:    "logo",
		Filename: name,
		Size:     int64(len(content)),
		SHA256:   hex.EncodeToString(sum[:]),
		Open: func() (providers.File, error) {
			f := &memFile{Reader: bytes.NewReader(content)}
			mu.Lock()
			opened = append(opened, f)
			mu.Unlock()
			return f, nil
		},
	}, &opened
}

var jpegBytes = []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 fake JPEG bytes for the legacy upload")

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func TestUploadRequestOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		signType     string // account setting
		wantSignType string // field sent, "" = absent
		signAlg      string
	}{
		{"", "", "MD5"},
		{"MD5", "", "MD5"},
		{"HMAC-SHA256", "HMAC-SHA256", "HMAC-SHA256"},
	} {
		t.Run("sign_type="+tc.signType, func(t *testing.T) {
			s := newServer(t)
			acct := account(s)
			acct.SignType = tc.signType
			req, opened := request("logo.jpg", jpegBytes)
			res, err := v2image.New(acct).Upload(context.Background(), req)
			if err != nil {
				t.Fatalf("Upload() = %v", err)
			}
			if res.ID != "MEDIA-V2-1" {
				t.Errorf("ID = %q, want MEDIA-V2-1", res.ID)
			}
			// Opened twice (MD5 pass, then the body), both closed.
			if len(*opened) != 2 || !(*opened)[0].closed.Load() || !(*opened)[1].closed.Load() {
				t.Errorf("opened %d files / closed: want 2, both closed", len(*opened))
			}

			reqs := s.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.URI != v2image.Path {
				t.Errorf("request line %s %s", r.Method, r.URI)
			}
			if r.ClientCerts != 1 {
				t.Errorf("client presented %d certificates, want 1", r.ClientCerts)
			}
			if r.ContentLength != int64(len(r.Body)) || len(r.TransferEncoding) != 0 {
				t.Errorf("Content-Length %d, Transfer-Encoding %v, body %d bytes: want an exact length", r.ContentLength, r.TransferEncoding, len(r.Body))
			}
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
				t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
			}

			var names []string
			for _, p := range r.Parts {
				names = append(names, p.Name)
				if p.Name != "media" {
					if len(p.Header) != 1 || p.Header["Content-Type"] != nil {
						t.Errorf("field %s has headers %v, want only Content-Disposition", p.Name, p.Header)
					}
					continue
				}
				if p.Filename != "logo.jpg" || p.Header["Content-Type"][0] != "image/jpeg" || !bytes.Equal(p.Data, jpegBytes) {
					t.Errorf("media part: filename %q, Content-Type %v, %d bytes", p.Filename, p.Header["Content-Type"], len(p.Data))
				}
			}
			wantNames := "mch_id,media_hash,sign,media"
			if tc.wantSignType != "" {
				wantNames = "mch_id,media_hash,sign_type,sign,media"
			}
			if got := strings.Join(names, ","); got != wantNames {
				t.Errorf("parts %s, want %s", got, wantNames)
			}

			mchID, _ := r.field("mch_id")
			hash, _ := r.field("media_hash")
			st, hasST := r.field("sign_type")
			sign, _ := r.field("sign")
			if mchID != testMchID {
				t.Errorf("mch_id = %q", mchID)
			}
			if hash != md5Hex(jpegBytes) {
				t.Errorf("media_hash = %q, want lowercase MD5 %s", hash, md5Hex(jpegBytes))
			}
			if st != tc.wantSignType || hasST != (tc.wantSignType != "") {
				t.Errorf("sign_type = %q (sent %v), want %q", st, hasST, tc.wantSignType)
			}
			var signed string
			if tc.signAlg == "HMAC-SHA256" {
				signed = "mch_id=" + testMchID + "&media_hash=" + hash + "&sign_type=HMAC-SHA256&key=" + testAPIKey
				m := hmac.New(sha256.New, []byte(testAPIKey))
				m.Write([]byte(signed))
				if want := strings.ToUpper(hex.EncodeToString(m.Sum(nil))); sign != want {
					t.Errorf("sign = %q, want HMAC-SHA256 %q", sign, want)
				}
			} else {
				signed = "mch_id=" + testMchID + "&media_hash=" + hash + "&key=" + testAPIKey
				if want := strings.ToUpper(md5Hex([]byte(signed))); sign != want {
					t.Errorf("sign = %q, want MD5 %q", sign, want)
				}
			}
		})
	}
}

func TestUploadEscapesFilenameAndContentType(t *testing.T) {
	s := newServer(t)
	req, _ := request(`we"ird\name.PNG`, []byte("\x89PNG\r\n\x1a\nfake"))
	if _, err := v2image.New(account(s)).Upload(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	body := string(s.requests()[0].Body)
	want := `Content-Disposition: form-data; name="media"; filename="we\"ird\\name.PNG"` + "\r\nContent-Type: image/png\r\n"
	if !strings.Contains(body, want) {
		t.Errorf("body lacks %q:\n%q", want, body)
	}
}

func TestUploadRejectsForgedSign(t *testing.T) {
	tests := []struct {
		name string
		body func(signType string) string
		want string
	}{
		{"media_id changed after signing", func(st string) string {
			return strings.Replace(signedAnswer(testAPIKey, st, success("MEDIA-V2-1")...), "MEDIA-V2-1", "EVIL-1", 1)
		}, "does not match"},
		{"signed with another key", func(st string) string {
			return signedAnswer("00000000000000000000000000000000", st, success("MEDIA-V2-1")...)
		}, "does not match"},
		{"signed with the other algorithm", func(st string) string {
			other := "HMAC-SHA256"
			if st == other {
				other = "MD5"
			}
			return signedAnswer(testAPIKey, other, success("MEDIA-V2-1")...)
		}, "does not match"},
		{"field added after signing", func(st string) string {
			return strings.Replace(signedAnswer(testAPIKey, st, success("MEDIA-V2-1")...), "</xml>", "<extra>1</extra></xml>", 1)
		}, "does not match"},
	}
	for _, signType := range []string{"MD5", "HMAC-SHA256"} {
		for _, tc := range tests {
			t.Run(signType+"/"+tc.name, func(t *testing.T) {
				s := newServer(t)
				s.setRespond(func(w http.ResponseWriter, r *recorded) { io.WriteString(w, tc.body(signType)) })
				acct := account(s)
				acct.SignType = signType
				req, _ := request("logo.jpg", jpegBytes)
				res, err := v2image.New(acct).Upload(context.Background(), req)
				if res != nil {
					t.Errorf("Upload() returned %+v from a forged answer", res)
				}
				var ve *providers.VerifyError
				if !errors.As(err, &ve) || !strings.Contains(ve.Reason, tc.want) || !strings.Contains(err.Error(), "nothing was recorded") {
					t.Fatalf("Upload() error = %v (%T), want a VerifyError saying %q", err, err, tc.want)
				}
				if ve.Asset != "logo" || providers.IsRetryable(err) {
					t.Errorf("VerifyError %+v, retryable %v", ve, providers.IsRetryable(err))
				}
				if strings.Contains(err.Error(), testAPIKey) {
					t.Errorf("error %q contains the API key", err)
				}
			})
		}
	}
}

func TestUploadAcceptsUnsignedSuccess(t *testing.T) {
	if !v2image.AcceptUnsignedSuccess {
		t.Skip("unsigned answers are rejected")
	}
	s := newServer(t)
	s.setRespond(func(w http.ResponseWriter, r *recorded) { io.WriteString(w, answer(success("UNSIGNED-1")...)) })
	req, _ := request("logo.jpg", jpegBytes)
	res, err := v2image.New(account(s)).Upload(context.Background(), req)
	if err != nil || res.ID != "UNSIGNED-1" {
		t.Fatalf("Upload() = %v, %v", res, err)
	}
}

func TestUploadBusinessErrors(t *testing.T) {
	tests := []struct {
		code, des string
		retryable bool
		wantHint  string
	}{
		{"SYSTEMERROR", "系统错误", true, "internal error"},
		{"FREQUENCY_LIMITED", "频率限制", true, "rate_limit"},
		{"SIGNERROR", "签名错误", false, "APIv2 key (the 32-character API key, not the APIv3 key)"},
		{"PARAM_ERROR", "图片格式错误", false, "media_hash"},
		{"INVALID_REQUEST", "无权限", false, "client certificate"},
		{"SOMETHING_NEW", "?", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) {
				io.WriteString(w, signedAnswer(testAPIKey, "MD5", [][2]string{{"return_code", "SUCCESS"}, {"return_msg", "OK"},
					{"result_code", "FAIL"}, {"err_code", tc.code}, {"err_code_des", tc.des}}...))
			})
			req, _ := request("logo.jpg", jpegBytes)
			res, err := v2image.New(account(s)).Upload(context.Background(), req)
			var ae *providers.APIError
			if res != nil || !errors.As(err, &ae) {
				t.Fatalf("Upload() = %v, %v (%T); want *providers.APIError", res, err, err)
			}
			if ae.Asset != "logo" || ae.HTTPStatus != 200 || ae.Code != tc.code || ae.Message != tc.des || ae.Endpoint != "POST "+v2image.Path {
				t.Errorf("APIError = %+v", ae)
			}
			if ae.Retryable != tc.retryable || providers.IsRetryable(err) != tc.retryable || v2image.Retryable(tc.code) != tc.retryable {
				t.Errorf("Retryable = %v, want %v", ae.Retryable, tc.retryable)
			}
			if !strings.Contains(ae.Hint, tc.wantHint) || (tc.wantHint == "" && ae.Hint != "") {
				t.Errorf("Hint = %q, want it to contain %q", ae.Hint, tc.wantHint)
			}
		})
	}
}

func TestUploadReturnCodeFail(t *testing.T) {
	tests := []struct {
		name      string
		fields    [][2]string
		wantCode  string
		wantMsg   string
		retryable bool
		wantHint  string
	}{
		{"certificate required", [][2]string{{"return_code", "FAIL"}, {"return_msg", "Certificate is required"}},
			"FAIL", "Certificate is required", false, "client_cert_file and client_key_file"},
		{"chinese certificate error", [][2]string{{"return_code", "FAIL"}, {"return_msg", "证书错误"}},
			"FAIL", "证书错误", false, "client_cert_file"},
		{"signature failure", [][2]string{{"return_code", "FAIL"}, {"return_msg", "签名失败"}},
			"FAIL", "签名失败", false, "api_key_env"},
		{"emulator style prefix", [][2]string{{"return_code", "FAIL"}, {"return_msg", "INVALID_REQUEST: the body must be multipart/form-data"}},
			"FAIL", "INVALID_REQUEST: the body must be multipart/form-data", false, "client certificate"},
		{"with err_code", [][2]string{{"return_code", "FAIL"}, {"return_msg", "busy"}, {"err_code", "SYSTEMERROR"}},
			"SYSTEMERROR", "busy", true, "internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) { io.WriteString(w, answer(tc.fields...)) })
			req, _ := request("logo.jpg", jpegBytes)
			res, err := v2image.New(account(s)).Upload(context.Background(), req)
			var ae *providers.APIError
			if res != nil || !errors.As(err, &ae) {
				t.Fatalf("Upload() = %v, %v (%T); want *providers.APIError", res, err, err)
			}
			if ae.Code != tc.wantCode || ae.Message != tc.wantMsg || ae.Retryable != tc.retryable || !strings.Contains(ae.Hint, tc.wantHint) {
				t.Errorf("APIError = %+v, want code %s, message %q, retryable %v, hint with %q", ae, tc.wantCode, tc.wantMsg, tc.retryable, tc.wantHint)
			}
		})
	}
}

func TestUploadHTTPErrors(t *testing.T) {
	tests := []struct {
		status     int
		body       string
		retryAfter string
		retryable  bool
		wantDelay  time.Duration
		wantMsg    string
	}{
		{502, "<html>\n<body>502 Bad Gateway</body>\n</html>", "", true, 0, "<html> <body>502 Bad Gateway</body> </html>"},
		{503, "", "7", true, 7 * time.Second, ""},
		{429, "slow down", "3", true, 3 * time.Second, "slow down"},
		{400, "bad request", "", false, 0, "bad request"},
		{404, "not found", "", false, 0, "not found"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			req, _ := request("logo.jpg", jpegBytes)
			res, err := v2image.New(account(s)).Upload(context.Background(), req)
			var ae *providers.APIError
			if res != nil || !errors.As(err, &ae) {
				t.Fatalf("Upload() = %v, %v (%T); want *providers.APIError", res, err, err)
			}
			if ae.HTTPStatus != tc.status || ae.Message != tc.wantMsg || ae.RetryAfter() != tc.wantDelay {
				t.Errorf("APIError = %+v", ae)
			}
			if ae.Retryable != tc.retryable || providers.IsRetryable(err) != tc.retryable {
				t.Errorf("Retryable = %v, want %v", ae.Retryable, tc.retryable)
			}
		})
	}
}

func TestUploadMalformedAnswers(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not XML", `{"media_id":"x"}`, "text outside the answer's elements"},
		{"bad XML", `<xml><a x=1>`, "body is not XML"},
		{"html", `<html><body>ok</body></html>`, "root element is <html>"},
		{"empty", ``, "no complete <xml> element"},
		{"no return_code", answer([2]string{"media_id", "M"}), "no return_code"},
		{"no result_code", answer([2]string{"return_code", "SUCCESS"}), "no result_code"},
		{"no media_id", signedAnswer(testAPIKey, "MD5", [][2]string{{"return_code", "SUCCESS"}, {"result_code", "SUCCESS"}}...), "no media_id"},
		{"media_id too long", signedAnswer(testAPIKey, "MD5", success(strings.Repeat("m", 257))...), "media_id is 257 bytes long, want at most 256"},
		{"duplicate media_id", `<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><media_id>A</media_id><media_id>B</media_id></xml>`, "<media_id> appears twice"},
		{"nested", `<xml><return_code><a>SUCCESS</a></return_code></xml>`, "nested"},
		{"doctype", `<!DOCTYPE xml [<!ENTITY x "y">]><xml><return_code>SUCCESS</return_code></xml>`, "directive"},
		{"trailing element", answer(success("M")...) + `<xml></xml>`, "after </xml>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) { io.WriteString(w, tc.body) })
			req, _ := request("logo.jpg", jpegBytes)
			res, err := v2image.New(account(s)).Upload(context.Background(), req)
			if res != nil || err == nil || !strings.Contains(err.Error(), "malformed response") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Upload() = %v, %v; want malformed response: %s", res, err, tc.want)
			}
			if providers.IsRetryable(err) {
				t.Error("malformed success is retryable")
			}
		})
	}
}

func TestAPIKeyNeverInErrors(t *testing.T) {
	k := testAPIKey
	bodies := map[string]struct {
		status int
		body   string
	}{
		"return_msg":   {200, answer([2]string{"return_code", "FAIL"}, [2]string{"return_msg", "bad key " + k})},
		"err_code_des": {200, answer([2]string{"return_code", "SUCCESS"}, [2]string{"result_code", "FAIL"}, [2]string{"err_code", "SIGNERROR"}, [2]string{"err_code_des", "key=" + k})},
		"not XML":      {200, "key=" + k},
		"http 500":     {500, "<xml><return_msg>" + k + "</return_msg></xml>"},
		"http 502":     {502, "upstream said " + k},
		"forged sign":  {200, answer(append(success("M"), [2]string{"sign", "X"}, [2]string{"note", k})...)},
		"long id":      {200, answer(success(k + strings.Repeat("x", 300))...)},
	}
	for name, tc := range bodies {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			s.setRespond(func(w http.ResponseWriter, r *recorded) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			req, _ := request("logo.jpg", jpegBytes)
			_, err := v2image.New(account(s)).Upload(context.Background(), req)
			if err == nil {
				t.Fatal("Upload() succeeded")
			}
			if msg := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(msg, k) {
				t.Errorf("error contains the API key: %s", msg)
			}
		})
	}
	t.Run("config errors", func(t *testing.T) {
		s := newServer(t)
		acct := account(s)
		acct.SignType = "SHA1"
		req, _ := request("logo.jpg", jpegBytes)
		_, err := v2image.New(acct).Upload(context.Background(), req)
		if err == nil || strings.Contains(fmt.Sprintf("%v %#v", err, err), k) {
			t.Errorf("Upload() = %v", err)
		}
	})
}

func TestUploadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(a *providers.Account, r *providers.Request)
		want string
	}{
		{"no mch_id", func(a *providers.Account, r *providers.Request) { a.MchID = "" }, "no mch_id"},
		{"no api key", func(a *providers.Account, r *providers.Request) { a.APIKey = "" }, "api_key_env"},
		{"no base url", func(a *providers.Account, r *providers.Request) { a.BaseURL = "" }, "no endpoint"},
		{"bad sign type", func(a *providers.Account, r *providers.Request) { a.SignType = "SHA1" }, `sign_type "SHA1"`},
		{"filename with newline", func(a *providers.Account, r *providers.Request) { r.Filename = "a\n.jpg" }, "line break"},
		{"no open", func(a *providers.Account, r *providers.Request) { r.Open = nil }, "no Open"},
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
			req, _ := request("logo.jpg", jpegBytes)
			tc.edit(acct, req)
			_, err := v2image.New(acct).Upload(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "logo: ") {
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

func TestUploadFileChangedBetweenPasses(t *testing.T) {
	s := newServer(t)
	req, _ := request("logo.jpg", jpegBytes)
	changed := bytes.Clone(jpegBytes)
	changed[len(changed)-1] ^= 1
	n := 0
	req.Open = func() (providers.File, error) {
		n++
		if n == 1 {
			return &memFile{Reader: bytes.NewReader(jpegBytes)}, nil
		}
		return &memFile{Reader: bytes.NewReader(changed)}, nil
	}
	res, err := v2image.New(account(s)).Upload(context.Background(), req)
	if res != nil || err == nil || !strings.Contains(err.Error(), "file changed since plan: its content hashes to sha256") {
		t.Fatalf("Upload() = %v, %v; want file changed", res, err)
	}
	if providers.IsRetryable(err) {
		t.Error("file change is retryable")
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("server received %d complete requests, want none", n)
	}
}

func TestUploadWithoutClientCertificate(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  uint16
	}{{"TLS 1.2", tls.VersionTLS12}, {"TLS 1.3", tls.VersionTLS13}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.TLS.MaxVersion = tc.max
			acct := account(s)
			acct.HTTPClient = s.Client() // trusts the server, presents no certificate
			req, _ := request("logo.jpg", jpegBytes)
			_, err := v2image.New(acct).Upload(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), "client_cert_file/client_key_file") {
				t.Fatalf("Upload() = %v; want advice about the client certificate", err)
			}
			// TLS 1.2 refuses the handshake itself: no retry can help. Over
			// TLS 1.3 the server drops the connection after the handshake,
			// which looks like any network failure.
			if tc.max == tls.VersionTLS12 && providers.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true: a refused handshake will be refused again", err)
			}
		})
	}
}

func TestUploadTransportErrors(t *testing.T) {
	s := newServer(t)
	s.setRespond(func(w http.ResponseWriter, r *recorded) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
	req, _ := request("logo.jpg", jpegBytes)
	res, err := v2image.New(account(s)).Upload(context.Background(), req)
	var te *providers.TransportError
	if res != nil || !errors.As(err, &te) || !providers.IsRetryable(err) {
		t.Fatalf("Upload() = %v, %v (%T); want a retryable *providers.TransportError", res, err, err)
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
	req, opened := request("logo.jpg", jpegBytes)
	res, err := v2image.New(account(s)).Upload(ctx, req)
	if res != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload() = %v, %v; want context.Canceled", res, err)
	}
	var te *providers.TransportError
	if errors.As(err, &te) || providers.IsRetryable(err) {
		t.Errorf("Upload() canceled = %v (%T): want a plain, non-retryable context error", err, err)
	}
	for i, f := range *opened {
		if !f.closed.Load() {
			t.Errorf("file %d not closed", i)
		}
	}
}

// TestUploadStreams checks that neither the MD5 pass nor the body holds
// the file in memory.
func TestUploadStreams(t *testing.T) {
	const size = 16 << 20
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(i*7 + i>>9)
	}
	want := md5Hex(content)
	got := make(chan string, 1)
	s := newServer(t)
	// Replace the recording handler: hash the media part as it arrives.
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mr := multipart.NewReader(r.Body, params["boundary"])
		sum := ""
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "media" {
				h := md5.New()
				io.Copy(h, p)
				sum = hex.EncodeToString(h.Sum(nil))
			}
		}
		got <- sum
		io.WriteString(w, signedAnswer(testAPIKey, "MD5", success("BIG")...))
	})
	req, _ := request("big.jpg", content)
	c := v2image.New(account(s))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := c.Upload(context.Background(), req)
	runtime.ReadMemStats(&after)
	if err != nil || res.ID != "BIG" {
		t.Fatalf("Upload() = %v, %v", res, err)
	}
	if h := <-got; h != want {
		t.Errorf("server received MD5 %s, want %s", h, want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB to upload %d MiB", alloc>>10, size>>20)
	if alloc > size/4 {
		t.Errorf("allocated %d bytes to upload %d bytes: the file is buffered", alloc, size)
	}
}

// TestTypeMatchesMediatype keeps the provider in step with package
// mediatype, which validate and plan use.
func TestTypeMatchesMediatype(t *testing.T) {
	mt := mediatype.Lookup("legacy_image")
	if mt == nil || mt.API != "v2" || mt.IDField != "media_id" || mt.Endpoint != "POST "+v2image.Path {
		t.Errorf("mediatype legacy_image = %+v", mt)
	}
}
