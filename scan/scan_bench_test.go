package scan_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/scan"
)

// BenchmarkHashRead compares ways of streaming one warm 64 MiB file through
// sha256, to choose the read loop in scan.go: io.Copy (32 KiB buffer, as
// sha256's digest has no ReadFrom) against a plain read loop with buffers
// of several sizes, and scan.HashFile, which is what ships.
//
//	go test -run '^$' -bench HashRead ./planner
func BenchmarkHashRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.png")
	const size = 64 << 20
	if err := os.WriteFile(path, testenv.PNG(size, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("io.Copy", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	for _, bs := range []int{32 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("loop-%dKiB", bs>>10), func(b *testing.B) {
			b.SetBytes(size)
			buf := make([]byte, bs)
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				h := sha256.New()
				for {
					n, err := f.Read(buf)
					h.Write(buf[:n])
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
			}
		})
	}
	b.Run("HashFile", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, _, _, err := scan.HashFile(filepath.Dir(path), filepath.Base(path)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
