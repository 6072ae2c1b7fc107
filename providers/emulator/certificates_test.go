package emulator

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
)

// verifyWith checks an answer's signature with pub and its serial.
func verifyWith(t *testing.T, w *httptest.ResponseRecorder, pub *rsa.PublicKey, serial string) {
	t.Helper()
	h := w.Header()
	if got := h.Get("Wechatpay-Serial"); got != serial {
		t.Fatalf("Wechatpay-Serial = %q, want %q", got, serial)
	}
	raw, _ := base64.StdEncoding.DecodeString(h.Get("Wechatpay-Signature"))
	sum := sha256.Sum256([]byte(h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n" + w.Body.String() + "\n"))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], raw); err != nil {
		t.Fatalf("answer does not verify with the key for %s: %v", serial, err)
	}
}

func platformPub(t *testing.T) *rsa.PublicKey {
	t.Helper()
	b, _ := pem.Decode(Sandbox().PlatformCertificatePEM)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.PublicKey.(*rsa.PublicKey)
}

func TestCertificatesDownload(t *testing.T) {
	s := newTestServer(t, Config{})
	keys := Sandbox()
	c := newSigner(t, keys.V3)
	r := httptest.NewRequest(http.MethodGet, PathCertificates, nil)
	r.Header.Set("Authorization", c.authorization(http.MethodGet, PathCertificates, nil))
	w := do(s, r)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", PathCertificates, w.Code, w.Body)
	}
	// Signed with the platform certificate, whatever the request named.
	verifyWith(t, w, platformPub(t), keys.PlatformSerial)
	var doc struct {
		Data []encryptedCertificate `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || len(doc.Data) != 1 {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	ec := doc.Data[0]
	if ec.SerialNo != keys.PlatformSerial || ec.EncryptCertificate.Algorithm != "AEAD_AES_256_GCM" ||
		ec.EncryptCertificate.AssociatedData != "certificate" || len(ec.EncryptCertificate.Nonce) != 12 || ec.ExpireTime == "" {
		t.Fatalf("entry %+v", ec)
	}
	ct, _ := base64.StdEncoding.DecodeString(ec.EncryptCertificate.Ciphertext)
	block, _ := aes.NewCipher([]byte(keys.APIv3Key))
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, []byte(ec.EncryptCertificate.Nonce), ct, []byte("certificate"))
	if err != nil || string(plain) != string(keys.PlatformCertificatePEM) {
		t.Fatalf("decrypting with the APIv3 key: %v; got %q", err, plain)
	}

	// Only v3 and global merchants may download, with GET.
	r = httptest.NewRequest(http.MethodGet, PathCertificates, nil)
	r.Header.Set("Authorization", newSigner(t, keys.Brand).authorization(http.MethodGet, PathCertificates, nil))
	wantError(t, do(s, r), http.StatusUnauthorized, codeSign, "")
	r = httptest.NewRequest(http.MethodPost, PathCertificates, nil)
	r.Header.Set("Authorization", c.authorization(http.MethodPost, PathCertificates, nil))
	if w := do(s, r); w.Code < 400 {
		t.Errorf("POST %s = %d, want an error", PathCertificates, w.Code)
	}
}

func TestPlatformSerialSelectsTheSigningKey(t *testing.T) {
	s := newTestServer(t, Config{})
	keys := Sandbox()
	c := newSigner(t, keys.V3)
	req := func(serial string) *http.Request {
		r := c.request(imageUpload("a.png", pngBytes(100)))
		if serial != "" {
			r.Header.Set("Wechatpay-Serial", serial)
		}
		return r
	}
	verifyWith(t, do(s, req(keys.PlatformSerial)), platformPub(t), keys.PlatformSerial)
	wantOK(t, do(s, req(""))) // public-key mode unless PlatformByDefault
	wantOK(t, do(s, req(SandboxWechatPayKeyID)))

	byDefault := newTestServer(t, Config{PlatformByDefault: true})
	verifyWith(t, do(byDefault, req("")), platformPub(t), keys.PlatformSerial)

	// Brand answers are always in public-key mode: naming the platform
	// certificate is refused.
	bc := newSigner(t, keys.Brand)
	r := httptest.NewRequest(http.MethodPost, PathUserPackageUploads, nil)
	r.Header.Set("Authorization", bc.authorization(http.MethodPost, PathUserPackageUploads, nil))
	r.Header.Set("Wechatpay-Serial", keys.PlatformSerial)
	wantError(t, do(s, r), http.StatusBadRequest, codeInvalid, "Wechatpay-Serial")
}
