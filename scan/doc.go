// Package scan is the stage between the manifest and the planner: it
// examines every asset file the manifest names (stat, the stat cache,
// sha256, content sniffing, size limits, audience file lines), reading each
// file through package assetfile, and returns what it learned as FileFacts
// plus the stat cache to save. The planner diffs those facts against the
// lockfile; it never reads a file or a clock itself.
package scan
