package providertest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/providers"
)

// Kind is the protocol family of an endpoint, which decides the tests Run
// applies.
type Kind int

const (
	// Multipart is a v3 or brand "meta + file" upload (E1, E2, E4, E6, E7).
	Multipart Kind = iota
	// Legacy is the v2 XML upload over mutual TLS (E3).
	Legacy
	// Chunked is the brand user-package session: init, PUT parts, merge
	// (E5a, E5, E5b).
	Chunked
)

func (k Kind) String() string {
	switch k {
	case Multipart:
		return "multipart"
	case Legacy:
		return "legacy"
	case Chunked:
		return "chunked"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MD5CSV returns an audience file of n MD5-hashed mobile numbers (32 hex
// digits a line), fixed for a seed.
func MD5CSV(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x3d5))
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%016x%016x\n", r.Uint64(), r.Uint64())
	}
	return b.Bytes()
}

// Sample is one file an endpoint accepts.
type Sample struct {
	Filename string
	Content  []byte
}

// Case describes one provider and the rules of its endpoint, as docs/PROTOCOL.md
// states them.
type Case struct {
	// Type is the asset type (providers/registry), used in test names.
	Type string
	// New returns the provider's uploader for an account.
	New func(*providers.Account) providers.Uploader
	// Kind is the endpoint's protocol family.
	Kind Kind
	// API is the sandbox merchant that uploads: emulator.APIV3, APIGlobal,
	// APIBrand or APIV2.
	API string
	// Path is the endpoint path recorded in emulator Issued entries (for
	// Chunked, the session collection the init call posts to).
	Path string
	// Samples are valid files; Samples[0] is the base of the error tests.
	Samples []Sample
	// ID matches the IDs the endpoint returns (its documented shape).
	ID *regexp.Regexp
	// CertMode runs the suite in platform-certificate mode: v3 and global
	// accounts trust only the sandbox platform certificate and name its
	// serial in Wechatpay-Serial, so every answer must be signed with it.
	CertMode bool

	// The fields below are for Multipart and Legacy endpoints.

	// MaxSize is the largest accepted file size in bytes.
	MaxSize int64
	// MaxFilename is the longest accepted filename, in characters
	// (Multipart only).
	MaxFilename int
	// BadExtension is a filename whose extension the endpoint refuses.
	BadExtension string
	// Mismatch is a file whose first bytes do not fit its extension.
	Mismatch Sample
	// ParamCode is the code of parameter errors: PARAM_ERROR, or
	// INVALID_REQUEST for the global upload (E4).
	ParamCode string
	// RateCode is the code of 429 answers: FREQUENCY_LIMIT_EXCEED,
	// RATELIMIT_EXCEEDED (brand sessions) or FREQUENCY_LIMITED (v2).
	RateCode string
	// NoAuthAPI names a sandbox merchant API that can authenticate to the
	// endpoint but lacks permission for it (403 NO_AUTH), or "" when there
	// is none.
	NoAuthAPI string

	// PartSize is the emulator's part size for Chunked endpoints; Samples
	// should span several parts.
	PartSize int64
}

func (c *Case) check(t *testing.T) {
	t.Helper()
	var missing []string
	if c.Type == "" {
		missing = append(missing, "Type")
	}
	if c.New == nil {
		missing = append(missing, "New")
	}
	if c.API == "" {
		missing = append(missing, "API")
	}
	if c.Path == "" {
		missing = append(missing, "Path")
	}
	if len(c.Samples) == 0 {
		missing = append(missing, "Samples")
	}
	if c.ID == nil {
		missing = append(missing, "ID")
	}
	if c.RateCode == "" {
		missing = append(missing, "RateCode")
	}
	switch c.Kind {
	case Multipart, Legacy:
		if c.MaxSize <= 0 {
			missing = append(missing, "MaxSize")
		}
		if c.BadExtension == "" {
			missing = append(missing, "BadExtension")
		}
		if c.Mismatch.Filename == "" {
			missing = append(missing, "Mismatch")
		}
		if c.ParamCode == "" {
			missing = append(missing, "ParamCode")
		}
		if c.Kind == Multipart && c.MaxFilename <= 0 {
			missing = append(missing, "MaxFilename")
		}
	case Chunked:
		if c.PartSize <= 0 {
			missing = append(missing, "PartSize")
		}
	}
	if len(missing) > 0 {
		t.Fatalf("providertest.Case %q is missing %s", c.Type, strings.Join(missing, ", "))
	}
}

// Run runs the conformance suite for c. Every subtest starts its own
// emulator and runs in parallel.
func Run(t *testing.T, c Case) {
	t.Helper()
	c.check(t)
	switch c.Kind {
	case Multipart:
		runMultipart(t, &c)
	case Legacy:
		runLegacy(t, &c)
	case Chunked:
		runChunked(t, &c)
		runExpand(t, &c)
	default:
		t.Fatalf("providertest: unknown Kind %v", c.Kind)
	}
}

// fill returns n bytes starting with magic, the rest pseudo-random from
// seed.
func fill(magic string, n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, magic)
	return b
}

// PNG returns n bytes (n ≥ 8) with the PNG signature.
func PNG(n int, seed uint64) []byte { return fill("\x89PNG\r\n\x1a\n", n, seed) }

// JPEG returns n bytes (n ≥ 4) with a JPEG SOI marker.
func JPEG(n int, seed uint64) []byte { return fill("\xff\xd8\xff\xe0", n, seed) }

// BMP returns n bytes (n ≥ 2) with the BMP signature.
func BMP(n int, seed uint64) []byte { return fill("BM", n, seed) }

// PDF returns n bytes (n ≥ 9) with a PDF header.
func PDF(n int, seed uint64) []byte { return fill("%PDF-1.7\n", n, seed) }

// MP4 returns n bytes (n ≥ 16) starting with an ISO "ftyp" box.
func MP4(n int, seed uint64) []byte { return fill("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", n, seed) }

// CSV returns an audience file of n openid lines.
func CSV(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0xc5f))
	var b bytes.Buffer
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < n; i++ {
		b.WriteString("o")
		for j := 0; j < 27; j++ {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}
