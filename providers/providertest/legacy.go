package providertest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/v2image"
	"github.com/wxmedia/wxmedia/signing"
)

// runLegacy is the suite of the v2 XML upload over mutual TLS (E3).
func runLegacy(t *testing.T, c *Case) {
	runScenarios(t, c,
		legacyHappy,
		legacySignErrors,
		legacyParamErrors,
		legacyCertificateErrors,
		legacyThrottled,
		legacyRateLimitThenRetry,
		legacyDailyQuota,
		legacyServerError,
		legacyMediaHashFileChanged,
		runFileChanged,
		legacyTampered,
		sampleTransport,
		sampleCancel,
	)
}

// legacyHappy uploads every sample with each sign type, and a file at the
// size limit.
func legacyHappy(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("happy", func(t *testing.T) {
		t.Parallel()
		for _, s := range c.Samples {
			for _, st := range []string{signing.SignTypeMD5, signing.SignTypeHMACSHA256} {
				t.Run(s.Filename+"/"+st, func(t *testing.T) {
					t.Parallel()
					e := start(t, c, options{})
					e.acct.SignType = st
					checkHappy(t, c, e, request(assetName(c, "happy"), s.Filename, s.Content), s.Content)
				})
			}
		}
		t.Run("at_size_limit", func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{})
			content := pad(base.Content, c.MaxSize)
			checkHappy(t, c, e, request(assetName(c, "limit"), base.Filename, content), content)
		})
	})
}

// biz is a v2 business failure: v2 answers are HTTP 200 XML; the code is
// err_code (or FAIL when only return_msg explains), there is no Request-ID
// to keep, and nothing is issued.
func biz(code, msg string, retryable bool, hint string) wantAPI {
	return wantAPI{status: http.StatusOK, code: code, msg: msg, retryable: retryable, hint: hint, noRequestID: true, noIssued: true}
}

// legacySignErrors: a wrong API key fails the signature, for each sign
// type.
func legacySignErrors(t *testing.T, c *Case) {
	for _, st := range []string{signing.SignTypeMD5, signing.SignTypeHMACSHA256} {
		refused(t, c, "SIGNERROR/wrong_api_key/"+st, options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
			e.acct.APIKey, e.acct.SignType = wrongAPIKey, st
			return req
		}, biz("SIGNERROR", "signature check failed", false, "api_key_env"))
	}
}

// legacyParamErrors breaks each file rule, and names an unknown mch_id (a
// protocol-level failure: return_code FAIL, the code only in return_msg).
func legacyParamErrors(t *testing.T, c *Case) {
	base := c.Samples[0]
	refused(t, c, "PARAM_ERROR/extension", options{},
		withRequest(request(assetName(c, "ext"), c.BadExtension, base.Content)), biz("PARAM_ERROR", "image format is wrong", false, "jpg"))
	refused(t, c, "PARAM_ERROR/content_not_matching_extension", options{},
		withRequest(request(assetName(c, "magic"), c.Mismatch.Filename, c.Mismatch.Content)), biz("PARAM_ERROR", "does not match the extension", false, "jpg"))
	refused(t, c, "PARAM_ERROR/oversize", options{},
		withRequest(request(assetName(c, "big"), base.Filename, pad(base.Content, c.MaxSize+1))), biz("PARAM_ERROR", "smaller than 2 MB", false, "2 MB"))
	refused(t, c, "PARAM_ERROR/empty", options{},
		withRequest(request(assetName(c, "empty"), base.Filename, nil)), biz("PARAM_ERROR", "the image is empty", false, ""))
	refused(t, c, "PARAM_ERROR/unknown_mch_id", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.MchID = "1999999999"
		return req
	}, biz(v2image.CodeFail, "PARAM_ERROR: mch_id is wrong", false, "mchid"))
}

