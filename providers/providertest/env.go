package providertest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/signing"
)

// otherKeyID is a well-formed WeChat Pay public-key ID that the emulator
// does not use.
const otherKeyID = "PUB_KEY_ID_0119000000012026112300000000000999"

// sandboxKeys are the sandbox identities in parsed form.
type sandboxKeys struct {
	sb       emulator.SandboxKeys
	priv     map[string]*rsa.PrivateKey // by API (v3, global, brand)
	wxPub    *rsa.PublicKey
	platPub  *rsa.PublicKey // the sandbox platform certificate's key
	v3Pub    *rsa.PublicKey // a public key that does not verify WeChat Pay answers
	v2Cert   tls.Certificate
	v3Cert   tls.Certificate // a sandbox certificate that is not the v2 merchant's
	caPool   *x509.CertPool
	accounts map[string]emulator.SandboxMerchant
}

var loadKeys = sync.OnceValues(func() (*sandboxKeys, error) {
	k := &sandboxKeys{sb: emulator.Sandbox(), priv: map[string]*rsa.PrivateKey{}, accounts: map[string]emulator.SandboxMerchant{}, caPool: x509.NewCertPool()}
	for _, m := range k.sb.Merchants() {
		k.accounts[m.API] = m
		if m.API == emulator.APIV2 {
			continue
		}
		key, err := signing.ParsePrivateKey(m.PrivateKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("sandbox %s private key: %w", m.API, err)
		}
		k.priv[m.API] = key
	}
	var err error
	if k.wxPub, err = signing.ParsePublicKey(k.sb.WechatPayPublicKeyPEM); err != nil {
		return nil, fmt.Errorf("sandbox WeChat Pay public key: %w", err)
	}
	if k.platPub, err = signing.ParsePublicKey(k.sb.PlatformCertificatePEM); err != nil {
		return nil, fmt.Errorf("sandbox platform certificate: %w", err)
	}
	if k.v3Pub, err = signing.ParsePublicKey(k.sb.V3.CertificatePEM); err != nil {
		return nil, fmt.Errorf("sandbox v3 certificate: %w", err)
	}
	if k.v2Cert, err = tls.X509KeyPair(k.sb.V2.CertificatePEM, k.sb.V2.PrivateKeyPEM); err != nil {
		return nil, fmt.Errorf("sandbox v2 client certificate: %w", err)
	}
	if k.v3Cert, err = tls.X509KeyPair(k.sb.V3.CertificatePEM, k.sb.V3.PrivateKeyPEM); err != nil {
		return nil, fmt.Errorf("sandbox v3 certificate: %w", err)
	}
	if !k.caPool.AppendCertsFromPEM(k.sb.CACertPEM) {
		return nil, errors.New("sandbox CA certificate does not parse")
	}
	return k, nil
})

