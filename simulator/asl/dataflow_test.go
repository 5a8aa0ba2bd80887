package asl

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The JSONPath-to-JSONata conversion example of "Transforming data with
// JSONata in Step Functions": given input {"title": "Doctor"} and variable
// customerName = "María", Arguments produce
// {"static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName"}.
func TestDocExampleArgumentsConversion(t *testing.T) {
	s := newStub().on("dynamodb:getItem", func(_ context.Context, args map[string]any) (any, error) {
		return args, nil
	})
	ex := newExec(s)
	x := runDef(t, ex, `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Init",
	  "States": {
	    "Init": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "Task"},
	    "Task": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
	      "Arguments": {
	        "static": "Hello",
	        "title": "{% $states.input.title %}",
	        "name": "{% $customerName %}",
	        "not-evaluated": "$customerName"
	      },
	      "End": true
	    }
	  }
	}`, map[string]any{"title": "Doctor"})
	wantSucceeded(t, x)
	want := `{"static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName"}`
	wantJSON(t, "arguments", s.callsTo("dynamodb:getItem")[0].Args, want)
	// Output defaults to $states.result for a Task.
	wantJSON(t, "output", x.Output, want)
}

// Functions Step Functions adds to JSONata, with the outputs the guide
// documents for them: $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) and
// $range(0, 10, 2) (in Assign, as the guide's examples are).
func TestDocExampleStepFunctionsFunctions(t *testing.T) {
	x := runDef(t, newExec(nil), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "P",
	  "States": {
	    "P": {"Type": "Pass", "Next": "Q", "Assign": {
	      "arrayPartition": "{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}",
	      "evenNumbers": "{% $range(0, 10, 2) %}",
	      "parsed": "{% $parse('{\"a\": [1, true]}') %}"}},
	    "Q": {"Type": "Pass", "End": true, "Output": {"partition": "{% $arrayPartition %}", "range": "{% $evenNumbers %}", "parsed": "{% $parsed %}"}}
	  }
	}`, nil)
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{"partition": [[1,2,3],[4,5,6],[7,8,9]], "range": [0,2,4,6,8,10], "parsed": {"a": [1, true]}}`)
}

// Whole-string templates only; objects and arrays walked recursively;
// strings that are not exactly "{% ... %}" stay literal.
func TestTemplatesAndLiterals(t *testing.T) {
	x := runDef(t, newExec(nil), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "P",
	  "States": {"P": {"Type": "Pass", "End": true, "Output": {
	    "constant_null": null, "constant_int": 0, "constant_bool": false,
	    "not_jsonata": " {% $states.input %} ",
	    "dollar": "$states.input",
	    "nested": {"list": [1, "{% $states.input.n * 2 %}", {"deep": "{% $uppercase($states.input.s) %}"}]},
	    "whole": "{% $states.input %}"
	  }}}
	}`, map[string]any{"n": 21, "s": "abc"})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{
	  "constant_null": null, "constant_int": 0, "constant_bool": false,
	  "not_jsonata": " {% $states.input %} ", "dollar": "$states.input",
	  "nested": {"list": [1, 42, {"deep": "ABC"}]},
	  "whole": {"n": 21, "s": "abc"}}`)
}

