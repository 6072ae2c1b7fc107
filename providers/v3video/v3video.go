// Package v3video is the `video` provider: v3 video upload, POST
// /v3/merchant/media/video_upload (docs/PROTOCOL.md §4), which returns a
// media_id. Its client is the shared multipart one
// (providers/internal/v3upload); mediatype holds the endpoint and ID field.
package v3video

import (
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers/internal/v3upload"
)

// Descriptor registers the provider (see providers/registry).
var Descriptor = v3upload.Descriptor(mediatype.Lookup("video"))
