package providertest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// runMultipart is the suite of the "meta + file" endpoints (E1, E2, E4,
// E6, E7).
func runMultipart(t *testing.T, c *Case) {
	runScenarios(t, c,
		multipartHappy,
		multipartParamErrors,
		// A sha256 that does not match the content never reaches the server
		// whole: the client checks the bytes it streams against it.
		runFileChanged,
		multipartAuthErrors,
		multipartThrottled,
		multipartRateLimitThenRetry,
		multipartDailyQuota,
		multipartServerError,
		multipartTampered,
		sampleTransport,
		sampleCancel,
	)
}

// multipartHappy uploads every sample, a file at the size limit, the
// longest filename and (outside brand) a request without Wechatpay-Serial.
func multipartHappy(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("happy", func(t *testing.T) {
		t.Parallel()
		for _, s := range c.Samples {
			t.Run(s.Filename, func(t *testing.T) {
				t.Parallel()
				e := start(t, c, options{})
				checkHappy(t, c, e, request(assetName(c, "happy"), s.Filename, s.Content), s.Content)
			})
		}
		t.Run("at_size_limit", func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{})
			content := pad(base.Content, c.MaxSize)
			checkHappy(t, c, e, request(assetName(c, "limit"), base.Filename, content), content)
		})
		t.Run("longest_filename", func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{})
			name := longName(base.Filename, c.MaxFilename)
			checkHappy(t, c, e, request(assetName(c, "longname"), name, base.Content), base.Content)
		})
		if c.API != emulator.APIBrand {
			// Wechatpay-Serial is optional outside the brand APIs.
			t.Run("without_wechatpay_serial", func(t *testing.T) {
				t.Parallel()
				e := start(t, c, options{})
				e.acct.WechatPayPublicKeyID = ""
				checkHappy(t, c, e, request(assetName(c, "noserial"), base.Filename, base.Content), base.Content)
			})
		}
	})
}

// multipartParamErrors breaks each file rule (docs/PROTOCOL.md §3–§6, §9,
// §10). The client does not validate files (the manifest does), so each
// rule is broken by a crafted Request.
func multipartParamErrors(t *testing.T, c *Case) {
	base := c.Samples[0]
	param := func(msg string) wantAPI {
		return wantAPI{status: http.StatusBadRequest, code: c.ParamCode, msg: msg}
	}
	refused(t, c, c.ParamCode+"/extension", options{},
		withRequest(request(assetName(c, "ext"), c.BadExtension, base.Content)), param("unsupported extension"))
	refused(t, c, c.ParamCode+"/filename_too_long", options{},
		withRequest(request(assetName(c, "longname"), longName(base.Filename, c.MaxFilename+1), base.Content)), param("filename must be 1 to"))
	refused(t, c, c.ParamCode+"/content_not_matching_extension", options{},
		withRequest(request(assetName(c, "magic"), c.Mismatch.Filename, c.Mismatch.Content)), param("first bytes do not match the extension"))
	refused(t, c, c.ParamCode+"/oversize", options{},
		withRequest(request(assetName(c, "big"), base.Filename, pad(base.Content, c.MaxSize+1))), param("larger than"))
	refused(t, c, c.ParamCode+"/empty", options{},
		withRequest(request(assetName(c, "empty"), base.Filename, nil)), param("file is empty"))
}

// multipartAuthErrors breaks authentication (docs/PROTOCOL.md §1.1, §1.4):
// the key, mchid, serial, clock, permission, Wechatpay-Serial and path.
func multipartAuthErrors(t *testing.T, c *Case) {
	signingErrors(t, c, "unknown_mchid", "1999999999")
	if c.NoAuthAPI != "" {
		refused(t, c, "NO_AUTH/"+c.NoAuthAPI+"_merchant", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
			e.acct = e.account(t, c.NoAuthAPI)
			return req
		}, wantAPI{status: http.StatusForbidden, code: "NO_AUTH", msg: "has no permission", hint: "permission"})
	}
	refused(t, c, "INVALID_REQUEST/wechatpay_serial", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		// A key ID of another merchant, while still holding the right key.
		e.acct.WechatPayPublicKeyID = otherKeyID
		e.acct.WechatPayKeys[otherKeyID] = e.keys.wxPub
		return req
	}, wantAPI{status: http.StatusBadRequest, code: "INVALID_REQUEST", msg: "Wechatpay-Serial", hint: "wechatpay_public_key_id"})
	refused(t, c, "NOT_FOUND/endpoint", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.BaseURL = e.url + "/nowhere"
		return req
	}, wantAPI{status: http.StatusNotFound, code: "NOT_FOUND", msg: "no such endpoint", hint: "endpoint"})
}

