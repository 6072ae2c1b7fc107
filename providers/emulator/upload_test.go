package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestImageUploadHappyPath(t *testing.T) {
	var log bytes.Buffer
	s := newTestServer(t, Config{Log: &log})
	keys := Sandbox()
	c := newSigner(t, keys.V3)
	content := pngBytes(1000)
	w := do(s, c.request(imageUpload("a.png", content)))
	m := wantOK(t, w)
	id, _ := m["media_id"].(string)
	if len(id) != 60 || len(m) != 1 {
		t.Fatalf("body = %s, want one 60-char media_id", w.Body)
	}
	got := s.Issued()
	if len(got) != 1 {
		t.Fatalf("Issued() has %d entries, want 1", len(got))
	}
	want := Issued{Endpoint: PathImageUpload, MchID: SandboxV3MchID, SHA256: sha256Hex(content), Filename: "a.png", ID: id, Time: testNow}
	if got[0] != want {
		t.Errorf("Issued()[0] = %+v, want %+v", got[0], want)
	}
	var line Issued
	if err := json.Unmarshal(log.Bytes(), &line); err != nil || line.ID != id || line.SHA256 != want.SHA256 {
		t.Errorf("log line %q, err %v", log.String(), err)
	}
	// A second upload of the same content gets a new ID.
	w = do(s, c.request(imageUpload("a.png", content)))
	if m2 := wantOK(t, w); m2["media_id"] == id {
		t.Error("second upload returned the same media_id")
	}
	if s.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2", s.Requests())
	}
}

func TestImageUploadVariants(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newSigner(t, Sandbox().V3)
	content := jpegBytes(300)
	for _, tc := range []struct {
		name string
		u    uploadReq
	}{
		{"file part first", func() uploadReq { u := imageUpload("b.jpg", content); u.fileFirst = true; return u }()},
		{"upper-case extension and digest", func() uploadReq {
			u := imageUpload("B.JPEG", content)
			u.meta = metaJSON("B.JPEG", "sha256", strings.ToUpper(sha256Hex(content)))
			return u
		}()},
		{"spaced meta JSON", func() uploadReq {
			u := imageUpload("c.jpg", content)
			u.meta = []byte(`{ "filename": "c.jpg", "sha256": "` + sha256Hex(content) + `" }`)
			return u
		}()},
		{"matching Wechatpay-Serial", func() uploadReq { u := imageUpload("d.jpg", content); u.wpSerial = SandboxWechatPayKeyID; return u }()},
		{"exactly 2 MiB", imageUpload("e.png", pngBytes(2*MiB))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOK(t, do(s, c.request(tc.u)))
		})
	}
}

// TestHandBuiltMultipart sends the layout of wechatpay-java (no Content-Type
// on meta) with a trailing ';' on both dispositions, as the API page shows.
func TestHandBuiltMultipart(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newSigner(t, Sandbox().V3)
	content := pngBytes(64)
	meta := metaJSON("x.png", "sha256", sha256Hex(content))
	body := "--BOUNDARY\r\nContent-Disposition: form-data; name=\"meta\";\r\n\r\n" + string(meta) +
		"\r\n--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\";\r\nContent-Type: image/png\r\n\r\n" +
		string(content) + "\r\n--BOUNDARY--\r\n"
	r := httptest.NewRequest(http.MethodPost, PathImageUpload, strings.NewReader(body))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=BOUNDARY")
	r.Header.Set("Authorization", c.authorization("POST", PathImageUpload, meta))
	wantOK(t, do(s, r))

	// The same body with bare LF line breaks is refused.
	lf := strings.ReplaceAll(body, "\r\n", "\n")
	r = httptest.NewRequest(http.MethodPost, PathImageUpload, strings.NewReader(lf))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=BOUNDARY")
	r.Header.Set("Authorization", c.authorization("POST", PathImageUpload, meta))
	wantError(t, do(s, r), 400, "INVALID_REQUEST", "CRLF")
}

func TestAuthErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	keys := Sandbox()
	content := pngBytes(100)
	good := imageUpload("a.png", content)
	v3 := newSigner(t, keys.V3)
	for _, tc := range []struct {
		name    string
		signer  func() *signer
		u       uploadReq
		status  int
		code    string
		msgPart string
	}{
		{"wrong key", func() *signer {
			c := newSigner(t, keys.V3)
			c.key = parsePrivateKey(t, keys.Global.PrivateKeyPEM)
			return c
		}, good, 401, "SIGN_ERROR", "signature"},
		{"meta changed after signing", nil, func() uploadReq {
			u := good
			u.sentMeta = []byte(strings.Replace(string(u.meta), `"a.png"`, `"a.png" `, 1))
			return u
		}(), 401, "SIGN_ERROR", "signature"},
		{"stale timestamp", func() *signer { c := newSigner(t, keys.V3); c.now = testNow.Add(-6 * time.Minute); return c }, good, 401, "SIGN_ERROR", "timestamp expired"},
		{"future timestamp", func() *signer { c := newSigner(t, keys.V3); c.now = testNow.Add(6 * time.Minute); return c }, good, 401, "SIGN_ERROR", "timestamp expired"},
		{"unknown mchid", func() *signer { c := newSigner(t, keys.V3); c.id = "1999999999"; return c }, good, 401, "SIGN_ERROR", "not a known merchant"},
		{"brand id as mchid", func() *signer { c := newSigner(t, keys.V3); c.id = SandboxBrandID; return c }, good, 401, "SIGN_ERROR", "not a known merchant"},
		{"wrong serial", func() *signer { c := newSigner(t, keys.V3); c.serial = keys.Global.SerialNo; return c }, good, 401, "SIGN_ERROR", "serial_no"},
		{"brand scheme", func() *signer { return newSigner(t, keys.Brand) }, good, 401, "SIGN_ERROR", "scheme"},
		{"missing Authorization", nil, func() uploadReq { u := good; u.noAuth = true; return u }(), 401, "SIGN_ERROR", "missing"},
		{"single quotes", nil, func() uploadReq {
			u := good
			u.auth = strings.ReplaceAll(v3.authorization("POST", PathImageUpload, u.meta), `"`, `'`)
			return u
		}(), 401, "SIGN_ERROR", "single quotes"},
		{"spaces between pairs", nil, func() uploadReq {
			u := good
			u.auth = strings.ReplaceAll(v3.authorization("POST", PathImageUpload, u.meta), `",`, `", `)
			return u
		}(), 401, "SIGN_ERROR", "spaces"},
		{"missing signature pair", nil, func() uploadReq {
			u := good
			a := v3.authorization("POST", PathImageUpload, u.meta)
			u.auth = a[:strings.Index(a, `,signature=`)]
			return u
		}(), 401, "SIGN_ERROR", "missing parameter signature"},
		{"signed whole body", nil, func() uploadReq {
			u := good
			body, _ := buildMultipart(u.meta, u.filename, u.fileType, u.content, false)
			u.auth = v3.authorization("POST", PathImageUpload, body)
			return u
		}(), 401, "SIGN_ERROR", "signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := v3
			if tc.signer != nil {
				c = tc.signer()
			}
			wantError(t, do(s, c.request(tc.u)), tc.status, tc.code, tc.msgPart)
		})
	}
	// A global merchant may not call the marketing endpoint.
	g := newSigner(t, keys.Global)
	u := good
	u.path = PathMarketingUpload
	wantError(t, do(s, g.request(u)), 403, "NO_AUTH", "permission")
	if n := len(s.Issued()); n != 0 {
		t.Errorf("Issued() has %d entries after failures", n)
	}
}

func TestParamErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newSigner(t, Sandbox().V3)
	png := pngBytes(500)
	mod := func(f func(*uploadReq)) uploadReq {
		u := imageUpload("a.png", png)
		f(&u)
		return u
	}
	for _, tc := range []struct {
		name    string
		u       uploadReq
		msgPart string
	}{
		{"bad extension", imageUpload("a.gif", png), "extension"},
		{"no extension", imageUpload("png", png), "extension"},
		{"not an image", imageUpload("a.png", []byte("hello, this is text, not a picture")), "not an image"},
		{"PNG named .jpg", imageUpload("a.jpg", png), "not an image"},
		{"sha256 mismatch", mod(func(u *uploadReq) { u.meta = metaJSON("a.png", "sha256", sha256Hex([]byte("other"))) }), "does not match"},
		{"too large", imageUpload("a.png", pngBytes(2*MiB+1)), "larger"},
		{"empty", imageUpload("a.png", []byte{}), "empty"},
		{"filename 129 chars", imageUpload(strings.Repeat("x", 125)+".png", png), "1 to 128"},
		{"empty filename", imageUpload("", png), "1 to 128"},
		{"file part name differs", mod(func(u *uploadReq) { u.filename = "b.png" }), "does not equal"},
		{"no sha256", mod(func(u *uploadReq) { u.meta = []byte(`{"filename":"a.png"}`) }), "no sha256"},
		{"sha256 not a string", mod(func(u *uploadReq) { u.meta = []byte(`{"filename":"a.png","sha256":12}`) }), "not a string"},
		{"meta not JSON", mod(func(u *uploadReq) { u.meta = []byte(`filename=a.png`) }), "JSON"},
		{"sha256 too long", mod(func(u *uploadReq) { u.meta = metaJSON("a.png", "sha256", strings.Repeat("a", 65)) }), "1 to 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, do(s, c.request(tc.u)), 400, "PARAM_ERROR", tc.msgPart)
		})
	}
	if n := len(s.Issued()); n != 0 {
		t.Errorf("Issued() has %d entries after failures", n)
	}
}

