package asl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// Inline Map: outer variables are readable, an iteration's Assign stays in
// the iteration, results are in item order whatever the concurrency, and
// ItemSelector sees $states.context.Map.Item.
func TestInlineMapScopingAndOrder(t *testing.T) {
	var inFlight, maxInFlight atomic.Int64
	s := newStub().on("s3:headObject", func(_ context.Context, args map[string]any) (any, error) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		return map[string]any{"Key": args["Key"]}, nil
	})
	items := make([]any, 30)
	for i := range items {
		items[i] = fmt.Sprintf("k%02d", i)
	}
	x := runDef(t, newExec(s), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Init",
	  "States": {
	    "Init": {"Type": "Pass", "Assign": {"prefix": "data/", "counter": 0}, "Next": "Each"},
	    "Each": {"Type": "Map", "MaxConcurrency": 4,
	      "Items": "{% $states.input.keys %}",
	      "ItemSelector": {"key": "{% $states.context.Map.Item.Value %}", "index": "{% $states.context.Map.Item.Index %}", "bucket": "{% $states.input.bucket %}"},
	      "ItemProcessor": {"StartAt": "Head", "States": {
	        "Head": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
	          "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "{% $prefix & $states.input.key %}"},
	          "Assign": {"counter": "{% $counter + 1 %}", "mine": "{% $states.input.index %}"},
	          "Next": "Done"},
	        "Done": {"Type": "Pass", "Output": {"i": "{% $mine %}", "key": "{% $states.input.Key %}", "counter": "{% $counter %}"}, "End": true}
	      }},
	      "Output": {"results": "{% $states.result %}", "counter": "{% $counter %}", "mineOutside": "{% $exists($mine) %}"},
	      "End": true}
	  }
	}`, map[string]any{"bucket": "b", "keys": items})
	wantSucceeded(t, x)
	out := x.Output.(map[string]any)
	if out["counter"] != 0.0 || out["mineOutside"] != false {
		t.Errorf("iteration variables leaked: %v %v", out["counter"], out["mineOutside"])
	}
	results := out["results"].([]any)
	for i, r := range results {
		m := r.(map[string]any)
		if m["i"] != float64(i) || m["key"] != fmt.Sprintf("data/k%02d", i) || m["counter"] != 1.0 {
			t.Fatalf("result %d = %v", i, m)
		}
	}
	if m := maxInFlight.Load(); m > 4 || m < 2 {
		t.Errorf("max concurrent iterations %d, want 2..4 (MaxConcurrency 4)", m)
	}
}

// A failing iteration fails the Map state with the iteration's own error.
func TestInlineMapFailure(t *testing.T) {
	x := runDef(t, newExec(nil, WithHistory(true)), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Each",
	  "States": {
	    "Each": {"Type": "Map", "MaxConcurrency": 1,
	      "ItemProcessor": {"StartAt": "C", "States": {
	        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input = 2 %}", "Next": "Boom"}], "Default": "Ok"},
	        "Boom": {"Type": "Fail", "Error": "Item.Bad", "Cause": "two"},
	        "Ok": {"Type": "Pass", "End": true}
	      }},
	      "Catch": [{"ErrorEquals": ["Item.Bad"], "Next": "Handled", "Output": "{% $states.errorOutput %}"}],
	      "End": true},
	    "Handled": {"Type": "Pass", "End": true}
	  }
	}`, []any{1.0, 2.0, 3.0})
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, `{"Error": "Item.Bad", "Cause": "two"}`)
	// MaxConcurrency 1: item 3 never starts after item 2 failed.
	wantEvents(t, x.ExecutionRecord,
		"ExecutionStarted", "MapStateEntered", "MapStateStarted",
		"MapIterationStarted", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
		"MapIterationStarted", "ChoiceStateEntered", "ChoiceStateExited", "FailStateEntered", "MapIterationFailed",
		"MapStateFailed", "MapStateExited",
		"PassStateEntered", "PassStateExited", "ExecutionSucceeded")
}

