package asl

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// failing returns a handler that fails n times with err, then succeeds.
func failing(n int, err error) func(context.Context, map[string]any) (any, error) {
	count := 0
	return func(_ context.Context, args map[string]any) (any, error) {
		count++
		if count <= n {
			return nil, err
		}
		return map[string]any{"attempt": float64(count), "args": args}, nil
	}
}

// Retry intervals on the simulated clock: IntervalSeconds * BackoffRate^n,
// capped by MaxDelaySeconds; JitterStrategy is accepted and ignored.
func TestRetryBackoffOnSimulatedClock(t *testing.T) {
	s := newStub().on("rds:startExportTask", failing(5, awserr.New("Rds.RdsException", "quota")))
	ex := newExec(s, WithHistory(true))
	x := runDef(t, ex, `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Export",
	  "States": {"Export": {
	    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:rds:startExportTask",
	    "Arguments": {"Try": "{% $states.context.State.RetryCount %}"},
	    "Retry": [
	      {"ErrorEquals": ["Other.Error"], "MaxAttempts": 10},
	      {"ErrorEquals": ["Rds.RdsException"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 6, "MaxDelaySeconds": 5, "JitterStrategy": "NONE"}
	    ],
	    "End": true}}
	}`, nil)
	wantSucceeded(t, x)
	var tries []any
	for _, c := range s.callsTo("rds:startExportTask") {
		tries = append(tries, c.Args["Try"])
	}
	wantJSON(t, "RetryCount per attempt", tries, `[0, 1, 2, 3, 4, 5]`)
	var gaps []time.Duration
	var last time.Time
	for _, e := range x.Events {
		if e.Type == "TaskScheduled" {
			if !last.IsZero() {
				gaps = append(gaps, e.Timestamp.Sub(last))
			}
			last = e.Timestamp
		}
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if len(gaps) != len(want) {
		t.Fatalf("gaps %v, want %v", gaps, want)
	}
	for i := range want {
		if gaps[i] != want[i] {
			t.Errorf("gap %d = %v, want %v", i, gaps[i], want[i])
		}
	}
	if d := x.StopDate.Sub(x.StartDate); d != 17*time.Second {
		t.Errorf("duration %v, want 17s", d)
	}
	// Billing: 1 state entered + 5 retries.
	if x.StateTransitions != 6 || x.Retries != 5 {
		t.Errorf("transitions %d retries %d, want 6 and 5", x.StateTransitions, x.Retries)
	}
}

// Defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0 — three
// retries 1+2+4 = 7 s, then the error propagates.
func TestRetryDefaultsThenFail(t *testing.T) {
	s := newStub().on("s3:copyObject", failing(10, awserr.New("S3.SlowDown", "slow")))
	x := runDef(t, newExec(s), `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
	  "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
	  "Retry": [{"ErrorEquals": ["S3.SlowDown"]}], "End": true}}}`, nil)
	wantFailed(t, x, "S3.SlowDown")
	if n := len(s.callsTo("s3:copyObject")); n != 4 {
		t.Errorf("%d attempts, want 4", n)
	}
	if d := x.StopDate.Sub(x.StartDate); d != 7*time.Second {
		t.Errorf("duration %v, want 7s", d)
	}
	// MaxAttempts 0: never retried.
	s = newStub().on("s3:copyObject", failing(10, awserr.New("S3.SlowDown", "slow")))
	x = runDef(t, newExec(s), `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
	  "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
	  "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}], "End": true}}}`, nil)
	wantFailed(t, x, "S3.SlowDown")
	if n := len(s.callsTo("s3:copyObject")); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// Catchers are tried in order; the first match wins. $states.errorOutput is
// {Error, Cause}; the Catcher's Output and Assign see it and $states.input.
func TestCatchOrderingAndErrorOutput(t *testing.T) {
	def := `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "T",
	  "States": {
	    "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
	      "Catch": [
	        {"ErrorEquals": ["S3.NoSuchKeyException"], "Next": "Missing",
	         "Output": {"missing": "{% $states.input.key %}", "err": "{% $states.errorOutput %}"},
	         "Assign": {"why": "{% $states.errorOutput.Cause %}"}},
	        {"ErrorEquals": ["States.TaskFailed"], "Next": "Generic"},
	        {"ErrorEquals": ["States.ALL"], "Next": "Never"}
	      ],
	      "End": true},
	    "Missing": {"Type": "Pass", "Output": {"out": "{% $states.input %}", "why": "{% $why %}"}, "End": true},
	    "Generic": {"Type": "Pass", "End": true},
	    "Never": {"Type": "Fail", "Error": "Unexpected"}
	  }
	}`
	s := newStub().on("s3:getObject", func(context.Context, map[string]any) (any, error) {
		return nil, awserr.New("S3.NoSuchKeyException", "The specified key does not exist.")
	})
	x := runDef(t, newExec(s), def, map[string]any{"key": "a/b"})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{"out": {"missing": "a/b",
	  "err": {"Error": "S3.NoSuchKeyException", "Cause": "The specified key does not exist."}},
	  "why": "The specified key does not exist."}`)

	// Any other error: States.TaskFailed (a wildcard) catches it before
	// States.ALL; default Catcher output is the error output.
	s = newStub().on("s3:getObject", func(context.Context, map[string]any) (any, error) {
		return nil, errors.New("connection reset")
	})
	x = runDef(t, newExec(s), def, map[string]any{"key": "a/b"})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{"Error": "States.TaskFailed", "Cause": "connection reset"}`)
}

func TestErrorMatching(t *testing.T) {
	cases := []struct {
		eq   []string
		name string
		want bool
	}{
		{[]string{"S3.NoSuchKey"}, "S3.NoSuchKey", true},
		{[]string{"S3.NoSuchKey"}, "S3.NoSuchKeyException", false},
		{[]string{"States.ALL"}, "Anything", true},
		{[]string{"States.ALL"}, ErrTimeout, true},
		{[]string{"States.ALL"}, ErrRuntime, false},
		{[]string{"States.ALL"}, ErrDataLimitExceeded, false},
		{[]string{"States.DataLimitExceeded"}, ErrDataLimitExceeded, true},
		{[]string{"States.Runtime"}, ErrRuntime, false},
		{[]string{"States.TaskFailed"}, "Rds.RdsException", true},
		{[]string{"States.TaskFailed"}, ErrTimeout, false},
		{[]string{"States.TaskFailed", "States.Timeout"}, ErrTimeout, true},
		{[]string{"States.QueryEvaluationError"}, ErrQueryEvaluation, true},
	}
	for _, c := range cases {
		if got := errorMatches(c.eq, c.name); got != c.want {
			t.Errorf("errorMatches(%v, %s) = %v, want %v", c.eq, c.name, got, c.want)
		}
	}
}

// JSONata failures and undefined values in required fields raise
// States.QueryEvaluationError, which a Catcher can handle.
func TestQueryEvaluationError(t *testing.T) {
	s := newStub().on("s3:headObject", func(context.Context, map[string]any) (any, error) { return map[string]any{}, nil })
	for _, c := range []struct{ arg, cause string }{
		{`"{% $states.input.missing %}"`, "returned nothing (undefined)"},
		{`"{% 1 + 'a' %}"`, "T2002"},
		{`"{% $undefinedVariable %}"`, "returned nothing (undefined)"},
	} {
		x := runDef(t, newExec(s, WithHistory(true)), `{
		  "QueryLanguage": "JSONata",
		  "StartAt": "T",
		  "States": {
		    "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
		      "Arguments": {"Key": `+c.arg+`},
		      "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}], "End": true},
		    "Caught": {"Type": "Pass", "End": true}
		  }
		}`, map[string]any{})
		wantSucceeded(t, x)
		out, _ := x.Output.(map[string]any)
		if out["Error"] != ErrQueryEvaluation || !strings.Contains(out["Cause"].(string), c.cause) || !strings.Contains(out["Cause"].(string), "'Arguments/Key'") {
			t.Errorf("%s: error output %v", c.arg, out)
		}
		wantEvents(t, x.ExecutionRecord, "ExecutionStarted", "TaskStateEntered", "EvaluationFailed", "TaskStateExited",
			"PassStateEntered", "PassStateExited", "ExecutionSucceeded")
	}
	if n := len(s.callsTo("s3:headObject")); n != 0 {
		t.Errorf("task called %d times despite failed Arguments", n)
	}
	// In a Pass state (no Catch), the execution fails.
	x := runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input.nope %}", "End": true}}}`, map[string]any{})
	wantFailed(t, x, ErrQueryEvaluation)
}

