package sim

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// WriteOut writes every destination object with real content (Parquet of
// tables given with rows, markers, metadata) into dir, its key as the path.
// Declared-size objects have no bytes to write and are skipped.
func (r *Run) WriteOut(dir string) (int, error) {
	n := 0
	for _, o := range r.S3.Objects(r.DestinationBucket, "") {
		if !o.HasContent {
			continue
		}
		b, err := r.S3.Read(r.DestinationBucket, o.Key)
		if err != nil {
			return n, err
		}
		path := filepath.Join(dir, filepath.FromSlash(o.Key))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return n, fmt.Errorf("key %q leaves %s", o.Key, dir)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return n, err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Report prints the run as a person reads it: each execution with the
// states it went through, Distributed Map children summed up, the calls
// made, and the destination tree.
func (r *Run) Report(w io.Writer) {
	res := r.Result
	fmt.Fprintf(w, "Result: %s", res.Status)
	if res.Error != "" {
		fmt.Fprintf(w, " — %s: %s", res.Error, res.Cause)
	}
	fmt.Fprintln(w)

	children := map[string][]Execution{}
	for _, e := range res.Executions {
		if e.MapRunChild {
			children[e.Parent] = append(children[e.Parent], e)
		}
	}
	fmt.Fprintln(w, "\nExecutions:")
	for _, e := range res.Executions {
		if e.MapRunChild {
			continue
		}
		indent := "  "
		if e.Parent != "" {
			indent = "    "
		}
		fmt.Fprintf(w, "%s%s %s (%s, %s): %d history events, %d billed transitions\n",
			indent, e.StateMachine, e.Name, strings.ToLower(e.Type), e.Status, e.HistoryEvents, e.StateTransitions)
		if len(e.States) > 0 {
			fmt.Fprintf(w, "%s  %s\n", indent, strings.Join(compress(e.States), " → "))
		}
		if e.Error != "" {
			fmt.Fprintf(w, "%s  %s: %s\n", indent, e.Error, e.Cause)
		}
		if kids := children[e.Name]; len(kids) > 0 {
			byType, byStatus, maxEvents := map[string]int{}, map[string]int{}, 0
			for _, k := range kids {
				byType[strings.ToLower(k.Type)]++
				byStatus[k.Status]++
				maxEvents = max(maxEvents, k.HistoryEvents)
			}
			fmt.Fprintf(w, "%s  Distributed Map children: %s; %s; at most %d history events each\n",
				indent, counts(byType), counts(byStatus), maxEvents)
			for _, k := range kids {
				if k.Error != "" {
					fmt.Fprintf(w, "%s    child %s %s: %s: %s\n", indent, k.Name, k.Status, k.Error, k.Cause)
					break
				}
			}
		}
	}

	fmt.Fprintln(w, "\nCalls:")
	var calls []string
	for c := range res.Calls {
		calls = append(calls, c)
	}
	sort.Strings(calls)
	for _, c := range calls {
		fmt.Fprintf(w, "  %-32s %d\n", c, res.Calls[c])
	}
	for _, t := range res.ExportTasks {
		fmt.Fprintf(w, "Export task %s: %s (S3Prefix %q)\n", t.Identifier, t.Status, t.S3Prefix)
	}

	fmt.Fprintf(w, "\nDestination s3://%s (%d objects):\n", res.Destination.Bucket, len(res.Destination.Objects))
	const shown = 40
	dir := ""
	for i, o := range res.Destination.Objects {
		if i == shown {
			fmt.Fprintf(w, "  … %d more\n", len(res.Destination.Objects)-shown)
			break
		}
		d, file := path.Split(o.Key)
		if d != dir {
			fmt.Fprintf(w, "  %s\n", d)
			dir = d
		}
		fmt.Fprintf(w, "    %10s  %s\n", size(o.Size), file)
	}
	f := res.Figures
	fmt.Fprintf(w, "\nFigures: %d objects exported (largest %s), %d copied; max %d history events in one Standard execution (%d in any); %d billed Standard transitions (%.4f per copied object); %d Express requests; copy concurrency %d × %d\n",
		f.ObjectsInExport, size(f.LargestObject), f.CopiedObjects, f.MaxStandardHistoryEvents, f.MaxHistoryEvents, f.StandardTransitions, f.StandardTransitionsPerObject, f.ExpressRequests, f.CopyConcurrency, f.CopiesPerChild)
}

// compress folds repeated loops: A → B → C → B → C → D becomes
// A → [B → C] ×2 → D.
func compress(states []string) []string {
	var out []string
	for i := 0; i < len(states); {
		folded := false
		for n := 1; n <= 4 && i+2*n <= len(states); n++ {
			reps := 1
			for i+(reps+1)*n <= len(states) && equal(states[i:i+n], states[i+reps*n:i+(reps+1)*n]) {
				reps++
			}
			if reps > 1 {
				cycle := strings.Join(states[i:i+n], " → ")
				if n > 1 {
					cycle = "[" + cycle + "]"
				}
				out = append(out, fmt.Sprintf("%s ×%d", cycle, reps))
				i += reps * n
				folded = true
				break
			}
		}
		if !folded {
			out = append(out, states[i])
			i++
		}
	}
	return out
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func counts(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
