package sim

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Comparison is one export size run through this project's copy and the
// seed's inline-Map copy.
type Comparison struct {
	Objects int
	Ours    Figures
	OursRun Execution // the copy execution
	Seed    Figures
	SeedRun Execution
	// Copy is the timing of this project's copy (simulated).
	Copy CopyFigures
	// Duration is the wall time both runs took here.
	Duration time.Duration
}

// CompareDesigns runs, for each count, an export of count data files of
// size bytes through the demo stack's synthesized state machines and through
// the seed's design. progress, when not nil, receives this project's runs'
// progress as Options.Progress does.
func CompareDesigns(ctx context.Context, app *App, counts []int, size int64, progress func(Progress)) ([]Comparison, error) {
	ev, err := StartEngine()
	if err != nil {
		return nil, err
	}
	defer func() { _ = ev.Close() }()
	var out []Comparison
	for _, n := range counts {
		began := time.Now()
		r, err := Execute(ctx, app, Scenario{Export: Export{Generate: &Generate{Count: n, Size: size, Tables: 20, Batches: 4}}}, Options{Evaluator: ev, Progress: progress})
		if err != nil {
			return nil, err
		}
		c := Comparison{Objects: n, Ours: r.Result.Figures}
		if len(r.Result.Copies) > 0 {
			c.Copy = r.Result.Copies[0]
		}
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
		fmt.Fprintf(w, "| %d | %d | %s | this project | %s, %d copied | %d | %.4f | %d | %d × %d |\n",
			c.Objects, c.Ours.ObjectsInExport, size(c.Ours.LargestObject), c.OursRun.Status, c.Ours.CopiedObjects,
			c.Ours.MaxStandardHistoryEvents, c.Ours.StandardTransitionsPerObject, c.Ours.ExpressRequests, c.Ours.CopyConcurrency, c.Ours.CopiesPerChild)
		result := fmt.Sprintf("%s, %d copied", c.SeedRun.Status, c.Seed.CopiedObjects)
		if c.SeedRun.Error != "" {
			result += " (" + c.SeedRun.Error + ")"
		}
		fmt.Fprintf(w, "| %d | %d | %s | seed (inline Map) | %s | %d | %.4f | %d | %d |\n",
			c.Objects, c.Seed.ObjectsInExport, size(c.Seed.LargestObject), result,
			c.Seed.MaxStandardHistoryEvents, c.Seed.StandardTransitionsPerObject, c.Seed.ExpressRequests, c.Seed.CopyConcurrency)
	}
}

// WriteTiming prints, as a Markdown table, the simulated timing of this
// project's copies (package timing's model).
func WriteTiming(w io.Writer, cs []Comparison) {
	fmt.Fprintln(w, "| data files | copy (simulated) | S3 bound | copy ÷ bound | busiest prefix writes | throttled requests | retries | failed children |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range cs {
		f := c.Copy
		fmt.Fprintf(w, "| %d | %.1f s | %.1f s | %.2f | %d | %d | %d | %d |\n",
			c.Objects, f.CopySeconds, f.BoundSeconds, f.CopyOverBound, f.WritesInBusiestPrefix, f.ThrottledRequests, f.Retries, f.FailedChildren)
	}
}

// Prices used by WriteCost: AWS list prices in us-east-1, to be replaced by
// your region's and contract's. The sources are the AWS pricing pages of
// each service.
const (
	PricePerStandardTransition = 0.025 / 1000     // Step Functions Standard
	PricePerExpressRequest     = 1.00 / 1_000_000 // Step Functions Express
	PricePerExpressGBSecond    = 0.00001667       // Express duration, per GB-second
	PricePerExportGB           = 0.010            // RDS snapshot export, per GB of snapshot
	PricePerS3CopyRequest      = 0.005 / 1000     // S3 Standard PUT, COPY, POST, LIST
)

// CostExample states the database the cost section is computed for.
type CostExample struct {
	SnapshotGB int // snapshot size billed by the export
	// ExpressSecondsPerChild and ExpressMemoryGB are the assumed duration
	// and memory of one Express child (the simulator runs them in no time).
	ExpressSecondsPerChild float64
	ExpressMemoryGB        float64
}

// WriteCost prints, as a Markdown table, what one export of the example
// database costs with the figures of a run.
func WriteCost(w io.Writer, c Comparison, ex CostExample) {
	f := c.Ours
	rows := []struct {
		item, basis string
		usd         float64
	}{
		{"RDS snapshot export", fmt.Sprintf("%d GB × $%.3f", ex.SnapshotGB, PricePerExportGB), float64(ex.SnapshotGB) * PricePerExportGB},
		{"S3 CopyObject / multipart requests", fmt.Sprintf("%d × $%.4f per 1,000", f.CopiedObjects, PricePerS3CopyRequest*1000), float64(f.CopiedObjects) * PricePerS3CopyRequest},
		{"S3 ListObjectsV2 (folders and ItemReader)", fmt.Sprintf("%d × $%.4f per 1,000", f.ListRequests, PricePerS3CopyRequest*1000), float64(f.ListRequests) * PricePerS3CopyRequest},
		{"Step Functions Standard transitions", fmt.Sprintf("%d × $%.3f per 1,000", f.StandardTransitions, PricePerStandardTransition*1000), float64(f.StandardTransitions) * PricePerStandardTransition},
		{"Step Functions Express requests", fmt.Sprintf("%d × $%.2f per million", f.ExpressRequests, PricePerExpressRequest*1e6), float64(f.ExpressRequests) * PricePerExpressRequest},
		{"Step Functions Express duration", fmt.Sprintf("%d × %.0f s × %.4f GB × $%.8f", f.ExpressRequests, ex.ExpressSecondsPerChild, ex.ExpressMemoryGB, PricePerExpressGBSecond),
			float64(f.ExpressRequests) * ex.ExpressSecondsPerChild * ex.ExpressMemoryGB * PricePerExpressGBSecond},
	}
	fmt.Fprintln(w, "| item | basis | USD |")
	fmt.Fprintln(w, "|---|---|---:|")
	total := 0.0
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %.4f |\n", r.item, r.basis, r.usd)
		total += r.usd
	}
	fmt.Fprintf(w, "| **total per export** | | **%.4f** |\n", total)
	seed := float64(c.Objects) * c.Seed.StandardTransitionsPerObject * PricePerStandardTransition
	fmt.Fprintf(w, "\nThe seed's inline-Map design would bill about %.0f Standard transitions (%.4f USD) for the same %d files — if it did not stop at the history cap first.\n",
		float64(c.Objects)*c.Seed.StandardTransitionsPerObject, seed, c.Objects)
}
