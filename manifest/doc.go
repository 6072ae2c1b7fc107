// Package manifest parses and validates wxmedia.yaml, the file that declares
// which media files wxmedia uploads to WeChat Pay and through which merchant
// accounts.
//
// Load reads a manifest from disk; Parse does the same from bytes and is the
// fuzzing entry point. Both validate everything that can be checked without
// reading file contents or key material: the schema (unknown and duplicate
// keys, node kinds), per-account credentials references for each api, asset
// types against their account's api (the rules live in package mediatype),
// and every referenced file's location, kind, size, extension and first
// bytes. The asset files themselves are looked at through the Files
// interface (Options.Files): the scan stage (package scan) supplies the
// view that trusts the stat cache, and assetfile.Tree the plain one; this
// package opens and stats no asset file itself. Hashing and key parsing
// happen later, in other packages.
//
// All problems are reported at once, as a *multierror.Error whose elements
// are *FieldError values sorted by position, each naming the manifest,
// line:col and the offending key path:
//
//	wxmedia.yaml:12:11: assets.storefront.file: no such file media/x.jpg; check the path (relative to the manifest directory)
//
// # Paths
//
// Asset paths (file and glob) are relative to the manifest directory and
// must stay inside it, also after following symlinks, because they are
// recorded in the lockfile. Credential paths (key, certificate and CA files)
// are resolved against the manifest directory when relative, but may be
// absolute or lie outside it: secrets belong outside the repository. Use
// Manifest.Resolve to turn them into absolute paths.
//
// # Globs
//
// glob uses doublestar syntax (github.com/bmatcuk/doublestar/v4, the
// semantics of .gitignore) on slash-separated paths relative to the
// manifest directory: `*` and `?` within one path element, `**` across any
// number of directories, `[a-z]`, `{a,b}`. A final literal extension
// matches in any case (`*.png` matches Guangzhou.PNG). Directories matched
// are skipped; each matched file becomes an asset named
// "<asset>/<base name>". A glob matching nothing is a warning
// (Manifest.Warnings), not an error.
//
// # Environments
//
// The optional `environments:` block overrides account settings per
// environment (never api). Options.Env selects one: its overrides are
// merged into the accounts before they are validated, so problems point at
// the override's own line, and a state block's workspace becomes
// "<workspace>.<env>". Manifest.Environments lists the declared ones.
//
// # YAML features
//
// Anchors, aliases and merge keys (`<<: *defaults`) are supported. Alias
// expansion is bounded: a manifest whose aliases would expand beyond a fixed
// budget of nodes is rejected rather than walked.
package manifest
