package accounts_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// TestUnprotectedKeyWarning: a private key file (v3 private_key_file, v2
// client_key_file) that its group or others can access is named once, with
// the chmod that fixes it; certificates and public keys are not keys, and
// a key at 0600 says nothing.
func TestUnprotectedKeyWarning(t *testing.T) {
	k := emulator.Sandbox()
	dir := t.TempDir()
	files := map[string][]byte{
		"v3_key.pem": k.V3.PrivateKeyPEM, "pub.pem": k.WechatPayPublicKeyPEM,
		"v2_cert.pem": k.V2.CertificatePEM, "v2_key.pem": k.V2.PrivateKeyPEM,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml := fmt.Sprintf(`version: 1
accounts:
  shop:
    api: v3
    mchid: %q
    serial_no: %s
    private_key_file: v3_key.pem
    wechatpay_public_key_id: %s
    wechatpay_public_key_file: pub.pem
  legacy:
    api: v2
    mchid: %q
    api_key_env: WXPAY_V2_API_KEY
    client_cert_file: v2_cert.pem
    client_key_file: v2_key.pem
  legacy2:
    api: v2
    mchid: "1000000002"
    api_key_env: WXPAY_V2_API_KEY
    client_cert_file: v2_cert.pem
    client_key_file: v2_key.pem
assets: {}
`, k.V3.MchID, k.V3.SerialNo, k.WechatPayPublicKeyID, k.V2.MchID)
	m, err := manifest.Parse(filepath.Join(dir, "wxmedia.yaml"), []byte(yaml), dir)
	if err != nil {
		t.Fatal(err)
	}
	check := func() []string {
		var got []string
		r := accounts.New(m)
		defer r.Close()
		r.Warn = func(msg string) { got = append(got, msg) }
		if err := r.Check(false); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := check()
	if len(got) != 2 {
		t.Fatalf("warnings = %q, want one for each of the two key files", got)
	}
	for i, f := range []string{"v2_key.pem", "v3_key.pem"} {
		p := filepath.Join(dir, f)
		if w := got[i]; !strings.HasPrefix(w, "UNPROTECTED KEY FILE: "+p+" (accounts.") || !strings.Contains(w, "permissions 0644") || !strings.Contains(w, "`chmod 600 "+p+"`") {
			t.Errorf("warning %d = %q, want it to name %s, its mode and the chmod", i, w, p)
		}
	}
	for _, f := range []string{"v2_key.pem", "v3_key.pem"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := check(); len(got) != 0 {
		t.Errorf("with the keys at 0600, warnings = %q", got)
	}
}
