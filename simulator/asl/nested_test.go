package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

const childDef = `{
  "QueryLanguage": "JSONata",
  "StartAt": "W",
  "States": {
    "W": {"Type": "Wait", "Seconds": 30, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.fail %}", "Next": "F"}], "Default": "Ok"},
    "F": {"Type": "Fail", "Error": "Copy.Failed", "Cause": "{% 'could not copy ' & $states.input.id %}"},
    "Ok": {"Type": "Pass", "Output": {"copied": "{% $states.input.id %}"}, "End": true}
  }
}`

func parentDef(resource string) string {
	return `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "RunCopy",
	  "States": {
	    "RunCopy": {"Type": "Task", "Resource": "` + resource + `",
	      "Arguments": {"StateMachineArn": "` + region + `:stateMachine:Child", "Name": "{% $states.input.name %}",
	                    "Input": {"id": "{% $states.input.id %}", "fail": "{% $states.input.fail %}"}},
	      "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handle"}],
	      "End": true},
	    "Handle": {"Type": "Pass", "Output": "{% $states.input %}", "End": true}
	  }
	}`
}

func nestedExec(t *testing.T, resource string) *Executor {
	ex := newExec(nil, WithHistory(true))
	mustRegister(t, ex, smArn("Child"), childDef, TypeStandard)
	mustRegister(t, ex, mainARN, parentDef(resource), TypeStandard)
	return ex
}

func TestStartExecutionSync2(t *testing.T) {
	ex := nestedExec(t, "arn:aws:states:::states:startExecution.sync:2")
	x := start(t, ex, mainARN, map[string]any{"name": "copy-1", "id": "e-1", "fail": false})
	wantSucceeded(t, x)
	out := x.Output.(map[string]any)
	childArn := region + ":execution:Child:copy-1"
	if out["ExecutionArn"] != childArn || out["Status"] != "SUCCEEDED" || out["StateMachineArn"] != smArn("Child") || out["Name"] != "copy-1" {
		t.Errorf("output %v", out)
	}
	wantJSON(t, ".sync:2 Output (parsed)", out["Output"], `{"copied": "e-1"}`)
	wantJSON(t, ".sync:2 Input (parsed)", out["Input"], `{"id": "e-1", "fail": false}`)
	if out["StartDate"] != float64(t0.UnixMilli()) || out["StopDate"] != float64(t0.Add(30*time.Second).UnixMilli()) {
		t.Errorf("dates %v %v", out["StartDate"], out["StopDate"])
	}
	// The parent waited 30 simulated seconds for its child.
	if d := x.StopDate.Sub(x.StartDate); d != 30*time.Second {
		t.Errorf("parent duration %v", d)
	}
	wantEvents(t, x.ExecutionRecord, "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
		"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded")
	child, ok := ex.Execution(childArn)
	if !ok || child.ParentARN != x.ExecutionARN || child.Status != StatusSucceeded || child.HistoryEvents != 8 {
		t.Errorf("child record %+v", child)
	}
	if s := ex.Summary(); s.NestedStartedByTask != 1 || s.StateTransitions != 1+3 {
		t.Errorf("summary %+v", s)
	}
}

func TestStartExecutionSyncOutputIsString(t *testing.T) {
	ex := nestedExec(t, "arn:aws:states:::states:startExecution.sync")
	x := start(t, ex, mainARN, map[string]any{"name": "copy-1", "id": "e-1", "fail": false})
	wantSucceeded(t, x)
	out := x.Output.(map[string]any)
	// (JSON object keys come out sorted: Go maps keep no order.)
	if out["Output"] != `{"copied":"e-1"}` || out["Input"] != `{"fail":false,"id":"e-1"}` {
		t.Errorf(".sync Output %#v Input %#v", out["Output"], out["Input"])
	}
}

