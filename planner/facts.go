package planner

// FileFacts is what the scan stage (package scan) learned about one
// asset's file: the planner's only knowledge of file contents.
type FileFacts struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}
