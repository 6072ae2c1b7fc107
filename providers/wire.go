package providers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/wxmedia/wxmedia/mediatype"
)

// NetworkError turns a failure of http.Client.Do, or of reading a response
// body, into what Upload returns: the caller's context error when ctx is
// done (an interruption, never retried), otherwise a *TransportError (the
// request may or may not have reached WeChat Pay; retryable, including an
// http.Client timeout). what names the step for multi-request uploads and
// may be empty.
func NetworkError(ctx context.Context, asset, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if what != "" {
			return fmt.Errorf("%s: upload interrupted (%s): %w", asset, what, ctxErr)
		}
		return fmt.Errorf("%s: upload interrupted: %w", asset, ctxErr)
	}
	if what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	return &TransportError{Asset: asset, Err: err}
}

// ReadBody reads up to max bytes of a response body. tooLong reports that
// the body was longer; data then holds its first max bytes.
func ReadBody(r io.Reader, max int64) (data []byte, tooLong bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(data)) > max {
		return data[:max], true, err
	}
	return data, false, err
}

// ReadAnswer reads up to max bytes of resp's body and closes it; tooLong
// reports that the body was longer. A read failure is wrapped as "read
// response: …" for the caller to classify (a file that changed under the
// upload, or the network).
func ReadAnswer(resp *http.Response, max int64) (data []byte, tooLong bool, err error) {
	defer resp.Body.Close()
	data, tooLong, err = ReadBody(resp.Body, max)
	if err != nil {
		err = fmt.Errorf("read response: %w", err)
	}
	return data, tooLong, err
}

// Exchange sends hreq with hc and reads up to max bytes of the answer
// (ReadAnswer). An error is a failure to send or to read, for the caller to
// classify (NetworkError, AsFileChanged, …).
func Exchange(hc *http.Client, hreq *http.Request, max int64) (resp *http.Response, data []byte, tooLong bool, err error) {
	resp, err = hc.Do(hreq)
	if err != nil {
		return nil, nil, false, err
	}
	data, tooLong, err = ReadAnswer(resp, max)
	return resp, data, tooLong, err
}

// NewStreamingPost returns a POST to url whose body is prefix, size bytes
// of content, then suffix, with that exact Content-Length: a multipart
// upload whose file streams between the two halves of its frame
// (MultipartFrame). It sets the Content-Type and User-Agent headers.
func NewStreamingPost(ctx context.Context, url string, prefix []byte, content io.Reader, size int64, suffix []byte, contentType, userAgent string) (*http.Request, error) {
	body := io.MultiReader(bytes.NewReader(prefix), content, bytes.NewReader(suffix))
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, io.NopCloser(body))
	if err != nil {
		return nil, err
	}
	hreq.ContentLength = int64(len(prefix)) + size + int64(len(suffix))
	hreq.Header.Set("Content-Type", contentType)
	hreq.Header.Set("User-Agent", userAgent)
	return hreq, nil
}

// FileChangedError reports a file that no longer matches what was planned
// (its length, or the digest signed into the request). It is permanent:
// retrying sends the same mismatch; only a new plan takes the new content.
type FileChangedError struct{ Detail string }

func (e *FileChangedError) Error() string {
	return "file changed since plan: " + e.Detail
}

// CheckSize fails fast, before any traffic, when f no longer has exactly
// size bytes.
func CheckSize(f io.ReaderAt, size int64) error {
	var b [1]byte
	if size > 0 {
		if n, _ := f.ReadAt(b[:], size-1); n != 1 {
			return &FileChangedError{Detail: fmt.Sprintf("it is shorter than the planned %d bytes", size)}
		}
	}
	if n, _ := f.ReadAt(b[:], size); n != 0 {
		return &FileChangedError{Detail: fmt.Sprintf("it is longer than the planned %d bytes", size)}
	}
	return nil
}

// MultipartFrame returns the bytes of a multipart/form-data body before and
// after the content of its last part, the file (field fileField, named
// filename, typed from its extension), and the body's Content-Type.
// writeParts writes the parts before it. Uploads stream the file between
// the two, so its length is known up front and nothing is buffered.
func MultipartFrame(writeParts func(*multipart.Writer), fileField, filename string) (prefix, suffix []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	writeParts(mw) // writes to a bytes.Buffer cannot fail
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="`+fileField+`"; filename="`+quoteEscaper.Replace(filename)+`"`)
	h.Set("Content-Type", mediatype.ContentType(mediatype.Ext(filename)))
	mw.CreatePart(h)
	prefix = bytes.Clone(buf.Bytes())
	buf.Reset()
	mw.Close()
	return prefix, bytes.Clone(buf.Bytes()), mw.FormDataContentType()
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
