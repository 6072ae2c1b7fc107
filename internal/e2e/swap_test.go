package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// The swap suite plays issue 12's attacks on the upload path: while apply
// uploads asset a (the emulator holds each request for -latency), asset
// b's planned file is replaced, and apply must neither record an ID for
// bytes it did not plan nor read anything but the planned regular file
// inside the manifest directory.

// swapLatency is how long the emulator holds each request: the window in
// which b's file is swapped, after the plan hashed it and before its
// upload starts.
const swapLatency = "700ms"

// swapWS is a workspace with two assets, a and b, of one type, uploaded
// one at a time (a first) to a standalone emulator.
type swapWS struct {
	*testenv.Workspace
	e      *emu
	ext    string
	shaOf  map[string]string // asset -> sha256 of its planned content
	size   int
	apiKey string // v2 only, passed in the environment
}

// newSwapWS starts an emulator for typ and writes the workspace.
func newSwapWS(t *testing.T, typ string, seed int64) *swapWS {
	t.Helper()
	k := emulator.Sandbox()
	w := &swapWS{Workspace: testenv.New(t), shaOf: map[string]string{}, size: 2048}
	var account string
	switch typ {
	case "image":
		w.e = startEmulator(t, "-latency", swapLatency)
		w.ext = "png"
		account = w.WriteSandboxKeys(t, w.e.url, "rate_limit: 1000")
		account = strings.Replace(account, "  shop:", "  acct:", 1)
	case "legacy_image":
		w.e = startEmulator(t, "-tls", "-latency", swapLatency)
		w.ext = "png"
		w.Write(t, "keys/v2_cert.pem", k.V2.CertificatePEM)
		w.Write(t, "keys/v2_key.pem", k.V2.PrivateKeyPEM)
		w.Write(t, "keys/ca.pem", k.CACertPEM)
		w.apiKey = k.V2.APIKey
		account = fmt.Sprintf(`  acct:
    api: v2
    mchid: %q
    api_key_env: SWAP_V2_KEY
    client_cert_file: keys/v2_cert.pem
    client_key_file: keys/v2_key.pem
    sign_type: HMAC-SHA256
    ca_file: keys/ca.pem
    endpoint: %s
    rate_limit: 1000
`, k.V2.MchID, w.e.url)
	case "user_package":
		w.e = startEmulator(t, "-latency", swapLatency)
		w.ext = "csv"
		account = strings.Replace(w.WriteSandboxBrandKeys(t, w.e.url), "  brand:", "  acct:", 1)
	default:
		t.Fatalf("no swap workspace for %s", typ)
	}
	assets := ""
	for i, name := range []string{"a", "b"} {
		data := w.content(seed + int64(i))
		w.Write(t, w.rel(name), data)
		sum := sha256.Sum256(data)
		w.shaOf[name] = hex.EncodeToString(sum[:])
		extra := ""
		if typ == "user_package" {
			extra = ", data_type: openid"
		}
		assets += fmt.Sprintf("  %s: {type: %s, account: acct, file: %s%s}\n", name, typ, w.rel(name), extra)
	}
	w.Manifest(t, account, assets)
	return w
}

func (w *swapWS) rel(name string) string { return "media/" + name + "." + w.ext }

// content returns w.size bytes that pass the type checks of w.ext.
func (w *swapWS) content(seed int64) []byte {
	if w.ext == "csv" {
		const line = 29 // "o" + 27 characters + "\n"
		b := make([]byte, 0, w.size)
		for i := 0; len(b)+line <= w.size; i++ {
			b = fmt.Appendf(b, "o%027d\n", seed*1_000_000+int64(i))
		}
		return b
	}
	return testenv.PNG(w.size, seed)
}

// applyWhile starts `apply -auto-approve -parallelism 1`, runs swap once
// a's upload has started (so after the plan hashed both files), and
// returns the finished process.
func (w *swapWS) applyWhile(t *testing.T, swap func()) *proc {
	t.Helper()
	var env []string
	if w.apiKey != "" {
		env = append(env, "SWAP_V2_KEY="+w.apiKey)
	}
	p, err := startEnv(t, w.Dir, env, applyArgs(1)...)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr.String(), "a: uploading") {
		if !p.running() || time.Now().After(deadline) {
			p.wait(time.Second)
			t.Fatalf("apply never started uploading a:\n%s", p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	swap()
	p.wait(20 * time.Second)
	return p
}

// checkRefused checks that apply failed on b with a message containing
// want, recorded a, and recorded nothing for b; and that the emulator
// issued no ID for the content b's path held at upload time (sha).
func (w *swapWS) checkRefused(t *testing.T, p *proc, sha string, want ...string) {
	t.Helper()
	stderr := p.stderr.String()
	t.Logf("apply's stderr:\n%s", stderr)
	if code := p.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("apply exited %d, want 1:\n%s", code, stderr)
	}
	for _, s := range append([]string{"b: "}, want...) {
		if !strings.Contains(stderr, s) {
			t.Errorf("apply's error does not say %q:\n%s", s, stderr)
		}
	}
	st := (&ws{t: t, dir: w.Dir}).load()
	if e := st.Assets["b"]; e != nil {
		t.Errorf("the lockfile records b as %s (sha256 %s) after its file was swapped", e.ID, e.SHA256)
	}
	if e := st.Assets["a"]; e == nil || e.SHA256 != w.shaOf["a"] {
		t.Errorf("the lockfile does not record a as planned: %+v", e)
	}
	for _, l := range w.e.issued() {
		if l.SHA256 == sha {
			t.Errorf("the emulator issued %s for the swapped content of b (sha256 %s)", l.ID, sha)
		}
	}
}

// TestSwapContentBeforeUpload is issue 12 defect 1: b's file gets other
// bytes of the same size after the plan hashed it. Before the fix,
// legacy_image uploaded the new bytes (media_hash computed at upload) and
// recorded their ID against the planned sha256; the v3 and brand
// endpoints refused the request only because their server checked it.
func TestSwapContentBeforeUpload(t *testing.T) {
	t.Parallel()
	for i, typ := range []string{"legacy_image", "image", "user_package"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			w := newSwapWS(t, typ, baseSeed*1000+int64(i)*10)
			swapped := w.content(baseSeed*1000 + int64(i)*10 + 7)
			sum := sha256.Sum256(swapped)
			p := w.applyWhile(t, func() { w.Write(t, w.rel("b"), swapped) })
			w.checkRefused(t, p, hex.EncodeToString(sum[:]), "file changed since plan", "Run plan again")
		})
	}
}
