package emulator

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
)

// The files in sandbox/ are PUBLIC TEST KEYS, committed on purpose and
// regenerated only with sandbox/gen.go. They protect nothing: anyone can sign
// as the sandbox merchants, which is the point. Never trust them outside the
// emulator.
//
//go:embed sandbox/*.pem
var sandboxFiles embed.FS

// Sandbox identities.
const (
	SandboxV3MchID     = "1900000001"
	SandboxGlobalMchID = "1900000002"
	SandboxBrandID     = "1200000001"
	SandboxV2MchID     = "1900000003"
	// SandboxV2APIKey is the sandbox v2 merchant's APIv2 key (32 characters).
	SandboxV2APIKey = "wxmediaSandboxV2ApiKey0123456789"
	// SandboxWechatPayKeyID identifies the sandbox WeChat Pay public key.
	SandboxWechatPayKeyID = "PUB_KEY_ID_01190000000120261123000000000001"
	// SandboxAPIv3Key is the sandbox merchants' APIv3 key (32 bytes), which
	// encrypts the platform certificates GET /v3/certificates serves.
	SandboxAPIv3Key = "wxmediaSandboxAPIv3Key0123456789"
)

// SandboxMerchant is one built-in test identity, in the forms a client loads.
type SandboxMerchant struct {
	// API is APIV3, APIGlobal, APIBrand or APIV2.
	API string
	// MchID is the mchid (brand_id for brand, mch_id for v2).
	MchID string
	// SerialNo is the certificate serial: 40 upper-case hex digits.
	SerialNo string
	// PrivateKeyPEM is the merchant API private key, PKCS#8 PEM
	// ("PRIVATE KEY"), like apiclient_key.pem.
	PrivateKeyPEM []byte
	// CertificatePEM is the merchant API certificate, like
	// apiclient_cert.pem; the v2 client certificate for mutual TLS.
	CertificatePEM []byte
	// APIKey is the APIv2 key (v2 only).
	APIKey string
}

// SandboxKeys holds every built-in test identity.
type SandboxKeys struct {
	V3, Global, Brand, V2 SandboxMerchant
	// WechatPayPublicKeyID is sent as Wechatpay-Serial on signed responses.
	WechatPayPublicKeyID string
	// WechatPayPublicKeyPEM verifies responses: PKIX PEM ("PUBLIC KEY"),
	// like pub_key.pem.
	WechatPayPublicKeyPEM []byte
	// CACertPEM is the CA that issued the merchant certificates and the
	// StartTLS server certificate; clients of StartTLS must trust it.
	CACertPEM []byte
	// PlatformCertificatePEM is the sandbox platform certificate
	// (certificate mode, docs/PROTOCOL.md §11) and PlatformSerial its serial.
	PlatformCertificatePEM []byte
	PlatformSerial         string
	// APIv3Key is SandboxAPIv3Key.
	APIv3Key string
}

// Merchants returns the four identities.
func (k SandboxKeys) Merchants() []SandboxMerchant {
	return []SandboxMerchant{k.V3, k.Global, k.Brand, k.V2}
}

type sandboxState struct {
	keys         SandboxKeys
	merchants    []Merchant
	wechatPayKey *rsa.PrivateKey
	platform     *Platform
	serverCert   tls.Certificate
	caPool       *x509.CertPool
}

