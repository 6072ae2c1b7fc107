package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"

	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/mediatype"
)

// FileFacts is what hashing learned about one asset's file.
type FileFacts struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ScanOptions tunes Scan.
type ScanOptions struct {
	// Workers bounds how many files are hashed at once; 0 means GOMAXPROCS.
	Workers int
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// Scan hashes every asset's file (sha256, streamed, in parallel) and checks,
// from the same read, that its first bytes match its extension and that it
// still fits its type's size limit. Problems are returned together as a
// *multierror.Error of *manifest.FieldError, keyed to the asset's position.
func Scan(ctx context.Context, m *manifest.Manifest, opts ScanOptions) (map[string]FileFacts, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	facts := make([]FileFacts, len(m.Assets))
	errs := make([]error, len(m.Assets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, a := range m.Assets {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			facts[i], errs[i] = hashAsset(m.Path, a)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]FileFacts, len(m.Assets))
	var merr *multierror.Error
	for i, a := range m.Assets {
		if errs[i] != nil {
			merr = multierror.Append(merr, errs[i])
			continue
		}
		out[a.Name] = facts[i]
	}
	if merr != nil {
		merr.ErrorFormat = manifest.FormatErrors
		return out, merr
	}
	return out, nil
}

// HashFile returns the size and sha256 of the file at path and its first
// mediatype.HeadSize bytes, reading it once.
func HashFile(path string) (size int64, sum string, head []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", nil, err
	}
	defer f.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	h := sha256.New()
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			if len(head) < mediatype.HeadSize {
				need := mediatype.HeadSize - len(head)
				head = append(head, buf[:min(n, need)]...)
			}
			h.Write(buf[:n])
			size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, "", nil, rerr
		}
	}
	return size, hex.EncodeToString(h.Sum(nil)), head, nil
}

func hashAsset(manifestPath string, a *manifest.Asset) (FileFacts, error) {
	fe := func(msg string) error {
		return &manifest.FieldError{File: manifestPath, Line: a.Pos.Line, Col: a.Pos.Col, Path: "assets." + a.Name, Msg: msg}
	}
	size, sum, head, err := HashFile(a.Path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return FileFacts{}, fe(fmt.Sprintf("cannot read %s: %v; check the file exists and is readable", a.File, err))
	}
	t := mediatype.Lookup(a.Type)
	if t == nil {
		return FileFacts{}, fe(fmt.Sprintf("unknown type %q", a.Type))
	}
	if size == 0 {
		return FileFacts{}, fe(fmt.Sprintf("%s is empty; WeChat Pay rejects empty files", a.File))
	}
	if size > t.MaxSize {
		return FileFacts{}, fe(fmt.Sprintf("%s is %s; %s allows at most %s: compress or resize it", a.File, HumanSize(size), t.Name, HumanSize(t.MaxSize)))
	}
	ext := mediatype.Ext(a.File)
	if ok, looks := mediatype.Sniff(ext, head); !ok {
		return FileFacts{}, fe(fmt.Sprintf("%s has extension .%s but its content looks like %s; WeChat Pay checks the bytes, so convert the file or fix its extension", a.File, ext, looks))
	}
	return FileFacts{Size: size, SHA256: sum}, nil
}

// HumanSize formats n bytes for messages and tables.
func HumanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d B", n)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
