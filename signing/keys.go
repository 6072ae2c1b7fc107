package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivateKey loads an RSA private key from PEM: PKCS#8 "PRIVATE KEY"
// (what the merchant portal's apiclient_key.pem holds) or PKCS#1 "RSA
// PRIVATE KEY". Other blocks in the input are skipped. When no usable key is
// found the error names what the input holds instead (a certificate, a
// public key, an EC key, an encrypted key, DER, …).
func ParsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	blocks, err := decodeAll(pemBytes)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				// A PKCS#1 body under a PKCS#8 label is a common mix-up.
				if k1, err1 := x509.ParsePKCS1PrivateKey(b.Bytes); err1 == nil {
					return k1, nil
				}
				return nil, fmt.Errorf("signing: PKCS#8 PRIVATE KEY block does not parse: %w; the key is damaged or truncated: copy apiclient_key.pem again", err)
			}
			switch k := k.(type) {
			case *rsa.PrivateKey:
				return k, nil
			case *ecdsa.PrivateKey:
				return nil, errors.New("signing: EC keys are not supported: WeChat Pay uses RSA (apiclient_key.pem)")
			case ed25519.PrivateKey:
				return nil, errors.New("signing: Ed25519 keys are not supported: WeChat Pay uses RSA (apiclient_key.pem)")
			default:
				return nil, fmt.Errorf("signing: %T keys are not supported: WeChat Pay uses RSA", k)
			}
		case "RSA PRIVATE KEY":
			if _, encrypted := b.Headers["DEK-Info"]; encrypted {
				return nil, errors.New("signing: the RSA PRIVATE KEY is encrypted; decrypt it first (openssl rsa -in key.pem -out key-plain.pem)")
			}
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				if k8, err8 := x509.ParsePKCS8PrivateKey(b.Bytes); err8 == nil {
					if rk, ok := k8.(*rsa.PrivateKey); ok {
						return rk, nil
					}
				}
				return nil, fmt.Errorf("signing: PKCS#1 RSA PRIVATE KEY block does not parse: %w; the key is damaged or truncated: copy apiclient_key.pem again", err)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("signing: no private key found: %s; expected a PKCS#8 \"PRIVATE KEY\" or PKCS#1 \"RSA PRIVATE KEY\" PEM block (apiclient_key.pem)", describe(blocks, "private key"))
}

// ParsePublicKey loads an RSA public key from PEM: PKIX "PUBLIC KEY" (the
// WeChat Pay public key, pub_key.pem), PKCS#1 "RSA PUBLIC KEY", or a
// "CERTIFICATE" (a platform certificate), whose key is returned.
func ParsePublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	blocks, err := decodeAll(pemBytes)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		switch b.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				if k1, err1 := x509.ParsePKCS1PublicKey(b.Bytes); err1 == nil {
					return k1, nil
				}
				return nil, fmt.Errorf("signing: PUBLIC KEY block does not parse: %w", err)
			}
			return rsaPublic(k)
		case "RSA PUBLIC KEY":
			k, err := x509.ParsePKCS1PublicKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signing: PKCS#1 RSA PUBLIC KEY block does not parse: %w", err)
			}
			return k, nil
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signing: CERTIFICATE block does not parse: %w", err)
			}
			return rsaPublic(c.PublicKey)
		}
	}
	return nil, fmt.Errorf("signing: no public key found: %s; expected a \"PUBLIC KEY\" (the WeChat Pay public key, pub_key.pem), \"RSA PUBLIC KEY\" or \"CERTIFICATE\" PEM block", describe(blocks, "public key"))
}

// CertificateSerial returns the serial number of the first certificate in
// pemBytes as upper-case hex, the form WeChat Pay uses for serial_no and
// Wechatpay-Serial (e.g. "1FB89742D19F2BD30B69948D16DECA0FCB4481EB").
func CertificateSerial(pemBytes []byte) (string, error) {
	blocks, err := decodeAll(pemBytes)
	if err != nil {
		return "", err
	}
	for _, b := range blocks {
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return "", fmt.Errorf("signing: CERTIFICATE block does not parse: %w", err)
		}
		// As wechatpay-go: hex of the serial's big-endian bytes.
		return fmt.Sprintf("%X", c.SerialNumber.Bytes()), nil
	}
	return "", fmt.Errorf("signing: no certificate found: %s; expected a \"CERTIFICATE\" PEM block", describe(blocks, "certificate"))
}

func rsaPublic(k any) (*rsa.PublicKey, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		return k, nil
	case *ecdsa.PublicKey:
		return nil, errors.New("signing: EC keys are not supported: WeChat Pay uses RSA")
	case ed25519.PublicKey:
		return nil, errors.New("signing: Ed25519 keys are not supported: WeChat Pay uses RSA")
	default:
		return nil, fmt.Errorf("signing: %T keys are not supported: WeChat Pay uses RSA", k)
	}
}

// decodeAll returns every PEM block in data, or an error saying what the
// data looks like when it holds none.
func decodeAll(data []byte) ([]*pem.Block, error) {
	var blocks []*pem.Block
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) > 0 {
		return blocks, nil
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, errors.New("signing: not PEM: the input is empty")
	case bytes.Contains(data, []byte("-----BEGIN")):
		return nil, errors.New("signing: not PEM: a -----BEGIN line is present but the block is damaged (missing END line or bad base64?)")
	case data[0] == 0x30:
		return nil, errors.New("signing: not PEM: this looks like binary DER; convert it with openssl (e.g. openssl pkey -inform DER -in key.der -out key.pem)")
	case bytes.HasPrefix(trimmed, []byte("ssh-")):
		return nil, errors.New("signing: not PEM: this is an OpenSSH public key, not a WeChat Pay key")
	default:
		return nil, errors.New("signing: not PEM: no -----BEGIN block found; give the PEM file itself, as downloaded (text starting with -----BEGIN)")
	}
}

// describe names the blocks found, for errors, with advice for the usual
// mix-ups.
func describe(blocks []*pem.Block, want string) string {
	var what []string
	for _, b := range blocks {
		var d string
		switch b.Type {
		case "CERTIFICATE":
			d = "this is a certificate"
			if want == "private key" {
				d += ", not a private key (apiclient_cert.pem? the key is apiclient_key.pem)"
			}
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			d = "this is a public key"
			if want == "private key" {
				d += ", not a private key"
			}
		case "PRIVATE KEY", "RSA PRIVATE KEY":
			d = "this is a private key"
			if want != "private key" {
				d += ", not a " + want
			}
		case "ENCRYPTED PRIVATE KEY":
			d = "this is an encrypted PKCS#8 key, which is not supported; decrypt it first (openssl pkcs8 -in key.pem -out key-plain.pem)"
		case "EC PRIVATE KEY", "EC PARAMETERS":
			d = "EC keys are not supported: WeChat Pay uses RSA"
		case "OPENSSH PRIVATE KEY":
			d = "this is an OpenSSH key, not a WeChat Pay key"
		case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
			d = "this is a certificate signing request"
		default:
			d = fmt.Sprintf("found a %q PEM block", b.Type)
		}
		what = append(what, d)
	}
	return strings.Join(what, "; ")
}
