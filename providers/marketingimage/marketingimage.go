// Package marketingimage is the `marketing_image` provider: marketing image
// upload, POST /v3/marketing/favor/media/image-upload (docs/PROTOCOL.md §9), which
// returns a media_url. [ASSUMED] the URL's length is undocumented; up to 2048
// bytes is accepted. It is a v3upload.Client configured for that endpoint.
package marketingimage

import (
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/v3upload"
	"github.com/wxmedia/wxmedia/signing"
)

var endpoint = v3upload.Endpoint{
	Type:      "marketing_image",
	Path:      "/v3/marketing/favor/media/image-upload",
	DigestKey: "sha256",
	Scheme:    signing.SchemeV3,
	IDField:   "media_url",
	IDMinLen:  1,
	IDMaxLen:  2048,
}

var _ providers.Uploader = (*v3upload.Client)(nil)

// New returns the marketing_image uploader for acct.
func New(acct *providers.Account) *v3upload.Client { return v3upload.New(endpoint, acct) }
