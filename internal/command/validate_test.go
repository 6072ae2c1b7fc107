package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateUnsetEnvAsNote: the no-secrets mode turns an unset
// api_key_env into a note, and validate passes; by default it fails.
func TestValidateUnsetEnvAsNote(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if code := Run("test", []string{"emulator", "-write-keys-only", keys}, nil, &bytes.Buffer{}, &bytes.Buffer{}); code != ExitOK {
		t.Fatalf("writing the sandbox keys: exit %d", code)
	}
	manifest := filepath.Join(dir, "wxmedia.yaml")
	const text = `version: 1
accounts:
  legacy:
    api: v2
    mchid: "1000000000"
    api_key_env: WXMEDIA_TEST_UNSET_V2_KEY
    client_cert_file: keys/v2_cert.pem
    client_key_file: keys/v2_key.pem
    endpoint: https://127.0.0.1:1
    ca_file: keys/ca_cert.pem
`
	if err := os.WriteFile(manifest, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WXMEDIA_TEST_UNSET_V2_KEY", "")
	for _, asNote := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		c := &cli{stdout: &stdout, stderr: &stderr, manifestPath: manifest}
		code := runValidate(c, &validateArgs{UnsetEnvAsNote: asNote}, nil)
		const msg = "accounts.legacy.api_key_env: environment variable WXMEDIA_TEST_UNSET_V2_KEY is not set"
		switch {
		case !asNote && (code != ExitError || !strings.Contains(stderr.String(), "Error: "+manifest+":3:3: "+msg)):
			t.Errorf("default mode: exit %d, stderr:\n%s", code, stderr.String())
		case asNote && (code != ExitOK || !strings.Contains(stderr.String(), "Note: "+manifest+":3:3: "+msg) || !strings.Contains(stdout.String(), "Success!")):
			t.Errorf("no-secrets mode: exit %d, stdout %q, stderr:\n%s", code, stdout.String(), stderr.String())
		}
	}
}