// Default outputs: Pass, Wait and Succeed pass their input through; a whole
// Output expression replaces it.
func TestDefaultOutputs(t *testing.T) {
	x := runDef(t, newExec(nil), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "P",
	  "States": {
	    "P": {"Type": "Pass", "Next": "W"},
	    "W": {"Type": "Wait", "Seconds": 0, "Next": "O"},
	    "O": {"Type": "Pass", "Output": "{% $states.input.a %}", "Next": "S"},
	    "S": {"Type": "Succeed"}
	  }
	}`, map[string]any{"a": []any{1.0, 2.0}})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `[1, 2]`)
}

// Assign and Output both see the variables as they were when the state was
// entered, and $states.result; the new values are visible from the next state.
func TestAssignUsesPreStateValues(t *testing.T) {
	s := newStub().on("s3:headObject", func(_ context.Context, args map[string]any) (any, error) {
		return map[string]any{"ContentLength": 7.0}, nil
	})
	x := runDef(t, newExec(s), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "A",
	  "States": {
	    "A": {"Type": "Pass", "Assign": {"x": 1, "y": 10}, "Next": "B"},
	    "B": {"Type": "Pass",
	          "Assign": {"x": "{% $x + 1 %}", "y": "{% $x %}", "swapped": "{% [$y, $x] %}"},
	          "Output": {"xSeenByOutput": "{% $x %}"}, "Next": "T"},
	    "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
	          "Arguments": {"Bucket": "b", "Key": "k"},
	          "Assign": {"len": "{% $states.result.ContentLength %}", "xAtT": "{% $x %}"},
	          "Output": {"len": "{% $states.result.ContentLength %}", "prev": "{% $states.input %}", "lenVar": "{% $exists($len) %}"},
	          "Next": "C"},
	    "C": {"Type": "Pass", "End": true,
	          "Output": {"x": "{% $x %}", "y": "{% $y %}", "swapped": "{% $swapped %}", "len": "{% $len %}", "xAtT": "{% $xAtT %}", "fromT": "{% $states.input %}"}}
	  }
	}`, nil)
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{"x": 2, "y": 1, "swapped": [10, 1], "len": 7, "xAtT": 2,
	  "fromT": {"len": 7, "prev": {"xSeenByOutput": 1}, "lenVar": false}}`)
}

func TestContextObject(t *testing.T) {
	ex := newExec(nil, WithRoleArn("arn:aws:iam::123456789012:role/R"))
	mustRegister(t, ex, mainARN, `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "W",
	  "States": {
	    "W": {"Type": "Wait", "Seconds": 90, "Next": "P"},
	    "P": {"Type": "Pass", "End": true, "Output": "{% $states.context %}"}
	  }
	}`, TypeStandard)
	x, err := ex.Start(context.Background(), mainARN, "run-1", map[string]any{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, x)
	wantJSON(t, "context", x.Output, `{
	  "Execution": {"Id": "arn:aws:states:eu-west-1:123456789012:execution:Main:run-1", "Input": {"k": "v"},
	                "Name": "run-1", "RoleArn": "arn:aws:iam::123456789012:role/R",
	                "StartTime": "2026-11-24T03:04:05.000Z", "RedriveCount": 0},
	  "StateMachine": {"Id": "arn:aws:states:eu-west-1:123456789012:stateMachine:Main", "Name": "Main"},
	  "State": {"Name": "P", "EnteredTime": "2026-11-24T03:05:35.000Z"}}`) // no RetryCount on a Pass state, as on AWS
}

func TestChoice(t *testing.T) {
	def := `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "C",
	  "States": {
	    "C": {"Type": "Choice",
	          "Choices": [
	            {"Condition": "{% $states.input.n > 10 %}", "Next": "Big", "Assign": {"kind": "big"}},
	            {"Condition": "{% $states.input.n > 5 %}", "Next": "Medium", "Output": {"m": "{% $states.input.n %}"}}
	          ],
	          "Default": "Small", "Assign": {"kind": "default"}},
	    "Big": {"Type": "Pass", "Output": "{% $kind %}", "End": true},
	    "Medium": {"Type": "Pass", "End": true},
	    "Small": {"Type": "Pass", "Output": "{% $kind %}", "End": true}
	  }
	}`
	ex := newExec(nil)
	mustRegister(t, ex, mainARN, def, TypeStandard)
	for _, c := range []struct {
		n    float64
		want string
	}{{20, `"big"`}, {7, `{"m": 7}`}, {1, `"default"`}} {
		x := start(t, ex, mainARN, map[string]any{"n": c.n})
		wantSucceeded(t, x)
		wantJSON(t, "output", x.Output, c.want)
	}

	// No rule matches and no Default: States.NoChoiceMatched.
	x := runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "C", "States": {
	  "C": {"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "X"}]},
	  "X": {"Type": "Succeed"}}}`, nil)
	wantFailed(t, x, ErrNoChoiceMatched)

	// A non-boolean condition is a query evaluation error.
	x = runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "C", "States": {
	  "C": {"Type": "Choice", "Choices": [{"Condition": "{% 'yes' %}", "Next": "X"}]},
	  "X": {"Type": "Succeed"}}}`, nil)
	wantFailed(t, x, ErrQueryEvaluation)
}

// Wait does not really wait: it advances the execution's simulated clock.
func TestWaitAdvancesSimulatedClock(t *testing.T) {
	began := time.Now()
	x := runDef(t, newExec(nil), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "W1",
	  "States": {
	    "W1": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Next": "W2"},
	    "W2": {"Type": "Wait", "Timestamp": "2026-11-25T00:00:00Z", "Next": "W3"},
	    "W3": {"Type": "Wait", "Timestamp": "2020-01-01T00:00:00Z", "Next": "P"},
	    "P": {"Type": "Pass", "Output": "{% $states.context.State.EnteredTime %}", "End": true}
	  }
	}`, map[string]any{"s": 3600})
	wantSucceeded(t, x)
	if time.Since(began) > 5*time.Second {
		t.Errorf("Wait slept for real")
	}
	wantJSON(t, "output", x.Output, `"2026-11-25T00:00:00.000Z"`)
	if want := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC); !x.StopDate.Equal(want) {
		t.Errorf("StopDate = %v, want %v", x.StopDate, want)
	}
}

