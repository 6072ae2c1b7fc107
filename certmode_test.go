package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// TestCertificateModeApply applies through a v3 account that verifies
// answers with a platform certificate only (no WeChat Pay public key), then
// with apiv3_key_env, which downloads the platform certificates before the
// first upload; a wrong APIv3 key stops apply before anything is uploaded.
func TestCertificateModeApply(t *testing.T) {
	srv, err := emulator.NewSandbox(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var downloads atomic.Int64
	url, stop, err := emulator.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == emulator.PathCertificates {
			downloads.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	k := emulator.Sandbox()
	ws := testenv.New(t)
	ws.Write(t, "keys/v3_key.pem", k.V3.PrivateKeyPEM)
	ws.Write(t, "keys/platform_cert.pem", k.PlatformCertificatePEM)
	account := func(extra string) string {
		return fmt.Sprintf(`  shop:
    api: v3
    mchid: %q
    serial_no: %s
    private_key_file: keys/v3_key.pem
    platform_certificate_files: [keys/platform_cert.pem]
    endpoint: %s
%s`, k.V3.MchID, k.V3.SerialNo, url, extra)
	}
	assets := ws.Images(t, 2, 300, 7)

	ws.Manifest(t, account(""), assets)
	if r := runCLI(t, "-chdir", ws.Dir, "apply", "-auto-approve"); r.code != 0 {
		t.Fatalf("apply in certificate mode = %d\n%s", r.code, r.stderr)
	}
	st, err := lockfile.Load(ws.Path("wxmedia.lock.json"))
	if err != nil || len(st.Assets) != 2 {
		t.Fatalf("lockfile after apply: %v, %d assets", err, len(st.Assets))
	}
	if downloads.Load() != 0 {
		t.Errorf("%d certificate downloads without apiv3_key_env, want none", downloads.Load())
	}

	// apiv3_key_env: a wrong key stops apply before any upload, naming the
	// setting and never printing the key.
	ws.Manifest(t, account("    apiv3_key_env: WXMEDIA_TEST_APIV3_KEY\n"), ws.Images(t, 3, 300, 7)) // img002 is new
	t.Setenv("WXMEDIA_TEST_APIV3_KEY", "")
	if r := runCLI(t, "-chdir", ws.Dir, "apply", "-auto-approve"); r.code == 0 || !strings.Contains(r.stderr, "environment variable WXMEDIA_TEST_APIV3_KEY is not set; export it with the 32-character APIv3 key") {
		t.Fatalf("apply with the APIv3 key variable unset = %d\n%s", r.code, r.stderr)
	}
	wrong := strings.Repeat("Z", 32)
	t.Setenv("WXMEDIA_TEST_APIV3_KEY", wrong)
	before := len(srv.Issued())
	r := runCLI(t, "-chdir", ws.Dir, "apply", "-auto-approve")
	if r.code == 0 || !strings.Contains(r.stderr, "accounts.shop.apiv3_key_env") || !strings.Contains(r.stderr, "does not decrypt with the APIv3 key") {
		t.Fatalf("apply with a wrong APIv3 key = %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, wrong) {
		t.Error("the APIv3 key was printed")
	}
	if n := len(srv.Issued()); n != before {
		t.Errorf("%d uploads after a failed download, want none", n-before)
	}

	t.Setenv("WXMEDIA_TEST_APIV3_KEY", k.APIv3Key)
	if r := runCLI(t, "-chdir", ws.Dir, "apply", "-auto-approve"); r.code != 0 {
		t.Fatalf("apply with apiv3_key_env = %d\n%s", r.code, r.stderr)
	}
	if downloads.Load() != 2 {
		t.Errorf("%d certificate downloads, want one per apply with apiv3_key_env", downloads.Load())
	}
}
