package sim

import (
	"strings"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/asl"
	"github.com/snapshotlake/snapshotlake/simulator/timing"
)

// Result is what a run produced, in the shape `simulate -json` prints.
type Result struct {
	// Status, Error and Cause are those of the first delivery's export run
	// that did not succeed, or SUCCEEDED.
	Status      string         `json:"status"`
	Error       string         `json:"error,omitempty"`
	Cause       string         `json:"cause,omitempty"`
	Deliveries  []Delivery     `json:"deliveries"`
	Executions  []Execution    `json:"executions"`
	Calls       map[string]int `json:"calls"`
	ExportTasks []ExportTask   `json:"exportTasks"`
	Destination Destination    `json:"destination"`
	Events      []Event        `json:"events"`
	// Catalog are the destination's catalog runs the events started (the
	// destination stack synthesized with a catalog); CatalogRefused counts
	// events its bus policy refused.
	Catalog        []CatalogRun `json:"catalog,omitempty"`
	CatalogRefused int          `json:"catalogRefused,omitempty"`
	Figures        Figures      `json:"figures"`
	// Copies are the timing figures of each export's copy.
	Copies []CopyFigures `json:"copies"`
	// Timing is the timing model the run used.
	Timing timing.Model `json:"timing"`
}

// Event is an event a state machine put on an event bus.
type Event struct {
	// Bus is the ARN of the bus that accepted it.
	Bus        string         `json:"bus"`
	Source     string         `json:"source"`
	DetailType string         `json:"detailType"`
	Detail     map[string]any `json:"detail"`
}

// Delivery is one export run started by the event.
type Delivery struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Output any    `json:"output,omitempty"`
}

// Execution is one state machine execution.
type Execution struct {
	StateMachine     string   `json:"stateMachine"`
	Name             string   `json:"name"`
	Type             string   `json:"type"`
	Status           string   `json:"status"`
	Error            string   `json:"error,omitempty"`
	Cause            string   `json:"cause,omitempty"`
	HistoryEvents    int      `json:"historyEvents"`
	StateTransitions int      `json:"stateTransitions"`
	Parent           string   `json:"parent,omitempty"`
	MapRunChild      bool     `json:"mapRunChild,omitempty"`
	States           []string `json:"states,omitempty"`
	// StartDate and StopDate are simulated.
	StartDate time.Time `json:"startDate"`
	StopDate  time.Time `json:"stopDate"`
}

// ExportTask is an export the run started.
type ExportTask struct {
	Identifier string `json:"identifier"`
	S3Prefix   string `json:"s3Prefix"`
	Status     string `json:"status"`
}

// Destination is what the destination bucket holds after the run.
type Destination struct {
	Bucket  string   `json:"bucket"`
	Objects []Object `json:"objects"`
}

// Figures are the run's scale and cost measures.
type Figures struct {
	// ObjectsInExport is what the export wrote (data, markers, metadata).
	ObjectsInExport int `json:"objectsInExport"`
	// LargestObject in the export, bytes.
	LargestObject int64 `json:"largestObject"`
	// CopiedObjects is what the destination holds.
	CopiedObjects int `json:"copiedObjects"`
	// MaxHistoryEvents of any single execution (Step Functions' cap: 25,000).
	MaxHistoryEvents int `json:"maxHistoryEvents"`
	// MaxStandardHistoryEvents of any Standard execution (the cap applies to
	// these; Express executions keep no history).
	MaxStandardHistoryEvents int `json:"maxStandardHistoryEvents"`
	// StandardTransitions is the billed Standard state transitions of all executions.
	StandardTransitions int `json:"standardTransitions"`
	// StandardTransitionsPerObject = StandardTransitions / CopiedObjects.
	StandardTransitionsPerObject float64 `json:"standardTransitionsPerObject"`
	// ExpressRequests is the number of Express executions (billed per request).
	ExpressRequests int `json:"expressRequests"`
	// Executions by type.
	StandardExecutions int `json:"standardExecutions"`
	ExpressExecutions  int `json:"expressExecutions"`
	// CopyConcurrency is the Distributed Maps' MaxConcurrency.
	CopyConcurrency int `json:"copyConcurrency"`
	// CopiesPerChild is how many objects each child copies at once (0 for
	// the seed's design, which has no children).
	CopiesPerChild int `json:"copiesPerChild,omitempty"`
	// ListRequests is the run's ListObjectsV2 calls (folder listings and
	// ItemReader pages), billed as S3 LIST requests.
	ListRequests int `json:"listRequests"`
}

