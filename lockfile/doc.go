// Package lockfile reads and writes wxmedia.lock.json, the record of every
// uploaded asset and the ID WeChat Pay returned for it.
//
// The format is deterministic (sorted keys, two-space indent, trailing
// newline) so it diffs and merges well. Writes are atomic (temporary file in
// the same directory, fsync, rename, fsync of the directory), and a file that
// does not parse is never overwritten. Store serialises writes from many
// goroutines and bumps Serial only when the content changes.
//
// A FileBackend with a History keeps every version it writes (and the one
// its first write replaces) under .wxmedia/history/, bounded, so that a
// forget can be undone (Historian, FindSnapshot). Merge is the three-way
// merge by asset name behind the `state merge` git merge driver;
// ConflictDocument is what it leaves on a real conflict, and Parse quotes
// that document's explanation.
package lockfile
