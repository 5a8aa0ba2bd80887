package asl

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestLargeDistributedCopy runs a copy of n objects (ASL_LARGE=n, e.g.
// 100000) through a Distributed Map with an S3 ItemReader, ItemBatcher and
// EXPRESS children, and reports time and memory. Skipped unless ASL_LARGE is
// set; a 2,000-object version runs always.
func TestLargeDistributedCopy(t *testing.T) {
	n := 2000
	if v := os.Getenv("ASL_LARGE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("exp/db/public.t%d/1/part-%05d.gz.parquet", i%7, i)
	}
	var copies atomic.Int64
	s := newStub().on("s3:listObjectsV2", s3Listing(keys, 1000)).
		on("s3:copyObject", func(context.Context, map[string]any) (any, error) {
			copies.Add(1)
			return map[string]any{"CopyObjectResult": map[string]any{"ETag": "\"x\""}}, nil
		})
	s.noLog = true
	ex := newExec(s)
	began := time.Now()
	x := runDef(t, ex, `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Copy",
	  "States": {
	    "Copy": {
	      "Type": "Map",
	      "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Arguments": {"Bucket": "export-bucket", "Prefix": "exp/"}},
	      "ItemBatcher": {"MaxItemsPerBatch": 500, "BatchInput": {"dest": "analytics"}},
	      "MaxConcurrency": 16,
	      "ItemProcessor": {
	        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
	        "StartAt": "Each",
	        "States": {"Each": {"Type": "Map", "Items": "{% $states.input.Items %}", "MaxConcurrency": 40,
	          "ItemSelector": {"key": "{% $states.context.Map.Item.Value.Key %}", "dest": "{% $states.input.BatchInput.dest %}"},
	          "ItemProcessor": {"StartAt": "CopyOne", "States": {"CopyOne": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
	            "Arguments": {"Bucket": "{% $states.input.dest %}", "Key": "{% $states.input.key %}",
	                          "CopySource": "{% 'export-bucket/' & $join($map($split($states.input.key, '/'), $encodeUrlComponent), '/') %}"},
	            "Output": {}, "End": true}}},
	          "Output": {"n": "{% $count($states.result) %}"}, "End": true}}
	      },
	      "Output": {"copied": "{% $sum($states.result.n) %}"},
	      "End": true
	    }
	  }
	}`, nil)
	elapsed := time.Since(began)
	wantSucceeded(t, x)
	wantJSON(t, "output", x.Output, fmt.Sprintf(`{"copied": %d}`, n))
	if int(copies.Load()) != n {
		t.Errorf("%d copies, want %d", copies.Load(), n)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	sum := ex.Summary()
	t.Logf("%d objects: %v, %d executions (%d express), parent history %d events, billed standard transitions %d, heap in use %d MiB",
		n, elapsed.Round(time.Millisecond), sum.Executions, sum.ExpressExecutions, x.HistoryEvents, sum.StateTransitions, ms.HeapInuse>>20)
	if x.HistoryEvents != 8 || sum.StateTransitions != 1 {
		t.Errorf("parent history %d, transitions %d", x.HistoryEvents, sum.StateTransitions)
	}
}
