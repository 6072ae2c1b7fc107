//go:build ignore

// Command gen regenerates the sandbox keys and certificates in this
// directory. They are PUBLIC TEST KEYS, committed on purpose so that anyone can
// run wxmedia against the emulator with no credentials; never use them for
// anything real. Regenerating changes every serial number, so the files are
// generated once and committed:
//
//	cd providers/emulator/sandbox && go run gen.go
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log"
	"math/big"
	"net"
	"os"
	"time"
)

var (
	notBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter  = time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
)

func key() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	return k
}

// serial returns a random 20-byte positive serial, which prints as 40 hex digits.
func serial() *big.Int {
	b := make([]byte, 20)
	rand.Read(b)
	b[0] = b[0]&0x7f | 0x10
	return new(big.Int).SetBytes(b)
}

func write(name, typ string, der []byte) {
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		log.Fatal(err)
	}
}

func writeKey(name string, k *rsa.PrivateKey) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		log.Fatal(err)
	}
	write(name, "PRIVATE KEY", der)
}

func main() {
	caKey := key()
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "wxmedia sandbox CA (public test key)", Organization: []string{"wxmedia sandbox"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		log.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write("ca_cert.pem", "CERTIFICATE", caDER)

	leaf := func(prefix, cn string, server bool) {
		k := key()
		t := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: cn, Organization: []string{"wxmedia sandbox (public test key)"}},
			NotBefore:    notBefore,
			NotAfter:     notAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if server {
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			t.DNSNames = []string{"localhost"}
			t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
		der, err := x509.CreateCertificate(rand.Reader, t, ca, &k.PublicKey, caKey)
		if err != nil {
			log.Fatal(err)
		}
		write(prefix+"_cert.pem", "CERTIFICATE", der)
		writeKey(prefix+"_key.pem", k)
	}
	leaf("v3", "1900000001", false)
	leaf("global", "1900000002", false)
	leaf("brand", "1200000001", false)
	leaf("v2", "1900000003", false)
	leaf("server", "localhost", true)
	// The platform certificate of certificate mode (docs/PROTOCOL.md §11): its
	// key signs answers that name its serial. Real ones are issued by
	// Tenpay's CA; this one is self-signed, since clients trust it by
	// serial and key, never by chain.
	pk := key()
	pt := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "Tenpay.com sandbox platform certificate", Organization: []string{"wxmedia sandbox (public test key)"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	pder, err := x509.CreateCertificate(rand.Reader, pt, pt, &pk.PublicKey, pk)
	if err != nil {
		log.Fatal(err)
	}
	write("platform_cert.pem", "CERTIFICATE", pder)
	writeKey("platform_key.pem", pk)

	wp := key()
	writeKey("wechatpay_key.pem", wp)
	pub, err := x509.MarshalPKIXPublicKey(&wp.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	write("wechatpay_pub.pem", "PUBLIC KEY", pub)
}