// legacyCertificateErrors: no client certificate, another merchant's, and
// one from another CA (which crypto/tls does not even offer, since it does
// not fit the server's CertificateRequest, so the server sees none).
func legacyCertificateErrors(t *testing.T, c *Case) {
	refused(t, c, "FAIL/no_client_certificate", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.HTTPClient = e.httpClient(t, nil)
		return req
	}, biz(v2image.CodeFail, "Certificate is required", false, "client_cert_file"))
	refused(t, c, "INVALID_REQUEST/foreign_client_certificate", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		// A certificate of the sandbox CA, but not this merchant's.
		e.acct.HTTPClient = e.httpClient(t, &e.keys.v3Cert)
		return req
	}, biz("INVALID_REQUEST", "client certificate does not belong", false, "client_cert_file"))
	refused(t, c, "FAIL/untrusted_client_certificate", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		cert := selfSignedCert()
		e.acct.HTTPClient = e.httpClient(t, &cert)
		return req
	}, biz(v2image.CodeFail, "Certificate is required", false, "client_cert_file"))
}

// legacyThrottled: FREQUENCY_LIMITED is retryable.
func legacyThrottled(t *testing.T, c *Case) {
	refused(t, c, "FREQUENCY_LIMITED/per_second", options{cfg: emulator.Config{Faults: emulator.Faults{ThrottleRate: 1}}}, nil,
		biz("FREQUENCY_LIMITED", "frequency limited", true, "rate_limit"))
}

// legacyServerError: SYSTEMERROR is retryable.
func legacyServerError(t *testing.T, c *Case) {
	refused(t, c, "SYSTEMERROR/server_error", options{cfg: emulator.Config{Faults: emulator.Faults{FailRate: 1}}}, nil,
		biz("SYSTEMERROR", "system error", true, "retry later"))
}

// legacyRateLimitThenRetry: over the per-second limit the upload is
// refused; v2 sends no Retry-After, so the backoff alone must get through.
func legacyRateLimitThenRetry(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("FREQUENCY_LIMITED/rate_limit_then_retry", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		clk := newClock()
		e := start(t, c, options{cfg: emulator.Config{RateLimit: 1, Now: clk.Now}})
		if _, err := e.upload(ctx, request(assetName(c, "first"), base.Filename, base.Content)); err != nil {
			t.Fatalf("first upload: %v", err)
		}
		req := request(assetName(c, "second"), base.Filename, base.Content)
		res, err := e.upload(ctx, req)
		checkAPIError(t, req, res, err, biz("FREQUENCY_LIMITED", "requests per second", true, "rate_limit"))
		sl := &retrySleeper{clk: clk}
		u := providers.WithRetry(c.New(e.acct), providers.RetryPolicy{Attempts: 20, Base: 1500 * time.Millisecond, Max: 1500 * time.Millisecond, Sleep: sl.sleep})
		res, err = u.Upload(ctx, req)
		if err != nil {
			t.Fatalf("Upload with retries = %v (delays %v), want success", err, sl.delays())
		}
		checkIssued(t, e, c.Path, res.ID, base.Content, base.Filename)
	})
}

// legacyDailyQuota: once the daily quota is used up, FREQUENCY_LIMITED is
// not retryable.
func legacyDailyQuota(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("FREQUENCY_LIMITED/daily_quota", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		e := start(t, c, options{cfg: emulator.Config{DailyQuota: 1}})
		if _, err := e.upload(ctx, request(assetName(c, "first"), base.Filename, base.Content)); err != nil {
			t.Fatalf("first upload: %v", err)
		}
		req := request(assetName(c, "quota"), base.Filename, base.Content)
		res, err := e.upload(ctx, req)
		checkAPIError(t, req, res, err, biz("FREQUENCY_LIMITED", "daily upload quota", false, "tomorrow"))
	})
}

