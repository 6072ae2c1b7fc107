// Package statcache remembers, per file, the stat data seen when the file
// was last hashed, so that a plan over an unchanged tree reads no file
// contents: like git's index, a file whose size, mtime, ctime and inode all
// match its entry keeps its recorded sha256.
//
// The cache only decides whether a file must be re-hashed; the content hash
// alone decides what is uploaded. It lives in .wxmedia/cache beside the
// manifest, is never committed, and is disposable: a missing, truncated,
// corrupt or foreign cache is ignored (Load returns an empty one) and
// rebuilt by the next scan.
//
// # Racy entries
//
// A file rewritten within the filesystem's timestamp granularity of the
// moment it was hashed can keep the same size and mtime (and, where the
// clock is coarse, ctime). The cache records the wall-clock time its scan
// started (Reference); an entry is trusted only if its mtime is older than
// Reference minus RacySlack. Younger entries are re-hashed on every scan
// until they age past the window. RacySlack is 2 s: the coarsest mtime
// granularity among the filesystems users run (FAT/exFAT store 2 s; HFS+ and
// ext3 1 s; ext4, XFS, btrfs, APFS and NTFS 100 ns or better), which also
// absorbs small clock skew between a network filesystem and this host.
package statcache
