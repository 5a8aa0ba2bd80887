package asl

import (
	"context"
	"strings"
	"testing"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

const jsonReaderDef = `{
  "QueryLanguage": "JSONata",
  "StartAt": "Read",
  "States": {
    "Read": {
      "Type": "Map",
      "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                     "ReaderConfig": {"InputType": "JSON", "ItemsPointer": "/perTableStatus"},
                     "Arguments": {"Bucket": "b", "Key": "{% $states.input.key %}"}},
      "ItemBatcher": {"MaxItemsPerBatch": 2},
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Names", "States": {"Names": {"Type": "Pass", "Output": "{% $states.input.Items.target %}", "End": true}}
      },
      "End": true
    }
  }
}`

// A JSON ItemReader reads the array at ItemsPointer of the object's JSON.
func TestDistributedMapJSONItemReader(t *testing.T) {
	body := `{"perTableStatus": [{"target": "a"}, {"target": "b"}, {"target": "c"}]}`
	s := newStub().on("s3:getObject", func(_ context.Context, args map[string]any) (any, error) {
		if args["Key"] != "info.json" {
			return nil, awserr.New("S3.NoSuchKeyException", "no such key")
		}
		return map[string]any{"Body": body}, nil
	})
	x := runDef(t, newExec(s), jsonReaderDef, map[string]any{"key": "info.json"})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `[["a", "b"], "c"]`)

	// a missing object, or no array at the pointer, fails the Map with States.ItemReaderFailed
	x = runDef(t, newExec(s), jsonReaderDef, map[string]any{"key": "missing.json"})
	if x.Error != ErrItemReaderFailed || !strings.Contains(x.Cause, "S3.NoSuchKeyException") {
		t.Errorf("missing object: %s %s", x.Error, x.Cause)
	}
	body = `{"tables": []}`
	x = runDef(t, newExec(s), jsonReaderDef, map[string]any{"key": "info.json"})
	if x.Error != ErrItemReaderFailed || !strings.Contains(x.Cause, `no array at "/perTableStatus"`) {
		t.Errorf("no array: %s %s", x.Error, x.Cause)
	}
}

func TestJSONItemReader_configRefusedWhereItDoesNotApply(t *testing.T) {
	for name, def := range map[string]string{
		"InputType on a listing": strings.Replace(jsonReaderDef, `"arn:aws:states:::s3:getObject"`, `"arn:aws:states:::s3:listObjectsV2"`, 1),
		"CSV":                    strings.Replace(jsonReaderDef, `"InputType": "JSON"`, `"InputType": "CSV"`, 1),
		"pointer without slash":  strings.Replace(jsonReaderDef, `"/perTableStatus"`, `"perTableStatus"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if err := newExec(newStub()).Register(mainARN, []byte(def), TypeStandard); err == nil {
				t.Fatal("registered")
			} else if !strings.Contains(err.Error(), "ItemReader") {
				t.Fatalf("refused for another reason: %v", err)
			}
		})
	}
}
