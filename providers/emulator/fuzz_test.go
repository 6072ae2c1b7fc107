package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="abc",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",signature="c2ln"`)
	f.Add(`WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1200000001",nonce_str="n",signature="s",timestamp="1",serial_no="AB"`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid='1',nonce_str='n'`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1", nonce_str="n"`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1",`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 =""`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="`)
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			return
		}
		if a.MchID == "" || a.NonceStr == "" || a.Timestamp == "" || a.SerialNo == "" || a.Signature == "" {
			t.Fatalf("accepted %q with an empty field: %+v", h, a)
		}
		b, err := parseAuthorization(a.String())
		if err != nil || b != a {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", h, b, err, a)
		}
	})
}

// FuzzUpload feeds arbitrary multipart bodies, signed over an arbitrary meta,
// to every multipart endpoint. The handler must never panic, and a 2xx
// answer is only allowed when the body really carries the signed meta and a
// file whose SHA-256 the meta names.
func FuzzUpload(f *testing.F) {
	content := pngBytes(64)
	meta := metaJSON("a.png", "sha256", sha256Hex(content))
	body, ct := buildMultipart(meta, "a.png", "image/png", content, false)
	f.Add(uint8(0), meta, body, ct)
	body, ct = buildMultipart(meta, "a.png", "image/png", content, true)
	f.Add(uint8(0), meta, body, ct)
	gmeta := metaJSON("a.png", "digest", sha256Hex(content))
	body, ct = buildMultipart(gmeta, "a.png", "image/png", content, false)
	f.Add(uint8(2), gmeta, body, ct)
	f.Add(uint8(0), meta, []byte("--B\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n"+string(meta)+"\r\n--B--\r\n"), "multipart/form-data; boundary=B")
	f.Add(uint8(1), []byte("{}"), []byte("garbage"), "text/plain")

	paths := []string{PathImageUpload, PathVideoUpload, PathGlobalUpload, PathMarketingUpload, PathBrandImage}
	keys := Sandbox()
	signers := map[string]*signer{}
	for _, m := range keys.Merchants() {
		signers[m.API] = newSigner(f, m)
	}
	s := newTestServer(f, Config{})
	// RSA signing dominates the cost of an execution; the fuzzer mostly
	// mutates the body, so cache Authorization values by path and meta.
	var mu sync.Mutex
	authCache := map[string]string{}
	f.Fuzz(func(t *testing.T, which uint8, signedMeta, body []byte, contentType string) {
		path := paths[int(which)%len(paths)]
		c := signers[APIV3]
		switch path {
		case PathGlobalUpload:
			c = signers[APIGlobal]
		case PathBrandImage:
			c = signers[APIBrand]
		}
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		mu.Lock()
		auth, ok := authCache[path+"\n"+string(signedMeta)]
		if !ok {
			if len(authCache) > 1000 {
				clear(authCache)
			}
			auth = c.authorization(http.MethodPost, path, signedMeta)
			authCache[path+"\n"+string(signedMeta)] = auth
		}
		mu.Unlock()
		r.Header.Set("Authorization", auth)
		r.Header.Set("Wechatpay-Serial", SandboxWechatPayKeyID)
		w := do(s, r)
		if w.Code < 200 || w.Code > 299 {
			return
		}
		// Success: check independently that the answer was deserved.
		_, params, err := mime.ParseMediaType(contentType)
		if err != nil {
			t.Fatalf("2xx for unparsable Content-Type %q", contentType)
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var gotMeta []byte
		var sum string
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(p)
			switch p.FormName() {
			case "meta":
				gotMeta = data
			case "file":
				h := sha256.Sum256(data)
				sum = hex.EncodeToString(h[:])
			}
		}
		if !bytes.Equal(gotMeta, signedMeta) {
			t.Fatalf("2xx although the body's meta %q is not the signed %q", gotMeta, signedMeta)
		}
		var m map[string]any
		json.Unmarshal(signedMeta, &m)
		d, _ := m["sha256"].(string)
		if dg, ok := m["digest"].(string); ok && path == PathGlobalUpload {
			d = dg
		}
		if !strings.EqualFold(d, sum) {
			t.Fatalf("2xx although meta digest %q is not the file's %q", d, sum)
		}
		verifyResponse(t, w.Header(), w.Body.Bytes(), testNow)
	})
}
