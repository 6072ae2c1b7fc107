package v3upload

import "time"

// ParseRetryAfter reads a Retry-After header value (delay-seconds or an
// HTTP date) relative to now. Missing, past or unparsable values give 0;
// delays are capped at a week. Other providers (v2image, brandchunk) use it
// so that every provider reads Retry-After the same way.
func ParseRetryAfter(v string, now time.Time) time.Duration { return parseRetryAfter(v, now) }

// Excerpt returns up to max bytes of b, whitespace collapsed, as valid
// UTF-8 on one line, with "…" when cut: how a response body that is not a
// WeChat Pay error body is quoted in an error message.
func Excerpt(b []byte, max int) string { return excerpt(b, max) }
