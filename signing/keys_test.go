package signing

import (
	"bytes"
	"encoding/pem"
	"strings"
	"testing"
)

func TestParsePrivateKeyAccepts(t *testing.T) {
	want := mustPrivate(t, "merchant_key.pem")
	for _, name := range []string{"merchant_key.pem", "merchant_key_pkcs1.pem"} {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePrivateKey(readTestdata(t, name))
			if err != nil {
				t.Fatalf("ParsePrivateKey(%s) = %v", name, err)
			}
			if !got.Equal(want) {
				t.Errorf("ParsePrivateKey(%s) returned a different key", name)
			}
		})
	}
	t.Run("certificate then key in one file", func(t *testing.T) {
		data := append(readTestdata(t, "merchant_cert.pem"), readTestdata(t, "merchant_key.pem")...)
		got, err := ParsePrivateKey(data)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParsePrivateKey(cert+key) = %v", err)
		}
	})
	t.Run("PKCS#1 body under PKCS#8 label", func(t *testing.T) {
		b, _ := pem.Decode(readTestdata(t, "merchant_key_pkcs1.pem"))
		data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b.Bytes})
		if got, err := ParsePrivateKey(data); err != nil || !got.Equal(want) {
			t.Errorf("ParsePrivateKey(mislabelled) = %v", err)
		}
	})
}

func TestParsePrivateKeyRejects(t *testing.T) {
	der, _ := pem.Decode(readTestdata(t, "merchant_key.pem"))
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not PEM: the input is empty"},
		{"text", []byte("hello"), "not PEM: no -----BEGIN block found"},
		{"DER", der.Bytes, "looks like binary DER"},
		{"damaged", []byte("-----BEGIN PRIVATE KEY-----\nMIIE\n"), "block is damaged"},
		{"certificate", readTestdata(t, "merchant_cert.pem"), "this is a certificate, not a private key"},
		{"public key", readTestdata(t, "merchant_pub.pem"), "this is a public key, not a private key"},
		{"PKCS#1 public key", readTestdata(t, "merchant_pub_pkcs1.pem"), "this is a public key, not a private key"},
		{"EC PKCS#8", readTestdata(t, "ec_key.pem"), "EC keys are not supported: WeChat Pay uses RSA"},
		{"EC SEC1", readTestdata(t, "ec_key_sec1.pem"), "EC keys are not supported: WeChat Pay uses RSA"},
		{"encrypted PKCS#8", readTestdata(t, "merchant_key_encrypted.pem"), "encrypted PKCS#8 key"},
		{"encrypted PKCS#1", []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"), "is encrypted"},
		{"garbage in PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x03, 1, 2, 3}}), "PKCS#8 PRIVATE KEY block does not parse"},
		{"openssh", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), "OpenSSH key"},
		{"ssh public", []byte("ssh-rsa AAAAB3Nza... user@host\n"), "OpenSSH public key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tc.data)
			if err == nil {
				t.Fatalf("ParsePrivateKey() = %v, nil; want error", k != nil)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParsePrivateKey() error = %q, want it to contain %q", err, tc.want)
			}
			checkNoKeyMaterial(t, err.Error(), tc.data)
		})
	}
}

// checkNoKeyMaterial fails if msg quotes any 16-byte run of the input's
// base64 lines.
func checkNoKeyMaterial(t *testing.T, msg string, data []byte) {
	t.Helper()
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) >= 16 && !bytes.HasPrefix(line, []byte("-----")) && strings.Contains(msg, string(line[:16])) {
			t.Errorf("error %q quotes the input", msg)
		}
	}
}

func TestParsePublicKeyAccepts(t *testing.T) {
	want := &mustPrivate(t, "merchant_key.pem").PublicKey
	for _, name := range []string{"merchant_pub.pem", "merchant_pub_pkcs1.pem", "merchant_cert.pem"} {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePublicKey(readTestdata(t, name))
			if err != nil {
				t.Fatalf("ParsePublicKey(%s) = %v", name, err)
			}
			if !got.Equal(want) {
				t.Errorf("ParsePublicKey(%s) returned a different key", name)
			}
		})
	}
}

func TestParsePublicKeyRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", []byte("  \n"), "not PEM: the input is empty"},
		{"private key", readTestdata(t, "merchant_key.pem"), "this is a private key, not a public key"},
		{"EC public key", readTestdata(t, "ec_pub.pem"), "EC keys are not supported: WeChat Pay uses RSA"},
		{"CSR", []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"), "certificate signing request"},
		{"unknown block", []byte("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n"), `found a "FOO" PEM block`},
		{"bad certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), "CERTIFICATE block does not parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePublicKey(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParsePublicKey() error = %v, want it to contain %q", err, tc.want)
			}
			if err != nil {
				checkNoKeyMaterial(t, err.Error(), tc.data)
			}
		})
	}
}

func TestCertificateSerial(t *testing.T) {
	got, err := CertificateSerial(readTestdata(t, "merchant_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	// openssl x509 -in testdata/merchant_cert.pem -noout -serial
	if want := "1FB89742D19F2BD30B69948D16DECA0FCB4481EB"; got != want {
		t.Errorf("CertificateSerial() = %s, want %s", got, want)
	}
	_, err = CertificateSerial(readTestdata(t, "merchant_key.pem"))
	if err == nil || !strings.Contains(err.Error(), "no certificate found: this is a private key, not a certificate") {
		t.Errorf("CertificateSerial(private key) = %v", err)
	}
}
