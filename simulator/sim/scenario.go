package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/rdsfake"
	"github.com/snapshotlake/snapshotlake/simulator/timing"
)

// Scenario is one local run: which stack, which event, what the export
// holds and which calls fail. The zero Scenario is the demo: an automated
// snapshot of the demo cluster exporting the seed's three tables.
type Scenario struct {
	// Stack is the synthesized stack whose state machines run.
	// Default: SnapshotLakeDemo.
	Stack string `json:"stack,omitempty"`
	// Context is the CDK context the app is synthesized with, as with -c.
	// Default: none (cdk.json's defaults: the demo stack).
	Context map[string]any `json:"context,omitempty"`
	// ContextFile is a JSON file of CDK context, relative to the scenario
	// file, read under Context (whose values win). Default: none.
	ContextFile string `json:"contextFile,omitempty"`
	// Event is the EventBridge event delivered to the export state machine.
	// Default: the snapshot-created event of Snapshot.
	Event map[string]any `json:"event,omitempty"`
	// Deliveries is how many times the event is delivered. Default: 1.
	Deliveries int `json:"deliveries,omitempty"`
	// Snapshot is the snapshot RDS holds for the event.
	Snapshot Snapshot `json:"snapshot"`
	// Export is what the export task does and writes.
	Export Export `json:"export"`
	// Faults make calls fail.
	Faults []Fault `json:"faults,omitempty"`
	// Timing overrides parameters of the timing model (package timing);
	// fields left out keep their defaults.
	Timing *timing.Model `json:"timing,omitempty"`
}

// Snapshot describes the snapshot the event is about.
type Snapshot struct {
	// Type is "cluster" or "instance". Default: cluster.
	Type string `json:"type,omitempty"`
	// SourceIdentifier is the cluster or instance the snapshot is of.
	// Default: the stack's first configured source.
	SourceIdentifier string `json:"sourceIdentifier,omitempty"`
	// SnapshotID. Default: the automated form "rds:<source>-YYYY-MM-DD-HH-MM".
	SnapshotID string `json:"snapshotId,omitempty"`
	// SnapshotTime, ISO-8601. Default: 2026-11-24T03:04:58.145Z.
	SnapshotTime string `json:"snapshotTime,omitempty"`
	// Engine. Default: aurora-postgresql for clusters, postgres for instances.
	Engine string `json:"engine,omitempty"`
}

// Export is the export task's course and content.
type Export struct {
	// FinalStatus: COMPLETE, FAILED or CANCELED. Default: COMPLETE.
	FinalStatus string `json:"finalStatus,omitempty"`
	// PollsBeforeDone is how many DescribeExportTasks calls see it running.
	// Default: 3.
	PollsBeforeDone *int `json:"pollsBeforeDone,omitempty"`
	// FailureCause of a FAILED or CANCELED export.
	FailureCause string `json:"failureCause,omitempty"`
	// Objects are declared-size objects, keys relative to the export root.
	Objects []Object `json:"objects,omitempty"`
	// Generate adds many declared-size data files (for scale runs).
	Generate *Generate `json:"generate,omitempty"`
	// Tables are exported as real Parquet files. Default: the seed's demo
	// tables when no objects are given.
	Tables []Table `json:"tables,omitempty"`
	// BusyExports are other exports running in the account when this one
	// starts; each finishes after BusyPolls of this run's failed starts.
	BusyExports int `json:"busyExports,omitempty"`
	// BusyPolls. Default: 2.
	BusyPolls int `json:"busyPolls,omitempty"`
}

// Object is a declared-size object of the export.
type Object struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

// Generate declares Count data files of Size bytes, spread over Tables
// tables and Batches batch folders.
type Generate struct {
	Count   int   `json:"count"`
	Size    int64 `json:"size"`
	Tables  int   `json:"tables,omitempty"`
	Batches int   `json:"batches,omitempty"`
}

