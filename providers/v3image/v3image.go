// Package v3image is the `image` provider: v3 image upload, POST
// /v3/merchant/media/upload (docs/PROTOCOL.md §3), which returns a media_id. It is
// a v3upload.Client configured for that endpoint.
package v3image

import (
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/v3upload"
	"github.com/wxmedia/wxmedia/signing"
)

var endpoint = v3upload.Endpoint{
	Type:      "image",
	Path:      "/v3/merchant/media/upload",
	DigestKey: "sha256",
	Scheme:    signing.SchemeV3,
	IDField:   "media_id",
	IDMinLen:  1,
	IDMaxLen:  512,
}

var _ providers.Uploader = (*v3upload.Client)(nil)

// New returns the image uploader for acct.
func New(acct *providers.Account) *v3upload.Client { return v3upload.New(endpoint, acct) }
