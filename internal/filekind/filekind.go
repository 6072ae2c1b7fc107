// Package filekind names the kind of a file for messages that refuse
// anything but a regular file ("it is a named pipe").
package filekind

import "io/fs"

// Describe names the kind of a file of mode m, with its article: "a
// directory", "a named pipe", "a symbolic link", ...
func Describe(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return "a device"
	case t == 0:
		return "a regular file"
	default:
		return "of type " + t.String()
	}
}
