package s3copy

import (
	"embed"
	"regexp"
	"strings"
)

// The copy state machines' JSONata lives in expressions/*.jsonata, one file
// per computed value, each a constant: every value that depends on the
// construct's props travels in the plan ($plan), so an expression reads the
// same whatever the props, and each is tested on its own
// (expressions_test.go). The "what is this key and where does it go" rule is
// classify.jsonata alone; it appears once in each child workflow.
//
//go:embed expressions/*.jsonata
var expressionFiles embed.FS

var comments = regexp.MustCompile(`(?s)/\*.*?\*/\s*`)

// expression returns the JSONata of expressions/<name>.jsonata without its
// comments (the why stays in the file; the definition carries only code).
func expression(name string) string {
	b, err := expressionFiles.ReadFile("expressions/" + name + ".jsonata")
	if err != nil {
		panic("s3copy: no expression " + name) // a build-time mistake, caught by every test
	}
	return strings.TrimSpace(comments.ReplaceAllString(string(b), ""))
}

// Expressions of the copy state machines, by file name.
var (
	planExpr            = expression("plan")
	validInputExpr      = expression("valid_input")
	classifyExpr        = expression("classify")
	copySourceExpr      = expression("copy_source")
	listDatabasesExpr   = expression("list_databases")
	listTablesExpr      = expression("list_tables")
	listExportFilesExpr = expression("list_export_files")
	manifestPageExpr    = expression("manifest_page")
	manifestKeyExpr     = expression("manifest_key")
	partsExpr           = expression("parts")
	largeBatchExpr      = expression("large_batch")
	dataChildOutputExpr = expression("data_child_output")
	dataPassTotalsExpr  = expression("data_pass_totals")
)