// multipartThrottled: a 429 answer is retryable and carries Retry-After.
func multipartThrottled(t *testing.T, c *Case) {
	refused(t, c, c.RateCode+"/per_second", options{cfg: emulator.Config{Faults: emulator.Faults{ThrottleRate: 1}}}, nil,
		wantAPI{status: http.StatusTooManyRequests, code: c.RateCode, retryable: true, retryAfter: time.Second, msg: "frequency limit exceeded", hint: "rate_limit"})
}

// multipartRateLimitThenRetry: over the per-second limit the upload is
// refused, and the same request succeeds once Retry-After has passed.
func multipartRateLimitThenRetry(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run(c.RateCode+"/rate_limit_then_retry", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		clk := newClock()
		e := start(t, c, options{cfg: emulator.Config{RateLimit: 1, Now: clk.Now}})
		if _, err := e.upload(ctx, request(assetName(c, "first"), base.Filename, base.Content)); err != nil {
			t.Fatalf("first upload: %v", err)
		}
		req := request(assetName(c, "second"), base.Filename, base.Content)
		res, err := e.upload(ctx, req)
		checkAPIError(t, req, res, err, wantAPI{status: http.StatusTooManyRequests, code: c.RateCode, retryable: true,
			retryAfter: time.Second, msg: "requests per second", hint: "rate_limit"})
		sl := &retrySleeper{clk: clk}
		u := providers.WithRetry(c.New(e.acct), providers.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond, Sleep: sl.sleep})
		res, err = u.Upload(ctx, req)
		if err != nil {
			t.Fatalf("Upload with retries after Retry-After = %v, want success", err)
		}
		checkIssued(t, e, c.Path, res.ID, base.Content, base.Filename)
		if ds := sl.delays(); len(ds) != 1 || ds[0] < time.Second {
			t.Errorf("retry delays %v, want one of at least the 1s Retry-After", ds)
		}
	})
}

// multipartDailyQuota: once the daily quota is used up, a 429 is not
// retryable and the advice is to come back tomorrow.
func multipartDailyQuota(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run(c.RateCode+"/daily_quota", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		e := start(t, c, options{cfg: emulator.Config{DailyQuota: 1}})
		if _, err := e.upload(ctx, request(assetName(c, "first"), base.Filename, base.Content)); err != nil {
			t.Fatalf("first upload: %v", err)
		}
		req := request(assetName(c, "quota"), base.Filename, base.Content)
		res, err := e.upload(ctx, req)
		checkAPIError(t, req, res, err, wantAPI{status: http.StatusTooManyRequests, code: c.RateCode, retryable: false,
			msg: "daily upload quota", hint: "tomorrow"})
	})
}

// multipartServerError: a 500 SYSTEM_ERROR is retryable.
func multipartServerError(t *testing.T, c *Case) {
	refused(t, c, "SYSTEM_ERROR/server_error", options{cfg: emulator.Config{Faults: emulator.Faults{FailRate: 1}}}, nil,
		wantAPI{status: http.StatusInternalServerError, code: "SYSTEM_ERROR", retryable: true, msg: "system error"})
}

// multipartTampered alters signed answers on the way back
// (docs/PROTOCOL.md §1.2): each must fail verification, though the upload
// happened.
func multipartTampered(t *testing.T, c *Case) {
	for _, tp := range jsonTampers {
		tamperedAnswer(t, c, "tamper/"+tp.name, nil, tp, func(t *testing.T, e *env) {
			if n := len(e.srv.Issued()); n != 1 {
				t.Errorf("emulator issued %d IDs, want 1 (the upload happened; only its answer was altered)", n)
			}
		})
	}
}

// pad returns content extended with zeros (or cut) to n bytes.
func pad(content []byte, n int64) []byte {
	out := make([]byte, n)
	copy(out, content)
	return out
}

// longName returns a filename of n characters with filename's extension.
func longName(filename string, n int) string {
	ext := filename[strings.LastIndexByte(filename, '.'):]
	return strings.Repeat("n", n-len(ext)) + ext
}

// signingErrors breaks the request signature every v3 call carries
// (docs/PROTOCOL.md §1.1): the private key, the merchant (or brand) ID
// unknownName/unknownID, the certificate serial and the clock.
func signingErrors(t *testing.T, c *Case, unknownName, unknownID string) {
	signErr := func(msg string) wantAPI {
		return wantAPI{status: http.StatusUnauthorized, code: "SIGN_ERROR", msg: msg, hint: "serial_no"}
	}
	refused(t, c, "SIGN_ERROR/wrong_private_key", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.PrivateKey = otherPrivateKey(e, c.API)
		return req
	}, signErr("signature verification failed"))
	refused(t, c, "SIGN_ERROR/"+unknownName, options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.MchID = unknownID
		return req
	}, signErr("not a known merchant"))
	refused(t, c, "SIGN_ERROR/wrong_serial_no", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.SerialNo = otherSerial(e, c.API)
		return req
	}, signErr("is not the API certificate serial"))
	refused(t, c, "SIGN_ERROR/clock_skew", options{}, func(t *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
		return req
	}, signErr("timestamp expired"))
}
