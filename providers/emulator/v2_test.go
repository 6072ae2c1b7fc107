package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// v2SignTest is the test's own implementation of docs/PROTOCOL.md §2.
func v2SignTest(fields map[string]string, key, signType string) string {
	var ks []string
	for k, v := range fields {
		if k != "sign" && v != "" {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, k+"="+fields[k])
	}
	s := strings.Join(parts, "&") + "&key=" + key
	if signType == "HMAC-SHA256" {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(s))
		return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
	}
	sum := md5.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func parseXML(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(b))
	var cur string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("XML %q: %v", b, err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			cur = tk.Name.Local
		case xml.CharData:
			if cur != "" && cur != "xml" {
				out[cur] += string(tk)
			}
		case xml.EndElement:
			cur = ""
		}
	}
}

func TestV2Upload(t *testing.T) {
	s := newTestServer(t, Config{})
	base, caPEM, stop, err := StartTLS(s)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	keys := Sandbox()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.X509KeyPair(keys.V2.CertificatePEM, keys.V2.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	mtls := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
	noCert := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	wrongCert, _ := tls.X509KeyPair(keys.V3.CertificatePEM, keys.V3.PrivateKeyPEM)
	otherCert := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{wrongCert}}}}

	img := jpegBytes(500)
	md := md5.Sum(img)
	type opts struct {
		client   *http.Client
		signType string
		apiKey   string
		hash     string
		filename string
		content  []byte
		mutate   func(f map[string]string)
	}
	call := func(o opts) map[string]string {
		t.Helper()
		if o.client == nil {
			o.client = mtls
		}
		if o.apiKey == "" {
			o.apiKey = SandboxV2APIKey
		}
		if o.hash == "" {
			o.hash = hex.EncodeToString(md[:])
		}
		if o.filename == "" {
			o.filename = "a.jpg"
		}
		if o.content == nil {
			o.content = img
		}
		f := map[string]string{"mch_id": SandboxV2MchID, "media_hash": o.hash}
		if o.signType != "" {
			f["sign_type"] = o.signType
		}
		f["sign"] = v2SignTest(f, o.apiKey, o.signType)
		if o.mutate != nil {
			o.mutate(f)
		}
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, v := range f {
			w.WriteField(k, v)
		}
		p, _ := w.CreateFormFile("media", o.filename)
		p.Write(o.content)
		w.Close()
		resp, err := o.client.Post(base+PathV2Upload, w.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
		out := parseXML(t, readAll(t, resp.Body))
		if out["return_code"] == "SUCCESS" {
			// Verify the response sign with the request's sign_type.
			if got, want := out["sign"], v2SignTest(out, SandboxV2APIKey, o.signType); got != want {
				t.Errorf("response sign %q, want %q", got, want)
			}
		}
		return out
	}
	for _, st := range []string{"", "MD5", "HMAC-SHA256"} {
		out := call(opts{signType: st})
		if out["result_code"] != "SUCCESS" || len(out["media_id"]) == 0 {
			t.Errorf("sign_type %q: %v", st, out)
		}
	}
	if got := s.Issued(); len(got) != 3 || got[0].SHA256 != sha256Hex(img) || got[0].Endpoint != PathV2Upload {
		t.Errorf("Issued() = %+v", got)
	}
	if out := call(opts{client: noCert}); out["return_code"] != "FAIL" || out["return_msg"] != "Certificate is required" {
		t.Errorf("no certificate: %v", out)
	}
	for _, tc := range []struct {
		name string
		o    opts
		code string
	}{
		{"other merchant's certificate", opts{client: otherCert}, "INVALID_REQUEST"},
		{"APIv3 key", opts{apiKey: "wrongwrongwrongwrongwrongwrong12"}, "SIGNERROR"},
		{"lower-case sign", opts{mutate: func(f map[string]string) { f["sign"] = strings.ToLower(f["sign"]) }}, "SIGNERROR"},
		{"media signed", opts{mutate: func(f map[string]string) {
			f["media"] = "x"
			f["sign"] = v2SignTest(f, SandboxV2APIKey, "")
			delete(f, "media")
		}}, "SIGNERROR"},
		{"upper-case media_hash", opts{hash: strings.ToUpper(hex.EncodeToString(md[:]))}, "PARAM_ERROR"},
		{"wrong media_hash", opts{hash: strings.Repeat("0", 32)}, "PARAM_ERROR"},
		{"gif", opts{filename: "a.gif"}, "PARAM_ERROR"},
		{"not an image", opts{content: []byte("text"), hash: func() string { h := md5.Sum([]byte("text")); return hex.EncodeToString(h[:]) }()}, "PARAM_ERROR"},
		{"bad sign_type", opts{signType: "SHA1"}, "PARAM_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := call(tc.o)
			if out["return_code"] != "SUCCESS" || out["result_code"] != "FAIL" || out["err_code"] != tc.code {
				t.Errorf("got %v, want err_code %s", out, tc.code)
			}
		})
	}
	s.SetFaults(Faults{FailRate: 1})
	if out := call(opts{}); out["err_code"] != "SYSTEMERROR" {
		t.Errorf("fail fault: %v", out)
	}
	s.SetFaults(Faults{ThrottleRate: 1})
	if out := call(opts{signType: "HMAC-SHA256"}); out["err_code"] != "FREQUENCY_LIMITED" {
		t.Errorf("throttle fault: %v", out)
	}
}
