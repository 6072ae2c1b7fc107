// Package brandimage is the `brand_image` provider: brand product-coupon
// image upload, POST /brand/marketing/product-coupon/media/upload-image
// (docs/PROTOCOL.md §10), which returns an image_url. It uses brand authentication
// and needs the account's wechatpay_public_key_id. It is a v3upload.Client
// configured for that endpoint.
package brandimage

import (
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/v3upload"
	"github.com/wxmedia/wxmedia/signing"
)

var endpoint = v3upload.Endpoint{
	Type:      "brand_image",
	Path:      "/brand/marketing/product-coupon/media/upload-image",
	DigestKey: "sha256",
	Scheme:    signing.SchemeBrand,
	IDField:   "image_url",
	IDMinLen:  1,
	IDMaxLen:  256,
}

var _ providers.Uploader = (*v3upload.Client)(nil)

// New returns the brand_image uploader for acct.
func New(acct *providers.Account) *v3upload.Client { return v3upload.New(endpoint, acct) }
