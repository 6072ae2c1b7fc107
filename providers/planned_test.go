package providers_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/providers"
)

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestPlannedReader reads sections of files that are, or are not, what
// was planned, and checks what reaches the reader's consumer.
func TestPlannedReader(t *testing.T) {
	planned := []byte("0123456789abcdefghij")
	for _, tc := range []struct {
		name        string
		file        []byte
		off, length int64
		want        string // SHA-256 of the planned section
		err         string // "" for success
	}{
		{"whole", planned, 0, 20, hexSum(planned), ""},
		{"whole/upper-case digest", planned, 0, 20, strings.ToUpper(hexSum(planned)), ""},
		{"part", planned, 5, 10, hexSum(planned[5:15]), ""},
		{"last part", planned, 15, 5, hexSum(planned[15:]), ""},
		{"other content", bytes.ToUpper(planned), 0, 20, hexSum(planned), "its content hashes to sha256 "},
		{"other part", bytes.ToUpper(planned), 5, 10, hexSum(planned[5:15]), "the 10 bytes at offset 5 hash to sha256 "},
		{"shorter", planned[:15], 0, 20, hexSum(planned), "it is shorter than the planned 20 bytes"},
		{"longer", append(bytes.Clone(planned), 'x'), 0, 20, hexSum(planned), "it is longer than the planned 20 bytes"},
		// Only the section that ends the file checks what follows it.
		{"longer/inner part", append(bytes.Clone(planned), 'x'), 5, 10, hexSum(planned[5:15]), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := md5.New()
			r := providers.NewPlannedReader(bytes.NewReader(tc.file), tc.off, tc.length, 20, tc.want, m)
			got, err := io.ReadAll(iotestOneByte{r})
			if tc.err == "" {
				if err != nil || !bytes.Equal(got, planned[tc.off:tc.off+tc.length]) {
					t.Fatalf("ReadAll = %q, %v; want %q", got, err, planned[tc.off:tc.off+tc.length])
				}
				if want := md5.Sum(got); !bytes.Equal(m.Sum(nil), want[:]) {
					t.Errorf("the extra writer saw other bytes than were returned")
				}
				return
			}
			var fc *providers.FileChangedError
			if !errors.As(err, &fc) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("ReadAll error = %v; want a FileChangedError saying %q", err, tc.err)
			}
			if int64(len(got)) >= tc.length {
				t.Errorf("ReadAll returned all %d bytes of a section that is not the planned one", len(got))
			}
			if _, again := r.Read(make([]byte, 1)); again != err {
				t.Errorf("Read after the failure = %v, want the same error again", again)
			}
		})
	}
}

// iotestOneByte reads one byte at a time, so that the last byte of the
// section comes in a read of its own.
type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestRequestContent(t *testing.T) {
	data := []byte("planned content")
	req := &providers.Request{Asset: "a", Size: int64(len(data)), SHA256: hexSum(data)}
	got, err := io.ReadAll(req.Content(bytes.NewReader(data)))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll(Content) = %q, %v", got, err)
	}
	if err := providers.AsFileChanged("a", errors.New("other")); err != nil {
		t.Errorf("AsFileChanged(other error) = %v, want nil", err)
	}
	_, err = io.ReadAll(req.Content(bytes.NewReader([]byte("planned CONTENT"))))
	if fc := providers.AsFileChanged("a", err); fc == nil || !strings.HasPrefix(fc.Error(), "a: file changed since plan: ") || !errors.As(fc, new(*providers.FileChangedError)) {
		t.Errorf("AsFileChanged = %v", fc)
	}
}

// errAfter reads n bytes of zeros, then fails with err.
type errAfter struct {
	n   int
	err error
}

func (r *errAfter) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

// TestBodyGuard: once released, no reader of the body reads again, and
// Release reports the first read error (a file that changed under the
// upload), not EOF.
func TestBodyGuard(t *testing.T) {
	var g providers.BodyGuard
	changed := errors.New("file changed")
	first := g.Reader(&errAfter{n: 4, err: changed})
	retry := g.Reader(strings.NewReader("retry body"))
	if _, err := io.ReadAll(first); !errors.Is(err, changed) {
		t.Fatalf("first read: %v, want %v", err, changed)
	}
	if err := g.Release(); !errors.Is(err, changed) {
		t.Errorf("Release = %v, want the first read error", err)
	}
	if n, err := retry.Read(make([]byte, 8)); n != 0 || err == nil {
		t.Errorf("read after Release = %d, %v; want 0 and an error", n, err)
	}
	var clean providers.BodyGuard
	if _, err := io.ReadAll(clean.Reader(strings.NewReader("ok"))); err != nil || clean.Release() != nil {
		t.Errorf("a clean body: read %v, Release %v", err, clean.Release())
	}
}
