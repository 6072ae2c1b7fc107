package errmark_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/wxmedia/wxmedia/internal/errmark"
)

func TestMark(t *testing.T) {
	kind := errors.New("kind")
	inner := &fs.PathError{Op: "open", Path: "a.png", Err: fs.ErrNotExist}
	err := errmark.Mark(fmt.Errorf("upload: %w", inner), kind)
	if err.Error() != "upload: open a.png: file does not exist" {
		t.Errorf("text = %q, want the marked error's", err.Error())
	}
	if !errors.Is(err, kind) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is does not find both the kind and the wrapped error")
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe != inner {
		t.Errorf("errors.As does not find the wrapped *fs.PathError")
	}
	if errors.Is(err, errors.New("kind")) {
		t.Errorf("a different sentinel with the same text matches")
	}
	if errmark.Mark(nil, kind) != nil {
		t.Errorf("Mark(nil) is not nil")
	}
}
