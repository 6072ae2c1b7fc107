package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/testenv"
)

// TestEmulatorWriteKeysServesAndFragmentApplies is the onboarding path:
// `wxmedia emulator -tls -write-keys DIR` writes the keys, serves, and
// prints a manifest fragment; pasted as printed (with the v2 key exported
// as it says), it uploads through all four apis.
func TestEmulatorWriteKeysServesAndFragmentApplies(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	urlFile := filepath.Join(dir, "url")
	p := mustStart(t, dir, "emulator", "-tls", "-write-keys", keys, "-addr", "127.0.0.1:0", "-url-file", urlFile, "-daily-quota", "100")
	waitFor(t, 20*time.Second, "the emulator to listen", func() bool {
		data, err := os.ReadFile(urlFile)
		return err == nil && strings.HasSuffix(string(data), "\n")
	})
	url, _ := os.ReadFile(urlFile)
	if !strings.HasPrefix(string(url), "https://127.0.0.1:") {
		t.Fatalf("emulator URL %q", url)
	}
	for _, f := range []string{"v3_key.pem", "global_key.pem", "brand_key.pem", "v2_cert.pem", "ca_cert.pem", "platform_cert.pem", "apiv3_key.txt", "v2_api_key.txt"} {
		if _, err := os.Stat(filepath.Join(keys, f)); err != nil {
			t.Errorf("-write-keys did not write %s: %v", f, err)
		}
	}
	out := p.stdout.String()
	i := strings.Index(out, "accounts:\n")
	if i < 0 || !strings.Contains(out, "endpoint: "+strings.TrimSpace(string(url))) || !strings.Contains(out, "export WXMEDIA_SANDBOX_V2_API_KEY=") {
		t.Fatalf("no manifest fragment with the endpoint and the v2 export in:\n%s", out)
	}
	v2Key, err := os.ReadFile(filepath.Join(keys, "v2_api_key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("WXMEDIA_SANDBOX_V2_API_KEY", strings.TrimSpace(string(v2Key)))

	w := testenv.New(t)
	w.Write(t, "media/a.png", testenv.PNG(500, 1))
	w.Write(t, "media/b.png", testenv.PNG(500, 2))
	w.Write(t, "media/c.png", testenv.PNG(500, 3))
	w.Write(t, "lists/vip.csv", []byte("oUserOpenID000000000000000001\noUserOpenID000000000000000002\n"))
	w.Write(t, "wxmedia.yaml", []byte("version: 1\n"+out[i:]+`assets:
  photo: {type: image, account: shop, file: media/a.png}
  licence: {type: global_file, account: hk, file: media/b.png}
  logo: {type: legacy_image, account: legacy, file: media/c.png}
  vip: {type: user_package, account: brand, file: lists/vip.csv, data_type: openid}
`))
	ap := mustStart(t, w.Dir, "apply", "-auto-approve")
	if code := ap.wait(60 * time.Second); code != 0 {
		t.Fatalf("apply with the printed fragment exited %d:\n%s\nmanifest accounts:\n%s", code, ap.stderr.String(), out[i:])
	}
	if !strings.Contains(ap.stderr.String(), "4 uploaded") {
		t.Errorf("apply did not upload all four:\n%s", ap.stderr.String())
	}
}

// TestEmulatorDailyQuotaFlag: -daily-quota N lets each merchant upload N
// files a day; the next upload fails with the quota named and apply says
// when to try again.
func TestEmulatorDailyQuotaFlag(t *testing.T) {
	e := startEmulator(t, "-daily-quota", "1")
	w := newWorkspace(t, e.url, 2, 41)
	p := w.run(60*time.Second, applyArgs(1)...)
	if code := p.cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("apply exited %d, want 1:\n%s", code, p.stderr.String())
	}
	if n := len(e.issued()); n != 1 {
		t.Errorf("emulator issued %d IDs, want 1", n)
	}
	if s := p.stderr.String(); !strings.Contains(s, "daily upload quota of 1 reached") || !strings.Contains(s, "Run apply again tomorrow") {
		t.Errorf("apply output does not explain the quota:\n%s", s)
	}
}