func TestMissingParts(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newSigner(t, Sandbox().V3)
	meta := metaJSON("a.png", "sha256", sha256Hex(pngBytes(10)))
	send := func(body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", PathImageUpload, strings.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		r.Header.Set("Authorization", c.authorization("POST", PathImageUpload, meta))
		return do(s, r)
	}
	metaPart := "--B\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" + string(meta) + "\r\n"
	wantError(t, send(metaPart+"--B--\r\n"), 400, "PARAM_ERROR", "no file part")
	filePart := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n" + string(pngBytes(10)) + "\r\n"
	wantError(t, send(filePart+"--B--\r\n"), 400, "PARAM_ERROR", "no meta part")
	wantError(t, send(metaPart+metaPart+filePart+"--B--\r\n"), 400, "PARAM_ERROR", "twice")
	extra := "--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n"
	wantError(t, send(metaPart+filePart+extra+"--B--\r\n"), 400, "PARAM_ERROR", "unexpected")
	noName := "--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n"
	wantError(t, send(metaPart+noName+"--B--\r\n"), 400, "PARAM_ERROR", "no filename")
	wantError(t, send(metaPart+filePart), 400, "INVALID_REQUEST", "unexpected EOF")
}

func TestRequestErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newSigner(t, Sandbox().V3)
	u := imageUpload("a.png", pngBytes(100))

	u.wpSerial = "PUB_KEY_ID_00000000000000000000000000000000"
	wantError(t, do(s, c.request(u)), 400, "INVALID_REQUEST", "Wechatpay-Serial")

	u.wpSerial = ""
	r := c.request(u)
	r.Header.Set("Content-Type", "application/json")
	wantError(t, do(s, r), 400, "INVALID_REQUEST", "multipart/form-data")
	r = c.request(u)
	r.Header.Set("Content-Type", "multipart/form-data")
	wantError(t, do(s, r), 400, "INVALID_REQUEST", "boundary")

	r = httptest.NewRequest(http.MethodGet, PathImageUpload, nil)
	w := do(s, r)
	wantError(t, w, 400, "INVALID_REQUEST", "GET")
	if w.Header().Get("Allow") != "POST" {
		t.Errorf("Allow = %q", w.Header().Get("Allow"))
	}
	wantError(t, do(s, httptest.NewRequest(http.MethodPost, "/v3/nope", nil)), 404, "NOT_FOUND", "/v3/nope")
}

func TestRateLimit(t *testing.T) {
	now := testNow
	s := newTestServer(t, Config{RateLimit: 2, Now: func() time.Time { return now }})
	c := newSigner(t, Sandbox().V3)
	u := imageUpload("a.png", pngBytes(100))
	wantOK(t, do(s, c.request(u)))
	wantOK(t, do(s, c.request(u)))
	w := do(s, c.request(u))
	wantError(t, w, 429, "FREQUENCY_LIMIT_EXCEED", "per second")
	if w.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", w.Header().Get("Retry-After"))
	}
	// Another merchant has its own bucket.
	m := imageUpload("a.png", pngBytes(100))
	m.path = PathGlobalUpload
	m.meta = metaJSON("a.png", "digest", sha256Hex(m.content))
	if w := do(s, newSigner(t, Sandbox().Global).request(m)); w.Code != 200 {
		t.Errorf("global merchant: %d %s", w.Code, w.Body)
	}
	now = now.Add(600 * time.Millisecond) // refills 1.2 tokens
	wantOK(t, do(s, c.request(u)))
	wantError(t, do(s, c.request(u)), 429, "FREQUENCY_LIMIT_EXCEED", "")
	if n := len(s.Issued()); n != 4 {
		t.Errorf("Issued() has %d entries, want 4", n)
	}
}

