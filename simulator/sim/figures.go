package sim

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
)

// Comparison is one export size run through this project's copy and the
// seed's inline-Map copy.
type Comparison struct {
	Objects  int
	Ours     Figures
	OursRun  Execution // the copy execution
	Seed     Figures
	SeedRun  Execution
	Duration time.Duration
}

// CompareDesigns runs, for each count, an export of count data files of
// size bytes through the demo stack's synthesized state machines and through
// the seed's design.
func CompareDesigns(ctx context.Context, app *App, counts []int, size int64) ([]Comparison, error) {
	ev, err := jsonata.Start()
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	var out []Comparison
	for _, n := range counts {
		began := time.Now()
		r, err := Execute(ctx, app, Scenario{Export: Export{Generate: &Generate{Count: n, Size: size, Tables: 20, Batches: 4}}}, Options{Evaluator: ev})
		if err != nil {
			return nil, err
		}
		c := Comparison{Objects: n, Ours: r.Result.Figures}
		for _, e := range r.Result.Executions {
			if e.StateMachine == "copy" {
				c.OursRun = e
			}
		}
		if r.Result.Status != "SUCCEEDED" {
			return nil, fmt.Errorf("%d objects: %s: %s: %s", n, r.Result.Status, r.Result.Error, r.Result.Cause)
		}
		if c.Seed, c.SeedRun, err = RunSeedDesign(ctx, ev, n, size); err != nil {
			return nil, err
		}
		c.Duration = time.Since(began)
		out = append(out, c)
	}
	return out, nil
}

// WriteComparison prints comparisons as a Markdown table.
func WriteComparison(w io.Writer, cs []Comparison) {
	fmt.Fprintln(w, "| data files | objects in export | largest file | design | result | history events (largest Standard execution) | billed Standard transitions per copied object | Express requests | copy concurrency |")
	fmt.Fprintln(w, "|---:|---:|---:|---|---|---:|---:|---:|---:|")
	for _, c := range cs {
		fmt.Fprintf(w, "| %d | %d | %s | this project | %s, %d copied | %d | %.4f | %d | %d × 10 |\n",
			c.Objects, c.Ours.ObjectsInExport, size(c.Ours.LargestObject), c.OursRun.Status, c.Ours.CopiedObjects,
			c.Ours.MaxStandardHistoryEvents, c.Ours.StandardTransitionsPerObject, c.Ours.ExpressRequests, c.Ours.CopyConcurrency)
		result := fmt.Sprintf("%s, %d copied", c.SeedRun.Status, c.Seed.CopiedObjects)
		if c.SeedRun.Error != "" {
			result += " (" + c.SeedRun.Error + ")"
		}
		fmt.Fprintf(w, "| %d | %d | %s | seed (inline Map) | %s | %d | %.4f | %d | %d |\n",
			c.Objects, c.Seed.ObjectsInExport, size(c.Seed.LargestObject), result,
			c.Seed.MaxStandardHistoryEvents, c.Seed.StandardTransitionsPerObject, c.Seed.ExpressRequests, c.Seed.CopyConcurrency)
	}
}
