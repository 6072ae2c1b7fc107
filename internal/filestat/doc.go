// Package filestat reads what fs.FileInfo leaves to Sys: a file's status
// change time (ctime) and inode, where the platform records them.
package filestat