var loadSandbox = sync.OnceValues(func() (*sandboxState, error) {
	read := func(name string) []byte {
		b, err := sandboxFiles.ReadFile("sandbox/" + name)
		if err != nil {
			panic(err) // embedded: cannot fail unless the build is broken
		}
		return b
	}
	st := &sandboxState{caPool: x509.NewCertPool()}
	st.keys.CACertPEM = read("ca_cert.pem")
	if !st.caPool.AppendCertsFromPEM(st.keys.CACertPEM) {
		return nil, errors.New("emulator: sandbox CA certificate does not parse")
	}
	ms := []struct {
		dst         *SandboxMerchant
		api, id, fn string
	}{
		{&st.keys.V3, APIV3, SandboxV3MchID, "v3"},
		{&st.keys.Global, APIGlobal, SandboxGlobalMchID, "global"},
		{&st.keys.Brand, APIBrand, SandboxBrandID, "brand"},
		{&st.keys.V2, APIV2, SandboxV2MchID, "v2"},
	}
	for _, m := range ms {
		keyPEM, certPEM := read(m.fn+"_key.pem"), read(m.fn+"_cert.pem")
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("emulator: sandbox %s key pair: %w", m.fn, err)
		}
		cert := pair.Leaf
		if cert == nil {
			if cert, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
				return nil, fmt.Errorf("emulator: sandbox %s certificate: %w", m.fn, err)
			}
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("emulator: sandbox %s key is not RSA", m.fn)
		}
		*m.dst = SandboxMerchant{API: m.api, MchID: m.id, SerialNo: certSerial(cert), PrivateKeyPEM: keyPEM, CertificatePEM: certPEM}
		mer := Merchant{API: m.api, MchID: m.id, SerialNo: m.dst.SerialNo, PublicKey: pub}
		if m.api == APIV2 {
			m.dst.APIKey = SandboxV2APIKey
			mer.APIKey = SandboxV2APIKey
		}
		st.merchants = append(st.merchants, mer)
	}
	st.keys.WechatPayPublicKeyID = SandboxWechatPayKeyID
	st.keys.WechatPayPublicKeyPEM = read("wechatpay_pub.pem")
	blk, _ := pem.Decode(read("wechatpay_key.pem"))
	if blk == nil {
		return nil, errors.New("emulator: sandbox WeChat Pay key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("emulator: sandbox WeChat Pay key: %w", err)
	}
	var ok bool
	if st.wechatPayKey, ok = k.(*rsa.PrivateKey); !ok {
		return nil, errors.New("emulator: sandbox WeChat Pay key is not RSA")
	}
	if st.platform, err = NewPlatform(read("platform_cert.pem"), read("platform_key.pem")); err != nil {
		return nil, fmt.Errorf("emulator: sandbox platform certificate: %w", err)
	}
	st.keys.PlatformCertificatePEM, st.keys.PlatformSerial = read("platform_cert.pem"), st.platform.Serial
	st.keys.APIv3Key = SandboxAPIv3Key
	if st.serverCert, err = tls.X509KeyPair(read("server_cert.pem"), read("server_key.pem")); err != nil {
		return nil, fmt.Errorf("emulator: sandbox server certificate: %w", err)
	}
	return st, nil
})

// certSerial formats a certificate serial the way WeChat Pay prints it: upper
// case hex, zero-padded to 40 digits.
func certSerial(c *x509.Certificate) string { return fmt.Sprintf("%040X", c.SerialNumber) }

// mustSandbox returns the parsed sandbox state; the files are embedded, so
// a failure is a broken build.
func mustSandbox() *sandboxState {
	st, err := loadSandbox()
	if err != nil {
		panic(err)
	}
	return st
}

// Sandbox returns the built-in test identities. The byte slices are copies.
func Sandbox() SandboxKeys {
	k := mustSandbox().keys
	cp := func(m SandboxMerchant) SandboxMerchant {
		m.PrivateKeyPEM = append([]byte(nil), m.PrivateKeyPEM...)
		m.CertificatePEM = append([]byte(nil), m.CertificatePEM...)
		return m
	}
	k.V3, k.Global, k.Brand, k.V2 = cp(k.V3), cp(k.Global), cp(k.Brand), cp(k.V2)
	k.WechatPayPublicKeyPEM = append([]byte(nil), k.WechatPayPublicKeyPEM...)
	k.CACertPEM = append([]byte(nil), k.CACertPEM...)
	return k
}

// SandboxMerchants returns the sandbox identities as the server sees them.
func SandboxMerchants() []Merchant {
	return append([]Merchant(nil), mustSandbox().merchants...)
}

// NewSandbox returns a Server that trusts the sandbox merchants (added to
// cfg.Merchants), with the audience package SandboxUserPackageID owned by
// the sandbox brand (added to cfg.UserPackages), the sandbox platform
// certificate and APIv3 key unless cfg sets others, and signs with the sandbox WeChat Pay key unless cfg sets
// another one. The other fields of cfg (clock, faults, limits, log) apply as
// given.
func NewSandbox(cfg Config) (*Server, error) {
	st, err := loadSandbox()
	if err != nil {
		return nil, err
	}
	cfg.Merchants = append(append([]Merchant(nil), cfg.Merchants...), st.merchants...)
	pkgs := map[string]string{SandboxUserPackageID: SandboxBrandID}
	for id, owner := range cfg.UserPackages {
		pkgs[id] = owner
	}
	cfg.UserPackages = pkgs
	if cfg.Platform == nil {
		cfg.Platform = st.platform
	}
	if cfg.APIv3Key == "" {
		cfg.APIv3Key = SandboxAPIv3Key
	}
	if cfg.WechatPayKey == nil {
		cfg.WechatPayKey = st.wechatPayKey
		if cfg.WechatPayKeyID == "" {
			cfg.WechatPayKeyID = SandboxWechatPayKeyID
		}
	}
	return New(cfg), nil
}
