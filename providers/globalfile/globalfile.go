// Package globalfile is the `global_file` provider: global merchant-storage
// file upload, POST /v3/global/merchant-storage/file/upload (docs/PROTOCOL.md
// §6), which returns a file_id. Its meta carries the SHA-256 under "digest",
// as the API's parameter table says. Its client is the shared multipart one
// (providers/internal/v3upload); mediatype holds the endpoint and ID field.
package globalfile

import (
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers/internal/v3upload"
)

// Descriptor registers the provider (see providers/registry).
var Descriptor = v3upload.Descriptor(mediatype.Lookup("global_file"))
