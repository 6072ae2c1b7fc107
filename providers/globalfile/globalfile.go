// Package globalfile is the `global_file` provider: global merchant-storage
// file upload, POST /v3/global/merchant-storage/file/upload (docs/PROTOCOL.md §6),
// which returns a file_id. Its meta carries the SHA-256 under "digest", as
// the API's parameter table says. It is a v3upload.Client configured for that
// endpoint.
package globalfile

import (
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/v3upload"
	"github.com/wxmedia/wxmedia/signing"
)

var endpoint = v3upload.Endpoint{
	Type:      "global_file",
	Path:      "/v3/global/merchant-storage/file/upload",
	DigestKey: "digest",
	Scheme:    signing.SchemeV3,
	IDField:   "file_id",
	IDMinLen:  16,
	IDMaxLen:  64,
}

var _ providers.Uploader = (*v3upload.Client)(nil)

// New returns the global_file uploader for acct.
func New(acct *providers.Account) *v3upload.Client { return v3upload.New(endpoint, acct) }