// A failed child fails the .sync task with States.TaskFailed; the cause is
// the child's DescribeExecution output, carrying its Error and Cause.
func TestStartExecutionSyncChildFailure(t *testing.T) {
	ex := nestedExec(t, "arn:aws:states:::states:startExecution.sync:2")
	x := start(t, ex, mainARN, map[string]any{"name": "copy-2", "id": "e-2", "fail": true})
	wantSucceeded(t, x)
	out := x.Output.(map[string]any)
	if out["Error"] != ErrTaskFailed {
		t.Fatalf("error output %v", out)
	}
	var cause map[string]any
	if err := json.Unmarshal([]byte(out["Cause"].(string)), &cause); err != nil {
		t.Fatalf("cause is not JSON: %v", out["Cause"])
	}
	if cause["Status"] != "FAILED" || cause["Error"] != "Copy.Failed" || cause["Cause"] != "could not copy e-2" {
		t.Errorf("cause %v", cause)
	}
	// Uncaught: the parent fails with States.TaskFailed.
	ex2 := newExec(nil)
	mustRegister(t, ex2, smArn("Child"), childDef, TypeStandard)
	mustRegister(t, ex2, mainARN, strings.Replace(parentDef("arn:aws:states:::states:startExecution.sync:2"), `"States.TaskFailed"`, `"Nothing"`, 1), TypeStandard)
	x = start(t, ex2, mainARN, map[string]any{"name": "copy-3", "id": "e-3", "fail": true})
	wantFailed(t, x, ErrTaskFailed)
	if !strings.Contains(x.Cause, `"Error":"Copy.Failed"`) {
		t.Errorf("cause %s", x.Cause)
	}
}

// TimeoutSeconds on a .sync task: the child's simulated duration counts.
func TestStartExecutionSyncTimeout(t *testing.T) {
	ex := newExec(nil)
	mustRegister(t, ex, smArn("Child"), childDef, TypeStandard)
	mustRegister(t, ex, mainARN, `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "RunCopy",
	  "States": {
	    "RunCopy": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "TimeoutSeconds": 10,
	      "Arguments": {"StateMachineArn": "`+smArn("Child")+`", "Input": {"id": "x", "fail": false}},
	      "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"}, {"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}],
	      "End": true},
	    "Wrong": {"Type": "Fail", "Error": "Wrong"},
	    "TimedOut": {"Type": "Pass", "End": true}
	  }
	}`, TypeStandard)
	x := start(t, ex, mainARN, nil)
	wantSucceeded(t, x)
	if d := x.StopDate.Sub(x.StartDate); d != 10*time.Second {
		t.Errorf("duration %v, want 10s", d)
	}
}

func TestStartExecutionFireAndForget(t *testing.T) {
	ex := nestedExec(t, "arn:aws:states:::states:startExecution")
	x := start(t, ex, mainARN, map[string]any{"name": "bg", "id": "e", "fail": false})
	wantSucceeded(t, x)
	out := x.Output.(map[string]any)
	if out["ExecutionArn"] != region+":execution:Child:bg" || len(out) != 2 {
		t.Errorf("output %v", out)
	}
	ex.Wait()
	if r, _ := ex.Execution(region + ":execution:Child:bg"); r.Status != StatusSucceeded {
		t.Errorf("child %s", r.Status)
	}
	// Unknown state machine.
	mustRegister(t, ex, mainARN, strings.Replace(parentDef("arn:aws:states:::states:startExecution"), ":stateMachine:Child", ":stateMachine:Nope", 1), TypeStandard)
	x = start(t, ex, mainARN, map[string]any{"name": "bg2", "id": "e", "fail": false})
	wantSucceeded(t, x) // caught by States.TaskFailed
	if out := x.Output.(map[string]any); out["Error"] != ErrStateMachineDoesNotExist {
		t.Errorf("output %v", out)
	}
}

