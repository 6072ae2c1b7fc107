package providers

import (
	"context"
	"fmt"
	"io"
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
