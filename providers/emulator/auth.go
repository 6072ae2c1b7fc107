package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Authorization schemes (docs/PROTOCOL.md §1.1, §1.6).
const (
	schemeV3    = "WECHATPAY2-SHA256-RSA2048"
	schemeBrand = "WECHATPAY-BRAND-SHA256-RSA2048"
)

// authorization is a parsed Authorization header.
type authorization struct {
	Scheme    string
	MchID     string // mchid (v3) or brand_id (brand)
	NonceStr  string
	Timestamp string
	SerialNo  string
	Signature string
}

// idKey returns the name of the parameter carrying the merchant identity.
func idKey(scheme string) string {
	if scheme == schemeBrand {
		return "brand_id"
	}
	return "mchid"
}

// parseAuthorization parses `SCHEME k="v",k="v",...` strictly: exactly one
// space after the scheme, double-quoted non-empty printable-ASCII values, a
// bare comma between pairs (no spaces, no trailing comma), each of the five
// parameters exactly once, in any order ([ASSUMED] pair order is free;
// unknown parameters are refused). The error says what is wrong.
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	if h == "" {
		return a, errors.New("the Authorization header is missing")
	}
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok {
		return a, errors.New("the Authorization has no parameters after the scheme")
	}
	switch scheme {
	case schemeV3, schemeBrand:
	default:
		return a, fmt.Errorf("unsupported Authorization scheme %q (want %s or %s)", truncateForMsg(scheme), schemeV3, schemeBrand)
	}
	a.Scheme = scheme
	if rest == "" {
		return a, errors.New("the Authorization has no parameters after the scheme")
	}
	if rest[0] == ' ' {
		return a, errors.New("the Authorization has more than one space after the scheme")
	}
	seen := map[string]bool{}
	for {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return a, fmt.Errorf("the Authorization parameter %q is not key=\"value\"", truncateForMsg(rest))
		}
		key := rest[:eq]
		for i := 0; i < len(key); i++ {
			c := key[i]
			if c == ' ' || c == '\t' {
				return a, errors.New("the Authorization must not contain spaces between parameters")
			}
			if !(c >= 'a' && c <= 'z' || c == '_') {
				return a, fmt.Errorf("the Authorization parameter name %q is invalid", truncateForMsg(key))
			}
		}
		rest = rest[eq+1:]
		if rest == "" || rest[0] != '"' {
			if rest != "" && rest[0] == '\'' {
				return a, fmt.Errorf("the Authorization parameter %s must be in double quotes, not single quotes", key)
			}
			return a, fmt.Errorf("the Authorization parameter %s must be in double quotes", key)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return a, fmt.Errorf("the Authorization parameter %s has no closing double quote", key)
		}
		val := rest[1 : 1+end]
		rest = rest[end+2:]
		if val == "" {
			return a, fmt.Errorf("the Authorization parameter %s is empty", key)
		}
		for i := 0; i < len(val); i++ {
			if val[i] < 0x20 || val[i] > 0x7e {
				return a, fmt.Errorf("the Authorization parameter %s contains a non-printable or non-ASCII character", key)
			}
		}
		if seen[key] {
			return a, fmt.Errorf("the Authorization parameter %s appears twice", key)
		}
		seen[key] = true
		switch key {
		case idKey(scheme):
			a.MchID = val
		case "nonce_str":
			a.NonceStr = val
		case "timestamp":
			a.Timestamp = val
		case "serial_no":
			a.SerialNo = val
		case "signature":
			a.Signature = val
		default:
			return a, fmt.Errorf("the Authorization parameter %q is not allowed with scheme %s", key, scheme)
		}
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			if rest[0] == ' ' {
				return a, errors.New("the Authorization must not contain spaces between parameters")
			}
			return a, fmt.Errorf("the Authorization parameters must be separated by ',' (ASCII comma), found %q", truncateForMsg(rest))
		}
		rest = rest[1:]
		if rest == "" {
			return a, errors.New("the Authorization ends with a trailing comma")
		}
		if rest[0] == ' ' || rest[0] == '\t' {
			return a, errors.New("the Authorization must not contain spaces between parameters")
		}
	}
	for _, k := range []string{idKey(scheme), "nonce_str", "timestamp", "serial_no", "signature"} {
		if !seen[k] {
			return a, fmt.Errorf("the Authorization is missing parameter %s", k)
		}
	}
	for _, c := range a.Timestamp {
		if c < '0' || c > '9' {
			return a, errors.New("the Authorization timestamp is not a decimal number of seconds")
		}
	}
	if len(a.Timestamp) > 12 {
		return a, errors.New("the Authorization timestamp is out of range")
	}
	return a, nil
}

// String formats a in the SDK's parameter order (used by tests and fuzzing).
func (a authorization) String() string {
	return fmt.Sprintf(`%s %s="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`,
		a.Scheme, idKey(a.Scheme), a.MchID, a.NonceStr, a.Timestamp, a.SerialNo, a.Signature)
}

