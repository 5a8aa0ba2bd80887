package asl

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// History of a known definition: Pass -> Task (fails once, retried) ->
// Map of 3 items (Pass + Task each) -> Succeed.
//
//	ExecutionStarted                                                    1
//	PassStateEntered, PassStateExited                                   2
//	TaskStateEntered                                                    1
//	  attempt 1: TaskScheduled, TaskStarted, TaskFailed                 3
//	  attempt 2: TaskScheduled, TaskStarted, TaskSucceeded              3
//	TaskStateExited                                                     1
//	MapStateEntered, MapStateStarted                                    2
//	  3 x (MapIterationStarted, Pass 2, Task 5, MapIterationSucceeded)  27
//	MapStateSucceeded, MapStateExited                                   2
//	SucceedStateEntered, SucceedStateExited                             2
//	ExecutionSucceeded                                                  1
//	                                                            total  45
//
// Billed transitions: states entered 1+1+1+3x2+1 = 10, plus 1 retry = 11.
func TestHistoryCountsKnownDefinition(t *testing.T) {
	s := newStub().
		on("s3:headBucket", failing(1, awserr.New("S3.SlowDown", "slow"))).
		on("s3:copyObject", func(context.Context, map[string]any) (any, error) { return map[string]any{}, nil })
	x := runDef(t, newExec(s, WithHistory(true), WithTrace(TraceStates)), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Start",
	  "States": {
	    "Start": {"Type": "Pass", "Next": "Check"},
	    "Check": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headBucket", "Arguments": {"Bucket": "b"},
	              "Retry": [{"ErrorEquals": ["S3.SlowDown"]}], "Output": "{% $states.input %}", "Next": "Each"},
	    "Each": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {"StartAt": "Key", "States": {
	      "Key": {"Type": "Pass", "Output": {"Key": "{% $states.input %}"}, "Next": "Copy"},
	      "Copy": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject", "Arguments": "{% $states.input %}", "End": true}}},
	      "Next": "Done"},
	    "Done": {"Type": "Succeed"}
	  }
	}`, []any{"a", "b", "c"})
	wantSucceeded(t, x)
	iteration := []string{"MapIterationStarted", "PassStateEntered", "PassStateExited",
		"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "MapIterationSucceeded"}
	want := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited",
		"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
		"MapStateEntered", "MapStateStarted"}
	for i := 0; i < 3; i++ {
		want = append(want, iteration...)
	}
	want = append(want, "MapStateSucceeded", "MapStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded")
	if len(want) != 45 {
		t.Fatalf("test arithmetic: %d", len(want))
	}
	wantEvents(t, x.ExecutionRecord, want...)
	if x.StatesEntered != 10 || x.Retries != 1 || x.StateTransitions != 11 {
		t.Errorf("entered %d retries %d transitions %d, want 10, 1, 11", x.StatesEntered, x.Retries, x.StateTransitions)
	}
	var trace []string
	for _, e := range x.Trace {
		trace = append(trace, e.Path)
	}
	if got := strings.Join(trace, " "); got != "Start Check Each[0]/Key Each[0]/Copy Each[1]/Key Each[1]/Copy Each[2]/Key Each[2]/Copy Each Done" {
		t.Errorf("trace %s", got)
	}
}

// A Standard execution fails with States.Runtime when its history reaches
// 25,000 events; the closing ExecutionFailed is the 25,000th.
func TestHistoryLimit(t *testing.T) {
	def := `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "A",
	  "States": {
	    "A": {"Type": "Pass", "Next": "B"},
	    "B": {"Type": "Pass", "Catch": null, "Next": "A"}
	  }
	}`
	def = strings.Replace(def, `"Catch": null, `, ``, 1)
	ex := newExec(nil)
	x := runDef(t, ex, def, nil)
	wantFailed(t, x, ErrRuntime)
	if x.Cause != "The execution reached the maximum number of history events (25000)." {
		t.Errorf("cause %q", x.Cause)
	}
	if x.HistoryEvents != MaxHistoryEvents {
		t.Errorf("history %d events, want %d", x.HistoryEvents, MaxHistoryEvents)
	}
	// 1 ExecutionStarted + 2 per state: the 12,500th state's Exited event
	// would be the 25,000th.
	if x.StatesEntered != 12499 {
		t.Errorf("states entered %d", x.StatesEntered)
	}

	// A Retry or Catch on States.ALL does not catch it.
	s := newStub().on("s3:copyObject", func(context.Context, map[string]any) (any, error) { return map[string]any{}, nil })
	x = runDef(t, newExec(s), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "T",
	  "States": {
	    "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
	      "Retry": [{"ErrorEquals": ["States.ALL"]}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "T"}], "Next": "T"}
	  }
	}`, nil)
	wantFailed(t, x, ErrRuntime)

	// Express executions keep no history in AWS: no limit, still counted.
	mustRegister(t, ex, smArn("Fast"), strings.Replace(def, `"Next": "A"`, `"End": true`, 1), TypeExpress)
	x = start(t, ex, smArn("Fast"), nil)
	wantSucceeded(t, x)
	if x.HistoryEvents != 6 || x.ExpressRequests != 1 || x.StateTransitions != 0 {
		t.Errorf("express record %+v", x.ExecutionRecord)
	}
}

// Inline Map iterations land in the parent's history (about 9 events for a
// Pass + Task iteration): 2,800 items exceed the limit, the design's
// motivation for a Distributed Map.
func TestInlineMapHitsHistoryLimit(t *testing.T) {
	s := newStub().on("s3:copyObject", func(context.Context, map[string]any) (any, error) { return map[string]any{}, nil })
	items := make([]any, 2800)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	x := runDef(t, newExec(s), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Each",
	  "States": {"Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Key", "States": {
	    "Key": {"Type": "Pass", "Next": "Copy"},
	    "Copy": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject", "End": true}}}, "End": true}}
	}`, items)
	wantFailed(t, x, ErrRuntime)
	if x.HistoryEvents != MaxHistoryEvents {
		t.Errorf("history %d", x.HistoryEvents)
	}
}
