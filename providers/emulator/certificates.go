package emulator

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"time"
)

// PathCertificates is the platform-certificate download (docs/PROTOCOL.md §11).
const PathCertificates = "/v3/certificates"

// Platform is a platform certificate of certificate mode and its key.
type Platform struct {
	// CertPEM is the certificate, as served (encrypted) by GET
	// /v3/certificates.
	CertPEM []byte
	// Key signs answers that name Serial.
	Key *rsa.PrivateKey
	// Serial is the certificate serial: 40 upper-case hex digits.
	Serial string
	// NotBefore and NotAfter are served as effective_time and expire_time.
	NotBefore, NotAfter time.Time
}

// NewPlatform parses a platform certificate and its PKCS#8 RSA key.
func NewPlatform(certPEM, keyPEM []byte) (*Platform, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("certificate or key is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || !rk.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("the key is not the certificate's RSA key")
	}
	return &Platform{CertPEM: certPEM, Key: rk, Serial: certSerial(cert), NotBefore: cert.NotBefore, NotAfter: cert.NotAfter}, nil
}

// certificateAAD is the associated_data of every encrypted certificate.
const certificateAAD = "certificate"

// encryptedCertificate is one entry of the download's data list.
type encryptedCertificate struct {
	SerialNo           string `json:"serial_no"`
	EffectiveTime      string `json:"effective_time"`
	ExpireTime         string `json:"expire_time"`
	EncryptCertificate struct {
		Algorithm      string `json:"algorithm"`
		Nonce          string `json:"nonce"`
		AssociatedData string `json:"associated_data"`
		Ciphertext     string `json:"ciphertext"`
	} `json:"encrypt_certificate"`
}

// serveCertificates answers GET /v3/certificates for a v3 or global
// merchant: the platform certificate encrypted with AEAD_AES_256_GCM under
// the APIv3 key, the answer signed with the platform certificate itself.
func (s *Server) serveCertificates(q *request) {
	r := q.r
	if r.Method != http.MethodGet {
		q.methodNotAllowed(http.MethodGet)
		return
	}
	p := s.cfg.Platform
	if p == nil || len(s.cfg.APIv3Key) != 32 {
		q.writeError(errorf(http.StatusNotFound, codeNotFound, "this emulator serves no platform certificates (public-key mode only)"))
		return
	}
	m, auth, e := s.authenticate(r, schemeV3, []string{APIV3, APIGlobal})
	if e != nil {
		q.writeError(e)
		return
	}
	if e := s.checkWechatpaySerial(r, false); e != nil {
		q.writeError(e)
		return
	}
	if e := s.allow(m); e != nil {
		q.writeError(e)
		return
	}
	if e := verifySignature(r, m, auth, nil); e != nil {
		q.writeError(e)
		return
	}
	block, err := aes.NewCipher([]byte(s.cfg.APIv3Key))
	if err != nil {
		q.writeError(errorf(http.StatusInternalServerError, codeSystem, "encrypt certificate: %v", err))
		return
	}
	gcm, _ := cipher.NewGCM(block)
	nonce := newNonce()[:gcm.NonceSize()]
	var ec encryptedCertificate
	ec.SerialNo = p.Serial
	ec.EffectiveTime = p.NotBefore.In(quotaZone).Format(time.RFC3339)
	ec.ExpireTime = p.NotAfter.In(quotaZone).Format(time.RFC3339)
	ec.EncryptCertificate.Algorithm = "AEAD_AES_256_GCM"
	ec.EncryptCertificate.Nonce = nonce
	ec.EncryptCertificate.AssociatedData = certificateAAD
	ec.EncryptCertificate.Ciphertext = base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), p.CertPEM, []byte(certificateAAD)))
	q.platform = true
	q.writeSigned(http.StatusOK, map[string]any{"data": []encryptedCertificate{ec}})
}
