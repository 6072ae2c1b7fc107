package main

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// secretTap records every secret that crosses the wire: request and
// response signatures and v2 signs.
type secretTap struct {
	h       http.Handler
	mu      sync.Mutex
	secrets map[string]bool
}

var (
	authSigRE = regexp.MustCompile(`signature="([^"]+)"`)
	v2SignRE  = regexp.MustCompile(`name="sign"\r\n\r\n([0-9A-Fa-f]+)`)
	xmlSignRE = regexp.MustCompile(`<sign><!\[CDATA\[([0-9A-Fa-f]+)\]\]></sign>`)
)

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

func (s *secretTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readAllLimit(r)
	tw := &teeWriter{ResponseWriter: w}
	s.h.ServeHTTP(tw, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range authSigRE.FindAllStringSubmatch(r.Header.Get("Authorization"), -1) {
		s.secrets[m[1]] = true
	}
	for _, m := range v2SignRE.FindAllSubmatch(body, -1) {
		s.secrets[string(m[1])] = true
	}
	for _, m := range xmlSignRE.FindAllSubmatch(tw.buf.Bytes(), -1) {
		s.secrets[string(m[1])] = true
	}
	if sig := w.Header().Get("Wechatpay-Signature"); sig != "" {
		s.secrets[sig] = true
	}
}

// readAllLimit reads the request body and puts it back for the emulator.
func readAllLimit(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	r.Body = readCloser{bytes.NewReader(b.Bytes())}
	return b.Bytes(), err
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// TestTraceRedactsEverySecret applies every asset type through a TLS
// emulator with -log-file, then a failing apply (server errors, retried),
// and checks the trace: one line per exchange with status, Request-ID,
// latency and body hashes, retry decisions, and not one secret: no private
// key, APIv2 or APIv3 key, request or response signature or v2 sign.
func TestTraceRedactsEverySecret(t *testing.T) {
	srv, err := emulator.NewSandbox(emulator.Config{PartSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	tap := &secretTap{h: srv, secrets: map[string]bool{}}
	url, _, stop, err := emulator.StartTLS(tap)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	k := emulator.Sandbox()
	ws := testenv.New(t)
	keys := ws.Path("keys")
	r := runCLI(t, "emulator", "-tls", "-write-keys-only", keys, "-addr", strings.TrimPrefix(url, "https://"))
	i := strings.Index(r.stdout, "accounts:\n")
	if r.code != 0 || i < 0 {
		t.Fatalf("emulator -write-keys-only = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("WXMEDIA_SANDBOX_V2_API_KEY", k.V2.APIKey)
	ws.Write(t, "media/a.png", testenv.PNG(400, 1))
	ws.Write(t, "media/b.png", testenv.PNG(400, 2))
	ws.Write(t, "media/c.png", testenv.PNG(400, 3))
	ws.Write(t, "media/d.png", testenv.PNG(400, 4))
	ws.Write(t, "media/e.png", testenv.PNG(400, 5))
	ws.Write(t, "media/clip.mp4", append([]byte("\x00\x00\x00\x18ftypmp42"), testenv.PNG(400, 6)...))
	ws.Write(t, "lists/vip.csv", []byte(strings.Repeat("oUserOpenID000000000000000001\n", 5)))
	ws.Write(t, "wxmedia.yaml", []byte("version: 1\n"+r.stdout[i:]+`assets:
  photo: {type: image, account: shop, file: media/a.png}
  clip: {type: video, account: shop, file: media/clip.mp4}
  promo: {type: marketing_image, account: shop, file: media/b.png}
  licence: {type: global_file, account: hk, file: media/c.png}
  coupon: {type: brand_image, account: brand, file: media/d.png}
  logo: {type: legacy_image, account: legacy, file: media/e.png}
  vip: {type: user_package, account: brand, file: lists/vip.csv, data_type: openid, expand_into: "01000100010000000007"}
`))
	trace := ws.Path("trace.log")
	if r := runCLI(t, "-chdir", ws.Dir, "-log-file", trace, "apply", "-auto-approve"); r.code != 0 {
		t.Fatalf("apply = %d\n%s", r.code, r.stderr)
	}
	// A failing apply: every request answers 500, and is retried.
	srv.SetFaults(emulator.Faults{FailRate: 1})
	ws.Write(t, "media/a.png", testenv.PNG(400, 7))
	if r := runCLI(t, "-chdir", ws.Dir, "-log-file", trace, "apply", "-auto-approve"); r.code == 0 {
		t.Fatal("apply against a failing emulator succeeded")
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)

	for _, path := range []string{"/v3/merchant/media/upload", "/v3/merchant/media/video_upload", "/v3/marketing/favor/media/image-upload",
		"/v3/global/merchant-storage/file/upload", "/brand/marketing/product-coupon/media/upload-image", "/secapi/mch/uploadmedia",
		"/brand/marketing/user-package/uploads", "/brand/marketing/user-package/user-packages/01000100010000000007/expand"} {
		if !regexp.MustCompile(`wxmedia http method=(POST|PUT) path=` + regexp.QuoteMeta(path) + ` status=200 request_id=[0-9A-F]{40} latency=\S+ .*req_body=\d+B:sha256:[0-9a-f]{64} .*resp_body=\d+B:sha256:[0-9a-f]{64}`).MatchString(log) {
			t.Errorf("no traced 200 exchange for %s", path)
		}
	}
	for _, want := range []string{
		`path=/v3/merchant/media/upload status=500`, "retry=may retry_reason=\"server error\"",
		"wxmedia retry asset=photo attempt=1 decision=retry",
		`signature=<redacted>`, "mchid=" + k.V3.MchID, "serial_no=" + k.V3.SerialNo,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("trace lacks %q", want)
		}
	}

	secrets := map[string]string{"APIv2 key": k.V2.APIKey, "APIv3 key": k.APIv3Key}
	for _, m := range k.Merchants() {
		for _, l := range strings.Split(string(m.PrivateKeyPEM), "\n") {
			if len(l) >= 40 && !strings.HasPrefix(l, "-----") {
				secrets[m.API+" private key line"] = l
			}
		}
	}
	tap.mu.Lock()
	n := 0
	for s := range tap.secrets {
		secrets["signature "+s[:8]] = s
		n++
	}
	tap.mu.Unlock()
	if n < 20 {
		t.Fatalf("only %d signatures were seen on the wire; the test did not exercise the providers", n)
	}
	for what, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the trace contains the %s", what)
		}
	}
	if t.Failed() {
		t.Logf("trace:\n%s", log)
	}
}
