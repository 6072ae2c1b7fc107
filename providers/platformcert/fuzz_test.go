package platformcert_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/platformcert"
)

// validAnswer is a download answer holding the sandbox platform
// certificate, encrypted with the sandbox APIv3 key.
func validAnswer(t testing.TB) []byte {
	sb := emulator.Sandbox()
	block, err := aes.NewCipher([]byte(sb.APIv3Key))
	if err != nil {
		t.Fatal(err)
	}
	gcm, _ := cipher.NewGCM(block)
	nonce := "0123456789ab"
	body, _ := json.Marshal(map[string]any{"data": []any{map[string]any{
		"serial_no": sb.PlatformSerial, "effective_time": "2025-01-01T08:00:00+08:00", "expire_time": "2099-12-31T08:00:00+08:00",
		"encrypt_certificate": map[string]string{"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": "certificate",
			"ciphertext": base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), sb.PlatformCertificatePEM, []byte("certificate")))},
	}}})
	return body
}

// FuzzDecode: whatever the answer, Decode never panics, and what it
// returns are certificates with a serial and a key. Seeds are in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(validAnswer(f))
	key := emulator.Sandbox().APIv3Key
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		certs, err := platformcert.Decode(body, key, now)
		if err != nil {
			return
		}
		for _, c := range certs {
			if c.Serial == "" || c.PublicKey == nil || now.After(c.NotAfter) {
				t.Fatalf("Decode returned %+v", c)
			}
		}
	})
}

func TestDecodeValid(t *testing.T) {
	certs, err := platformcert.Decode(validAnswer(t), emulator.Sandbox().APIv3Key, time.Now())
	if err != nil || len(certs) != 1 {
		t.Fatalf("Decode = %v, %v", certs, err)
	}
	if certs, err := platformcert.Decode(validAnswer(t), emulator.Sandbox().APIv3Key, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(certs) != 0 {
		t.Fatalf("Decode after expiry = %v, %v; want the expired certificate left out", certs, err)
	}
}
