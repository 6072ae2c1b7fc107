package views

import (
	"errors"

	"github.com/wxmedia/wxmedia/manifest"
)

// diagnostic is one problem in `validate -json` output.
type diagnostic struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
}

// ValidateJSON is the `validate -json` document, like Terraform's:
// {"format_version", "valid", "error_count", "diagnostics": [...]}.
func ValidateJSON(errs, warnings, notes []error) any {
	diags := []diagnostic{}
	add := func(severity string, e error) {
		var fe *manifest.FieldError
		if errors.As(e, &fe) {
			diags = append(diags, diagnostic{Severity: severity, File: fe.File, Line: fe.Line, Column: fe.Col, Path: fe.Path, Message: fe.Msg})
		} else {
			diags = append(diags, diagnostic{Severity: severity, Message: e.Error()})
		}
	}
	for _, e := range errs {
		add("error", e)
	}
	for _, e := range warnings {
		add("warning", e)
	}
	for _, e := range notes {
		add("note", e)
	}
	return struct {
		FormatVersion string       `json:"format_version"`
		Valid         bool         `json:"valid"`
		ErrorCount    int          `json:"error_count"`
		Diagnostics   []diagnostic `json:"diagnostics"`
	}{"1", len(errs) == 0, len(errs), diags}
}
