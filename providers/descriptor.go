package providers

import "github.com/wxmedia/wxmedia/mediatype"

// Descriptor is what a provider package exports about itself, as its
// Descriptor variable: the asset type it serves and how to build its
// uploader. The type's account api, limits, endpoint and ID field are its
// entry in package mediatype, defined there once; the provider sends to
// that endpoint and reads that ID field. Package providers/registry lists
// every descriptor.
type Descriptor struct {
	// Media is the asset type's entry in package mediatype.
	Media *mediatype.Type
	// New returns the uploader for one account. Account problems are
	// reported by the first Upload, before any network traffic.
	New func(*Account) Uploader
}

// Type is the manifest's `type` value the provider serves.
func (d Descriptor) Type() string { return d.Media.Name }

// API is the account api the type requires: v3, v2, global or brand.
func (d Descriptor) API() string { return d.Media.API }

// Endpoint is the method and path uploaded to, for messages and docs.
func (d Descriptor) Endpoint() string { return d.Media.Endpoint }

// IDField is the response field recorded as the asset's id.
func (d Descriptor) IDField() string { return d.Media.IDField }
