// Package registry lists every provider: one line per asset type. Adding an
// endpoint is one provider package exporting a providers.Descriptor, one
// line here, its entry in package mediatype, the emulator's spec and a row
// in the conformance table (providers/providertest).
package registry

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
	"github.com/wxmedia/wxmedia/providers/v3video"
)

// all is the list of providers this build supports.
var all = []providers.Descriptor{
	v3image.Descriptor,
	v3video.Descriptor,
	globalfile.Descriptor,
	marketingimage.Descriptor,
	brandimage.Descriptor,
	v2image.Descriptor,
	brandchunk.Descriptor,
}

// All returns every descriptor, sorted by type name.
func All() []providers.Descriptor {
	out := append([]providers.Descriptor(nil), all...)
	sort.Slice(out, func(i, j int) bool { return out[i].Type() < out[j].Type() })
	return out
}

// Lookup returns the descriptor of the provider for asset type typ.
func Lookup(typ string) (providers.Descriptor, bool) {
	for _, d := range all {
		if d.Type() == typ {
			return d, true
		}
	}
	return providers.Descriptor{}, false
}

// Types lists the asset types this build supports, sorted.
func Types() []string {
	var names []string
	for _, d := range All() {
		names = append(names, d.Type())
	}
	return names
}

// New returns the uploader for asset type typ and account acct, sending
// userAgent (e.g. "wxmedia/1.2.0") as the User-Agent of its requests; an
// empty userAgent keeps acct's. A type with no provider is an error
// wrapping providers.ErrUnsupportedType that lists the supported types.
func New(typ string, acct *providers.Account, userAgent string) (providers.Uploader, error) {
	d, ok := Lookup(typ)
	if !ok {
		return nil, fmt.Errorf("type %s: %w (this build supports: %s)", typ, providers.ErrUnsupportedType, strings.Join(Types(), ", "))
	}
	if acct != nil && userAgent != "" && acct.UserAgent != userAgent {
		// A copy: the account is shared by every type's uploader.
		a := *acct
		a.UserAgent = userAgent
		acct = &a
	}
	return d.New(acct), nil
}
