// Package platformcert downloads WeChat Pay platform certificates
// (GET /v3/certificates, docs/PROTOCOL.md §11) for accounts in certificate mode,
// so that a rotated certificate is trusted without editing the manifest.
//
// Each certificate arrives encrypted with AEAD_AES_256_GCM under the
// merchant's APIv3 key. The answer itself must be signed by a platform
// certificate the account already trusts (platform_certificate_files):
// the AEAD key proves the certificates came from someone holding the APIv3
// key, and the signature that the answer came from WeChat Pay.
package platformcert

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/signing"
)

// Path is the download endpoint.
const Path = "/v3/certificates"

// maxAnswer caps the answer read.
const maxAnswer = 1 << 20

// Certificate is one downloaded platform certificate.
type Certificate struct {
	Serial    string
	PublicKey *rsa.PublicKey
	NotAfter  time.Time
}

// answer is the download's body.
type answer struct {
	Data []struct {
		SerialNo           string `json:"serial_no"`
		EncryptCertificate struct {
			Algorithm      string `json:"algorithm"`
			Nonce          string `json:"nonce"`
			AssociatedData string `json:"associated_data"`
			Ciphertext     string `json:"ciphertext"`
		} `json:"encrypt_certificate"`
	} `json:"data"`
}

// Download fetches and decrypts the platform certificates of a (a v3 or
// global account) with apiv3Key. The answer is verified with the keys a
// already trusts before anything in it is used. Expired certificates are
// left out.
func Download(ctx context.Context, a *providers.Account, apiv3Key string) ([]Certificate, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("account %q: downloading platform certificates: %s", a.Name, fmt.Sprintf(format, args...))
	}
	if len(apiv3Key) != 32 {
		return nil, fail("the APIv3 key is %d bytes, want 32: check the variable named by apiv3_key_env holds the APIv3 key (not the APIv2 key)", len(apiv3Key))
	}
	if err := a.CheckSigner("mchid", false); err != nil {
		return nil, fail("%v", err)
	}
	auth, err := a.Signer(signing.SchemeV3).Authorization(http.MethodGet, Path, nil)
	if err != nil {
		return nil, fail("%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(a.BaseURL, "/")+Path, nil)
	if err != nil {
		return nil, fail("%v", err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", a.UserAgentHeader())
	if a.WechatPayPublicKeyID != "" {
		req.Header.Set(signing.HeaderSerial, a.WechatPayPublicKeyID)
	}
	resp, err := a.HTTP().Do(req)
	if err != nil {
		return nil, fail("%v; check the endpoint and the network, or remove apiv3_key_env to use platform_certificate_files alone", err)
	}
	defer resp.Body.Close()
	body, tooLong, err := providers.ReadBody(resp.Body, maxAnswer)
	if err != nil {
		return nil, fail("reading the answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail("WeChat Pay answered HTTP %d: %s [Request-ID %s]", resp.StatusCode, providers.Excerpt(body, 200), resp.Header.Get("Request-ID"))
	}
	if tooLong {
		return nil, fail("the answer is larger than %d bytes", maxAnswer)
	}
	if err := a.Verifier().Verify(resp.Header, body); err != nil {
		return nil, fail("the answer is not signed by a platform certificate this account trusts (%v); add the current certificate to platform_certificate_files, after checking it in the merchant platform", err)
	}
	certs, err := Decode(body, apiv3Key, a.Clock())
	if err != nil {
		return nil, fail("%v", err)
	}
	return certs, nil
}

// Decode decrypts the certificates of a verified download answer with the
// APIv3 key, leaving out those expired at now.
func Decode(body []byte, apiv3Key string, now time.Time) ([]Certificate, error) {
	var ans answer
	if err := json.Unmarshal(body, &ans); err != nil || len(ans.Data) == 0 {
		return nil, errors.New("the answer holds no certificates")
	}
	block, err := aes.NewCipher([]byte(apiv3Key))
	if err != nil {
		return nil, fmt.Errorf("the APIv3 key is %d bytes, want 32: check the variable named by apiv3_key_env", len(apiv3Key))
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	var out []Certificate
	for _, d := range ans.Data {
		ec := d.EncryptCertificate
		if ec.Algorithm != "AEAD_AES_256_GCM" || len(ec.Nonce) != gcm.NonceSize() {
			return nil, fmt.Errorf("certificate %q uses algorithm %q with a %d-byte nonce; only AEAD_AES_256_GCM with 12 is known", d.SerialNo, ec.Algorithm, len(ec.Nonce))
		}
		ct, err := base64.StdEncoding.DecodeString(ec.Ciphertext)
		if err != nil {
			return nil, fmt.Errorf("certificate %q: ciphertext is not base64", d.SerialNo)
		}
		plain, err := gcm.Open(nil, []byte(ec.Nonce), ct, []byte(ec.AssociatedData))
		if err != nil {
			return nil, fmt.Errorf("certificate %q does not decrypt with the APIv3 key: check the variable named by apiv3_key_env holds this merchant's APIv3 key", d.SerialNo)
		}
		c, err := Parse(plain)
		if err != nil {
			return nil, fmt.Errorf("certificate %q: %v", d.SerialNo, err)
		}
		if !strings.EqualFold(c.Serial, d.SerialNo) {
			return nil, fmt.Errorf("certificate listed as %q has serial %s", d.SerialNo, c.Serial)
		}
		if now.After(c.NotAfter) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// Parse reads a PEM platform certificate with an RSA key.
func Parse(pemBytes []byte) (Certificate, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil || b.Type != "CERTIFICATE" {
		return Certificate{}, errors.New("not a PEM certificate")
	}
	x, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return Certificate{}, err
	}
	pub, ok := x.PublicKey.(*rsa.PublicKey)
	if !ok {
		return Certificate{}, errors.New("not an RSA certificate")
	}
	// As signing.CertificateSerial: hex of the serial's big-endian bytes.
	return Certificate{Serial: fmt.Sprintf("%X", x.SerialNumber.Bytes()), PublicKey: pub, NotAfter: x.NotAfter}, nil
}

// Newest returns the serial of the certificate in certs that expires last,
// or "".
func Newest(certs []Certificate) string {
	var newest *Certificate
	for i, c := range certs {
		if newest == nil || c.NotAfter.After(newest.NotAfter) {
			newest = &certs[i]
		}
	}
	if newest == nil {
		return ""
	}
	return newest.Serial
}

// Trust downloads the platform certificates of a and adds them to the keys
// a verifies answers with. Unless a is in public-key mode (it names a
// PUB_KEY_ID_… as Wechatpay-Serial), requests then name the certificate that
// expires last, so that answers are signed with it.
func Trust(ctx context.Context, a *providers.Account, apiv3Key string) error {
	certs, err := Download(ctx, a, apiv3Key)
	if err != nil {
		return err
	}
	for _, c := range certs {
		a.WechatPayKeys[c.Serial] = c.PublicKey
	}
	if n := Newest(certs); n != "" && !strings.HasPrefix(a.WechatPayPublicKeyID, "PUB_KEY_ID_") {
		a.WechatPayPublicKeyID = n
	}
	return nil
}