// s3Listing is an in-test S3 ListObjectsV2 with pagination (pageSize keys per
// page, continuation tokens, ISO LastModified and quoted ETags as the SDK
// integration returns them).
func s3Listing(keys []string, pageSize int) func(context.Context, map[string]any) (any, error) {
	return func(_ context.Context, args map[string]any) (any, error) {
		if args["Bucket"] != "export-bucket" {
			return nil, awserr.New("S3.NoSuchBucketException", "The specified bucket does not exist")
		}
		prefix, _ := args["Prefix"].(string)
		var match []string
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) {
				match = append(match, k)
			}
		}
		startAt := 0
		if tok, ok := args["ContinuationToken"].(string); ok {
			_, _ = fmt.Sscanf(tok, "tok-%d", &startAt)
		}
		end := min(startAt+pageSize, len(match))
		var contents []any
		for i := startAt; i < end; i++ {
			contents = append(contents, map[string]any{
				"Key": match[i], "Size": float64(100 + i), "ETag": fmt.Sprintf("\"etag%d\"", i),
				"LastModified": "2026-11-24T03:04:05Z", "StorageClass": "STANDARD",
			})
		}
		page := map[string]any{"Contents": contents, "KeyCount": float64(len(contents)), "IsTruncated": end < len(match)}
		if end < len(match) {
			page["NextContinuationToken"] = fmt.Sprintf("tok-%d", end)
		}
		return page, nil
	}
}

const distributedDef = `{
  "QueryLanguage": "JSONata",
  "StartAt": "Init",
  "States": {
    "Init": {"Type": "Pass", "Assign": {"dest": "analytics"}, "Next": "Copy"},
    "Copy": {
      "Type": "Map",
      "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                     "Arguments": {"Bucket": "{% $states.input.bucket %}", "Prefix": "{% $states.input.prefix %}"}},
      "ItemSelector": {"key": "{% $states.context.Map.Item.Value.Key %}", "size": "{% $states.context.Map.Item.Value.Size %}",
                       "etag": "{% $states.context.Map.Item.Value.Etag %}", "modified": "{% $states.context.Map.Item.Value.LastModified %}"},
      "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"dest": "{% $dest %}", "exportId": "{% $states.input.exportId %}"}},
      "MaxConcurrency": 3,
      "Label": "CopyRun",
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "CopyBatch",
        "States": {
          "CopyBatch": {"Type": "Map", "Items": "{% $states.input.Items %}",
            "ItemProcessor": {"StartAt": "CopyOne", "States": {
              "CopyOne": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
                "Arguments": {"Bucket": "{% $states.input.dest %}", "Key": "{% $states.input.key %}"}, "End": true}}},
            "ItemSelector": {"key": "{% $states.context.Map.Item.Value.key %}", "dest": "{% $states.input.BatchInput.dest %}"},
            "Output": {"copied": "{% $count($states.result) %}", "batch": "{% $states.input.BatchInput %}"},
            "End": true}
        }
      },
      "Output": {"batches": "{% $states.result %}"},
      "End": true
    }
  }
}`