func TestFailWithJSONataErrorAndCause(t *testing.T) {
	x := runDef(t, newExec(nil), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "F",
	  "States": {"F": {"Type": "Fail", "Error": "{% 'Export.' & $states.input.status %}", "Cause": "{% 'task ' & $states.input.id & ' failed' %}"}}
	}`, map[string]any{"status": "FAILED", "id": "e-1"})
	wantFailed(t, x, "Export.FAILED")
	if x.Cause != "task e-1 failed" {
		t.Errorf("cause %q", x.Cause)
	}
	x = runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Literal", "Cause": "plain"}}}`, nil)
	wantFailed(t, x, "Literal")
}

// QueryLanguage may be set per state instead of at the top.
func TestPerStateQueryLanguage(t *testing.T) {
	x := runDef(t, newExec(nil), `{
	  "StartAt": "P",
	  "States": {"P": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input + 1 %}", "End": true}}
	}`, 41)
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `42`)
}

func TestParallel(t *testing.T) {
	x := runDef(t, newExec(nil, WithHistory(true)), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Init",
	  "States": {
	    "Init": {"Type": "Pass", "Assign": {"base": 100}, "Next": "Both"},
	    "Both": {"Type": "Parallel", "Arguments": {"v": "{% $states.input.v %}"},
	      "Branches": [
	        {"StartAt": "L", "States": {"L": {"Type": "Pass", "Output": "{% $base + $states.input.v %}", "End": true}}},
	        {"StartAt": "R", "States": {"R": {"Type": "Wait", "Seconds": 5, "Next": "R2"}, "R2": {"Type": "Pass", "Assign": {"base": 0}, "Output": "{% $base * 2 %}", "End": true}}}
	      ],
	      "Output": {"results": "{% $states.result %}", "base": "{% $base %}"},
	      "End": true}
	  }
	}`, map[string]any{"v": 1})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{"results": [101, 200], "base": 100}`)
	if d := x.StopDate.Sub(x.StartDate); d != 5*time.Second {
		t.Errorf("duration %v, want 5s (the slower branch)", d)
	}
	// A failing branch fails the Parallel state with the branch's own error.
	x = runDef(t, newExec(nil), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Both",
	  "States": {
	    "Both": {"Type": "Parallel", "Branches": [
	        {"StartAt": "L", "States": {"L": {"Type": "Fail", "Error": "Custom.Error", "Cause": "left"}}},
	        {"StartAt": "R", "States": {"R": {"Type": "Pass", "End": true}}}
	      ],
	      "Catch": [{"ErrorEquals": ["Custom.Error"], "Next": "Caught"}], "End": true},
	    "Caught": {"Type": "Pass", "End": true}
	  }
	}`, nil)
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{"Error": "Custom.Error", "Cause": "left"}`)
}

// The fields of one state go to JSONata in one request; a failure is still
// reported for the right field, and an ItemSelector failure for the right
// item.
func TestEvaluationErrorsNameTheField(t *testing.T) {
	x := runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
	  "Output": {"a": "{% $states.input.a %}", "b": "{% $states.input.b %}", "c": "{% $states.input.a + 1 %}"}}}}`, map[string]any{"a": 1})
	wantFailed(t, x, ErrQueryEvaluation)
	if !strings.Contains(x.Cause, "'$states.input.b' specified for the field 'Output/b' returned nothing") {
		t.Errorf("cause %q", x.Cause)
	}
	x = runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
	  "ItemSelector": {"k": "{% $states.context.Map.Item.Value.k %}", "i": "{% $states.context.Map.Item.Index %}"},
	  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}`,
		[]any{map[string]any{"k": 1}, map[string]any{"k": 2}, map[string]any{"nok": 3}})
	wantFailed(t, x, ErrQueryEvaluation)
	if !strings.Contains(x.Cause, "ItemSelector (item 2)/k") {
		t.Errorf("cause %q", x.Cause)
	}
	// A selector over one item (the $map result is then not an array).
	x = runDef(t, newExec(nil), `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
	  "ItemSelector": "{% {'k': $states.context.Map.Item.Value, 'n': $count($states.input)} %}",
	  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}`, []any{"only"})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `[{"k": "only", "n": 1}]`)
}
