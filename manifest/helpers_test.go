package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
)

// Tiny files whose first bytes match their extension.
const (
	pngData = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	jpgData = "\xff\xd8\xff\xe0\x00\x10JFIF\x00"
	pemData = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
)

// defaultFiles are written into every test directory.
var defaultFiles = map[string]string{
	"secrets/key.pem":       pemData,
	"secrets/pub.pem":       pemData,
	"secrets/cert.pem":      pemData,
	"secrets/platform.pem":  pemData,
	"media/a.jpg":           jpgData,
	"media/b.png":           pngData,
	"media/shops/1.png":     pngData,
	"media/shops/2.png":     pngData,
	"media/users.csv":       "openid\nabc\n",
	"media/licence.pdf":     "%PDF-1.7\n",
	"media/clip.mp4":        "\x00\x00\x00\x18ftypmp42",
	"media/notes/readme.md": "# notes\n",
}

// writeTree creates files under dir. A value "symlink:TARGET" makes a
// symlink, "size:N" a sparse file of N bytes, "dir:" a directory.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(content, "symlink:"):
			os.Remove(p)
			if err := os.Symlink(strings.TrimPrefix(content, "symlink:"), p); err != nil {
				t.Skipf("symlinks unsupported: %v", err)
			}
		case strings.HasPrefix(content, "size:"):
			n, err := strconv.ParseInt(strings.TrimPrefix(content, "size:"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(jpgData)
			if err := f.Truncate(n); err != nil {
				t.Fatal(err)
			}
			f.Close()
		case content == "dir:":
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// load writes manifest and files (on top of defaultFiles) into a fresh
// directory and loads it. The returned error text has the directory
// stripped, so that lines start with "wxmedia.yaml:".
//
//lint:ignore ST1008 the text beside the error is the error itself, stripped of the temp dir
func load(t *testing.T, manifest string, files map[string]string) (*Manifest, error, string) {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, defaultFiles)
	writeTree(t, dir, files)
	path := filepath.Join(dir, "wxmedia.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err == nil {
		return m, nil, ""
	}
	return m, err, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
}

// fieldErrors checks that err is a *multierror.Error of *FieldError values
// and returns them.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	var me *multierror.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %T is not a *multierror.Error: %v", err, err)
	}
	var out []*FieldError
	for _, e := range me.Errors {
		fe, ok := e.(*FieldError)
		if !ok {
			t.Fatalf("error %T is not a *FieldError: %v", e, e)
		}
		out = append(out, fe)
	}
	return out
}

// Header of the asset test manifests: assets start on line 21.
const header = `version: 1
accounts:
  shop:
    api: v3
    mchid: "1900000001"
    serial_no: "1FB89742D19F2BD30B69948D16DECA0FCB4481EB"
    private_key_file: secrets/key.pem
    wechatpay_public_key_id: PUB_KEY_ID_0114232020
    wechatpay_public_key_file: secrets/pub.pem
  legacy:
    api: v2
    mchid: "1000000000"
    api_key_env: WXPAY_V2_API_KEY
    client_cert_file: secrets/cert.pem
    client_key_file: secrets/key.pem
  brandacct:
    api: brand
    mchid: "1234567"
    endpoint: sandbox
assets:
`
