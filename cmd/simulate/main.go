// Command simulate runs the synthesized state machines locally, against
// local fakes of S3 and RDS, and prints what happened.
//
//	go run ./cmd/simulate                      # the demo: the seed's tables, exported and copied
//	go run ./cmd/simulate -scenario FILE       # a scenario file (see examples/)
//	go run ./cmd/simulate -json                # machine-readable result
//	go run ./cmd/simulate -out DIR             # write the destination objects with content into DIR
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/snapshotlake/snapshotlake/simulator/sim"
)

func main() {
	scenarioPath := flag.String("scenario", "", "scenario file (JSON); default: the demo")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	outDir := flag.String("out", "", "write destination objects with content into this directory")
	flag.Parse()
	if err := run(*scenarioPath, *asJSON, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
}

func run(scenarioPath string, asJSON bool, outDir string) error {
	var sc sim.Scenario
	if scenarioPath != "" {
		var err error
		if sc, err = sim.LoadScenario(scenarioPath); err != nil {
			return err
		}
	}
	progress := os.Stdout
	if asJSON {
		progress = os.Stderr
	}
	fmt.Fprintln(progress, "Synthesizing the app…")
	app, err := sim.Synthesize(sc.Context)
	if err != nil {
		return err
	}
	fmt.Fprintln(progress, "Running the export state machine on the snapshot event…")
	r, err := sim.Execute(context.Background(), app, sc, sim.Options{Trace: true})
	if err != nil {
		return err
	}
	if outDir != "" {
		n, err := r.WriteOut(outDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(progress, "Wrote %d objects with content into %s\n", n, outDir)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r.Result); err != nil {
			return err
		}
	} else {
		r.Report(os.Stdout)
	}
	if r.Result.Status != "SUCCEEDED" {
		os.Exit(2)
	}
	return nil
}