func (r *Run) result(runs []*asl.Execution, sum asl.Summary, machines map[string]machine, calls map[string]int, exportIDs []string) Result {
	res := Result{Status: string(asl.StatusSucceeded), Calls: calls}
	for _, x := range runs {
		res.Deliveries = append(res.Deliveries, Delivery{Name: x.Name, Status: string(x.Status), Output: x.Output})
		if x.Status != asl.StatusSucceeded && res.Status == string(asl.StatusSucceeded) {
			res.Status, res.Error, res.Cause = string(x.Status), x.Error, x.Cause
		}
	}
	names := map[string]string{}
	for _, rec := range r.Records {
		names[rec.ExecutionARN] = rec.Name
	}
	for _, rec := range r.Records {
		e := Execution{
			StateMachine: machineName(rec.StateMachineARN, machines), Name: rec.Name, Type: rec.Type,
			Status: string(rec.Status), Error: rec.Error, Cause: rec.Cause,
			HistoryEvents: rec.HistoryEvents, StateTransitions: rec.StateTransitions,
			Parent: names[rec.ParentARN], MapRunChild: rec.MapRunARN != "",
			StartDate: rec.StartDate, StopDate: rec.StopDate,
		}
		for _, t := range rec.Trace {
			if !strings.Contains(t.Path, "[") {
				e.States = append(e.States, t.State)
			}
		}
		res.Executions = append(res.Executions, e)
	}
	res.ExportTasks = []ExportTask{}
	for _, id := range exportIDs {
		if t, ok := r.RDS.Task(id); ok {
			res.ExportTasks = append(res.ExportTasks, ExportTask{Identifier: id, S3Prefix: str(t["S3Prefix"]), Status: str(t["Status"])})
		}
	}
	res.Destination.Bucket = r.DestinationBucket
	keys, sizes := r.S3.Sizes(r.DestinationBucket, "")
	res.Destination.Objects = make([]Object, len(keys))
	for i, k := range keys {
		res.Destination.Objects[i] = Object{Key: k, Size: sizes[i]}
	}
	f := &res.Figures
	keys, sizes = r.S3.Sizes(r.ExportBucket, "")
	for i, k := range keys {
		if strings.HasPrefix(k, "other/") || strings.Contains(k, "other-export-") {
			continue
		}
		f.ObjectsInExport++
		f.LargestObject = max(f.LargestObject, sizes[i])
	}
	f.CopiedObjects = len(res.Destination.Objects)
	f.MaxHistoryEvents = sum.MaxHistoryEvents
	for _, rec := range r.Records {
		if rec.Type == asl.TypeStandard {
			f.MaxStandardHistoryEvents = max(f.MaxStandardHistoryEvents, rec.HistoryEvents)
		}
	}
	f.StandardTransitions = sum.StateTransitions
	if f.CopiedObjects > 0 {
		f.StandardTransitionsPerObject = float64(sum.StateTransitions) / float64(f.CopiedObjects)
	}
	f.ExpressRequests = sum.ExpressRequests
	f.StandardExecutions, f.ExpressExecutions = sum.StandardExecutions, sum.ExpressExecutions
	return res
}

func machineName(arn string, machines map[string]machine) string {
	for _, m := range machines {
		if m.arn == arn {
			return m.role
		}
	}
	return arn
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
