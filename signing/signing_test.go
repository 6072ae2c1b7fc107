package signing

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustPrivate(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(readTestdata(t, name))
	if err != nil {
		t.Fatalf("ParsePrivateKey(%s): %v", name, err)
	}
	return k
}

func mustPublic(t testing.TB, name string) *rsa.PublicKey {
	t.Helper()
	k, err := ParsePublicKey(readTestdata(t, name))
	if err != nil {
		t.Fatalf("ParsePublicKey(%s): %v", name, err)
	}
	return k
}

const (
	katTime  = 1554208460
	katNonce = "593BEC0C930BF1AFEB40B4A08C8FB242"
	katMeta  = `{"filename":"a.png","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`
	// Computed independently with
	//   printf 'POST\n/v3/merchant/media/upload\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n<meta>\n' |
	//     openssl dgst -sha256 -sign testdata/merchant_key.pem | base64 -w0
	katV3Signature = "JhejzwCOiQ6wRw93y8OBAo7+KkKOPGt6yU594xFRCp3i1U43hKVF3kHpVl7KWmW3qEFZ0r5Opmx6DKXKxELlfleYB+A7VaZvhxhnaFXkgtSfBTatEQ2jNQSxkceUl/0YaIjz8r9pktCeM/cyFbxfkTzQccs1vORtcNIgzP7VhCYkpiZNyMh52iUkQCyNIhhjQWMiOOT8KNyAuh8whLJWiNXhj+kwNYHNl7Ds9ajG2skO4kD8pRn4Y8XMPZDFnu6dfygHWeigzDaGtbVK2n4RKSI+O3bPqcvx6uG0z/WeMwAB0NU1cwBaGod+t8DuBdn9FEtjkAnn54MfSAuC2mEB9A=="
	// Same, for POST /brand/marketing/product-coupon/media/upload-image with an empty body.
	katBrandSignature = "l2eRIgnh4qqSYIYgYuJjQeW8HdiiQV+gvNArQzEo9trJLNBZ7DV2hL2xQZxLnuZgtkxBdKrFyvza0HdgSyhJrsSjy7PiWZifseOjevdOz3/HM4g1Dr1NEth78oHx+neNmpIrGG7U3w0nGb2RHABW2gfWDGpzwgx28e52aWbGbZLrWVD95bcngDHN+t1P7beeb9ZVOxKlZKRSnDNzvXpLJKYkSi1CrUNEvlPxmJ+Yr1PiMIVP+cTx6joGNn+WH6mW4EnP4fQacY/uUcxZzigrcSWcBXRLTbaF/jynKVyESKP4Zy7aIO+X0gSn5JWV7L8D497fLbgzFwpW8I7wzKTT0A=="
	katSerial         = "1FB89742D19F2BD30B69948D16DECA0FCB4481EB"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		name   string
		method string
		url    string
		ts     int64
		nonce  string
		body   []byte
		want   string
	}{
		{"meta", "POST", "/v3/merchant/media/upload", katTime, katNonce, []byte(katMeta),
			"POST\n/v3/merchant/media/upload\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n" + katMeta + "\n"},
		{"empty body", "POST", "/brand/marketing/user-package/uploads/abc", 1, "N", nil,
			"POST\n/brand/marketing/user-package/uploads/abc\n1\nN\n\n"},
		{"query", "GET", "/v3/certificates?a=1&b=2", 1700000000, "x", []byte{},
			"GET\n/v3/certificates?a=1&b=2\n1700000000\nx\n\n"},
		{"body with trailing newline kept", "PUT", "/p", 2, "n", []byte("{}\n"), "PUT\n/p\n2\nn\n{}\n\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Message(tc.method, tc.url, tc.ts, tc.nonce, tc.body))
			if got != tc.want {
				t.Errorf("Message() = %q, want %q", got, tc.want)
			}
		})
	}
}

func fixedSigner(t *testing.T, scheme, id string) *Signer {
	return &Signer{
		Scheme:   scheme,
		ID:       id,
		SerialNo: katSerial,
		Key:      mustPrivate(t, "merchant_key.pem"),
		Now:      func() time.Time { return time.Unix(katTime, 0) },
		Nonce:    func() string { return katNonce },
	}
}