// States.DataLimitExceeded (256 KiB) is terminal for States.ALL.
func TestDataLimitExceeded(t *testing.T) {
	big := strings.Repeat("x", 300*1024)
	s := newStub().on("s3:getObject", func(context.Context, map[string]any) (any, error) {
		return map[string]any{"Body": big}, nil
	})
	x := runDef(t, newExec(s), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "T",
	  "States": {
	    "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
	      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
	    "Caught": {"Type": "Pass", "End": true}
	  }
	}`, nil)
	wantFailed(t, x, ErrDataLimitExceeded)

	// A state output over the limit.
	x = runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {
	  "P": {"Type": "Pass", "Output": "{% $pad('', 270000, 'x') %}", "End": true}}}`, nil)
	wantFailed(t, x, ErrDataLimitExceeded)

	// Exactly at the limit is fine: a 262,142-character string is 262,144
	// bytes of JSON.
	x = runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {
	  "P": {"Type": "Pass", "Output": "{% $pad('', 262142, 'x') %}", "End": true}}}`, nil)
	wantSucceeded(t, x)

	// Execution input over the limit is refused by Start.
	ex := newExec(nil)
	mustRegister(t, ex, mainARN, `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`, TypeStandard)
	_, err := ex.Start(context.Background(), mainARN, "", big)
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Name != ErrInvalidExecutionInput {
		t.Errorf("Start with a big input: %v", err)
	}

	// An explicit States.DataLimitExceeded Catcher does catch it.
	x = runDef(t, newExec(s), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "T",
	  "States": {
	    "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
	      "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}], "End": true},
	    "Caught": {"Type": "Pass", "End": true}
	  }
	}`, nil)
	wantSucceeded(t, x)
}