func truncateForMsg(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// maxClockSkew is how far a request timestamp may be from the server clock.
// docs/PROTOCOL.md §1.1 says "about 5 minutes"; [ASSUMED] exactly 5 minutes is still
// accepted.
const maxClockSkew = 5 * time.Minute

func signError(format string, args ...any) *apiError {
	return errorf(http.StatusUnauthorized, codeSign, format, args...)
}

// authenticate checks everything in the Authorization header that does not
// need the body: syntax, scheme, merchant, permission, serial and clock. The
// signature itself is checked by verifySignature once the signed body is
// known.
func (s *Server) authenticate(r *http.Request, scheme string, apis []string) (*Merchant, authorization, *apiError) {
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, a, signError("%v", err)
	}
	if a.Scheme != scheme {
		return nil, a, signError("this endpoint requires Authorization scheme %s, not %s", scheme, a.Scheme)
	}
	var m *Merchant
	if scheme == schemeBrand {
		m = s.merchant(a.MchID, APIBrand)
	} else {
		m = s.merchant(a.MchID, APIV3, APIGlobal)
	}
	if m == nil {
		return nil, a, signError("%s %s is not a known merchant", idKey(scheme), a.MchID)
	}
	if !contains(apis, m.API) {
		return nil, a, errorf(http.StatusForbidden, codeNoAuth, "merchant %s (api %s) has no permission for this API", m.MchID, m.API)
	}
	// [ASSUMED] serial_no is compared case-insensitively (hex).
	if !strings.EqualFold(a.SerialNo, m.SerialNo) {
		return nil, a, signError("serial_no %s is not the API certificate serial of %s %s", a.SerialNo, idKey(scheme), a.MchID)
	}
	ts, _ := strconv.ParseInt(a.Timestamp, 10, 64)
	if d := s.now().Sub(time.Unix(ts, 0)); d > maxClockSkew || d < -maxClockSkew {
		return nil, a, signError("timestamp expired: request timestamp %s differs from server time by %s (at most %s allowed)", a.Timestamp, d.Round(time.Second), maxClockSkew)
	}
	return m, a, nil
}

// signingString builds the five-line string of docs/PROTOCOL.md §1.1.
func signingString(method, uri, ts, nonce string, body []byte) []byte {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(ts) + len(nonce) + len(body) + 5)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(ts)
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.Write(body)
	b.WriteByte('\n')
	return []byte(b.String())
}

// verifySignature checks the request signature over the signed body (the
// meta JSON for multipart uploads, the whole body for JSON requests).
func verifySignature(r *http.Request, m *Merchant, a authorization, body []byte) *apiError {
	sig, err := base64.StdEncoding.Strict().DecodeString(a.Signature)
	if err != nil {
		return signError("signature is not standard base64: %v", err)
	}
	if m.PublicKey == nil {
		return signError("no public key is configured for %s", m.MchID)
	}
	msg := signingString(r.Method, requestURI(r), a.Timestamp, a.NonceStr, body)
	sum := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(m.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return signError("signature verification failed: the signature does not match %q with the key of serial_no %s", methodAndURI(r), a.SerialNo)
	}
	return nil
}

func methodAndURI(r *http.Request) string { return r.Method + " " + requestURI(r) }

// requestURI returns the canonical URL of docs/PROTOCOL.md §1.1: the path and query
// exactly as sent on the request line.
func requestURI(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// signResponse signs "TS\nNONCE\nBODY\n" (docs/PROTOCOL.md §1.2).
func signResponse(key *rsa.PrivateKey, ts, nonce string, body []byte) (string, error) {
	msg := make([]byte, 0, len(ts)+len(nonce)+len(body)+3)
	msg = append(msg, ts...)
	msg = append(msg, '\n')
	msg = append(msg, nonce...)
	msg = append(msg, '\n')
	msg = append(msg, body...)
	msg = append(msg, '\n')
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// checkWechatpaySerial enforces the Wechatpay-Serial request header: when
// required (brand) it must be present, and when present it must be the
// configured key ID (docs/PROTOCOL.md §1.2, §1.6) or, where it is optional (the v3
// APIs), the platform certificate's serial (§11). Brand answers are always
// signed in public-key mode, so brand calls must name the public key.
func (s *Server) checkWechatpaySerial(r *http.Request, required bool) *apiError {
	v, present := r.Header["Wechatpay-Serial"]
	if !present || len(v) == 0 {
		if required {
			return errorf(http.StatusBadRequest, codeInvalid, "the Wechatpay-Serial header is required and must be %s", s.cfg.WechatPayKeyID)
		}
		return nil
	}
	if len(v) == 1 && s.cfg.Platform != nil && v[0] == s.cfg.Platform.Serial && !required {
		return nil // certificate mode: the answer is signed with the platform certificate
	}
	if len(v) != 1 || v[0] != s.cfg.WechatPayKeyID {
		return errorf(http.StatusBadRequest, codeInvalid, "Wechatpay-Serial %q is not a WeChat Pay public key ID or platform certificate serial of this merchant", strings.Join(v, ","))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
