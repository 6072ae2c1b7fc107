// Package v3image is the `image` provider: v3 image upload, POST
// /v3/merchant/media/upload (docs/PROTOCOL.md §3), which returns a media_id.
// Its client is the shared multipart one (providers/internal/v3upload);
// mediatype holds the endpoint and ID field.
package v3image

import (
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers/internal/v3upload"
)

// Descriptor registers the provider (see providers/registry).
var Descriptor = v3upload.Descriptor(mediatype.Lookup("image"))
