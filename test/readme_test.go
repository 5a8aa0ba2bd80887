package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
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
	want, err := docgen.DiagramSection(synth(t), docgen.Machines{Export: w.ExportMachine, Copy: w.CopyMachine, Table: w.TableMachine, Multipart: w.MultipartMachine})
	if err != nil {
		t.Fatal(err)
	}
	readmeBlock(t, docgen.DiagramBlock, want)
}

// GIVEN the library's Example_app (constructs/rdsexport), which go test runs
// WHEN docgen renders it as a CDK app's main.go
// THEN the README's "Use it as a library" block is exactly that file, and
// the file type-checks against this module (go vet).
func TestReadme_libraryExampleIsTheExampleTestAndCompiles(t *testing.T) {
	want, err := docgen.LibrarySection("..")
	if err != nil {
		t.Fatal(err)
	}
	readmeBlock(t, docgen.LibraryBlock, want)
	code, ok := strings.CutPrefix(strings.TrimSpace(want), "```go\n")
	if !ok || !strings.HasSuffix(code, "```") {
		t.Fatalf("library block is not one go fence:\n%s", want)
	}
	main := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(main, []byte(strings.TrimSuffix(code, "```")), 0o600); err != nil {
		t.Fatal(err)
	}
	vet := exec.Command("go", "vet", main)
	vet.Dir = ".."
	if out, err := vet.CombinedOutput(); err != nil {
		t.Errorf("the README's library example does not compile: %v\n%s", err, out)
	}
}

// GIVEN the repository's directories
// WHEN README.md's Layout section is read
// THEN it names every top-level directory and every package directory
// under constructs/, internal/, simulator/ and cmd/.
func TestReadme_layoutNamesEveryDirectory(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal(`README.md has no "## Layout" section`)
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	var dirs []string
	top, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || name == "node_modules" || name == "cdk.out" || name == "out" {
			continue
		}
		dirs = append(dirs, name)
	}
	for _, parent := range []string{"constructs", "internal", "simulator", "cmd"} {
		sub, err := os.ReadDir(filepath.Join("..", parent))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range sub {
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			}
		}
	}
	for _, d := range dirs {
		if !strings.Contains(layout, d) {
			t.Errorf("README.md's Layout section does not name the directory %q", d)
		}
	}
}
