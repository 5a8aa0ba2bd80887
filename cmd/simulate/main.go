// Command simulate runs the synthesized state machines locally, against
// local fakes of S3, RDS, EventBridge and Glue, and prints what happened.
//
//	go run ./cmd/simulate                      # the demo: the seed's tables, exported and copied
//	go run ./cmd/simulate -scenario FILE       # a scenario file (see examples/)
//	go run ./cmd/simulate -json                # machine-readable result
//	go run ./cmd/simulate -out DIR             # write the destination objects with content into DIR
//	go run ./cmd/simulate -figures 1000,10000  # scale figures beside the seed's inline-Map design
//	go run ./cmd/simulate -cpuprofile FILE     # also write a CPU profile (go tool pprof)
//
// On a terminal, a long run shows its progress on stderr (objects copied of
// the export's, simulated time, throttled requests); -json keeps stderr
// quiet but for errors.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/sim"
)

func main() { os.Exit(realMain()) }

// realMain runs the command and returns its exit status (so that deferred
// profile writers run).
func realMain() int {
	scenarioPath := flag.String("scenario", "", "scenario file (JSON); default: the demo")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	outDir := flag.String("out", "", "write destination objects with content into this directory")
	figures := flag.String("figures", "", "comma-separated data-file counts: print scale figures for each, beside the seed's design")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := flag.String("memprofile", "", "write a heap profile to this file when the copy is at its busiest (sampled every second)")
	flag.Parse()
	tuneGC()
	if *memProfile != "" {
		stop := watchHeap(*memProfile)
		defer stop()
	}
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "simulate:", err)
			return 1
		}
		defer stop()
	}
	var err error
	if *figures != "" {
		err = compare(*figures)
	} else {
		err = run(*scenarioPath, *asJSON, *outDir)
	}
	if errors.Is(err, errRunFailed) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		return 1
	}
	return 0
}

// errRunFailed: the run ended but did not succeed (exit status 2).
var errRunFailed = errors.New("run failed")

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// tuneGC trades memory for speed within a bound: the garbage collector runs
// a quarter as often as by default (GOGC 400) until the Go runtime's memory
// nears its limit, then as often as it must to stay there. GOGC and
// GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	setMemoryLimit(0)
}

// setMemoryLimit sets the Go runtime's memory limit for a run whose largest
// export holds objects data files: 1.75 GiB (the large runs' target is 2 GB
// of peak RSS; with 1.5 GiB the collector ran every 2.5 s for 1.5 s at
// 1,000,000 objects, measured with GODEBUG=gctrace=1), or 1.5 KiB an object
// when that is more. About 0.9 KB an object is live when the copy is at its
// busiest (`-memprofile`, 898 MB at 1,000,000 objects in 20 tables); a limit
// below the live heap would make the collector run without pause.
func setMemoryLimit(objects int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(1792<<20, int64(objects)*1536))
}

// watchHeap writes a heap profile to path whenever the heap in use reaches
// a new high, checked every second, so that the file holds the peak.
func watchHeap(path string) (stop func()) {
	done := make(chan struct{})
	go func() {
		var peak uint64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak+peak/10 {
					peak = m.HeapInuse
					if f, err := os.Create(path); err == nil {
						_ = pprof.WriteHeapProfile(f)
						_ = f.Close()
					}
				}
			}
		}
	}()
	return func() { close(done) }
}

// onTerminal reports whether f is a terminal (a character device).
func onTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressLine prints a run's progress on one rewritten line of stderr.
func progressLine(p sim.Progress) {
	fmt.Fprintf(os.Stderr, "\r%d of %d objects copied, %s simulated, %d throttled requests   ",
		p.Copied, p.Total, p.Simulated.Round(time.Second), p.Throttled)
}

func compare(list string) error {
	var counts []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-figures takes positive counts such as 1000,10000, got %q", f)
		}
		counts = append(counts, n)
	}
	setMemoryLimit(slices.Max(counts))
	fmt.Fprintln(os.Stderr, "Synthesizing the app…")
	app, err := sim.Synthesize(nil)
	if err != nil {
		return err
	}
	const fileSize = 4 << 20 // 4 MiB, a typical export file
	fmt.Fprintf(os.Stderr, "Copying exports of %v data files of 4 MiB each, with both designs…\n", counts)
	var progress func(sim.Progress)
	if onTerminal(os.Stderr) {
		progress = progressLine
	}
	cs, err := sim.CompareDesigns(context.Background(), app, counts, fileSize, progress)
	if progress != nil {
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		return err
	}
	sim.WriteComparison(os.Stdout, cs)
	fmt.Println("\nSimulated copy time (package simulator/timing's model; the bound is S3's per-prefix write rate):")
	fmt.Println()
	sim.WriteTiming(os.Stdout, cs)
	largest := cs[len(cs)-1]
	example := sim.CostExample{SnapshotGB: 500, ExpressSecondsPerChild: 10, ExpressMemoryGB: 0.0625}
	fmt.Printf("\nCost of one export of a %d GB snapshot written as %d files (the %d-file run above):\n\n", example.SnapshotGB, largest.Ours.ObjectsInExport, largest.Objects)
	sim.WriteCost(os.Stdout, largest, example)
	for _, c := range cs {
		fmt.Fprintf(os.Stderr, "%d data files: %s\n", c.Objects, c.Duration.Round(time.Second))
	}
	return nil
}

func run(scenarioPath string, asJSON bool, outDir string) error {
	var sc sim.Scenario
	if scenarioPath != "" {
		var err error
		if sc, err = sim.LoadScenario(scenarioPath); err != nil {
			return err
		}
		if g := sc.Export.Generate; g != nil {
			setMemoryLimit(g.Count)
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
	opts := sim.Options{Trace: true}
	if !asJSON && onTerminal(os.Stderr) {
		opts.Progress = progressLine
	}
	r, err := sim.Execute(context.Background(), app, sc, opts)
	if opts.Progress != nil {
		fmt.Fprintln(os.Stderr)
	}
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
		return errRunFailed
	}
	return nil
}
