//go:build !unix

package pgtest

// start reports that the throwaway server needs a Unix system (it runs
// Debian's postgresql binaries as an unprivileged user).
func start() (srv *Server, skip string, err error) {
	return nil, "the PostgreSQL state tests run a throwaway server on Unix systems only", nil
}

func (s *Server) stop() {}
