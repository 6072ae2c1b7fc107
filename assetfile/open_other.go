//go:build !unix

package assetfile

// nonBlock is 0 where opening a file cannot wait for a peer.
const nonBlock = 0
