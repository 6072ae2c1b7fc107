// Package marketingimage is the `marketing_image` provider: marketing image
// upload, POST /v3/marketing/favor/media/image-upload (docs/PROTOCOL.md §9),
// which returns a media_url. The URL's length is undocumented; the bound
// wxmedia accepts is an assumption kept with the other ID shapes in
// mediatype (idShapes). Its client is the shared multipart one
// (providers/internal/v3upload); mediatype holds the endpoint and ID field.
package marketingimage

import (
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers/internal/v3upload"
)

// Descriptor registers the provider (see providers/registry).
var Descriptor = v3upload.Descriptor(mediatype.Lookup("marketing_image"))
