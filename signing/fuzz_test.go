package signing

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func addTestdataSeeds(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.pem"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(""))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{0x30, 0x82, 0x01})
}

func FuzzParsePrivateKey(f *testing.F) {
	addTestdataSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKey(data)
		if (k == nil) == (err == nil) {
			t.Fatalf("ParsePrivateKey() = %v, %v: want exactly one of key and error", k != nil, err)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	addTestdataSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePublicKey(data)
		if (k == nil) == (err == nil) {
			t.Fatalf("ParsePublicKey() = %v, %v: want exactly one of key and error", k != nil, err)
		}
		if _, err := CertificateSerial(data); err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}

// FuzzVerify feeds arbitrary header values and bodies to Verify: it must
// never panic and must accept only the one genuine response.
func FuzzVerify(f *testing.F) {
	f.Add("1554209980", katRespNonce, katRespSig, katPubKeyID, []byte(katRespBody))
	f.Add("", "", "", "", []byte(nil))
	f.Add("-9223372036854775808", "n", "AAAA", katPubKeyID, []byte("{}"))
	f.Add("99999999999999999999", "n", "====", katSerial, []byte("{}"))
	f.Add("1554209980", "\n", "\x00", "pub_key_id_01142321349124100000000000000000", []byte("\n"))
	pub := func() *Verifier {
		k, err := ParsePublicKey([]byte(mustRead(f, "wechatpay_pub.pem")))
		if err != nil {
			f.Fatal(err)
		}
		return &Verifier{Keys: map[string]*rsa.PublicKey{katPubKeyID: k}, Now: func() time.Time { return time.Unix(katRespTime, 0) }}
	}()
	katSigBytes, _ := base64.StdEncoding.DecodeString(katRespSig)
	f.Fuzz(func(t *testing.T, ts, nonce, sig, serial string, body []byte) {
		h := http.Header{}
		h[HeaderTimestamp] = []string{ts}
		h[HeaderNonce] = []string{nonce}
		h[HeaderSignature] = []string{sig}
		h[HeaderSerial] = []string{serial}
		err := pub.Verify(h, body)
		// Header values are compared trimmed, as net/http delivers them, and
		// the base64 decoder skips line breaks; neither changes what is signed.
		decoded, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
		genuine := strings.TrimSpace(ts) == "1554209980" && strings.TrimSpace(nonce) == katRespNonce &&
			bytes.Equal(decoded, katSigBytes) && string(body) == katRespBody
		if err == nil && !genuine {
			t.Fatalf("Verify accepted a forged response: ts=%q nonce=%q serial=%q body=%q", ts, nonce, serial, body)
		}
	})
}

func mustRead(f *testing.F, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}
