package brandchunk

import "github.com/wxmedia/wxmedia/mediatype"

// This file is the one switch point for what docs/PROTOCOL.md §7 does not
// document. Every name marked [ASSUMED] is our reading (shared with the
// emulator, providers/emulator/session.go); change it here if WeChat Pay
// turns out to differ.

// PathUploads is the session collection (docs/PROTOCOL.md §7.1): POST creates a
// session (E5a), PUT PathUploads/{upload_id}/{part_number} uploads a part
// (E5), POST PathUploads/{upload_id} merges the parts (E5b). It is
// user_package's Path in package mediatype, defined there once.
var PathUploads = mediatype.Lookup("user_package").Path

// E5a request body: {"user_package_file_info":{"filename":…,"digest":…,"file_size":…}}.
const (
	// InitInfoKey and InitFilenameKey are documented [SRC].
	InitInfoKey     = "user_package_file_info"
	InitFilenameKey = "filename"
	// InitDigestKey holds the SHA-256 hex of the whole file. [ASSUMED]
	InitDigestKey = "digest"
	// InitSizeKey holds the file size in bytes. [ASSUMED]
	InitSizeKey = "file_size"
)

// E5a: "user_package_file_info identifies the file type, the data type and
// a description" [SRC]; the keys and values are not documented.
const (
	// InitDataTypeKey holds what each line is. [ASSUMED]
	InitDataTypeKey = "data_type"
	// InitDescriptionKey holds the asset's description, sent only when
	// set. [ASSUMED]
	InitDescriptionKey = "description"
	// InitFileTypeKey holds the file type; the session call takes CSV
	// only [SRC]. [ASSUMED] the key and the value FileTypeCSV.
	InitFileTypeKey = "file_type"
	FileTypeCSV     = "CSV"
)

// DataTypeValues maps the manifest's data_type to the value sent under
// InitDataTypeKey. [ASSUMED] upper-case enum names, as WeChat Pay's other
// enums are.
var DataTypeValues = map[string]string{"openid": "OPENID", "mobile_md5": "MOBILE_MD5"}

// Expand: POST PathUserPackages/{user_package_id}/expand with body
// {"upload_id":…} adds a merged upload to an audience package, effective
// after data sync (usually T+2) [SRC 4016199250].
const (
	PathUserPackages  = "/brand/marketing/user-package/user-packages"
	ExpandSuffix      = "/expand"
	ExpandUploadIDKey = "upload_id"
)

// The expand answer's fields are not documented. [ASSUMED] any verified
// 2xx answer is success (an empty body, or a JSON object whose string
// fields are recorded as attributes prefixed "expand_").
const ExpandAttrPrefix = "expand_"

// E5a response body: {"upload_id":…,"part_size":…,"part_count":…}.
const (
	// InitUploadIDKey is documented [SRC].
	InitUploadIDKey = "upload_id"
	// InitPartSizeKey is the size every part but the last must have, in
	// bytes. [ASSUMED]
	InitPartSizeKey = "part_size"
	// InitPartCountKey is the number of parts. [ASSUMED]
	InitPartCountKey = "part_count"
)

// E5 request body, documented as JSON whose file is []byte; the Go sample
// (encoding/json) sends it as a standard base64 string [DOC]. [ASSUMED]
// JSON rather than the multipart variant docs/PROTOCOL.md §7.3 mentions.
const (
	PartFileKey         = "file"
	PartMetaKey         = "file_meta"
	PartMetaFilenameKey = "filename"
	// PartMetaDigestKey is the SHA-256 hex of this part's bytes [DOC].
	PartMetaDigestKey = "digest"
)

// E5 response body: {"return_message":"success","part_number":n} [DOC].
const (
	PartAckMessageKey = "return_message"
	PartAckNumberKey  = "part_number"
)

// FirstPartNumber is the number of the first part. [ASSUMED] parts are
// numbered 1..part_count (the documented sample uses 1).
const FirstPartNumber = 1

// E5b response body: "returns the final resource ID" [SRC]. [ASSUMED]
// {"upload_id":…,"resource_id":…} plus possibly more string fields, all of
// which are recorded as attributes.
const (
	MergeUploadIDKey   = "upload_id"
	MergeResourceIDKey = "resource_id"
)

// RequireResourceID decides whether a merge answer without MergeResourceIDKey
// is malformed. [ASSUMED] the field name is a guess, and the ID recorded
// (and used downstream by the expand call) is the upload_id, so a verified
// answer without it is accepted.
const RequireResourceID = false

// MaxPartCount bounds part_count. [ASSUMED] a sanity limit, not a documented
// one: a session needing more parts (a part size of a few bytes) is treated
// as a malformed answer rather than sent as millions of requests.
const MaxPartCount = 10000
