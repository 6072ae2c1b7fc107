package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Authorization schemes.
const (
	// SchemeV3 is the scheme of the merchant APIv3 (and global) endpoints.
	SchemeV3 = "WECHATPAY2-SHA256-RSA2048"
	// SchemeBrand is the scheme of the brand endpoints.
	SchemeBrand = "WECHATPAY-BRAND-SHA256-RSA2048"
)

// NonceLen is the length of the nonces Signer makes, as the official SDKs do.
const NonceLen = 32

// Message returns the string a v3 or brand request signature covers: the
// method, the canonical URL (path and "?query", no scheme or host), the Unix
// timestamp, the nonce and the signed body, each followed by "\n". An empty
// body gives a message ending "NONCE\n\n".
//
// For multipart uploads body is the meta JSON, not the multipart body.
func Message(method, canonicalURL string, timestamp int64, nonce string, body []byte) []byte {
	ts := strconv.FormatInt(timestamp, 10)
	b := make([]byte, 0, len(method)+len(canonicalURL)+len(ts)+len(nonce)+len(body)+5)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, canonicalURL...)
	b = append(b, '\n')
	b = append(b, ts...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, body...)
	b = append(b, '\n')
	return b
}

// Signer makes Authorization headers for one merchant or brand. A Signer
// whose Now and Nonce are safe for concurrent use (the defaults are) is
// itself safe for concurrent use.
type Signer struct {
	// Scheme is SchemeV3 or SchemeBrand; empty means SchemeV3.
	Scheme string
	// ID is the mchid (v3) or the brand_id (brand).
	ID string
	// SerialNo is the serial of the API certificate that belongs to Key.
	SerialNo string
	// Key is the merchant (or brand) API private key.
	Key *rsa.PrivateKey
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Nonce returns a fresh nonce; nil means NonceLen characters of
	// [0-9A-Za-z] from crypto/rand.
	Nonce func() string
}

// Authorization signs a request and returns the whole Authorization header
// value. canonicalURL is the path plus "?query" exactly as sent; body is the
// signed body (nil when there is none).
//
// The parameters are written in the order the official tools use, with no
// spaces: for SchemeV3 mchid, nonce_str, timestamp, serial_no, signature;
// for SchemeBrand brand_id, nonce_str, signature, timestamp, serial_no.
func (s *Signer) Authorization(method, canonicalURL string, body []byte) (string, error) {
	return s.AuthorizationStream(method, canonicalURL, func(w io.Writer) error {
		_, err := w.Write(body)
		return err
	})
}

// AuthorizationStream is Authorization for a body given as a stream, so
// that a large body (a brand user-package part) is signed without being
// held in memory: writeBody writes the body, in as many pieces as it likes,
// to the writer it is given, which hashes it. An error from writeBody is
// returned as it is.
//
// The body written must be byte for byte the body then sent.
func (s *Signer) AuthorizationStream(method, canonicalURL string, writeBody func(io.Writer) error) (string, error) {
	scheme := s.Scheme
	if scheme == "" {
		scheme = SchemeV3
	}
	if scheme != SchemeV3 && scheme != SchemeBrand {
		return "", fmt.Errorf("signing: unknown authorization scheme %q", scheme)
	}
	if s.Key == nil {
		return "", errors.New("signing: no private key")
	}
	if err := checkParam("merchant or brand id", s.ID); err != nil {
		return "", err
	}
	if err := checkParam("serial_no", s.SerialNo); err != nil {
		return "", err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := now().Unix()
	var nonce string
	if s.Nonce != nil {
		nonce = s.Nonce()
	} else {
		var err error
		if nonce, err = NewNonce(); err != nil {
			return "", err
		}
	}
	if err := checkParam("nonce", nonce); err != nil {
		return "", err
	}
	// Hash the parts of Message in turn rather than building it, so that
	// signing a large body copies nothing.
	h := sha256.New()
	for _, part := range []string{method, canonicalURL, strconv.FormatInt(ts, 10), nonce} {
		h.Write([]byte(part))
		h.Write(newline)
	}
	if err := writeBody(h); err != nil {
		return "", err
	}
	h.Write(newline)
	sum := h.Sum(nil)
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.Key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("signing: sign request: %w", err)
	}
	sig64 := base64.StdEncoding.EncodeToString(sig)
	tsStr := strconv.FormatInt(ts, 10)
	if scheme == SchemeBrand {
		return scheme + ` brand_id="` + s.ID + `",nonce_str="` + nonce + `",signature="` + sig64 +
			`",timestamp="` + tsStr + `",serial_no="` + s.SerialNo + `"`, nil
	}
	return scheme + ` mchid="` + s.ID + `",nonce_str="` + nonce + `",timestamp="` + tsStr +
		`",serial_no="` + s.SerialNo + `",signature="` + sig64 + `"`, nil
}

// checkParam rejects values that would break the header's quoting.
func checkParam(what, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("signing: %s is empty", what)
	}
	if strings.ContainsAny(v, "\",\r\n") {
		return fmt.Errorf("signing: %s %q contains a quote, comma or line break", what, v)
	}
	return nil
}

var newline = []byte{'\n'}

const nonceAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewNonce returns NonceLen characters of [0-9A-Za-z] from crypto/rand.
func NewNonce() (string, error) {
	out := make([]byte, 0, NonceLen)
	buf := make([]byte, 2*NonceLen)
	for len(out) < NonceLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("signing: read random nonce: %w", err)
		}
		for _, b := range buf {
			// Rejection sampling keeps every character equally likely:
			// 248 = 4*62 is the largest multiple of 62 that fits a byte.
			if b < 248 && len(out) < NonceLen {
				out = append(out, nonceAlphabet[b%62])
			}
		}
	}
	return string(out), nil
}
