// Package v3upload is the one client behind every WeChat Pay endpoint that
// takes a multipart "meta + file" upload (docs/PROTOCOL.md §1.5): v3 image (E1),
// v3 video (E2), global file (E4), marketing image (E6) and brand image (E7).
// Those endpoints differ only in what an Endpoint describes: the path, the
// meta key holding the digest, the Authorization scheme and the response
// field holding the ID, all derived from the type's entry in package
// mediatype (EndpointFor). The provider packages (v3image, v3video, …) are
// one Descriptor each. It lives under providers/internal so that those
// packages share it without importing a sibling provider.
//
// A Client signs the meta JSON, streams the file from Request.Open without
// holding it in memory (the body has an exact Content-Length), verifies the
// signature of every 2xx response before trusting it, and turns everything
// else into *providers.APIError, *providers.VerifyError or
// *providers.TransportError. The file streams through a
// providers.PlannedReader: bytes other than the planned sha256 (which the
// signed meta already carries) cut the request short before its end, and
// Upload returns a *providers.FileChangedError.
package v3upload
