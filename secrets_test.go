package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/registry"
	"github.com/wxmedia/wxmedia/signing"
)

// authRecorder records the signature of every request (the Authorization
// header's signature, and the sign field of v2 forms), so the test knows
// the request signatures the run produced.
type authRecorder struct {
	h    http.Handler
	mu   sync.Mutex
	sigs []string
}

var (
	signatureParam = regexp.MustCompile(`signature="([^"]+)"`)
	v2SignField    = regexp.MustCompile(`name="sign"\r\n(?:[^\r\n]+\r\n)*\r\n([0-9A-Fa-f]{32,64})\r\n`)
)

func (a *authRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m := signatureParam.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		a.mu.Lock()
		a.sigs = append(a.sigs, m[1])
		a.mu.Unlock()
	}
	if r.URL.Path == "/secapi/mch/uploadmedia" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if m := v2SignField.FindSubmatch(body); m != nil {
			a.mu.Lock()
			a.sigs = append(a.sigs, string(m[1]))
			a.mu.Unlock()
		}
	}
	a.h.ServeHTTP(w, r)
}

func (a *authRecorder) signatures() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.sigs...)
}

// pemLines returns the full base64 lines of a PEM body: any of them in an
// output means key material leaked.
func pemLines(pemText []byte) []string {
	var out []string
	for _, l := range strings.Split(string(pemText), "\n") {
		l = strings.TrimSpace(l)
		if len(l) >= 40 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

// needle is a secret that must not appear anywhere.
type needle struct{ what, value string }

// haystack is every output and every file a run left behind.
type haystack struct {
	parts map[string]string
}

func (h *haystack) add(name, s string) { h.parts[name] += s }

// addTree adds every file under dir but the inputs (keys/, media/).
func (h *haystack) addTree(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && (rel == "keys" || rel == "media") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.add(rel, string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (h *haystack) check(t *testing.T, needles []needle) {
	t.Helper()
	for _, n := range needles {
		for name, s := range h.parts {
			if strings.Contains(s, n.value) {
				t.Errorf("%s contains %s (%.12s…)", name, n.what, n.value)
			}
		}
	}
}

// TestSecretsNeverWritten runs every command that prints or writes
// something, against accounts whose private keys come from a file and from
// an environment variable (plus a v2 account with api_key_env), and checks
// that no output stream, lockfile, plan file or cache holds the private
// keys, the APIv2 key or the request signatures of the run.
func TestSecretsNeverWritten(t *testing.T) {
	k := emulator.Sandbox()
	// The env account is a second v3 merchant with its own key pair (the
	// sandbox brand merchant's), so each key source has distinct bytes.
	envKeyPEM := k.Brand.PrivateKeyPEM
	envKey := mustKey(t, envKeyPEM)
	const envMchID = "1900000009"
	srv, err := emulator.NewSandbox(emulator.Config{Merchants: []emulator.Merchant{
		{API: emulator.APIV3, MchID: envMchID, SerialNo: k.Brand.SerialNo, PublicKey: &envKey.PublicKey},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &authRecorder{h: srv}
	url, stop, err := emulator.Start(rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	t.Setenv("WXMEDIA_TEST_ENV_KEY", string(envKeyPEM))
	t.Setenv("WXMEDIA_TEST_V2_KEY", k.V2.APIKey)

	ws := testenv.New(t)
	accts := ws.WriteSandboxKeys(t, url, "") + fmt.Sprintf(`  envshop:
    api: v3
    mchid: %q
    serial_no: %s
    private_key_env: WXMEDIA_TEST_ENV_KEY
    wechatpay_public_key_id: %s
    wechatpay_public_key_file: keys/wechatpay_pub.pem
    endpoint: %s
`, envMchID, k.Brand.SerialNo, k.WechatPayPublicKeyID, url)
	assets := "  a: {type: image, account: shop, file: media/a.png}\n  b: {type: image, account: envshop, file: media/b.png}\n"
	if _, ok := registry.Lookup("legacy_image"); ok {
		tlsURL, caPEM, stopTLS, err := emulator.StartTLS(rec)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stopTLS)
		ws.Write(t, "keys/ca.pem", caPEM)
		ws.Write(t, "keys/v2_cert.pem", k.V2.CertificatePEM)
		ws.Write(t, "keys/v2_key.pem", k.V2.PrivateKeyPEM)
		accts += fmt.Sprintf(`  legacy:
    api: v2
    mchid: %q
    api_key_env: WXMEDIA_TEST_V2_KEY
    client_cert_file: keys/v2_cert.pem
    client_key_file: keys/v2_key.pem
    endpoint: %s
    ca_file: keys/ca.pem
`, k.V2.MchID, tlsURL)
		assets += "  c: {type: legacy_image, account: legacy, file: media/c.png}\n"
	} else {
		// Not wired into the CLI yet: the account is still loaded (and its
		// API key read) by validate.
		ws.Write(t, "keys/v2_cert.pem", k.V2.CertificatePEM)
		ws.Write(t, "keys/v2_key.pem", k.V2.PrivateKeyPEM)
		accts += `  legacy:
    api: v2
    mchid: "1900000003"
    api_key_env: WXMEDIA_TEST_V2_KEY
    client_cert_file: keys/v2_cert.pem
    client_key_file: keys/v2_key.pem
    endpoint: https://127.0.0.1:1
`
	}
	for i, n := range []string{"a", "b", "c"} {
		ws.Write(t, "media/"+n+".png", testenv.PNG(1500, int64(400+i)))
	}
	manifest := ws.Manifest(t, accts, assets)
	planPath := ws.Path("p.plan")

	hay := &haystack{parts: map[string]string{}}
	runs := [][]string{
		{"validate"},
		{"plan"},
		{"plan", "-json"},
		{"plan", "-markdown"},
		{"plan", "-out", planPath},
		{"show", planPath},
		{"show", "-json", planPath},
		{"apply", planPath},
		{"output"},
		{"output", "-json"},
		{"output", "a"},
	}
	step := func(args ...string) {
		t.Helper()
		res := runCLI(t, append([]string{"-manifest", manifest}, args...)...)
		if res.code != 0 {
			t.Fatalf("wxmedia %s: exit %d\nstderr:\n%s", strings.Join(args, " "), res.code, res.stderr)
		}
		name := "`wxmedia " + strings.Join(args, " ") + "`"
		hay.add(name+" stdout", res.stdout)
		hay.add(name+" stderr", res.stderr)
	}
	for _, args := range runs {
		step(args...)
	}
	// A second round of changes through apply -json and plain apply.
	ws.Write(t, "media/a.png", testenv.PNG(1500, 500))
	step("apply", "-auto-approve", "-json")
	ws.Write(t, "media/b.png", testenv.PNG(1500, 501))
	step("apply", "-auto-approve")
	step("output", "-json")
	hay.addTree(t, ws.Dir)
	if _, ok := hay.parts["wxmedia.lock.json"]; !ok {
		t.Fatal("no lockfile was written")
	}

	sigs := rec.signatures()
	want := 4 // a and b, twice
	if _, ok := registry.Lookup("legacy_image"); ok {
		want++ // and c
	}
	if len(sigs) < want {
		t.Fatalf("recorded %d request signatures, want at least %d", len(sigs), want)
	}
	var needles []needle
	for _, l := range pemLines(k.V3.PrivateKeyPEM) {
		needles = append(needles, needle{"the private key from private_key_file", l})
	}
	for _, l := range pemLines(envKeyPEM) {
		needles = append(needles, needle{"the private key from private_key_env", l})
	}
	for _, l := range pemLines(k.V2.PrivateKeyPEM) {
		needles = append(needles, needle{"the v2 client key", l})
	}
	needles = append(needles,
		needle{"a PEM private key", "PRIVATE KEY"},
		needle{"the APIv2 key", k.V2.APIKey})
	for _, s := range sigs {
		needles = append(needles, needle{"a request signature", s[:32]})
	}
	hay.check(t, needles)
}

// TestBrokenKeyNotEchoed: a damaged key and a non-PEM value in the
// environment are reported without echoing any of their bytes.
func TestBrokenKeyNotEchoed(t *testing.T) {
	k := emulator.Sandbox()
	lines := strings.Split(strings.TrimSpace(string(k.V3.PrivateKeyPEM)), "\n")
	damaged := strings.Join(append(lines[:6:6], lines[len(lines)-1]), "\n") + "\n"
	if _, err := signing.ParsePrivateKey([]byte(damaged)); err == nil {
		t.Fatal("the damaged key parses")
	}
	const garbage = "sk_live_NotAPemButSecretMaterial_7f3a9c"
	for _, tc := range []struct {
		name, value, want string
		secrets           []string
	}{
		{"damaged PEM", damaged, "PKCS#8 PRIVATE KEY block does not parse", pemLines([]byte(damaged))},
		{"not PEM", garbage, "not PEM: no -----BEGIN block found", []string{garbage, garbage[:12]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("WXMEDIA_TEST_BROKEN_KEY", tc.value)
			ws := testenv.New(t)
			ws.Write(t, "media/a.png", testenv.PNG(500, 1))
			acct := strings.Replace(ws.WriteSandboxKeys(t, "http://127.0.0.1:1", ""),
				"private_key_file: keys/v3_key.pem", "private_key_env: WXMEDIA_TEST_BROKEN_KEY", 1)
			manifest := ws.Manifest(t, acct, "  a: {type: image, account: shop, file: media/a.png}\n")
			var all bytes.Buffer
			for _, args := range [][]string{{"validate"}, {"apply", "-auto-approve"}, {"apply", "-auto-approve", "-json"}} {
				res := runCLI(t, append([]string{"-manifest", manifest}, args...)...)
				if res.code != exitError {
					t.Errorf("%v: exit %d, want 1", args, res.code)
				}
				if !strings.Contains(res.stderr, "environment variable WXMEDIA_TEST_BROKEN_KEY: "+tc.want) {
					t.Errorf("%v: stderr does not explain the key problem:\n%s", args, res.stderr)
				}
				all.WriteString(res.stdout + res.stderr)
			}
			hay := &haystack{parts: map[string]string{"output": all.String()}}
			hay.addTree(t, ws.Dir)
			var needles []needle
			for _, s := range tc.secrets {
				needles = append(needles, needle{"the broken key's bytes", s})
			}
			hay.check(t, needles)
			if _, err := os.Stat(ws.Path("wxmedia.lock.json")); err == nil {
				t.Error("a lockfile was written")
			}
		})
	}
}
