package registry_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/registry"
)

// TestRegistryMatchesMediatype: every type validate and plan know has
// exactly one provider, and each descriptor takes its api, endpoint and
// ID field from that type's mediatype entry.
func TestRegistryMatchesMediatype(t *testing.T) {
	if got, want := registry.Types(), mediatype.Names(); !slices.Equal(got, want) {
		t.Fatalf("registry types %v, mediatype types %v: register a provider for each type", got, want)
	}
	for _, d := range registry.All() {
		mt := mediatype.Lookup(d.Type())
		if d.Media != mt {
			t.Errorf("%s: descriptor does not link its mediatype entry", d.Type())
		}
		if d.API() != mt.API || d.Endpoint() != mt.Endpoint || d.IDField() != mt.IDField || d.New == nil {
			t.Errorf("%s: descriptor api %q endpoint %q id %q", d.Type(), d.API(), d.Endpoint(), d.IDField())
		}
		if !strings.HasPrefix(d.Endpoint(), "POST "+mt.Path) {
			t.Errorf("%s: endpoint %q does not start with its path %q", d.Type(), d.Endpoint(), mt.Path)
		}
	}
}

func TestNewUnsupportedType(t *testing.T) {
	_, err := registry.New("gif", &providers.Account{}, "")
	if !errors.Is(err, providers.ErrUnsupportedType) {
		t.Fatalf("err = %v, want ErrUnsupportedType", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "type gif") || !strings.Contains(msg, "this build supports: brand_image, global_file, image,") {
		t.Errorf("message %q does not name the type and list the supported ones", msg)
	}
}

// TestNewLeavesAccountAlone: the User-Agent is set on the uploader's own
// copy; the account, shared by every type's uploader, is not written.
func TestNewLeavesAccountAlone(t *testing.T) {
	acct := &providers.Account{Name: "shop"}
	for _, typ := range registry.Types() {
		u, err := registry.New(typ, acct, "wxmedia/9.9.9")
		if err != nil || u == nil {
			t.Fatalf("New(%s) = %v, %v", typ, u, err)
		}
	}
	if acct.UserAgent != "" {
		t.Errorf("account UserAgent = %q, want it untouched", acct.UserAgent)
	}
}

// memFile is a providers.File over bytes.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// TestNewSendsUserAgent: every provider built by New sends the User-Agent
// it was given (the CLI passes "wxmedia/<version>"), with no global to set.
func TestNewSendsUserAgent(t *testing.T) {
	var (
		mu     sync.Mutex
		agents = map[string]string{} // request path → User-Agent
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents[r.URL.Path] = r.UserAgent()
		mu.Unlock()
		io.Copy(io.Discard, r.Body)
		http.Error(w, `{"code":"SYSTEM_ERROR","message":"stop here"}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	acct := &providers.Account{Name: "shop", MchID: "1900000001", SerialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
		PrivateKey: key, WechatPayKeys: map[string]*rsa.PublicKey{"PUB_KEY_ID_0001": &key.PublicKey}, WechatPayPublicKeyID: "PUB_KEY_ID_0001",
		APIKey: strings.Repeat("k", 32), BaseURL: srv.URL, HTTPClient: srv.Client()}
	content := []byte("oABCDEFGHIJKLMNOPQRSTUVWXYZa\n")
	sum := sha256.Sum256(content)
	for _, d := range registry.All() {
		u, err := registry.New(d.Type(), acct, "wxmedia/9.9.9-test")
		if err != nil {
			t.Fatal(err)
		}
		filename := "a.jpg"
		if d.Type() == "user_package" {
			filename = "a.csv"
		}
		req := &providers.Request{Asset: "ua_" + d.Type(), Filename: filename, DataType: "openid", Size: int64(len(content)),
			SHA256: hex.EncodeToString(sum[:]), Open: func() (providers.File, error) { return memFile{bytes.NewReader(content)}, nil }}
		if _, err := u.Upload(context.Background(), req); err == nil {
			t.Fatalf("%s: Upload succeeded against a server that always fails", d.Type())
		}
		mu.Lock()
		got, ok := agents[d.Media.Path]
		mu.Unlock()
		if !ok {
			t.Errorf("%s: no request reached %s (the test account or request is incomplete)", d.Type(), d.Media.Path)
		} else if got != "wxmedia/9.9.9-test" {
			t.Errorf("%s: User-Agent %q, want wxmedia/9.9.9-test", d.Type(), got)
		}
	}
}
