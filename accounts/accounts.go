// Package accounts turns the manifest's accounts into ready-to-use provider
// accounts: it loads keys and certificates (from files or environment
// variables), builds the HTTP client (extra CAs, client certificates), picks
// the default endpoint for each api, and starts the embedded sandbox
// emulator for `endpoint: sandbox`.
package accounts

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/debuglog"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/platformcert"
	"github.com/wxmedia/wxmedia/signing"
)

// Sandbox is the endpoint value that selects the embedded emulator.
const Sandbox = "sandbox"

// ErrUnsetEnv marks a problem that is only an environment variable (a
// private key or an APIv2 key) being unset: a caller that checks a manifest
// where the secrets are not available, as a pull-request pipeline does, can
// tell these apart with errors.Is and report them as notes.
var ErrUnsetEnv = errors.New("accounts: environment variable not set")

// DefaultEndpoint is the production base URL per account api. It lives in
// manifest, which also names the origin the lockfile records.
var DefaultEndpoint = manifest.DefaultEndpoint

// DefaultRateLimit is the request rate per second used for an account that
// sets no rate_limit. [ASSUMED] WeChat Pay documents per-second frequency
// limits for uploads without numbers; these stay well under what merchants
// report. The sandbox has no default limit.
var DefaultRateLimit = map[string]float64{"v3": 10, "global": 10, "brand": 10, "v2": 5}

// limit wraps the client's transport with the debug trace, when one is
// installed (package debuglog), and the account's rate limits, so that a
// traced latency does not include waiting for a limiter: the configured
// rate_limit, a hard ceiling, and otherwise the endpoint's default, which
// applies to requests an adaptive Pacer does not pace (see
// providers.RetryPolicy.Pacer). It records both on a for the pacers.
func limit(c *http.Client, a *providers.Account, configured, def float64) *http.Client {
	t := &providers.RateLimitTransport{Base: debuglog.Default().Transport(c.Transport)}
	a.RateCeiling = configured
	switch {
	case configured > 0:
		t.Limiter = providers.NewLimiter(configured)
		a.RateStart = configured
	case def > 0:
		t.Fallback = providers.NewLimiter(def)
		a.RateStart = def
	}
	c.Transport = t
	return c
}

// Resolver builds each account once, on first use. It is safe for
// concurrent use. Close stops the sandbox if one was started.
type Resolver struct {
	m *manifest.Manifest
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Now is given to every account; nil means time.Now.
	Now func() time.Time
	// Warn receives warnings that do not stop the command (a private key
	// file readable by others); nil drops them.
	Warn   func(msg string)
	warned sync.Map // key file paths already warned about

	mu       sync.Mutex
	accounts map[string]*providers.Account
	errs     map[string]error
	sandbox  *sandboxServer
}

// New returns a Resolver for m's accounts.
func New(m *manifest.Manifest) *Resolver {
	return &Resolver{m: m, accounts: map[string]*providers.Account{}, errs: map[string]error{}}
}

// Close releases what the resolver started.
func (r *Resolver) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sandbox != nil {
		r.sandbox.close()
		r.sandbox = nil
	}
}

// Sandbox returns the in-process emulator, starting it if needed.
func (r *Resolver) Sandbox() (*SandboxInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, err := r.sandboxLocked()
	if err != nil {
		return nil, err
	}
	return &sb.info, nil
}

// Account returns the resolved account by manifest name.
func (r *Resolver) Account(name string) (*providers.Account, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.accounts[name]; ok {
		return a, nil
	}
	if err, ok := r.errs[name]; ok {
		return nil, err
	}
	ma := r.m.Accounts[name]
	if ma == nil {
		return nil, fmt.Errorf("no account named %q in %s", name, r.m.Path)
	}
	a, err := r.build(ma, true)
	if err == nil && ma.APIv3KeyEnv != "" {
		err = r.downloadCertificates(ma, a)
	}
	if err != nil {
		r.errs[name] = err
		return nil, err
	}
	r.accounts[name] = a
	return a, nil
}

// downloadTimeout bounds the platform-certificate download of one account.
const downloadTimeout = time.Minute

// downloadCertificates adds the platform certificates downloaded with the
// APIv3 key to the keys a trusts (apiv3_key_env): a certificate rotated in
// since platform_certificate_files was written is then trusted too.
func (r *Resolver) downloadCertificates(ma *manifest.Account, a *providers.Account) error {
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	if err := platformcert.Trust(ctx, a, r.getenv(ma.APIv3KeyEnv)); err != nil {
		return r.accountError(ma, "apiv3_key_env", err.Error())
	}
	return nil
}

