package main

import (
	"fmt"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/v3image"
)

// uploaders maps each asset type to the constructor of its provider.
var uploaders = map[string]func(*providers.Account) providers.Uploader{
	"image": func(a *providers.Account) providers.Uploader { return v3image.New(a) },
}

func newUploader(typ string, a *providers.Account) (providers.Uploader, error) {
	f, ok := uploaders[typ]
	if !ok {
		return nil, fmt.Errorf("type %s: %w (this build supports: image)", typ, providers.ErrUnsupportedType)
	}
	return f(a), nil
}
