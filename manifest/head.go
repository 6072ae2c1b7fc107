package manifest

import (
	"errors"
	"io"
	"os"

	"github.com/wxmedia/wxmedia/mediatype"
)

// readHead opens the file at path and returns its first mediatype.HeadSize
// bytes: that proves it readable and lets validate sniff its content
// without hashing it.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, mediatype.HeadSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:n], nil
}
