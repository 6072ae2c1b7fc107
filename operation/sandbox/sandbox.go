// Package sandbox runs the standalone emulator of `wxmedia emulator`: it
// writes the public sandbox keys for manifests to point at, and serves
// every endpoint with the configured faults until its context ends. It is
// apart from package operation, which reaches no provider package.
package sandbox

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// WriteKeys writes the sandbox identities k into dir, creating it.
func WriteKeys(dir string, k emulator.SandboxKeys) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		"wechatpay_pub.pem": k.WechatPayPublicKeyPEM,
		"ca_cert.pem":       k.CACertPEM,
		"platform_cert.pem": k.PlatformCertificatePEM,
		"apiv3_key.txt":     []byte(k.APIv3Key + "\n"),
	}
	for _, m := range k.Merchants() {
		files[m.API+"_key.pem"] = m.PrivateKeyPEM
		files[m.API+"_cert.pem"] = m.CertificatePEM
	}
	if k.V2.APIKey != "" {
		files["v2_api_key.txt"] = []byte(k.V2.APIKey + "\n")
	}
	for name, data := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Options configure Serve.
type Options struct {
	Addr string // HOST:PORT
	TLS  bool   // HTTPS with the sandbox CA
	// Config holds the faults, rate limit and quota; Log is opened from
	// LogPath when that is set.
	Config  emulator.Config
	LogPath string
	// URLFile, if set, receives the base URL once listening.
	URLFile string
	// Ready is told the base URL once listening (before URLFile is
	// written); an error stops URLFile being written and is returned
	// once serving ends.
	Ready func(url string) error
}

// Serve runs the emulator until ctx ends.
func Serve(ctx context.Context, o Options) error {
	cfg := o.Config
	if o.LogPath != "" {
		f, err := os.OpenFile(o.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Log = f
	}
	srv, err := emulator.NewSandbox(cfg)
	if err != nil {
		return err
	}
	scheme, serve := "http", emulator.ListenAndServe
	if o.TLS {
		scheme, serve = "https", emulator.ListenAndServeTLS
	}
	var readyErr error
	ready := func(a net.Addr) {
		url := scheme + "://" + a.String()
		if o.Ready != nil {
			readyErr = o.Ready(url)
		}
		if o.URLFile != "" && readyErr == nil {
			readyErr = atomicfile.WriteFile(o.URLFile, []byte(url+"\n"), 0o644)
		}
	}
	if err := serve(ctx, o.Addr, srv, ready); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return readyErr
}
