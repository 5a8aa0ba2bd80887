// Command docgen rewrites the generated blocks of README.md: the props
// tables of the construct packages (from their Go source), the Mermaid
// architecture diagram (from the synthesized SnapshotLakeSource stack) and
// the library example (from constructs/rdsexport's Example_app).
// Run it from the repository root:
//
//	go run ./cmd/docgen          # rewrite README.md
//	go run ./cmd/docgen -check   # exit 1 if README.md is out of date
//
// test/readme_test.go fails when README.md differs from what this command
// writes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/internal/docgen"
	"github.com/snapshotlake/snapshotlake/simulator/sim"
)

func main() {
	check := flag.Bool("check", false, "do not write; exit 1 when README.md's generated blocks are out of date")
	flag.Parse()
	code := 0
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		code = 1
	}
	jsii.Close()
	os.Exit(code)
}

var errOutOfDate = errors.New("README.md is out of date: run `go run ./cmd/docgen`")

func run(check bool) error {
	const readmePath = "README.md"
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run from the repository root (no go.mod here)")
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	app, err := sim.Synthesize(docgen.Context)
	if err != nil {
		return err
	}
	w := app.Wiring[docgen.SourceStack]
	blocks, err := docgen.Generate(".", app.Templates, docgen.Machines{Export: w.ExportMachine, Copy: w.CopyMachine, Table: w.TableMachine, Multipart: w.MultipartMachine})
	if err != nil {
		return err
	}
	updated, err := docgen.Replace(readme, blocks)
	if err != nil {
		return err
	}
	if string(updated) == string(readme) {
		fmt.Println("README.md is up to date")
		return nil
	}
	if check {
		for _, name := range docgen.Blocks {
			have, _ := docgen.Extract(readme, name)
			if have != blocks[name] {
				fmt.Fprintf(os.Stderr, "%s block (- README.md, + generated):\n%s", name, docgen.Diff(have, blocks[name]))
			}
		}
		return errOutOfDate
	}
	if err := os.WriteFile(readmePath, updated, 0o644); err != nil {
		return err
	}
	fmt.Println("README.md: generated blocks rewritten:", strings.Join(docgen.Blocks, ", "))
	return nil
}
