package signing

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Response headers WeChat Pay signs its answers with (docs/PROTOCOL.md §1.2).
const (
	HeaderTimestamp = "Wechatpay-Timestamp"
	HeaderNonce     = "Wechatpay-Nonce"
	HeaderSignature = "Wechatpay-Signature"
	HeaderSerial    = "Wechatpay-Serial"
)

// DefaultMaxSkew is the largest accepted distance between a response's
// Wechatpay-Timestamp and the local clock, as in wechatpay-go.
const DefaultMaxSkew = 300 * time.Second

// Reasons Verify fails, for errors.Is. The returned errors wrap one of these
// and add the details.
var (
	ErrMissingHeader   = errors.New("missing header")
	ErrMalformedHeader = errors.New("malformed header")
	ErrUnknownSerial   = errors.New("unknown Wechatpay-Serial")
	ErrClockSkew       = errors.New("timestamp out of range")
	ErrBadSignature    = errors.New("signature does not verify")
)

// Verifier checks the signature WeChat Pay puts on its responses. It is safe
// for concurrent use as long as Keys is not modified.
type Verifier struct {
	// Keys are the WeChat Pay public keys by Wechatpay-Serial: a
	// PUB_KEY_ID_… in public-key mode, a platform certificate serial in
	// platform-certificate mode. Both kinds may be present while a merchant
	// switches modes.
	Keys map[string]*rsa.PublicKey
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the accepted clock distance; 0 means DefaultMaxSkew. A
	// response is rejected when |now - timestamp| >= MaxSkew.
	MaxSkew time.Duration
}

// Verify checks the response headers h and raw body: the four Wechatpay-*
// headers are present and not blank, the serial names a known key, the
// timestamp is within MaxSkew of now, and the signature is an RSA PKCS#1
// v1.5 SHA-256 signature over "TIMESTAMP\nNONCE\nBODY\n".
//
// The error says precisely which check failed and wraps one of the Err*
// reasons; it never contains the signature.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	var missing []string
	vals := map[string]string{}
	for _, name := range []string{HeaderTimestamp, HeaderNonce, HeaderSignature, HeaderSerial} {
		val := strings.TrimSpace(h.Get(name))
		if val == "" {
			missing = append(missing, name)
		}
		vals[name] = val
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w %s", ErrMissingHeader, strings.Join(missing, ", "))
	}

	serial := vals[HeaderSerial]
	key := v.key(serial)
	if key == nil {
		return fmt.Errorf("%w %q (known: %s)", ErrUnknownSerial, printable(serial), v.known())
	}

	ts, err := strconv.ParseInt(vals[HeaderTimestamp], 10, 64)
	if err != nil {
		return fmt.Errorf("%w %s %q: not a Unix time in seconds", ErrMalformedHeader, HeaderTimestamp, printable(vals[HeaderTimestamp]))
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	maxSkew := v.MaxSkew
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	skew := ts - now().Unix()
	if skew >= int64(maxSkew/time.Second) || -skew >= int64(maxSkew/time.Second) {
		dir := "ahead of"
		if skew < 0 {
			dir, skew = "behind", -skew
		}
		return fmt.Errorf("%w: %s is %d s %s the local clock (limit %d s); check the system clock",
			ErrClockSkew, HeaderTimestamp, skew, dir, int64(maxSkew/time.Second))
	}

	sig, err := base64.StdEncoding.DecodeString(vals[HeaderSignature])
	if err != nil {
		return fmt.Errorf("%w %s: not standard base64", ErrMalformedHeader, HeaderSignature)
	}
	msg := make([]byte, 0, len(vals[HeaderTimestamp])+len(vals[HeaderNonce])+len(body)+3)
	msg = append(msg, vals[HeaderTimestamp]...)
	msg = append(msg, '\n')
	msg = append(msg, vals[HeaderNonce]...)
	msg = append(msg, '\n')
	msg = append(msg, body...)
	msg = append(msg, '\n')
	sum := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("%w with the key for %s %q (body of %d bytes)", ErrBadSignature, HeaderSerial, serial, len(body))
	}
	return nil
}

// key finds the key for serial. Platform certificate serials are hex, so a
// case-insensitive match is accepted too.
func (v *Verifier) key(serial string) *rsa.PublicKey {
	if k := v.Keys[serial]; k != nil {
		return k
	}
	for s, k := range v.Keys {
		if k != nil && strings.EqualFold(s, serial) {
			return k
		}
	}
	return nil
}

func (v *Verifier) known() string {
	if len(v.Keys) == 0 {
		return "none configured"
	}
	names := make([]string, 0, len(v.Keys))
	for s := range v.Keys {
		names = append(names, s)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// printable bounds a header value quoted in an error message.
func printable(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
