package v3upload_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/internal/v3upload"
)

// patternFile is a generated providers.File of any size that holds nothing
// in memory beyond one 4 KiB block.
type patternFile struct {
	size  int64
	block []byte
}

func newPatternFile(size int64) *patternFile {
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return &patternFile{size: size, block: b}
}

func (f *patternFile) Read(p []byte) (int, error) { panic("Upload must read through ReadAt") }
func (f *patternFile) Close() error               { return nil }
func (f *patternFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < f.size {
		c := copy(p[n:min(len(p), n+int(f.size-off))], f.block[off%int64(len(f.block)):])
		n += c
		off += int64(c)
	}
	if off == f.size {
		return n, io.EOF
	}
	return n, nil
}

func (f *patternFile) sha256() string {
	h := sha256.New()
	io.Copy(h, io.NewSectionReader(f, 0, f.size))
	return hex.EncodeToString(h.Sum(nil))
}

// TestUploadStreams uploads a 64 MiB file and checks that the bytes
// allocated by the whole process (client and test server) stay far below
// the file size: the body is streamed, never buffered.
func TestUploadStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB upload")
	}
	const size = 64 << 20
	f := newPatternFile(size)
	want := f.sha256()

	got := make(chan string, 1)
	// Unlike newServer's, this handler hashes the file part as it arrives
	// instead of recording the body.
	s := &server{t: t, wxKey: loadKey(t, "wechatpay_key.pem")}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mr := multipart.NewReader(r.Body, params["boundary"])
		sum := ""
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "file" {
				h := sha256.New()
				io.Copy(h, p)
				sum = hex.EncodeToString(h.Sum(nil))
			}
		}
		got <- sum
		if r.ContentLength <= size {
			w.WriteHeader(400)
			return
		}
		s.signed(w, 200, `{"media_id":"BIG"}`, time.Now(), s.wxKey, testPubKeyID)
	}))
	t.Cleanup(s.Close)

	req := &providers.Request{Asset: "big", Filename: "big.mp4", Size: size, SHA256: want,
		Open: func() (providers.File, error) { return f, nil }}
	c := v3upload.New(imageEndpoint, account(s))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := c.Upload(context.Background(), req)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	if res.ID != "BIG" {
		t.Errorf("ID = %q", res.ID)
	}
	if h := <-got; h != want {
		t.Errorf("server received content with sha256 %s, want %s", h, want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB to upload %d MiB", alloc>>10, size>>20)
	if alloc > size/16 {
		t.Errorf("allocated %d bytes to upload %d bytes: the body is not streamed", alloc, size)
	}
}