// Distributed Map over the S3 ItemReader (paged by the executor itself) with
// ItemBatcher: each EXPRESS child gets {Items, BatchInput}; children do not
// see the parent's variables (BatchInput, evaluated in the parent, carries
// them).
func TestDistributedMapItemReaderBatcher(t *testing.T) {
	keys := []string{"exp/db/public.city/1/part-00000.gz.parquet", "exp/db/public.city/1/part-00001.gz.parquet",
		"exp/db/public.city/1/_SUCCESS", "exp/db/public.country/1/part-00000.gz.parquet", "exp/export_info_exp.json", "other/x"}
	var mu sync.Mutex
	copied := map[string]string{}
	s := newStub().on("s3:listObjectsV2", s3Listing(keys, 2)).
		on("s3:copyObject", func(_ context.Context, args map[string]any) (any, error) {
			mu.Lock()
			copied[args["Key"].(string)] = fmt.Sprint(args["Bucket"])
			mu.Unlock()
			return map[string]any{"CopyObjectResult": map[string]any{}}, nil
		})
	ex := newExec(s, WithHistory(true), WithChildPayloads(true))
	x := runDef(t, ex, distributedDef, map[string]any{"bucket": "export-bucket", "prefix": "exp/", "exportId": "exp"})
	wantSucceeded(t, x)
	// 5 keys under exp/ in pages of 2: 3 listObjectsV2 calls with tokens.
	lists := s.callsTo("s3:listObjectsV2")
	if len(lists) != 3 || lists[1].Args["ContinuationToken"] != "tok-2" || lists[2].Args["ContinuationToken"] != "tok-4" {
		t.Errorf("listObjectsV2 calls: %+v", lists)
	}
	if len(copied) != 5 || copied["exp/db/public.city/1/_SUCCESS"] != "analytics" {
		t.Errorf("copied %v", copied)
	}
	wantJSON(t, "output", x.Output, `{"batches": [
	  {"copied": 2, "batch": {"dest": "analytics", "exportId": "exp"}},
	  {"copied": 2, "batch": {"dest": "analytics", "exportId": "exp"}},
	  {"copied": 1, "batch": {"dest": "analytics", "exportId": "exp"}}]}`)
	wantEvents(t, x.ExecutionRecord, "ExecutionStarted", "PassStateEntered", "PassStateExited",
		"MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded", "MapStateExited",
		"ExecutionSucceeded")
	var children []ExecutionRecord
	for _, r := range ex.Executions() {
		if r.MapRunARN != "" {
			children = append(children, r)
		}
	}
	if len(children) != 3 {
		t.Fatalf("%d children, want 3", len(children))
	}
	first := children[0]
	if first.Type != TypeExpress || first.ParentARN != x.ExecutionARN || first.ExpressRequests != 1 || first.StateTransitions != 0 ||
		!strings.Contains(first.ExecutionARN, ":express:Main/CopyRun:") || !strings.Contains(first.MapRunARN, ":mapRun:Main/CopyRun:") {
		t.Errorf("child record %+v", first)
	}
	// The first batch, as the child received it: the item fields the S3
	// ItemReader yields (Etag with quotes, LastModified in epoch seconds).
	var batchOf0 any
	for _, c := range children {
		if in := c.Input.(map[string]any); in["Items"].([]any)[0].(map[string]any)["key"] == keys[0] {
			batchOf0 = in
		}
	}
	wantJSON(t, "first batch", batchOf0, `{"Items": [
	  {"key": "exp/db/public.city/1/part-00000.gz.parquet", "size": 100, "etag": "\"etag0\"", "modified": 1795489445},
	  {"key": "exp/db/public.city/1/part-00001.gz.parquet", "size": 101, "etag": "\"etag1\"", "modified": 1795489445}],
	  "BatchInput": {"dest": "analytics", "exportId": "exp"}}`)
	// Child history: ExecutionStarted, Map (Entered, Started), 2 iterations x
	// (MapIterationStarted, TaskStateEntered, TaskScheduled, TaskStarted,
	// TaskSucceeded, TaskStateExited, MapIterationSucceeded), MapStateSucceeded,
	// MapStateExited, ExecutionSucceeded = 1 + 2 + 14 + 2 + 1 = 20.
	if first.HistoryEvents != 20 && first.HistoryEvents != 13 {
		t.Errorf("child history %d events", first.HistoryEvents)
	}
	sum := ex.Summary()
	if sum.ExpressExecutions != 3 || sum.ExpressRequests != 3 || sum.StandardExecutions != 1 || sum.MapRuns != 1 || sum.MapRunChildren != 3 {
		t.Errorf("summary %+v", sum)
	}
	// Parent: Init + Copy entered = 2 billed transitions; children bill none.
	if sum.StateTransitions != 2 {
		t.Errorf("billed transitions %d, want 2", sum.StateTransitions)
	}
}

