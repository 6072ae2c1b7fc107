// Package testenv builds throwaway workspaces for tests: media files, a
// manifest pointing at an emulator, and the sandbox key files that emulator
// trusts. It is used only by tests.
package testenv

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/providers/emulator"
)

// PNG returns size bytes that start with the PNG signature, the rest
// pseudo-random from seed.
func PNG(size int, seed int64) []byte {
	data := make([]byte, size)
	rand.New(rand.NewSource(seed)).Read(data)
	copy(data, "\x89PNG\r\n\x1a\n")
	return data
}

// Workspace is a manifest directory.
type Workspace struct {
	Dir string
}

// New creates an empty workspace in a temporary directory.
func New(t testing.TB) *Workspace {
	return &Workspace{Dir: t.TempDir()}
}

// Path joins rel to the workspace directory.
func (w *Workspace) Path(rel string) string { return filepath.Join(w.Dir, filepath.FromSlash(rel)) }

// Write writes a file, creating directories.
func (w *Workspace) Write(t testing.TB, rel string, data []byte) {
	t.Helper()
	p := w.Path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteSandboxKeys writes the sandbox keys under keys/ and returns the
// manifest account block (YAML, indented for `accounts:`) for a v3 account
// named shop that reaches url with them.
func (w *Workspace) WriteSandboxKeys(t testing.TB, url string, extra string) string {
	t.Helper()
	k := emulator.Sandbox()
	w.Write(t, "keys/v3_key.pem", k.V3.PrivateKeyPEM)
	w.Write(t, "keys/wechatpay_pub.pem", k.WechatPayPublicKeyPEM)
	block := fmt.Sprintf(`  shop:
    api: v3
    mchid: %q
    serial_no: %s
    private_key_file: keys/v3_key.pem
    wechatpay_public_key_id: %s
    wechatpay_public_key_file: keys/wechatpay_pub.pem
    endpoint: %s
`, k.V3.MchID, k.V3.SerialNo, k.WechatPayPublicKeyID, url)
	if extra != "" {
		block += "    " + strings.TrimSpace(extra) + "\n"
	}
	return block
}

// Images writes n distinct PNG files media/NNN.png of size bytes and
// returns the manifest assets block for them (type image, account shop).
func (w *Workspace) Images(t testing.TB, n, size int, seed int64) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		rel := fmt.Sprintf("media/%03d.png", i)
		w.Write(t, rel, PNG(size, seed*100000+int64(i)))
		fmt.Fprintf(&b, "  img%03d: {type: image, account: shop, file: %s}\n", i, rel)
	}
	return b.String()
}

// Manifest writes wxmedia.yaml from the accounts and assets blocks and
// returns its path.
func (w *Workspace) Manifest(t testing.TB, accounts, assets string) string {
	t.Helper()
	w.Write(t, "wxmedia.yaml", []byte("version: 1\naccounts:\n"+accounts+"assets:\n"+assets))
	return w.Path("wxmedia.yaml")
}

// WriteSandboxBrandKeys writes the sandbox brand keys under keys/ and
// returns the account block for a brand account named brand reaching url.
func (w *Workspace) WriteSandboxBrandKeys(t testing.TB, url string) string {
	t.Helper()
	k := emulator.Sandbox()
	w.Write(t, "keys/brand_key.pem", k.Brand.PrivateKeyPEM)
	w.Write(t, "keys/wechatpay_pub.pem", k.WechatPayPublicKeyPEM)
	return fmt.Sprintf(`  brand:
    api: brand
    mchid: %q
    serial_no: %s
    private_key_file: keys/brand_key.pem
    wechatpay_public_key_id: %s
    wechatpay_public_key_file: keys/wechatpay_pub.pem
    endpoint: %s
`, k.Brand.MchID, k.Brand.SerialNo, k.WechatPayPublicKeyID, url)
}
