package signing

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"
)

// APIv2 sign types.
const (
	SignTypeMD5        = "MD5"
	SignTypeHMACSHA256 = "HMAC-SHA256"
)

// ErrV2SignMismatch is returned by VerifyV2 when the sign field is wrong.
var ErrV2SignMismatch = errors.New("signing: v2 response sign does not match")

// SignV2 returns the APIv2 sign of params (docs/PROTOCOL.md §2): it leaves out
// "sign", every empty value and the keys in exclude (uploadmedia excludes
// "media"), sorts the rest by name in byte order, joins them as k=v&k=v,
// appends "&key=" and apiKey, and hashes with MD5 (signType "" or "MD5") or
// HMAC-SHA256 keyed with apiKey. The result is upper-case hex.
func SignV2(params map[string]string, apiKey, signType string, exclude ...string) (string, error) {
	if apiKey == "" {
		return "", errors.New("signing: empty APIv2 key")
	}
	var h hash.Hash
	switch signType {
	case "", SignTypeMD5:
		h = md5.New()
	case SignTypeHMACSHA256:
		h = hmac.New(sha256.New, []byte(apiKey))
	default:
		return "", fmt.Errorf("signing: unknown v2 sign_type %q (want %s or %s)", signType, SignTypeMD5, SignTypeHMACSHA256)
	}
	names := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" || v == "" || contains(exclude, k) {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
		b.WriteByte('&')
	}
	b.WriteString("key=")
	b.WriteString(apiKey)
	h.Write([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
}

// VerifyV2 checks the "sign" field of a v2 response's fields (the XML
// elements) against SignV2 of the others, in constant time. signType is the
// one the request used. A missing sign is an error.
func VerifyV2(params map[string]string, apiKey, signType string) error {
	got := params["sign"]
	if got == "" {
		return errors.New("signing: v2 response has no sign field")
	}
	want, err := SignV2(params, apiKey, signType)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToUpper(got)), []byte(want)) != 1 {
		return ErrV2SignMismatch
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