// Table is a table exported with rows.
type Table struct {
	Database string           `json:"database"`
	Schema   string           `json:"schema"`
	Table    string           `json:"table"`
	Columns  []string         `json:"columns,omitempty"`
	Rows     []map[string]any `json:"rows"`
}

// Fault makes Times calls of Call fail with Error (every call when Times is
// 0), optionally only for keys matching KeyPattern.
type Fault struct {
	Call       string `json:"call"`
	Error      string `json:"error"`
	Cause      string `json:"cause,omitempty"`
	Times      int    `json:"times,omitempty"`
	KeyPattern string `json:"keyPattern,omitempty"`
}

// LoadScenario reads a scenario file; unknown fields are errors.
func LoadScenario(path string) (Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %w", path, err)
	}
	if s.ContextFile != "" {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(path), s.ContextFile))
		if err != nil {
			return Scenario{}, fmt.Errorf("scenario %s: contextFile: %w", path, err)
		}
		var ctx map[string]any
		if err := json.Unmarshal(b, &ctx); err != nil {
			return Scenario{}, fmt.Errorf("scenario %s: contextFile %s: %w", path, s.ContextFile, err)
		}
		for k, v := range s.Context {
			ctx[k] = v
		}
		s.Context = ctx
	}
	return s, s.Validate()
}

// callRE matches an aws-sdk call as a Task names it, "<service>:<action>":
// any call the state machines make can be faulted, present and future.
var callRE = regexp.MustCompile(`^[a-z][a-z0-9]*:[a-z][A-Za-z0-9]+$`)

// Validate checks the values a person writes by hand.
func (s Scenario) Validate() error {
	if s.Deliveries < 0 {
		return fmt.Errorf("scenario deliveries must be at least 1, got %d", s.Deliveries)
	}
	switch s.Snapshot.Type {
	case "", "cluster", "instance":
	default:
		return fmt.Errorf(`scenario snapshot.type must be "cluster" or "instance", got %q`, s.Snapshot.Type)
	}
	if s.Snapshot.SnapshotTime != "" {
		if _, err := time.Parse(time.RFC3339Nano, s.Snapshot.SnapshotTime); err != nil {
			return fmt.Errorf("scenario snapshot.snapshotTime must be ISO-8601 (RFC 3339), got %q", s.Snapshot.SnapshotTime)
		}
	}
	switch s.Export.FinalStatus {
	case "", rdsfake.StatusComplete, rdsfake.StatusFailed, rdsfake.StatusCanceled:
	default:
		return fmt.Errorf("scenario export.finalStatus must be COMPLETE, FAILED or CANCELED, got %q", s.Export.FinalStatus)
	}
	if p := s.Export.PollsBeforeDone; p != nil && *p < 0 {
		return fmt.Errorf("scenario export.pollsBeforeDone must not be negative, got %d", *p)
	}
	for _, o := range s.Export.Objects {
		if o.Key == "" || o.Size < 0 {
			return fmt.Errorf("scenario export.objects need a key and a size ≥ 0, got key %q size %d", o.Key, o.Size)
		}
	}
	if g := s.Export.Generate; g != nil && (g.Count < 1 || g.Size < 0) {
		return fmt.Errorf("scenario export.generate needs count ≥ 1 and size ≥ 0, got count %d size %d", g.Count, g.Size)
	}
	if s.Timing != nil {
		if err := s.Timing.Validate(); err != nil {
			return fmt.Errorf("scenario %w", err)
		}
	}
	for _, f := range s.Faults {
		if !callRE.MatchString(f.Call) {
			return fmt.Errorf(`scenario fault call must look like "s3:copyObject", "rds:startExportTask" or "eventbridge:putEvents", got %q`, f.Call)
		}
		if f.Error == "" {
			return fmt.Errorf("scenario fault for %s needs an error name such as S3.S3Exception", f.Call)
		}
		if f.KeyPattern != "" {
			if _, err := regexp.Compile(f.KeyPattern); err != nil {
				return fmt.Errorf("scenario fault keyPattern %q: %w", f.KeyPattern, err)
			}
		}
	}
	return nil
}