func TestDailyQuota(t *testing.T) {
	now := testNow
	s := newTestServer(t, Config{DailyQuota: 2, Now: func() time.Time { return now }})
	c := newSigner(t, Sandbox().V3)
	u := imageUpload("a.png", pngBytes(100))
	wantOK(t, do(s, c.request(u)))
	bad := imageUpload("a.gif", pngBytes(100)) // failures do not count
	wantError(t, do(s, c.request(bad)), 400, "PARAM_ERROR", "")
	wantOK(t, do(s, c.request(u)))
	w := do(s, c.request(u))
	wantError(t, w, 429, "FREQUENCY_LIMIT_EXCEED", "daily upload quota")
	if n := len(s.Issued()); n != 2 {
		t.Errorf("Issued() has %d entries, want 2", n)
	}
	now = now.Add(24 * time.Hour)
	c.now = now
	if w := do(s, c.request(u)); w.Code != 200 {
		t.Errorf("next day: %d %s", w.Code, w.Body)
	}
}

func TestParseAuthorization(t *testing.T) {
	good := `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="abc",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",signature="c2ln"`
	a, err := parseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	want := authorization{Scheme: schemeV3, MchID: "1900000001", NonceStr: "abc", Timestamp: "1554208460", SerialNo: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C", Signature: "c2ln"}
	if a != want {
		t.Errorf("parseAuthorization = %+v, want %+v", a, want)
	}
	if a.String() != good {
		t.Errorf("String() = %q, want %q", a.String(), good)
	}
	reordered := `WECHATPAY2-SHA256-RSA2048 signature="c2ln",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",timestamp="1554208460",nonce_str="abc",mchid="1900000001"`
	if a2, err := parseAuthorization(reordered); err != nil || a2 != want {
		t.Errorf("reordered: %+v, %v", a2, err)
	}
	brand := `WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1200000001",nonce_str="n",signature="s",timestamp="1",serial_no="AB"`
	if b, err := parseAuthorization(brand); err != nil || b.MchID != "1200000001" || b.Scheme != schemeBrand {
		t.Errorf("brand: %+v, %v", b, err)
	}
	for _, tc := range []struct{ name, h, msg string }{
		{"empty", "", "missing"},
		{"no params", "WECHATPAY2-SHA256-RSA2048", "no parameters"},
		{"bad scheme", `Bearer mchid="1"`, "scheme"},
		{"double space", strings.Replace(good, " ", "  ", 1), "more than one space"},
		{"space after comma", strings.Replace(good, `",n`, `", n`, 1), "spaces"},
		{"space before comma", strings.Replace(good, `",n`, `" ,n`, 1), "spaces"},
		{"single quotes", strings.ReplaceAll(good, `"`, `'`), "single quotes"},
		{"unquoted", strings.Replace(good, `"abc"`, `abc`, 1), "double quotes"},
		{"unterminated", strings.TrimSuffix(good, `"`), "closing"},
		{"trailing comma", good + ",", "trailing comma"},
		{"duplicate", good + `,nonce_str="x"`, "twice"},
		{"unknown key", good + `,foo="x"`, "not allowed"},
		{"brand_id in v3", strings.Replace(good, "mchid", "brand_id", 1), "not allowed"},
		{"missing key", strings.Replace(good, `nonce_str="abc",`, "", 1), "missing parameter nonce_str"},
		{"empty value", strings.Replace(good, `"abc"`, `""`, 1), "empty"},
		{"full-width comma", strings.Replace(good, `",n`, `"，n`, 1), "separated"},
		{"non-ASCII value", strings.Replace(good, `"abc"`, `"ab€"`, 1), "non-ASCII"},
		{"line break", strings.Replace(good, `",n`, "\",\nn", 1), "invalid"},
		{"timestamp not a number", strings.Replace(good, `1554208460`, `15542O8460`, 1), "decimal"},
		{"key upper case", strings.Replace(good, "mchid", "MCHID", 1), "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAuthorization(tc.h)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("parseAuthorization(%q) error = %v, want one mentioning %q", tc.h, err, tc.msg)
			}
		})
	}
}