// A child referencing a parent variable sees nothing: its evaluation fails.
func TestDistributedChildrenDoNotSeeParentVariables(t *testing.T) {
	x := runDef(t, newExec(nil), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Init",
	  "States": {
	    "Init": {"Type": "Pass", "Assign": {"secret": 42}, "Next": "M"},
	    "M": {"Type": "Map", "Items": [1],
	      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
	        "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $secret %}", "End": true}}},
	      "End": true}
	  }
	}`, nil)
	wantFailed(t, x, ErrExceedToleratedFailure)
}

// ToleratedFailureCount / ToleratedFailurePercentage.
func TestToleratedFailures(t *testing.T) {
	def := func(tolerance string) string {
		return `{
		  "QueryLanguage": "JSONata",
		  "StartAt": "M",
		  "States": {
		    "M": {"Type": "Map", "Items": "{% $states.input %}", "MaxConcurrency": 1, ` + tolerance + `
		      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
		        "StartAt": "C", "States": {
		          "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.bad %}", "Next": "F"}], "Default": "Ok"},
		          "F": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"},
		          "Ok": {"Type": "Pass", "Output": "{% $states.input.n %}", "End": true}}},
		      "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Over"}],
		      "End": true},
		    "Over": {"Type": "Fail", "Error": "{% $states.input.Error %}", "Cause": "{% $states.input.Cause %}"}
		  }
		}`
	}
	input := []any{}
	for i := 0; i < 10; i++ {
		input = append(input, map[string]any{"n": float64(i), "bad": i == 3 || i == 7})
	}
	for _, c := range []struct {
		tolerance string
		ok        bool
	}{
		{``, false},
		{`"ToleratedFailureCount": 2,`, true},
		{`"ToleratedFailureCount": 1,`, false},
		{`"ToleratedFailurePercentage": 20,`, true},
		{`"ToleratedFailurePercentage": 10,`, false},
		{`"ToleratedFailurePercentage": "{% 25 %}",`, true},
	} {
		ex := newExec(nil)
		x := runDef(t, ex, def(c.tolerance), input)
		if c.ok {
			wantSucceeded(t, x)
			wantJSON(t, c.tolerance+" output", x.Output, `[0, 1, 2, null, 4, 5, 6, null, 8, 9]`)
		} else {
			wantFailed(t, x, ErrExceedToleratedFailure)
			if x.Cause != "The specified tolerated failure threshold was exceeded" {
				t.Errorf("cause %q", x.Cause)
			}
		}
	}
}

// A failed ItemReader fails the Map with States.ItemReaderFailed.
func TestItemReaderFailed(t *testing.T) {
	s := newStub().on("s3:listObjectsV2", s3Listing(nil, 10))
	x := runDef(t, newExec(s), strings.Replace(distributedDef, `"Label": "CopyRun",`, ``, 1),
		map[string]any{"bucket": "nope", "prefix": "", "exportId": "e"})
	wantFailed(t, x, ErrItemReaderFailed)
	if !strings.Contains(x.Cause, "S3.NoSuchBucketException") {
		t.Errorf("cause %q", x.Cause)
	}
}

// MaxInputBytesPerBatch splits batches by size.
func TestItemBatcherBytes(t *testing.T) {
	items := make([]any, 10)
	for i := range items {
		items[i] = strings.Repeat("x", 98) // 100 bytes of JSON, 101 with the comma
	}
	ex := newExec(nil, WithChildPayloads(true))
	x := runDef(t, ex, `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "M",
	  "States": {"M": {"Type": "Map", "Items": "{% $states.input %}",
	    "ItemBatcher": {"MaxInputBytesPerBatch": 350},
	    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
	      "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $count($states.input.Items) %}", "End": true}}},
	    "End": true}}
	}`, items)
	wantSucceeded(t, x)
	wantJSON(t, "batch sizes", x.Output, `[3, 3, 3, 1]`)
}

// An ItemBatcher limit evaluated to zero fails the state: AWS requires a
// JSONata MaxItemsPerBatch or MaxInputBytesPerBatch to evaluate to a
// positive integer ("ItemBatcher (Map)", Step Functions Developer Guide).
func TestDistributedMapBatchLimitMustBePositive(t *testing.T) {
	for _, field := range []string{"MaxItemsPerBatch", "MaxInputBytesPerBatch"} {
		t.Run(field, func(t *testing.T) {
			def := strings.Replace(distributedDef, `"MaxItemsPerBatch": 2`, `"`+field+`": "{% $states.input.limit %}"`, 1)
			s := newStub().on("s3:listObjectsV2", s3Listing([]string{"exp/a"}, 2))
			x := runDef(t, newExec(s), def, map[string]any{"bucket": "b", "prefix": "exp/", "exportId": "exp", "limit": 0})
			wantFailed(t, x, ErrQueryEvaluation)
			if !strings.Contains(x.Cause, "The "+field+" field must be a positive integer, got 0.") {
				t.Errorf("cause %q", x.Cause)
			}
		})
	}
}
