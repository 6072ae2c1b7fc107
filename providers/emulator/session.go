package emulator

// DefaultPartSize is the part size handed out by the brand init call.
const DefaultPartSize = 5 * MiB

type session struct{}

func isSessionPath(string) bool { return false }

func (s *Server) serveSession(q *request) {}
