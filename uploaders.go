package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/brandchunk"
	"github.com/wxmedia/wxmedia/providers/brandimage"
	"github.com/wxmedia/wxmedia/providers/globalfile"
	"github.com/wxmedia/wxmedia/providers/marketingimage"
	"github.com/wxmedia/wxmedia/providers/v2image"
	"github.com/wxmedia/wxmedia/providers/v3image"
	"github.com/wxmedia/wxmedia/providers/v3upload"
	"github.com/wxmedia/wxmedia/providers/v3video"
)

// uploaders maps each asset type to the constructor of its provider.
var uploaders = map[string]func(*providers.Account) providers.Uploader{
	"image":           func(a *providers.Account) providers.Uploader { return v3image.New(a) },
	"video":           func(a *providers.Account) providers.Uploader { return v3video.New(a) },
	"global_file":     func(a *providers.Account) providers.Uploader { return globalfile.New(a) },
	"marketing_image": func(a *providers.Account) providers.Uploader { return marketingimage.New(a) },
	"brand_image":     func(a *providers.Account) providers.Uploader { return brandimage.New(a) },
	"legacy_image":    func(a *providers.Account) providers.Uploader { return v2image.New(a) },
	"user_package":    func(a *providers.Account) providers.Uploader { return brandchunk.New(a) },
}

func init() { v3upload.Version = version }

func newUploader(typ string, a *providers.Account) (providers.Uploader, error) {
	f, ok := uploaders[typ]
	if !ok {
		names := make([]string, 0, len(uploaders))
		for n := range uploaders {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("type %s: %w (this build supports: %s)", typ, providers.ErrUnsupportedType, strings.Join(names, ", "))
	}
	return f(a), nil
}