func TestAuthorizationV3KnownAnswer(t *testing.T) {
	s := fixedSigner(t, SchemeV3, "1900000001")
	got, err := s.Authorization("POST", "/v3/merchant/media/upload", []byte(katMeta))
	if err != nil {
		t.Fatal(err)
	}
	want := `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="1FB89742D19F2BD30B69948D16DECA0FCB4481EB",signature="` + katV3Signature + `"`
	if got != want {
		t.Errorf("Authorization() =\n%s\nwant\n%s", got, want)
	}
	// The empty scheme means v3.
	s.Scheme = ""
	if got2, _ := s.Authorization("POST", "/v3/merchant/media/upload", []byte(katMeta)); got2 != want {
		t.Errorf("Authorization() with empty scheme = %s, want %s", got2, want)
	}
}

func TestAuthorizationBrandKnownAnswer(t *testing.T) {
	s := fixedSigner(t, SchemeBrand, "1001")
	got, err := s.Authorization("POST", "/brand/marketing/product-coupon/media/upload-image", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `WECHATPAY-BRAND-SHA256-RSA2048 brand_id="1001",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="` + katBrandSignature + `",timestamp="1554208460",serial_no="1FB89742D19F2BD30B69948D16DECA0FCB4481EB"`
	if got != want {
		t.Errorf("Authorization() =\n%s\nwant\n%s", got, want)
	}
}

// TestAuthorizationStreamKnownAnswer: a body written in pieces signs as the
// same bytes given whole, and writeBody's error comes back as it is.
func TestAuthorizationStreamKnownAnswer(t *testing.T) {
	s := fixedSigner(t, SchemeV3, "1900000001")
	want, err := s.Authorization("POST", "/v3/merchant/media/upload", []byte(katMeta))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.AuthorizationStream("POST", "/v3/merchant/media/upload", func(w io.Writer) error {
		for i := 0; i < len(katMeta); i += 7 {
			if _, err := io.WriteString(w, katMeta[i:min(i+7, len(katMeta))]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || got != want || !strings.Contains(got, katV3Signature) {
		t.Errorf("AuthorizationStream() = %s, %v; want %s", got, err, want)
	}
	boom := errors.New("boom")
	if _, err := s.AuthorizationStream("PUT", "/p", func(io.Writer) error { return boom }); err != boom {
		t.Errorf("AuthorizationStream() with a failing body = %v, want %v", err, boom)
	}
}

func TestAuthorizationDefaults(t *testing.T) {
	s := &Signer{ID: "1900000001", SerialNo: katSerial, Key: mustPrivate(t, "merchant_key.pem")}
	before := time.Now().Unix()
	h, err := s.Authorization("POST", "/x", []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="([0-9A-Za-z]{32})",timestamp="(\d+)",serial_no="[0-9A-F]+",signature="([A-Za-z0-9+/=]+)"$`)
	m := re.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("Authorization() = %q, does not match %s", h, re)
	}
	sig, _ := base64.StdEncoding.DecodeString(m[3])
	var ts int64
	for _, c := range m[2] {
		ts = ts*10 + int64(c-'0')
	}
	if ts < before || ts > time.Now().Unix() {
		t.Errorf("timestamp %d is not now", ts)
	}
	sum := sha256.Sum256(Message("POST", "/x", ts, m[1], []byte("{}")))
	if err := rsa.VerifyPKCS1v15(mustPublic(t, "merchant_pub.pem"), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

func TestAuthorizationErrors(t *testing.T) {
	key := mustPrivate(t, "merchant_key.pem")
	tests := []struct {
		name string
		s    Signer
		want string
	}{
		{"no key", Signer{ID: "1", SerialNo: "A"}, "no private key"},
		{"bad scheme", Signer{Scheme: "WECHATPAY3", ID: "1", SerialNo: "A", Key: key}, "unknown authorization scheme"},
		{"no id", Signer{SerialNo: "A", Key: key}, "id is empty"},
		{"no serial", Signer{ID: "1", Key: key}, "serial_no is empty"},
		{"quote in id", Signer{ID: `1",x="`, SerialNo: "A", Key: key}, "contains a quote"},
		{"newline in nonce", Signer{ID: "1", SerialNo: "A", Key: key, Nonce: func() string { return "a\nb" }}, "nonce"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.Authorization("POST", "/x", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Authorization() error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	re := regexp.MustCompile(`^[0-9A-Za-z]{32}$`)
	for i := 0; i < 100; i++ {
		n, err := NewNonce()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(n) {
			t.Fatalf("NewNonce() = %q, want 32 chars of [0-9A-Za-z]", n)
		}
		if seen[n] {
			t.Fatalf("NewNonce() repeated %q", n)
		}
		seen[n] = true
	}
}

// Response KAT, computed with
//
//	printf '1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"media_id":"H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H"}\n' |
//	  openssl dgst -sha256 -sign testdata/wechatpay_key.pem | base64 -w0
const (
	katRespTime  = 1554209980
	katRespNonce = "c5ac7061fccab6bf3e254dcf98995b8c"
	katRespBody  = `{"media_id":"H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H"}`
	katRespSig   = "PyAGrWPLRomYhQ6IxAihPd8r5NMs03UdVZUjnOWuGC3ddXWYxmUjk8AQLUXiipf1Go5o/d5jXoYAPF9jvScXVHN8Yd1tnv0UUEOQ4hx7OQOWWsQ31IdeFldJW1sMO8aat8t5hNL50QJFQUPI4UvVyHiSVueZRhKkQ/HwFQVZ7fMwq4CW9ynBC4i3GI4AOF7JNseFa3rJkyd0sy/39KPjhYjtcgJugIHAbIGy+si834J0cJ+BtGCHIYFk28JEaqc+fFD8VJjKx0cICXeXA6asnWqq8hH6b31g4lDL3av8beDvIQJ7ygFpEsd8iE0n/Im9AQzxPnWlcf2p6deqFGeM3w=="
	katPubKeyID  = "PUB_KEY_ID_01142321349124100000000000000000"
)

func katHeader() http.Header {
	h := http.Header{}
	h.Set(HeaderTimestamp, "1554209980")
	h.Set(HeaderNonce, katRespNonce)
	h.Set(HeaderSignature, katRespSig)
	h.Set(HeaderSerial, katPubKeyID)
	h.Set("Request-ID", "08F78BB5AF0610D302A4F3BF3A1B0000")
	return h
}

func katVerifier(t *testing.T) *Verifier {
	return &Verifier{
		Keys: map[string]*rsa.PublicKey{
			katPubKeyID: mustPublic(t, "wechatpay_pub.pem"),
			katSerial:   mustPublic(t, "merchant_cert.pem"),
		},
		Now: func() time.Time { return time.Unix(katRespTime, 0) },
	}
}

func TestVerifyAccepts(t *testing.T) {
	v := katVerifier(t)
	if err := v.Verify(katHeader(), []byte(katRespBody)); err != nil {
		t.Errorf("Verify(good response) = %v, want nil", err)
	}
	// Skew just inside the limit, on both sides.
	for _, d := range []int64{-299, 299} {
		v.Now = func() time.Time { return time.Unix(katRespTime+d, 0) }
		if err := v.Verify(katHeader(), []byte(katRespBody)); err != nil {
			t.Errorf("Verify with %d s skew = %v, want nil", d, err)
		}
	}
	// Serial matched case-insensitively (platform certificate serials are hex).
	v = katVerifier(t)
	v.Keys = map[string]*rsa.PublicKey{strings.ToLower(katPubKeyID): mustPublic(t, "wechatpay_pub.pem")}
	if err := v.Verify(katHeader(), []byte(katRespBody)); err != nil {
		t.Errorf("Verify with lower-case key serial = %v, want nil", err)
	}
}

func TestVerifyEmptyBody(t *testing.T) {
	key := mustPrivate(t, "wechatpay_key.pem")
	sum := sha256.Sum256([]byte("1554209980\nnonce\n\n"))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	h := katHeader()
	h.Set(HeaderNonce, "nonce")
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	if err := katVerifier(t).Verify(h, nil); err != nil {
		t.Errorf("Verify(204 response) = %v, want nil", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	otherKey := mustPrivate(t, "other_key.pem")
	sum := sha256.Sum256([]byte("1554209980\n" + katRespNonce + "\n" + katRespBody + "\n"))
	otherSig, err := rsa.SignPKCS1v15(nil, otherKey, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(h http.Header)
		body    string
		now     int64
		wantErr error
		wantMsg string
	}{
		{"missing timestamp", func(h http.Header) { h.Del(HeaderTimestamp) }, katRespBody, 0, ErrMissingHeader, "missing header Wechatpay-Timestamp"},
		{"missing nonce", func(h http.Header) { h.Del(HeaderNonce) }, katRespBody, 0, ErrMissingHeader, "missing header Wechatpay-Nonce"},
		{"missing signature", func(h http.Header) { h.Del(HeaderSignature) }, katRespBody, 0, ErrMissingHeader, "missing header Wechatpay-Signature"},
		{"missing serial", func(h http.Header) { h.Del(HeaderSerial) }, katRespBody, 0, ErrMissingHeader, "missing header Wechatpay-Serial"},
		{"blank serial", func(h http.Header) { h.Set(HeaderSerial, "  ") }, katRespBody, 0, ErrMissingHeader, "missing header Wechatpay-Serial"},
		{"all missing", func(h http.Header) {
			for k := range h {
				delete(h, k)
			}
		}, katRespBody, 0, ErrMissingHeader, "Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature, Wechatpay-Serial"},
		{"unknown serial", func(h http.Header) { h.Set(HeaderSerial, "PUB_KEY_ID_999") }, katRespBody, 0, ErrUnknownSerial,
			`unknown Wechatpay-Serial "PUB_KEY_ID_999" (known: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB, PUB_KEY_ID_01142321349124100000000000000000)`},
		{"skew 300s behind", nil, katRespBody, katRespTime + 300, ErrClockSkew, "is 300 s behind the local clock (limit 300 s)"},
		{"skew 300s ahead", nil, katRespBody, katRespTime - 300, ErrClockSkew, "is 300 s ahead of the local clock"},
		{"skew a day", nil, katRespBody, katRespTime + 86400, ErrClockSkew, "86400 s behind"},
		{"timestamp not a number", func(h http.Header) { h.Set(HeaderTimestamp, "2019-04-02") }, katRespBody, 0, ErrMalformedHeader, "not a Unix time"},
		{"signature not base64", func(h http.Header) { h.Set(HeaderSignature, "%%%") }, katRespBody, 0, ErrMalformedHeader, "not standard base64"},
		{"tampered body", nil, `{"media_id":"H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75X"}`, 0, ErrBadSignature, "signature does not verify"},
		{"body with trailing newline", nil, katRespBody + "\n", 0, ErrBadSignature, "signature does not verify"},
		{"tampered nonce", func(h http.Header) { h.Set(HeaderNonce, "c5ac7061fccab6bf3e254dcf98995b8d") }, katRespBody, 0, ErrBadSignature, ""},
		{"signed by another key", func(h http.Header) { h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(otherSig)) }, katRespBody, 0, ErrBadSignature, ""},
		{"right signature, wrong key for serial", func(h http.Header) { h.Set(HeaderSerial, katSerial) }, katRespBody, 0, ErrBadSignature, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := katVerifier(t)
			if tc.now != 0 {
				v.Now = func() time.Time { return time.Unix(tc.now, 0) }
			}
			h := katHeader()
			if tc.edit != nil {
				tc.edit(h)
			}
			err := v.Verify(h, []byte(tc.body))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify() = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Verify() = %q, want it to contain %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), katRespSig[:20]) {
				t.Errorf("Verify() error leaks the signature: %q", err)
			}
		})
	}
}

func TestVerifyNoKeys(t *testing.T) {
	v := &Verifier{Now: func() time.Time { return time.Unix(katRespTime, 0) }}
	err := v.Verify(katHeader(), []byte(katRespBody))
	if !errors.Is(err, ErrUnknownSerial) || !strings.Contains(err.Error(), "known: none configured") {
		t.Errorf("Verify() with no keys = %v, want unknown serial, none configured", err)
	}
}

func TestVerifyCustomSkew(t *testing.T) {
	v := katVerifier(t)
	v.MaxSkew = 10 * time.Second
	v.Now = func() time.Time { return time.Unix(katRespTime+10, 0) }
	if err := v.Verify(katHeader(), []byte(katRespBody)); !errors.Is(err, ErrClockSkew) {
		t.Errorf("Verify() at 10 s with MaxSkew 10s = %v, want ErrClockSkew", err)
	}
	v.Now = func() time.Time { return time.Unix(katRespTime+9, 0) }
	if err := v.Verify(katHeader(), []byte(katRespBody)); err != nil {
		t.Errorf("Verify() at 9 s with MaxSkew 10s = %v, want nil", err)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	// A request signed by Signer verifies with the same scheme of message a
	// server would rebuild, using the certificate's public key.
	s := fixedSigner(t, SchemeV3, "1900000001")
	h, err := s.Authorization("POST", "/v3/merchant/media/upload", []byte(katMeta))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(h, `signature="`)
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(h[i+len(`signature="`):], `"`))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(Message("POST", "/v3/merchant/media/upload", katTime, katNonce, []byte(katMeta)))
	if err := rsa.VerifyPKCS1v15(mustPublic(t, "merchant_cert.pem"), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("signature does not verify with the certificate key: %v", err)
	}
}