func keys(t testing.TB) *sandboxKeys {
	t.Helper()
	k, err := loadKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clock is a settable clock shared by an emulator and its client, so that
// rate-limit buckets refill only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one emulator and an account of the case's API pointed at it.
type env struct {
	c    *Case
	srv  *emulator.Server
	url  string // the emulator's own URL
	acct *providers.Account
	keys *sandboxKeys
}

// options tune an env.
type options struct {
	cfg  emulator.Config
	wrap func(http.Handler) http.Handler
}

// start starts an emulator for c (over TLS for Legacy endpoints) and
// builds the sandbox account of c.API for it.
func start(t *testing.T, c *Case, o options) *env {
	t.Helper()
	k := keys(t)
	if c.CertMode {
		o.cfg.PlatformByDefault = true
	}
	if c.Kind == Chunked && o.cfg.PartSize == 0 {
		o.cfg.PartSize = c.PartSize
	}
	srv, err := emulator.NewSandbox(o.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if o.wrap != nil {
		h = o.wrap(h)
	}
	e := &env{c: c, srv: srv, keys: k}
	e.url = serve(t, c.Kind == Legacy, h)
	e.acct = e.account(t, c.API)
	if o.cfg.Now != nil {
		e.acct.Now = o.cfg.Now
	}
	return e
}

// serve serves h on a loopback port until the test ends.
func serve(t *testing.T, useTLS bool, h http.Handler) string {
	t.Helper()
	var (
		u    string
		stop func()
		err  error
	)
	if useTLS {
		u, _, stop, err = emulator.StartTLS(h)
	} else {
		u, stop, err = emulator.Start(h)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return u
}

// account returns a sandbox account of api reaching the env's emulator.
func (e *env) account(t *testing.T, api string) *providers.Account {
	t.Helper()
	m, ok := e.keys.accounts[api]
	if !ok {
		t.Fatalf("no sandbox merchant for api %q", api)
	}
	a := &providers.Account{
		Name:                 "conformance-" + api,
		API:                  api,
		MchID:                m.MchID,
		SerialNo:             m.SerialNo,
		PrivateKey:           e.keys.priv[api],
		WechatPayKeys:        map[string]*rsa.PublicKey{e.keys.sb.WechatPayPublicKeyID: e.keys.wxPub},
		WechatPayPublicKeyID: e.keys.sb.WechatPayPublicKeyID,
		BaseURL:              e.url,
	}
	if e.c.CertMode && api != emulator.APIBrand {
		// Certificate mode: answers are verified with the platform
		// certificate, whose serial the request names (docs/PROTOCOL.md §11).
		a.WechatPayKeys = map[string]*rsa.PublicKey{e.keys.sb.PlatformSerial: e.keys.platPub}
		a.WechatPayPublicKeyID = e.keys.sb.PlatformSerial
	}
	if api == emulator.APIV2 {
		a.PrivateKey, a.WechatPayKeys, a.WechatPayPublicKeyID = nil, nil, ""
		a.APIKey = m.APIKey
		a.HTTPClient = e.httpClient(t, &e.keys.v2Cert)
	} else {
		a.HTTPClient = e.httpClient(t, nil)
	}
	return a
}

// httpClient returns a client trusting the sandbox CA and presenting cert
// (when not nil) as its TLS client certificate.
func (e *env) httpClient(t *testing.T, cert *tls.Certificate) *http.Client {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: e.keys.caPool}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: false}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// proxy puts a reverse proxy between the account and the emulator; modify
// may change each answer before the client sees it. It returns the
// proxy's URL and points the account at it.
func (e *env) proxy(t *testing.T, modify func(*http.Request, *http.Response) error) string {
	t.Helper()
	target, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	var cert *tls.Certificate
	if e.c.Kind == Legacy {
		cert = &e.keys.v2Cert // the emulator needs the merchant's certificate
	}
	rp.Transport = e.httpClient(t, cert).Transport
	rp.ModifyResponse = func(resp *http.Response) error { return modify(resp.Request, resp) }
	rp.ErrorLog = log.New(io.Discard, "", 0)
	u := serve(t, e.c.Kind == Legacy, rp)
	e.acct.BaseURL = u
	return u
}

// rewriteBody replaces resp's body with f of it.
func rewriteBody(resp *http.Response, f func([]byte) []byte) error {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	b = f(b)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return nil
}

// upload runs the case's uploader for the env's account (as it is now).
func (e *env) upload(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	return e.c.New(e.acct).Upload(ctx, req)
}

// memFile is a providers.File over a byte slice.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// request returns a request for content named filename, whose planned
// SHA256 and Size are the content's.
func request(asset, filename string, content []byte) *providers.Request {
	return &providers.Request{
		Asset:    asset,
		Filename: filename,
		// Only user_package reads it; every sample audience is openids.
		DataType: "openid",
		Size:     int64(len(content)),
		SHA256:   sha256Hex(content),
		Open:     func() (providers.File, error) { return memFile{bytes.NewReader(content)}, nil },
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// assetName is the Request.Asset of a test: unusual enough that finding it
// in an error message proves the message names the asset.
func assetName(c *Case, test string) string { return "conf_" + c.Type + "/" + test }

// otherAPI returns a sandbox API other than api that has a private key.
func otherAPI(api string) string {
	if api == emulator.APIV3 {
		return emulator.APIGlobal
	}
	return emulator.APIV3
}

// otherPrivateKey returns a sandbox private key that is not api's.
func otherPrivateKey(e *env, api string) *rsa.PrivateKey { return e.keys.priv[otherAPI(api)] }

// otherSerial returns a sandbox certificate serial that is not api's.
func otherSerial(e *env, api string) string { return e.keys.accounts[otherAPI(api)].SerialNo }
