// Package assetfile opens asset files for reading the one way every
// command must: through an os.Root at the manifest directory, so that no
// path or symlink swapped in after the manifest was checked can lead
// outside it, and without blocking on anything that is not a regular file
// (a named pipe swapped in would otherwise hang the open forever).
//
// The manifest checks (package manifest) decide which paths are allowed
// and say so with line and column; this package enforces the same rule
// again at the moment a file is opened, when the file system may have
// changed.
package assetfile
