// Package v3video is the `video` provider: v3 video upload, POST
// /v3/merchant/media/video_upload (docs/PROTOCOL.md §4), which returns a media_id.
// It is a v3upload.Client configured for that endpoint.
package v3video

import (
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/v3upload"
	"github.com/wxmedia/wxmedia/signing"
)

var endpoint = v3upload.Endpoint{
	Type:      "video",
	Path:      "/v3/merchant/media/video_upload",
	DigestKey: "sha256",
	Scheme:    signing.SchemeV3,
	IDField:   "media_id",
	IDMinLen:  1,
	IDMaxLen:  512,
}

var _ providers.Uploader = (*v3upload.Client)(nil)

// New returns the video uploader for acct.
func New(acct *providers.Account) *v3upload.Client { return v3upload.New(endpoint, acct) }