// Check loads every account's keys and certificates without any network
// access, and reports every problem. Secrets held in environment variables
// that are unset are reported only when requireEnv is true (plan runs in
// pipelines that may not have them); those problems wrap ErrUnsetEnv.
func (r *Resolver) Check(requireEnv bool) error {
	names := make([]string, 0, len(r.m.Accounts))
	for n := range r.m.Accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	var merr *multierror.Error
	for _, n := range names {
		ma := r.m.Accounts[n]
		if ma.Endpoint == Sandbox {
			continue
		}
		if _, err := r.build(ma, requireEnv); err != nil {
			merr = multierror.Append(merr, err)
		}
	}
	if merr != nil {
		merr.ErrorFormat = manifest.FormatErrors
	}
	return merr.ErrorOrNil()
}

func (r *Resolver) getenv(k string) string {
	if r.Getenv != nil {
		return r.Getenv(k)
	}
	return os.Getenv(k)
}

// accountError positions a problem at the account in the manifest.
func (r *Resolver) accountError(ma *manifest.Account, field, msg string) error {
	return &manifest.FieldError{File: r.m.Path, Line: ma.Pos.Line, Col: ma.Pos.Col, Path: "accounts." + ma.Name + "." + field, Msg: msg}
}

func (r *Resolver) build(ma *manifest.Account, requireEnv bool) (*providers.Account, error) {
	if ma.Endpoint == Sandbox {
		sb, err := r.sandboxLocked()
		if err != nil {
			return nil, err
		}
		return sb.account(ma, r.Now)
	}
	a := &providers.Account{Name: ma.Name, API: ma.API, MchID: ma.MchID, SerialNo: strings.ToUpper(ma.SerialNo),
		SignType: ma.SignType, Now: r.Now, WechatPayKeys: map[string]*rsa.PublicKey{}}
	var merr *multierror.Error
	add := func(err error) { merr = multierror.Append(merr, err) }
	read := func(field, rel string) []byte {
		data, err := os.ReadFile(r.path(rel))
		if err != nil {
			add(r.accountError(ma, field, fmt.Sprintf("cannot read %s: %v", rel, unwrapPath(err))))
			return nil
		}
		return data
	}
	if ma.API != "v2" {
		var pemBytes []byte
		var src string
		switch {
		case ma.PrivateKeyFile != "":
			pemBytes, src = read("private_key_file", ma.PrivateKeyFile), ma.PrivateKeyFile
			r.warnUnprotected("accounts."+ma.Name+".private_key_file", ma.PrivateKeyFile)
		case ma.PrivateKeyEnv != "":
			src = "environment variable " + ma.PrivateKeyEnv
			if pemBytes = []byte(r.getenv(ma.PrivateKeyEnv)); len(pemBytes) == 0 && requireEnv {
				add(r.unsetEnv(ma, "private_key_env", fmt.Sprintf("environment variable %s is not set; export it with the PEM text of the merchant API private key (apiclient_key.pem)", ma.PrivateKeyEnv)))
			}
		}
		if len(pemBytes) > 0 {
			k, err := signing.ParsePrivateKey(pemBytes)
			if err != nil {
				add(r.accountError(ma, "private_key", fmt.Sprintf("%s: %v", src, strings.TrimPrefix(err.Error(), "signing: "))))
			}
			a.PrivateKey = k
		}
		if ma.WechatPayPublicKeyFile != "" {
			if data := read("wechatpay_public_key_file", ma.WechatPayPublicKeyFile); data != nil {
				k, err := signing.ParsePublicKey(data)
				if err != nil {
					add(r.accountError(ma, "wechatpay_public_key_file", fmt.Sprintf("%s: %v", ma.WechatPayPublicKeyFile, strings.TrimPrefix(err.Error(), "signing: "))))
				} else {
					a.WechatPayKeys[ma.WechatPayPublicKeyID] = k
				}
			}
			a.WechatPayPublicKeyID = ma.WechatPayPublicKeyID
		}
		var certs []platformcert.Certificate
		for _, f := range ma.PlatformCertificateFiles {
			data := read("platform_certificate_files", f)
			if data == nil {
				continue
			}
			k, err := signing.ParsePublicKey(data)
			serial, serr := signing.CertificateSerial(data)
			if err == nil {
				err = serr
			}
			if err != nil {
				add(r.accountError(ma, "platform_certificate_files", fmt.Sprintf("%s: %v", f, strings.TrimPrefix(err.Error(), "signing: "))))
				continue
			}
			a.WechatPayKeys[serial] = k
			if c, err := platformcert.Parse(data); err == nil {
				certs = append(certs, c)
			}
		}
		// Certificate mode: name the newest platform certificate in
		// Wechatpay-Serial, so that answers are signed with it. [ASSUMED]
		// docs/PROTOCOL.md §11 says a request may; the v3 upload pages do not
		// list the header. Brand answers are always in public-key mode.
		if a.WechatPayPublicKeyID == "" && ma.API != "brand" {
			a.WechatPayPublicKeyID = platformcert.Newest(certs)
		}
		if ma.APIv3KeyEnv != "" && r.getenv(ma.APIv3KeyEnv) == "" && requireEnv {
			add(r.accountError(ma, "apiv3_key_env", fmt.Sprintf("environment variable %s is not set; export it with the 32-character APIv3 key from the merchant platform, or remove apiv3_key_env to trust platform_certificate_files alone", ma.APIv3KeyEnv)))
		}
	} else {
		a.SignType = ma.SignType
		if a.SignType == "" {
			a.SignType = "MD5"
		}
		if ma.APIKeyEnv != "" {
			if a.APIKey = r.getenv(ma.APIKeyEnv); a.APIKey == "" && requireEnv {
				add(r.unsetEnv(ma, "api_key_env", fmt.Sprintf("environment variable %s is not set; export it with the 32-character APIv2 key from the merchant portal", ma.APIKeyEnv)))
			}
		}
	}
	if msg := endpointProblem(ma); msg != "" {
		add(r.accountError(ma, "endpoint", msg))
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if ma.CAFile != "" {
		if data := read("ca_file", ma.CAFile); data != nil {
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(data) {
				add(r.accountError(ma, "ca_file", fmt.Sprintf("%s holds no PEM certificate", ma.CAFile)))
			}
			tlsConf.RootCAs = pool
		}
	}
	if ma.ClientCertFile != "" && ma.ClientKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(r.path(ma.ClientCertFile), r.path(ma.ClientKeyFile))
		if err != nil {
			add(r.accountError(ma, "client_cert_file", fmt.Sprintf("cannot load the client certificate %s with key %s: %v", ma.ClientCertFile, ma.ClientKeyFile, unwrapPath(err))))
		} else {
			tlsConf.Certificates = []tls.Certificate{cert}
			r.warnUnprotected("accounts."+ma.Name+".client_key_file", ma.ClientKeyFile)
			a.ClientCert = cert.Leaf
		}
	}
	if merr != nil {
		merr.ErrorFormat = manifest.FormatErrors
		return nil, merr
	}
	a.BaseURL = strings.TrimRight(ma.Endpoint, "/")
	if a.BaseURL == "" {
		a.BaseURL = DefaultEndpoint[ma.API]
	}
	a.HTTPClient = limit(newHTTPClient(tlsConf), a, ma.RateLimit, DefaultRateLimit[ma.API])
	return a, nil
}

