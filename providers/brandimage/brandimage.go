// Package brandimage is the `brand_image` provider: brand product-coupon image
// upload, POST /brand/marketing/product-coupon/media/upload-image
// (docs/PROTOCOL.md §10), which returns an image_url. It uses brand
// authentication and needs the account's wechatpay_public_key_id. Its client
// is the shared multipart one (providers/internal/v3upload); mediatype holds
// the endpoint and ID field.
package brandimage

import (
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers/internal/v3upload"
)

// Descriptor registers the provider (see providers/registry).
var Descriptor = v3upload.Descriptor(mediatype.Lookup("brand_image"))
