package asl

import (
	"errors"
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

// Every JSONata expression is parsed at Register, reached or not, and the
// definition is refused as CreateStateMachine refuses it; messages and
// locations as AWS reports them (floci-io/floci #2670, #2745, #2786).
func TestRegisterChecksEveryJSONataExpression(t *testing.T) {
	pass := func(output string) string {
		return `{"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Pass", "Output": ` + output + `, "End": true}}}`
	}
	mapWith := func(fields string) string {
		return `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", ` + fields + `,
			"ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}}`
	}
	cases := []struct {
		name, def, code, msg, loc string
	}{
		{"syntax error", pass(`{"v": "{% phone[1,2) %}"}`), CodeInvalidJSONata, `Expected "]", got ","`, "/States/E/Output/v"},
		{"unterminated string", pass(`"{% \"unterminated %}"`), CodeInvalidJSONata, "String literal must be terminated by a matching quote", "/States/E/Output"},
		{"unexpected end", pass(`"{% 1 + %}"`), CodeInvalidJSONata, "Unexpected end of expression", "/States/E/Output"},
		{"empty expression", pass(`"{% %}"`), CodeInvalidJSONata, "Unexpected end of expression", "/States/E/Output"},
		{"unary symbol", pass(`"{% {\"a\":} %}"`), CodeInvalidJSONata, `The symbol "}" cannot be used as a unary operator`, "/States/E/Output"},
		{"regex", pass(`"{% $match(\"a\", /abc %}"`), CodeInvalidJSONata, "No terminating / in regular expression", "/States/E/Output"},
		{"top-level name", pass(`{"v": "{% phone %}"}`), CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/E/Output/v"},
		{"nested array element", pass(`{"a": {"b": ["{% phone %}"]}}`), CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/E/Output/a/b[0]"},
		{"context item", pass(`{"v": "{% $.phone %}"}`), CodeUnsupportedJSONata, "Reference to '$' at the top level is not supported.", "/States/E/Output/v"},
		{"root", pass(`"{% $$ %}"`), CodeUnsupportedJSONata, "Reference to '$$' is not supported.", "/States/E/Output"},
		{"object key", pass(`"{% {aaa: 1} %}"`), CodeUnsupportedJSONata, "Reference to 'aaa' at the top level is not supported.", "/States/E/Output"},
		{"lambda body", pass(`"{% $map($states.input.a, function($x){ b }) %}"`), CodeUnsupportedJSONata, "Reference to 'b' at the top level is not supported.", "/States/E/Output"},
		{"errorOutput outside a Catcher", pass(`"{% $states.errorOutput %}"`), CodeUnsupportedJSONata, "Field '$states.errorOutput' does not exist.", "/States/E/Output"},
		{"Assign", `{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
			"A": {"Type": "Pass", "Assign": {"phone": 1}, "Next": "E"},
			"E": {"Type": "Pass", "Assign": {"Next": "{% phone %}"}, "End": true}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/E/Assign/Next"},
		{"Choice condition", `{"QueryLanguage": "JSONata", "StartAt": "C", "States": {
			"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "E"}, {"Condition": "{% phone = 1 %}", "Next": "E"}], "Default": "E"},
			"E": {"Type": "Pass", "End": true}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/C/Choices[1]/Condition"},
		{"Wait Seconds", `{"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Wait", "Seconds": "{% phone %}", "End": true}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/E/Seconds"},
		{"Fail Cause", `{"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Fail", "Error": "X", "Cause": "{% phone %}"}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/E/Cause"},
		{"Map Items", mapWith(`"Items": "{% phone %}"`), CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/M/Items"},
		{"Map ItemSelector", mapWith(`"ItemSelector": {"Next": "{% 1 + %}"}`), CodeInvalidJSONata, "Unexpected end of expression", "/States/M/ItemSelector/Next"},
		{"inline Map ToleratedFailureCount", mapWith(`"ToleratedFailureCount": "{% n %}"`), CodeUnsupportedJSONata, "Reference to 'n' at the top level is not supported.", "/States/M/ToleratedFailureCount"},
		{"ItemProcessor state", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "Items": "{% $states.input.a %}",
			"ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Output": {"v": "{% phone %}"}, "End": true}}}, "End": true}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/M/ItemProcessor/States/I/Output/v"},
		{"Distributed Map reader and batcher", `{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map",
			"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Arguments": {"Bucket": "b"}},
			"ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"Comment": "{% phone %}"}},
			"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/M/ItemBatcher/BatchInput/Comment"},
		{"Parallel branch", `{"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
			"Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}, {"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": {"v": "{% phone %}"}, "End": true}}}]}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/P/Branches[1]/States/B/Output/v"},
		{"Catch Output", `{"QueryLanguage": "JSONata", "StartAt": "E", "States": {
			"E": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Arguments": {},
				"Catch": [{"ErrorEquals": ["States.ALL"], "Output": {"v": "{% phone %}"}, "Next": "F"}], "End": true},
			"F": {"Type": "Pass", "End": true}}}`,
			CodeUnsupportedJSONata, "Reference to 'phone' at the top level is not supported.", "/States/E/Catch[0]/Output/v"},
		{"Task Arguments never reached", `{"QueryLanguage": "JSONata", "StartAt": "C", "States": {
			"C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Done"}], "Default": "T"},
			"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Arguments": {"Bucket": "{% $states.input.b ~> %}"}, "End": true},
			"Done": {"Type": "Succeed"}}}`,
			CodeInvalidJSONata, "Unexpected end of expression", "/States/T/Arguments/Bucket"},
	}
	for _, c := range cases {
		err := newExec(nil).Register(mainARN, c.def, TypeStandard)
		var de *DefinitionError
		if !errors.As(err, &de) {
			t.Errorf("%s: error %v, want a *DefinitionError", c.name, err)
			continue
		}
		if de.Code != c.code || de.Message != c.msg || de.Location != c.loc {
			t.Errorf("%s: got %s / %q / %s, want %s / %q / %s", c.name, de.Code, de.Message, de.Location, c.code, c.msg, c.loc)
		}
	}
	wantMsg := `Invalid State Machine Definition: 'UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. at /States/E/Output/v'`
	if err := newExec(nil).Register(mainARN, pass(`{"v": "{% phone[0] %}"}`), TypeStandard); err == nil || !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("error %v, want it to contain %s", err, wantMsg)
	}

	accepted := []string{
		pass(`{"v": "{% $states.input.phone %}"}`),
		pass(`{"v": "{% $states.input.items[phone > 3] %}"}`),
		pass(`{"v": "{% $map($states.input.a, function($x){ $x.phone }) %}"}`),
		pass(`{"v": "{% $phone %}", "w": "{% $states.input.(phone) %}", "x": "{% ($y := 1; $y) %}"}`),
		`{"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Pass", "Comment": "{% phone %}", "End": true}}}`,
		`{"QueryLanguage": "JSONata", "StartAt": "E", "States": {
			"E": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Arguments": {},
				"Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Assign": {"e": "{% $states.errorOutput.Cause %}"}, "Next": "F"}], "End": true},
			"F": {"Type": "Pass", "End": true}}}`,
	}
	for i, def := range accepted {
		if err := newExec(nil).Register(mainARN, def, TypeStandard); err != nil {
			t.Errorf("accepted[%d]: %v", i, err)
		}
	}
}