// unsetEnv is accountError for an unset environment variable: it wraps
// ErrUnsetEnv.
func (r *Resolver) unsetEnv(ma *manifest.Account, field, msg string) error {
	fe := r.accountError(ma, field, msg).(*manifest.FieldError)
	fe.Err = ErrUnsetEnv
	return fe
}

// endpointProblem returns what makes an account's endpoint unusable as
// configured, found before any request so that one message replaces a TLS
// failure per upload, or "".
func endpointProblem(ma *manifest.Account) string {
	u, err := url.Parse(ma.Endpoint)
	if ma.Endpoint == "" || err != nil {
		return "" // the default endpoint, or reported by the manifest check
	}
	switch {
	case u.Scheme == "http" && ma.API == "v2":
		return fmt.Sprintf("endpoint %s is plain http, but api: v2 uploads authenticate with the client certificate (mutual TLS), which only https carries; use https:// with ca_file (`wxmedia emulator -tls` serves HTTPS, its CA is written by -write-keys)", ma.Endpoint)
	case u.Scheme == "https" && ma.CAFile == "" && privateHost(u.Hostname()):
		return fmt.Sprintf("endpoint %s is a private address, whose certificate no public CA signs, and the account has no ca_file; add ca_file: the PEM CA certificate that signed the endpoint's certificate (for `wxmedia emulator -tls`, ca_cert.pem from -write-keys)", ma.Endpoint)
	}
	return ""
}

// privateHost reports a host that is localhost or a loopback, private or
// link-local IP address. Names are not resolved: validate uses no network.
func privateHost(h string) bool {
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified())
}

func (r *Resolver) path(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(r.m.Dir, filepath.FromSlash(rel))
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// newHTTPClient returns a client whose timeouts bound every stage but the
// body upload, which the request context bounds.
func newHTTPClient(tlsConf *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}}
}
