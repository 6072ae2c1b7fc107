//go:build unix

package assetfile

import "syscall"

// nonBlock makes opening a named pipe return at once instead of waiting
// for a writer. It has no effect on reading a regular file.
const nonBlock = syscall.O_NONBLOCK
