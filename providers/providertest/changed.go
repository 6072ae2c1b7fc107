package providertest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/providers"
)

// runFileChanged checks, for every kind of provider, that what it sends is
// proven to be the planned content in the same pass (issue 12 defect 1):
// an upload whose file is not, or stops being, the planned bytes fails
// with a permanent *providers.FileChangedError naming the asset, and the
// emulator issues no ID that would be recorded (for a chunked upload: no
// merge).
func runFileChanged(t *testing.T, c *Case) {
	base := c.Samples[0]
	other := bytes.Clone(base.Content)
	other[len(other)-2] ^= 0x5a // still a valid file of its type, same size
	for _, tc := range []struct {
		name string
		// setup changes the request for base.
		setup func(req *providers.Request)
	}{
		// The file holds other bytes of the planned size from the start.
		{"file_changed/before_upload", func(req *providers.Request) {
			req.Open = func() (providers.File, error) { return memFile{bytes.NewReader(other)}, nil }
		}},
		// The file changes after half of it has been read: in the middle
		// of the only pass (multipart), between the passes (legacy), or
		// between a part's signing and sending passes (chunked).
		{"file_changed/while_sending", func(req *providers.Request) {
			flipped := bytes.Clone(base.Content)
			for i := range flipped {
				flipped[i] ^= 0xff
			}
			sw := &switchFile{a: base.Content, b: flipped}
			switch size := int64(len(base.Content)); c.Kind {
			case Multipart:
				sw.after = size / 2
			case Legacy:
				sw.after = size // the MD5 pass reads all of it
			case Chunked:
				sw.after = c.PartSize + 1 // part 1 signed (and a size check)
			}
			req.Open = func() (providers.File, error) { return sw, nil }
		}},
		// The plan says other bytes than the file holds.
		{"file_changed/planned_sha256", func(req *providers.Request) {
			req.SHA256 = sha256Hex(other)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{})
			req := request(assetName(c, tc.name), base.Filename, base.Content)
			tc.setup(req)
			res, err := e.upload(context.Background(), req)
			var fc *providers.FileChangedError
			if res != nil || !errors.As(err, &fc) || providers.IsRetryable(err) {
				t.Fatalf("Upload = %+v, %v; want a permanent *providers.FileChangedError", res, err)
			}
			for _, want := range []string{req.Asset + ": ", "file changed since plan"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			for _, is := range e.srv.Issued() {
				if c.Kind != Chunked || strings.HasSuffix(is.Endpoint, "/{upload_id}") {
					t.Errorf("the emulator issued %s (%s) for a file that is not the planned one", is.ID, is.Endpoint)
				}
			}
		})
	}
}

// switchFile is a providers.File that holds a until after bytes have been
// read from it in all, and b (as long as a) from then on: a file rewritten while it is
// uploaded. Each Open of a request returns the same one.
type switchFile struct {
	a, b  []byte
	after int64
	mu    sync.Mutex
	read  int64
	off   int64
}

func (f *switchFile) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readAt(p, off)
}

// readAt switches byte by byte, so that one read can span the change.
func (f *switchFile) readAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(f.a).ReadAt(p, off)
	for i := range n {
		if f.read >= f.after {
			p[i] = f.b[off+int64(i)]
		}
		f.read++
	}
	return n, err
}

func (f *switchFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.readAt(p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *switchFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.off = 0
	return nil
}