// StartExecution names: same name and input while RUNNING returns the same
// execution; a different input, or a closed execution, is
// ExecutionAlreadyExists.
func TestIdempotentStartExecution(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	s := newStub().on("rds:startExportTask", func(ctx context.Context, _ map[string]any) (any, error) {
		entered <- struct{}{}
		<-release
		return map[string]any{"Status": "STARTING"}, nil
	})
	ex := newExec(s)
	mustRegister(t, ex, mainARN, `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
	  "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:rds:startExportTask", "End": true}}}`, TypeStandard)
	in := map[string]any{"snapshot": "s1"}
	var wg sync.WaitGroup
	var first, second *Execution
	wg.Add(1)
	go func() {
		defer wg.Done()
		first, _ = ex.Start(context.Background(), mainARN, "export-s1", in)
	}()
	<-entered
	// Different input while running.
	_, err := ex.Start(context.Background(), mainARN, "export-s1", map[string]any{"snapshot": "other"})
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Name != ErrExecutionAlreadyExists {
		t.Errorf("different input: %v", err)
	}
	// Same input while running: the same execution.
	wg.Add(1)
	go func() {
		defer wg.Done()
		var err error
		second, err = ex.Start(context.Background(), mainARN, "export-s1", map[string]any{"snapshot": "s1"})
		if err != nil {
			t.Errorf("same input: %v", err)
		}
	}()
	for ex.joins.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if first == nil || second == nil || first.ExecutionARN != second.ExecutionARN || second.Status != StatusSucceeded {
		t.Fatalf("first %+v second %+v", first, second)
	}
	if n := len(s.callsTo("rds:startExportTask")); n != 1 {
		t.Errorf("%d exports started, want 1", n)
	}
	// Closed execution: already exists, whatever the input.
	_, err = ex.Start(context.Background(), mainARN, "export-s1", in)
	if !errors.As(err, &ae) || ae.Name != ErrExecutionAlreadyExists {
		t.Errorf("after close: %v", err)
	}
	if n := len(ex.Executions()); n != 1 {
		t.Errorf("%d executions recorded, want 1", n)
	}
	// The same holds for the startExecution task (error named
	// StepFunctions.ExecutionAlreadyExistsException).
	ex2 := nestedExec(t, "arn:aws:states:::states:startExecution.sync:2")
	start(t, ex2, mainARN, map[string]any{"name": "dup", "id": "e", "fail": false})
	mustRegister(t, ex2, mainARN, strings.Replace(parentDef("arn:aws:states:::states:startExecution.sync:2"), `"States.TaskFailed"`, `"Nothing"`, 1), TypeStandard)
	x := start(t, ex2, mainARN, map[string]any{"name": "dup", "id": "e", "fail": false})
	wantFailed(t, x, ErrExecutionAlreadyExists)
}

// arn:aws:states:::aws-sdk:sfn:describeExecution is answered by the
// executor for executions it ran (dates as ISO strings, Input/Output as JSON
// strings, as the SDK integration returns them).
func TestDescribeExecutionSDK(t *testing.T) {
	ex := nestedExec(t, "arn:aws:states:::states:startExecution")
	start(t, ex, mainARN, map[string]any{"name": "bg", "id": "e", "fail": false})
	ex.Wait()
	mustRegister(t, ex, smArn("Describe"), `{"QueryLanguage": "JSONata", "StartAt": "D", "States": {"D": {
	  "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
	  "Arguments": {"ExecutionArn": "{% $states.input %}"},
	  "Output": "{% $states.result ~> | $ | {}, ['StartDate', 'StopDate'] | %}", "End": true}}}`, TypeStandard)
	x := start(t, ex, smArn("Describe"), region+":execution:Child:bg")
	wantSucceeded(t, x)
	wantJSON(t, "describe", x.Output, `{"ExecutionArn": "arn:aws:states:eu-west-1:123456789012:execution:Child:bg",
	  "StateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:Child", "Name": "bg", "Status": "SUCCEEDED",
	  "Input": "{\"fail\":false,\"id\":\"e\"}", "InputDetails": {"Included": true},
	  "Output": "{\"copied\":\"e\"}", "OutputDetails": {"Included": true},
	  "RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE", "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven"}`)
}
