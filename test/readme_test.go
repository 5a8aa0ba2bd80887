package test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/snapshotlake/snapshotlake/internal/docgen"
)

// readmeBlock fails t when README.md's generated block name differs from
// want, showing the difference and how to regenerate it.
func readmeBlock(t *testing.T, name, want string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	have, err := docgen.Extract(readme, name)
	if err != nil {
		t.Fatal(err)
	}
	if have != want {
		t.Errorf("README.md's %s block is out of date; run `go run ./cmd/docgen` from the repository root and review the change.\n"+
			"Difference (- README.md, + generated):\n%s", name, docgen.Diff(have, want))
	}
}

// GIVEN the construct packages' source
// WHEN their Props are read
// THEN every prop documents its default (or that it is required), and the
// README's props tables are exactly what docgen generates from them.
func TestReadme_propsTablesMatchTheCode(t *testing.T) {
	want, err := docgen.PropsSection("..")
	if err != nil {
		t.Fatalf("%v\nDocument each listed prop in its construct's Props: \"Default: …\" or \"Required.\"", err)
	}
	readmeBlock(t, docgen.PropsBlock, want)
}

// GIVEN the synthesized SnapshotLakeSource stack
// WHEN its state machine definitions are drawn
// THEN the README's architecture diagram is exactly that drawing.
func TestReadme_architectureDiagramMatchesTheSynthesizedDefinitions(t *testing.T) {
	// cmd/docgen synthesizes with docgen.Context: it must draw the stack
	// this test draws.
	if !reflect.DeepEqual(docgen.Context, exampleContext) {
		t.Fatalf("docgen.Context %v differs from exampleContext %v: keep them equal", docgen.Context, exampleContext)
	}
	w := wiring(t, docgen.SourceStack)
	want, err := docgen.DiagramSection(synth(t), docgen.Machines{Export: w.ExportMachine, Copy: w.CopyMachine, Multipart: w.MultipartMachine})
	if err != nil {
		t.Fatal(err)
	}
	readmeBlock(t, docgen.DiagramBlock, want)
}
