package manifest

// Manifest is a parsed and validated wxmedia.yaml.
type Manifest struct {
	// Path is the manifest file as the user named it (used in messages).
	Path string
	// SHA256 is the digest of the manifest text parsed.
	SHA256 [32]byte
	// Dir is the absolute directory holding the manifest; asset files are
	// relative to it.
	Dir     string
	Version int
	// Accounts by name.
	Accounts map[string]*Account
	// Assets, glob matches expanded, sorted by Name.
	Assets []*Asset
	// State selects a shared state backend; nil keeps the local lockfile.
	State *State
	// Env is the selected environment ("" for none).
	Env string
	// Environments lists the declared environments, sorted.
	Environments []string
	// Warnings are problems that do not stop the manifest from being used,
	// such as a glob matching no files, sorted by position; commands print
	// them.
	Warnings []*FieldError
}

// Pos is a position in the manifest, for messages.
type Pos struct {
	Line, Col int
}

// Account is one entry under `accounts:`. Secrets are never stored here,
// only where to find them.
type Account struct {
	Name                     string
	API                      string // v3 | v2 | global | brand
	MchID                    string // v2: mch_id; brand: brand_id
	SerialNo                 string
	PrivateKeyFile           string // relative to the manifest dir
	PrivateKeyEnv            string
	WechatPayPublicKeyID     string
	WechatPayPublicKeyFile   string
	PlatformCertificateFiles []string
	APIv3KeyEnv              string // names the variable holding the APIv3 key
	Endpoint                 string // "" = default for API; "sandbox" = embedded emulator
	CAFile                   string
	RateLimit                float64 // requests per second; 0 = default for the endpoint
	APIKeyEnv                string
	ClientCertFile           string
	ClientKeyFile            string
	SignType                 string // MD5 | HMAC-SHA256 (v2)
	Pos                      Pos
}

// Asset is one file to upload: an entry under `assets:`, or one match of
// an entry's glob.
type Asset struct {
	// Name is the asset key, or "<key>/<base name>" for a glob match.
	Name    string
	Type    string
	Account string
	// File is the path relative to the manifest directory, slash-separated,
	// as recorded in the lockfile.
	File string
	// Path is the absolute path on disk.
	Path string
	// Filename is the name sent to WeChat Pay.
	Filename string
	// FilenameSet reports that the manifest sets filename: explicitly
	// rather than leaving the file's base name.
	FilenameSet bool
	// Size is the file size seen at validation.
	Size int64
	// DataType (audience.OpenID or audience.MobileMD5), Description and
	// ExpandInto (a user_package_id) are set for user_package assets only.
	DataType, Description, ExpandInto string
	// Pos is where the asset (or its glob) is declared.
	Pos Pos
}