// The state machine's TimeoutSeconds: TIMED_OUT with States.Timeout at the
// deadline.
func TestExecutionTimeout(t *testing.T) {
	x := runDef(t, newExec(nil, WithHistory(true)), `{
	  "QueryLanguage": "JSONata", "TimeoutSeconds": 100,
	  "StartAt": "W",
	  "States": {"W": {"Type": "Wait", "Seconds": 3600, "Next": "P"}, "P": {"Type": "Pass", "End": true}}
	}`, nil)
	if x.Status != StatusTimedOut || x.Error != ErrTimeout {
		t.Fatalf("status %s %s", x.Status, x.Error)
	}
	if d := x.StopDate.Sub(x.StartDate); d != 100*time.Second {
		t.Errorf("stopped after %v, want 100s", d)
	}
	wantEvents(t, x.ExecutionRecord, "ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut")
}

func TestContextCancelAborts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := newStub().on("s3:copyObject", func(c context.Context, _ map[string]any) (any, error) {
		cancel()
		<-c.Done()
		return nil, c.Err()
	})
	ex := newExec(s)
	mustRegister(t, ex, mainARN, `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
	  "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
	  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "P"}], "End": true}, "P": {"Type": "Pass", "End": true}}}`, TypeStandard)
	x, err := ex.Start(ctx, mainARN, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusAborted {
		t.Errorf("status %s (%s), want ABORTED", x.Status, x.Error)
	}
}

// A .sync child that outlasts its parent's TimeoutSeconds times the parent
// out even when the task is the last state.
func TestExecutionTimeoutAfterLastState(t *testing.T) {
	ex := newExec(nil)
	mustRegister(t, ex, smArn("Child"), childDef, TypeStandard)
	mustRegister(t, ex, mainARN, `{"QueryLanguage": "JSONata", "TimeoutSeconds": 10, "StartAt": "T", "States": {"T": {
	  "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
	  "Arguments": {"StateMachineArn": "`+smArn("Child")+`", "Input": {"id": "x", "fail": false}}, "End": true}}}`, TypeStandard)
	x := start(t, ex, mainARN, nil)
	if x.Status != StatusTimedOut || !x.StopDate.Equal(t0.Add(10*time.Second)) {
		t.Errorf("status %s stop %v", x.Status, x.StopDate)
	}
}

// A Map state without ResultWriter gathers every iteration's or child's
// output into its result, which is capped at 256 KiB like any state result,
// before Output can reduce it: 300 outputs of 1 KiB fail with
// States.DataLimitExceeded (not caught by States.ALL), 200 pass.
func TestMapResultDataLimit(t *testing.T) {
	for _, mode := range []string{`"Mode": "INLINE"`, `"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"`} {
		def := `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {
		  "M": {"Type": "Map", "Items": "{% $states.input %}", "Output": "{% $count($states.result) %}",
		    "ItemProcessor": {"ProcessorConfig": {` + mode + `}, "StartAt": "Pad", "States": {
		      "Pad": {"Type": "Pass", "Output": "{% $pad('', 1024, 'x') %}", "End": true}}},
		    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
		  "Caught": {"Type": "Pass", "End": true}}}`
		items := func(n int) []any { return make([]any, n) }
		x := runDef(t, newExec(nil), def, items(300))
		wantFailed(t, x, ErrDataLimitExceeded)
		if want := "The state/task 'M' returned a result with a size exceeding the maximum number of bytes service limit."; x.Cause != want {
			t.Errorf("%s: cause %q, want %q", mode, x.Cause, want)
		}
		x = runDef(t, newExec(nil), def, items(200))
		wantSucceeded(t, x)
		wantJSON(t, mode+" output", x.Output, `200`)
	}
}
