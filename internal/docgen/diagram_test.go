package docgen

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMermaidID(t *testing.T) {
	cases := []struct{ in, want string }{
		{"export Read event", "export_Read_event"},
		{"copy Is a configured source?", "copy_Is_a_configured_source"},
		{"Export finished?", "Export_finished"},
		{"  leading and trailing  ", "leading_and_trailing"},
		{"a--b__c..d", "a_b_c_d"},
		{"Copy (large) files: > 1 GiB", "Copy_large_files_1_GiB"},
		{"3 retries", "n3_retries"},
		{"", "n"},
		{"?!", "n"},
		{"Café crème", "Caf_cr_me"},
		{"end", "end_"},
		{"End", "End_"},
		{"class", "class_"},
		{"subgraph", "subgraph_"},
		{"ending", "ending"},
		{`quote"d`, "quote_d"},
	}
	for _, tc := range cases {
		if got := MermaidID(tc.in); got != tc.want {
			t.Errorf("MermaidID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestQuote(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Read event", `"Read event"`},
		{`say "hi"`, `"say #quot;hi#quot;"`},
		{"a <b>", `"a #lt;b#gt;"`},
	}
	for _, tc := range cases {
		if got := quote(tc.in); got != tc.want {
			t.Errorf("quote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// definition is a state machine's DefinitionString as CDK synthesizes it: a
// Fn::Join of literal parts and references.
func definition(parts ...any) map[string]any {
	return map[string]any{"Fn::Join": []any{"", parts}}
}

func machineResource(path string, def map[string]any) map[string]any {
	return map[string]any{
		"Type":       "AWS::StepFunctions::StateMachine",
		"Properties": map[string]any{"DefinitionString": def, "StateMachineType": "STANDARD"},
		"Metadata":   map[string]any{"aws:cdk:path": "Stack/" + path + "/Resource"},
	}
}

// miniTemplate is the smallest template Diagram draws: a rule starting an
// export machine that exports into a bucket and starts a copy machine,
// whose Distributed Map reads the bucket and starts the multipart machine.
var miniMachines = Machines{Export: "ExportSM", Copy: "CopyMachine", Multipart: "PartsMachine"}

func miniTemplate() map[string]any {
	export := definition(`{"StartAt":"Start export","States":{`+
		`"Start export":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:rds:startExportTask","Arguments":{"S3BucketName":"`, map[string]any{"Ref": "Bucket1"}, `"},"Next":"Done?","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Failed"}]},`+
		`"Done?":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"Copy"}],"Default":"Failed"},`+
		`"Copy":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Arguments":{"StateMachineArn":"`, map[string]any{"Ref": "CopyMachine"}, `"},"End":true},`+
		`"Failed":{"Type":"Fail"}}}`)
	copyDef := definition(`{"StartAt":"Copy files","States":{`+
		`"Copy files":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Arguments":{"Bucket":"`, map[string]any{"Ref": "Bucket1"}, `"}},`+
		`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"end","States":{`+
		`"end":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:copyObject","Arguments":{"Bucket":"dest-bucket"},"Next":"Big"},`+
		`"Big":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Arguments":{"StateMachineArn":"`, map[string]any{"Ref": "PartsMachine"}, `"},"End":true}}},`+
		`"Next":"Copied"},"Copied":{"Type":"Succeed"}}}`)
	parts := definition(`{"StartAt":"Copy part","States":{"Copy part":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:uploadPartCopy","Arguments":{"Bucket":"dest-bucket"},"End":true}}}`)
	return map[string]any{"Resources": map[string]any{
		"Bucket1":      map[string]any{"Type": "AWS::S3::Bucket"},
		"ExportSM":     machineResource("RdsExport/StateMachine", export),
		"CopyMachine":  machineResource("S3Copy/StateMachine", copyDef),
		"PartsMachine": machineResource("S3Copy/Multipart/StateMachine", parts),
		"Rule": map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{
			"EventPattern": map[string]any{"source": []any{"aws.rds"}},
			"Targets":      []any{map[string]any{"Arn": map[string]any{"Ref": "ExportSM"}}},
		}},
	}}
}

func TestDiagram_drawsStatesTransitionsAndAccounts(t *testing.T) {
	got, err := Diagram(miniTemplate(), miniMachines)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{
		"flowchart TB",
		`subgraph export["Export state machine · Standard"]`,
		`export_Start_export["Start export"]`,
		`export_Done{"Done?"}`,
		`export_Failed(["Failed"])`,
		`subgraph copy_Copy_files["Copy files · Distributed Map, Express children"]`,
		`copy_end["end"]`, // a state named "end" gets a safe id
		`rds -.->|"snapshot created event"| snapshot_rule`,
		`snapshot_rule ==>|"StartExecution"| export_Start_export`,
		`export_Start_export --> export_Done`,
		`export_Start_export -.->|"catch"| export_Failed`,
		`export_Done --> export_Copy`,
		`export_Done -->|"otherwise"| export_Failed`,
		`export_Start_export -->|"StartExportTask"| rds`,
		`rds -->|"export (Parquet)"| staging_bucket`,
		`export_Copy ==>|"StartExecution.sync:2"| copy_Copy_files`,
		`staging_bucket -.->|"ListObjectsV2"| copy_Copy_files`,
		`copy_end --> copy_Big`,
		`copy_end -->|"CopyObject"| destination_bucket`,
		`copy_Big ==>|"StartExecution.sync:2"| multipart_Copy_part`,
		`multipart_Copy_part -->|"UploadPartCopy"| destination_bucket`,
		`copy_Copy_files --> copy_Copied`,
		`class export_Failed fail`,
		`class copy_Copied succeed`,
	} {
		if !lines[want] {
			t.Errorf("diagram has no line %q:\n%s", want, got)
		}
	}
	again, err := Diagram(miniTemplate(), miniMachines)
	if err != nil || again != got {
		t.Errorf("a second drawing differs (err %v)", err)
	}
}

func TestDiagram_refusesWhatItCannotDraw(t *testing.T) {
	cases := []struct {
		name   string
		change func(res map[string]any)
		want   string
	}{
		{"a missing state machine", func(res map[string]any) {
			delete(res, "PartsMachine")
		}, `no state machine "PartsMachine" (Multipart state machine)`},
		{"no rule", func(res map[string]any) {
			delete(res, "Rule")
		}, "want one EventBridge rule"},
		{"a transition to no state", func(res map[string]any) {
			res["PartsMachine"] = machineResource("S3Copy/Multipart/StateMachine",
				definition(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`))
		}, `goes to "B", which is no state`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tpl := miniTemplate()
			tc.change(tpl["Resources"].(map[string]any))
			_, err := Diagram(tpl, miniMachines)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMiniTemplate_isJSON(t *testing.T) {
	// The test template must survive a JSON round trip, as synthesized
	// templates do.
	b, err := json.Marshal(miniTemplate())
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	if _, err := Diagram(tpl, miniMachines); err != nil {
		t.Fatal(err)
	}
}
