// Package docgen generates the parts of README.md that must not drift from
// the code: the table of every construct's props, read from the library's
// Go source, the Mermaid architecture diagram, drawn from the state
// machine definitions of the synthesized source stack, and the library
// example, a main.go made of an Example function that go test runs.
//
// README.md marks each generated block with a pair of HTML comments:
//
//	<!-- props:begin (…) -->
//	…generated…
//	<!-- props:end -->
//
// `go run ./cmd/docgen` (from the repository root) rewrites every block in
// place; test/readme_test.go regenerates them in memory and fails when
// README.md differs.
//
// The props table has one row per exported field of each library package's
// Props struct. Its default is the text after "Default:" in the field's doc
// comment, or "required" when the comment says "Required."; its description
// is the comment's first sentence. A field whose comment says neither is an
// error ([UndocumentedError]), so adding a prop without documenting its
// default fails the tests.
package docgen
