package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Expanding an audience package with a merged upload (docs/PROTOCOL.md §7.1 step 4):
// POST /brand/marketing/user-package/user-packages/{user_package_id}/expand
// with body {"upload_id":"..."} [SRC 4016199250]. The answer's fields are not
// documented; [ASSUMED] the emulator answers 200 with
// {"user_package_id":…,"upload_id":…,"state":"PROCESSING"} (the change takes
// effect after data sync, usually T+2) and treats a repeated expand with the
// same upload as success.

// PathUserPackages is the audience package collection.
const PathUserPackages = "/brand/marketing/user-package/user-packages"

// SandboxUserPackageID is the audience package the sandbox brand owns.
const SandboxUserPackageID = "01000100010000000007"

// packageIDRE is the emulator's reading of a user_package_id. [ASSUMED]
var packageIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// Expansion records one successful expand call.
type Expansion struct {
	UserPackageID string    `json:"user_package_id"`
	UploadID      string    `json:"upload_id"`
	BrandID       string    `json:"brand_id"`
	Time          time.Time `json:"time"`
}

// Expansions returns every expand call that succeeded, oldest first
// (repeats included).
func (s *Server) Expansions() []Expansion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Expansion(nil), s.expansions...)
}

// expandTarget returns the user_package_id of an expand path, or "".
func expandTarget(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, PathUserPackages+"/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/expand")
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// serveExpand handles an expand call: 404 NOT_FOUND for a package no brand
// owns, 403 NO_AUTH for another brand's package (both documented);
// [ASSUMED] 404 NOT_FOUND for an upload_id this brand never started and 400
// INVALID_REQUEST for an upload not merged yet.
func (s *Server) serveExpand(q *request, pkg string) {
	if q.r.Method != http.MethodPost {
		q.methodNotAllowed(http.MethodPost)
		return
	}
	m, body, ok := s.brandRequest(q, maxSessionBody, true)
	if !ok {
		return
	}
	var req struct {
		UploadID *string `json:"upload_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.UploadID == nil || *req.UploadID == "" {
		q.writeError(errorf(http.StatusBadRequest, codeParam, "body must be {\"upload_id\":\"...\"}"))
		return
	}
	if !packageIDRE().MatchString(pkg) {
		q.writeError(errorf(http.StatusBadRequest, codeParam, "user_package_id %q is not valid", truncateForMsg(pkg)))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, known := s.cfg.UserPackages[pkg]
	switch {
	case !known:
		q.writeError(errorf(http.StatusNotFound, codeNotFound, "no audience package %s", pkg))
		return
	case owner != m.MchID:
		q.writeError(errorf(http.StatusForbidden, codeNoAuth, "audience package %s belongs to another brand", pkg))
		return
	}
	ss, e := s.lookupSession(m, *req.UploadID)
	if e != nil {
		q.writeError(e)
		return
	}
	if ss.resourceID == "" {
		q.writeError(errorf(http.StatusBadRequest, codeInvalid, "upload %s is not merged; merge all parts before expanding a package", truncateForMsg(*req.UploadID)))
		return
	}
	s.expansions = append(s.expansions, Expansion{UserPackageID: pkg, UploadID: *req.UploadID, BrandID: m.MchID, Time: s.now()})
	q.writeSigned(http.StatusOK, map[string]string{"user_package_id": pkg, "upload_id": *req.UploadID, "state": "PROCESSING"})
}