// legacyMediaHashFileChanged: media_hash is computed by the client from
// the bytes it sends, so it cannot be wrong on the wire; a file that
// changes between the hashing pass and the sending pass is caught by the
// client instead.
func legacyMediaHashFileChanged(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("PARAM_ERROR/media_hash_file_changed", func(t *testing.T) {
		t.Parallel()
		e := start(t, c, options{})
		req := request(assetName(c, "changed"), base.Filename, base.Content)
		changed := bytes.Clone(base.Content)
		changed[len(changed)-1] ^= 0xff
		var opens atomic.Int32
		req.Open = func() (providers.File, error) {
			if opens.Add(1) == 1 {
				return memFile{bytes.NewReader(base.Content)}, nil
			}
			return memFile{bytes.NewReader(changed)}, nil
		}
		res, err := e.upload(context.Background(), req)
		var ae *providers.APIError
		if res != nil || err == nil || errors.As(err, &ae) || providers.IsRetryable(err) {
			t.Fatalf("Upload of a file changed between passes = %+v, %v; want a permanent client-side error", res, err)
		}
		if !strings.Contains(err.Error(), req.Asset) || !strings.Contains(err.Error(), "changed") {
			t.Errorf("error %q does not name the asset and say the file changed", err)
		}
		if n := len(e.srv.Issued()); n != 0 {
			t.Errorf("emulator issued %d IDs for a file that changed during upload", n)
		}
	})
}

// legacyTampers alter answers: the sign covers the fields
// (docs/PROTOCOL.md §2).
var legacyTampers = []struct {
	name   string
	modify func([]byte) []byte
	// accepted: the answer is still trustworthy or accepted by design.
	accepted bool
}{
	{name: "media_id", modify: func(b []byte) []byte { return mutateAfter(b, "<media_id><![CDATA[") }},
	{name: "sign", modify: func(b []byte) []byte { return mutateAfter(b, "<sign><![CDATA[") }},
	{name: "result_code", modify: func(b []byte) []byte {
		return bytes.Replace(b, []byte("<return_msg><![CDATA[OK]]>"), []byte("<return_msg><![CDATA[ok]]>"), 1)
	}},
	// [ASSUMED] v2image.AcceptUnsignedSuccess: an answer without sign is
	// only as trustworthy as the TLS connection it came over.
	{name: "no_sign", modify: func(b []byte) []byte {
		return regexp.MustCompile(`<sign><!\[CDATA\[[0-9A-F]*\]\]></sign>`).ReplaceAll(b, nil)
	}, accepted: v2image.AcceptUnsignedSuccess},
}

// legacyTampered sends each of legacyTampers' answers back to the client.
func legacyTampered(t *testing.T, c *Case) {
	base := c.Samples[0]
	for _, tp := range legacyTampers {
		t.Run("tamper/"+tp.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{})
			var changed atomic.Bool
			e.proxy(t, func(_ *http.Request, resp *http.Response) error {
				return rewriteBody(resp, func(b []byte) []byte {
					out := tp.modify(b)
					changed.Store(!bytes.Equal(out, b))
					return out
				})
			})
			req := request(assetName(c, "tamper"), base.Filename, base.Content)
			res, err := e.upload(context.Background(), req)
			if !changed.Load() {
				t.Fatalf("the proxy did not alter the answer")
			}
			if tp.accepted {
				if err != nil {
					t.Fatalf("Upload = %v, want the unsigned answer accepted (v2image.AcceptUnsignedSuccess)", err)
				}
				checkIssued(t, e, c.Path, res.ID, base.Content, base.Filename)
				return
			}
			checkVerifyError(t, req, res, err)
		})
	}
}

// mutateAfter changes the character that follows the first marker in b.
func mutateAfter(b []byte, marker string) []byte {
	i := bytes.Index(b, []byte(marker))
	if i < 0 || i+len(marker) >= len(b) {
		return b
	}
	out := bytes.Clone(b)
	out[i+len(marker)] = rotate(out[i+len(marker)])
	return out
}

// selfSignedCert returns a client certificate no sandbox CA issued.
func selfSignedCert() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: emulator.SandboxV2MchID},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err) // a fixed, valid template
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
