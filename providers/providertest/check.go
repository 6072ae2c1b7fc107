package providertest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// wantAPI is what docs/PROTOCOL.md says an error answer must become.
type wantAPI struct {
	status    int
	code      string
	retryable bool
	// retryAfter is the Retry-After the emulator sent (0: none).
	retryAfter time.Duration
	// msg is a piece of WeChat Pay's message (case-insensitive).
	msg string
	// hint, if set, is a piece of the advice (case-insensitive).
	hint string
	// noRequestID: the answer carries no Request-ID the client can keep
	// (v2 business answers are read from the XML only).
	noRequestID bool
	// noIssued: the emulator must have issued no ID (a refused upload).
	noIssued bool
}

// checkAPIError checks that err is the *providers.APIError w describes and
// that its text is useful: it names the asset, the code and WeChat Pay's
// message, says whether retrying helps, and holds no secret.
func checkAPIError(t *testing.T, req *providers.Request, res *providers.Result, err error, w wantAPI) *providers.APIError {
	t.Helper()
	if res != nil {
		t.Errorf("Upload returned a Result %+v with error %v", res, err)
	}
	if err == nil {
		t.Fatalf("Upload succeeded, want HTTP %d %s", w.status, w.code)
	}
	var ae *providers.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Upload error %T %q is not a *providers.APIError (want HTTP %d %s)", err, err, w.status, w.code)
	}
	if ae.HTTPStatus != w.status || ae.Code != w.code {
		t.Errorf("APIError HTTP %d %s, want HTTP %d %s (message %q)", ae.HTTPStatus, ae.Code, w.status, w.code, ae.Message)
	}
	if ae.Retryable != w.retryable {
		t.Errorf("APIError.Retryable = %v, want %v (%v)", ae.Retryable, w.retryable, err)
	}
	if got := providers.IsRetryable(err); got != w.retryable {
		t.Errorf("providers.IsRetryable = %v, want %v (%v)", got, w.retryable, err)
	}
	if got := providers.RetryAfter(err); got != w.retryAfter || ae.RetryAfter() != w.retryAfter {
		t.Errorf("RetryAfter = %v (method %v), want %v", got, ae.RetryAfter(), w.retryAfter)
	}
	if ae.Asset != req.Asset {
		t.Errorf("APIError.Asset = %q, want %q", ae.Asset, req.Asset)
	}
	if ae.Message == "" || !containsFold(ae.Message, w.msg) {
		t.Errorf("APIError.Message = %q, want it to contain WeChat Pay's %q", ae.Message, w.msg)
	}
	if w.hint != "" && !containsFold(ae.Hint, w.hint) {
		t.Errorf("APIError.Hint = %q, want it to mention %q", ae.Hint, w.hint)
	}
	if !w.noRequestID && ae.RequestID == "" {
		t.Errorf("APIError.RequestID is empty; the emulator sends Request-ID on every answer")
	}
	text := err.Error()
	t.Logf("user sees: %s", text)
	for _, part := range []string{req.Asset, w.code, w.msg} {
		if !containsFold(text, part) {
			t.Errorf("error text %q does not mention %q", text, part)
		}
	}
	advice := "retrying will not help"
	if w.retryable {
		advice = "retrying may help"
	}
	if !strings.Contains(text, advice) {
		t.Errorf("error text %q does not say %q", text, advice)
	}
	checkNoSecrets(t, text)
	return ae
}

// checkVerifyError checks that a tampered answer was rejected.
func checkVerifyError(t *testing.T, req *providers.Request, res *providers.Result, err error) {
	t.Helper()
	if res != nil {
		t.Errorf("Upload returned a Result %+v from a tampered answer", res)
	}
	var ve *providers.VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Upload error %T %v, want *providers.VerifyError", err, err)
	}
	if ve.Asset != req.Asset || !strings.Contains(err.Error(), req.Asset) {
		t.Errorf("VerifyError %q does not name asset %q", err, req.Asset)
	}
	if providers.IsRetryable(err) {
		t.Errorf("providers.IsRetryable(%v) = true, want false", err)
	}
	checkNoSecrets(t, err.Error())
}

// checkCanceled checks the error of an upload whose context was cancelled.
func checkCanceled(t *testing.T, req *providers.Request, res *providers.Result, err error) {
	t.Helper()
	if res != nil {
		t.Errorf("Upload returned a Result %+v after cancellation", res)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload error %T %v, want errors.Is(err, context.Canceled)", err, err)
	}
	if providers.IsRetryable(err) {
		t.Errorf("providers.IsRetryable(%v) = true after cancellation", err)
	}
	if !strings.Contains(err.Error(), req.Asset) {
		t.Errorf("error %q does not name asset %q", err, req.Asset)
	}
}

// checkNoSecrets fails when text holds a secret of the sandbox accounts.
func checkNoSecrets(t *testing.T, text string) {
	t.Helper()
	for _, s := range []string{emulator.SandboxV2APIKey, wrongAPIKey, "PRIVATE KEY"} {
		if strings.Contains(text, s) {
			t.Errorf("error text %q contains a secret", text)
		}
	}
}

// wrongAPIKey is a well-formed APIv2 key that is not the sandbox merchant's.
const wrongAPIKey = "0123456789abcdef0123456789ABCDEF"

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// checkHappy uploads req, which must succeed with an ID of c's shape that
// the emulator issued for content.
func checkHappy(t *testing.T, c *Case, e *env, req *providers.Request, content []byte) {
	t.Helper()
	res, err := e.upload(context.Background(), req)
	if err != nil {
		t.Fatalf("Upload(%s) = %v, want success", req.Filename, err)
	}
	if !c.ID.MatchString(res.ID) {
		t.Errorf("Upload(%s) ID = %q, does not match %s", req.Filename, res.ID, c.ID)
	}
	checkIssued(t, e, c.Path, res.ID, content, req.Filename)
}

// checkIssued checks that the emulator issued id for content: exactly one
// entry with that ID, from the account's merchant, at path, for the file's
// SHA-256.
func checkIssued(t *testing.T, e *env, path, id string, content []byte, filename string) {
	t.Helper()
	var found []emulator.Issued
	for _, is := range e.srv.Issued() {
		if is.ID == id {
			found = append(found, is)
		}
	}
	if len(found) != 1 {
		t.Fatalf("emulator issued ID %q %d times, want once (issued: %+v)", id, len(found), e.srv.Issued())
	}
	is := found[0]
	if want := sha256Hex(content); is.SHA256 != want {
		t.Errorf("issued %q for SHA-256 %s, want the file's %s", id, is.SHA256, want)
	}
	if is.Endpoint != path || is.MchID != e.acct.MchID || is.Filename != filename {
		t.Errorf("issued %+v, want endpoint %s, mchid %s, filename %s", is, path, e.acct.MchID, filename)
	}
}
