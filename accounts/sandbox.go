package accounts

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/signing"
)

// SandboxInfo describes the running in-process emulator.
type SandboxInfo struct {
	// URL is the emulator's base URL on 127.0.0.1.
	URL string
	// Server is the emulator itself (tests inspect what it issued).
	Server *emulator.Server
}

type sandboxServer struct {
	info  SandboxInfo
	keys  emulator.SandboxKeys
	wxKey *rsa.PublicKey
	close func()
	// tlsURL serves the same emulator over HTTPS for v2 accounts, whose
	// endpoint needs a client certificate; started on first use.
	tlsURL   string
	tlsStop  func()
	tlsPool  *x509.CertPool
	v2Client tls.Certificate
}

// sandboxMerchant picks the built-in identity for an account api.
func sandboxMerchant(k emulator.SandboxKeys, api string) emulator.SandboxMerchant {
	switch api {
	case "global":
		return k.Global
	case "brand":
		return k.Brand
	case "v2":
		return k.V2
	}
	return k.V3
}

// sandboxLocked starts the emulator on first use. The manifest's sandbox
// accounts are registered with the built-in keys of their api under the
// mchid the manifest gives, so any mchid works in the sandbox.
func (r *Resolver) sandboxLocked() (*sandboxServer, error) {
	if r.sandbox != nil {
		return r.sandbox, nil
	}
	keys := emulator.Sandbox()
	wxKey, err := signing.ParsePublicKey(keys.WechatPayPublicKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	var extra []emulator.Merchant
	for _, ma := range r.m.Accounts {
		if ma.Endpoint != Sandbox {
			continue
		}
		sm := sandboxMerchant(keys, ma.API)
		if ma.MchID == sm.MchID {
			continue
		}
		pub, err := signing.ParsePublicKey(sm.CertificatePEM)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		extra = append(extra, emulator.Merchant{API: ma.API, MchID: ma.MchID, SerialNo: sm.SerialNo, PublicKey: pub, APIKey: sm.APIKey})
	}
	srv, err := emulator.NewSandbox(emulator.Config{Merchants: extra})
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	url, stop, err := emulator.Start(srv)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	sb := &sandboxServer{info: SandboxInfo{URL: url, Server: srv}, keys: keys, wxKey: wxKey}
	sb.close = func() {
		stop()
		if sb.tlsStop != nil {
			sb.tlsStop()
		}
	}
	r.sandbox = sb
	return r.sandbox, nil
}

// account builds a provider account for a sandbox manifest account.
func (sb *sandboxServer) account(ma *manifest.Account, now func() time.Time) (*providers.Account, error) {
	sm := sandboxMerchant(sb.keys, ma.API)
	a := &providers.Account{Name: ma.Name, API: ma.API, MchID: ma.MchID, SerialNo: sm.SerialNo,
		WechatPayKeys:        map[string]*rsa.PublicKey{emulator.SandboxWechatPayKeyID: sb.wxKey},
		WechatPayPublicKeyID: emulator.SandboxWechatPayKeyID,
		APIKey:               sm.APIKey, SignType: ma.SignType, BaseURL: strings.TrimRight(sb.info.URL, "/"),
		Now: now}
	a.HTTPClient = limit(&http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}, a, ma.RateLimit, 0)
	if a.SignType == "" && a.API == "v2" {
		a.SignType = "MD5"
	}
	if ma.API == "v2" {
		if err := sb.startTLS(); err != nil {
			return nil, err
		}
		a.BaseURL = sb.tlsURL
		a.HTTPClient = limit(&http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16,
			TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: sb.tlsPool, Certificates: []tls.Certificate{sb.v2Client}}}}, a, ma.RateLimit, 0)
	} else {
		k, err := signing.ParsePrivateKey(sm.PrivateKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		a.PrivateKey = k
	}
	return a, nil
}

// startTLS serves the emulator over HTTPS with the sandbox CA, for the v2
// endpoint's mutual TLS.
func (sb *sandboxServer) startTLS() error {
	if sb.tlsURL != "" {
		return nil
	}
	url, caPEM, stop, err := emulator.StartTLS(sb.info.Server)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.X509KeyPair(sb.keys.V2.CertificatePEM, sb.keys.V2.PrivateKeyPEM)
	if err != nil {
		stop()
		return fmt.Errorf("sandbox: v2 client certificate: %w", err)
	}
	sb.tlsURL, sb.tlsStop, sb.tlsPool, sb.v2Client = url, stop, pool, cert
	return nil
}
