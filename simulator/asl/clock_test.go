package asl

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// timedStub answers every call after a fixed simulated time.
type timedStub struct {
	took  time.Duration
	calls atomic.Int64
}

func (s *timedStub) Call(ctx context.Context, service, action string, args map[string]any) (any, error) {
	return map[string]any{}, nil
}

func (s *timedStub) CallAt(ctx context.Context, now time.Time, service, action string, args map[string]any) (any, time.Duration, error) {
	s.calls.Add(1)
	return map[string]any{"At": now.Format(time.RFC3339Nano)}, s.took, nil
}

const timedMapDef = `{
  "QueryLanguage": "JSONata",
  "StartAt": "Each",
  "States": {
    "Each": {"Type": "Map", "Items": "{%% $range(1, %d, 1) %%}", %s
      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject", "Arguments": {"Bucket": "b", "Key": "k"}, "End": true}}},
      "End": true}
  }
}`

// 100 calls of 1 s each: 40 at a time (the inline cap) takes ceil(100/40) =
// 3 s; MaxConcurrency 10 takes 10 s; MaxConcurrency 1 takes 100 s — however
// many goroutines run them.
func TestInlineMapConcurrencyIsSimulated(t *testing.T) {
	for _, c := range []struct {
		mc   string
		want time.Duration
	}{{"", 3 * time.Second}, {`"MaxConcurrency": 10,`, 10 * time.Second}, {`"MaxConcurrency": 1,`, 100 * time.Second}} {
		ts := &timedStub{took: time.Second}
		x := runDef(t, newExec(ts), fmt.Sprintf(timedMapDef, 100, c.mc), nil)
		wantSucceeded(t, x)
		if d := x.StopDate.Sub(x.StartDate); d != c.want {
			t.Errorf("%q: took %v simulated, want %v", c.mc, d, c.want)
		}
		if n := ts.calls.Load(); n != 100 {
			t.Errorf("%q: %d calls, want 100", c.mc, n)
		}
	}
}

// A Distributed Map of 2,000 Express children, each one call of 2 s, with
// MaxConcurrency 500: four waves, 8 s.
func TestDistributedMapConcurrencyIsSimulated(t *testing.T) {
	ts := &timedStub{took: 2 * time.Second}
	x := runDef(t, newExec(ts), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Each",
	  "States": {
	    "Each": {"Type": "Map", "Items": "{% [1..2000] %}", "MaxConcurrency": 500,
	      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "Call", "States": {
	        "Call": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject", "Arguments": {"Bucket": "b", "Key": "k"}, "End": true}}},
	      "End": true}
	  }
	}`, nil)
	wantSucceeded(t, x)
	if d := x.StopDate.Sub(x.StartDate); d != 8*time.Second {
		t.Errorf("took %v simulated, want 8s", d)
	}
}

// An Express execution that runs past 5 minutes fails with States.Timeout
// at the 5-minute mark; a Standard one does not.
func TestExpressFiveMinuteLimit(t *testing.T) {
	def := `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Slow",
	  "States": {
	    "Slow": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject", "Arguments": {"Bucket": "b", "Key": "k"},
	      "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}], "End": true}
	  }
	}`
	for _, c := range []struct {
		typ    string
		status Status
		took   time.Duration
	}{{TypeExpress, StatusTimedOut, 5 * time.Minute}, {TypeStandard, StatusSucceeded, 301 * time.Second}} {
		ex := newExec(&timedStub{took: 301 * time.Second})
		mustRegister(t, ex, smArn("Slow"), def, c.typ)
		x := start(t, ex, smArn("Slow"), nil)
		if x.Status != c.status {
			t.Fatalf("%s: status %s (%s: %s), want %s", c.typ, x.Status, x.Error, x.Cause, c.status)
		}
		if c.status == StatusTimedOut && x.Error != ErrTimeout {
			t.Errorf("%s: error %q, want %s", c.typ, x.Error, ErrTimeout)
		}
		if d := x.StopDate.Sub(x.StartDate); d != c.took {
			t.Errorf("%s: stopped after %v, want %v", c.typ, d, c.took)
		}
	}
}

// Retry intervals of concurrent iterations overlap on the shared clock: two
// iterations that each fail once and retry after 2 s end together at 2 s.
func TestRetriesOverlapInSimulatedTime(t *testing.T) {
	var n atomic.Int64
	s := newStub().on("s3:headObject", func(ctx context.Context, args map[string]any) (any, error) {
		if n.Add(1) <= 2 {
			return nil, fmt.Errorf("first calls fail")
		}
		return map[string]any{}, nil
	})
	x := runDef(t, newExec(s), `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Each",
	  "States": {
	    "Each": {"Type": "Map", "Items": "{% [1, 2] %}",
	      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call", "States": {
	        "Call": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject", "Arguments": {"Bucket": "b", "Key": "k"},
	          "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2}], "End": true}}},
	      "End": true}
	  }
	}`, nil)
	wantSucceeded(t, x)
	if d := x.StopDate.Sub(x.StartDate); d != 2*time.Second {
		t.Errorf("took %v simulated, want 2s", d)
	}
}

// JitterStrategy FULL: 50 iterations that each fail once and retry with a
// 10 s interval wait between 0 and 10 s, spread out, not all 10 s.
func TestFullJitterSpreadsRetries(t *testing.T) {
	var mu sync.Mutex
	tried := map[string]bool{}
	s := newStub().on("s3:headObject", func(ctx context.Context, args map[string]any) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		k := fmt.Sprint(args["Key"])
		if !tried[k] {
			tried[k] = true
			return nil, fmt.Errorf("first call of %s fails", k)
		}
		return map[string]any{}, nil
	})
	ex := newExec(s)
	x := runDef(t, ex, `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Each",
	  "States": {
	    "Each": {"Type": "Map", "Items": "{% [1..50] %}",
	      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call", "States": {
	        "Call": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject", "Arguments": {"Bucket": "b", "Key": "{% $string($states.input) %}"},
	          "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "JitterStrategy": "FULL"}], "End": true}}},
	      "End": true}
	  }
	}`, nil)
	wantSucceeded(t, x)
	d := x.StopDate.Sub(x.StartDate)
	// 40 run at once; the last 10 start as the first ones end, so the run
	// ends before 20 s (without jitter: exactly 20 s).
	if d <= 5*time.Second || d >= 20*time.Second {
		t.Errorf("took %v simulated, want jittered waits ending in (5s, 20s)", d)
	}
	seen := map[float64]bool{}
	for i := 0; i < 50; i++ {
		seen[jitterFraction(x.ExecutionARN, fmt.Sprintf("Each[%d]/Call", i), 0)] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct jitter fractions for 50 iterations", len(seen))
	}
}
