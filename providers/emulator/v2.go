package emulator

const pathV2Upload = "/secapi/mch/uploadmedia"

func (s *Server) serveV2(q *request) {}
