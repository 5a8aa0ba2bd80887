package asl

import (
	"strings"
	"testing"
)

func TestRegisterValidation(t *testing.T) {
	ok := `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`
	cases := []struct {
		name, def, typ, want string
	}{
		{"not JSON", `{`, TypeStandard, "not a JSON object"},
		{"no StartAt", `{"States": {"P": {"Type": "Pass", "End": true}}}`, TypeStandard, "StartAt is required"},
		{"bad StartAt", `{"QueryLanguage": "JSONata", "StartAt": "X", "States": {"P": {"Type": "Pass", "End": true}}}`, TypeStandard, `StartAt "X" is not a state`},
		{"JSONPath", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`, TypeStandard, `state "P": QueryLanguage is JSONPath`},
		{"JSONPath field", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {}, "End": true}}}`, TypeStandard, `state "P": field Parameters is not allowed in a JSONata state`},
		{"unknown Next", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"}}}`, TypeStandard, `state "P": transition to unknown state "Q"`},
		{"no Next nor End", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass"}}}`, TypeStandard, `state "P": needs Next`},
		{"unreachable", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}, "Q": {"Type": "Pass", "End": true}}}`, TypeStandard, `state "Q": not reachable`},
		{"unknown type", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Lambda", "End": true}}}`, TypeStandard, `state "P": unknown Type "Lambda"`},
		{"unsupported resource", `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:1:function:f", "End": true}}}`, TypeStandard, `state "T": unsupported Resource`},
		{"ALL not last", `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
			"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "T"}, {"ErrorEquals": ["X"], "Next": "T"}], "End": true}}}`, TypeStandard, `state "T": Catch[0]: a States.ALL Retrier or Catcher must be the last one`},
		{"ALL not alone", `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
			"Retry": [{"ErrorEquals": ["States.ALL", "X"]}], "End": true}}}`, TypeStandard, `state "T": Retry[0]: States.ALL must appear alone`},
		{"bad BackoffRate", `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
			"Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}], "End": true}}}`, TypeStandard, `BackoffRate must be a number >= 1.0`},
		{"Retry on Pass", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Retry": [], "End": true}}}`, TypeStandard, `state "P": field Retry is not allowed in a Pass state`},
		{"duplicate nested name", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
			"ItemProcessor": {"StartAt": "M", "States": {"M": {"Type": "Pass", "End": true}}}}}}`, TypeStandard, `state "M": name already used`},
		{"nested error names the state", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
			"ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Wait", "End": true}}}}}}`, TypeStandard, `state "Inner": exactly one of Seconds and Timestamp`},
		{"sync in express", `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": true}}}`, TypeExpress, `not supported in EXPRESS`},
		{"sync in express child", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
			"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "T", "States": {
			"T": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync", "End": true}}}}}}`, TypeStandard, `state "T": resource`},
		{"reader inline", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
			"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Arguments": {"Bucket": "b"}},
			"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}`, TypeStandard, `ItemReader is only supported by a DISTRIBUTED Map`},
		{"no ExecutionType", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
			"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}`, TypeStandard, `ExecutionType must be STANDARD or EXPRESS`},
		{"unsupported reader", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
			"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": "b", "Key": "k"}},
			"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}`, TypeStandard, `ItemReader.Resource "arn:aws:states:::s3:getObject" is not supported`},
		{"bad variable", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"a-b": 1}, "End": true}}}`, TypeStandard, `invalid variable name "a-b"`},
		{"choice without Condition", `{"QueryLanguage": "JSONata", "StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "Next": "P"}]}, "P": {"Type": "Pass", "End": true}}}`, TypeStandard, `state "C": Choices[0]: field Variable is not allowed`},
	}
	for _, c := range cases {
		ex := newExec(nil)
		err := ex.Register(mainARN, c.def, c.typ)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	ex := newExec(nil)
	if err := ex.Register(mainARN, ok, TypeStandard); err != nil {
		t.Errorf("valid definition: %v", err)
	}
	if err := ex.Register("arn:aws:lambda:x", ok, TypeStandard); err == nil {
		t.Errorf("bad ARN accepted")
	}
	if err := ex.Register(mainARN, ok, "FAST"); err == nil {
		t.Errorf("bad type accepted")
	}
	if err := ex.Register(mainARN, map[string]any{"QueryLanguage": "JSONata", "StartAt": "P",
		"States": map[string]any{"P": map[string]any{"Type": "Pass", "End": true}}}, TypeExpress); err != nil {
		t.Errorf("map definition: %v", err)
	}
}
