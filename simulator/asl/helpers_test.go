package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/internal/nodedeps"
	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
)

var bridge *jsonata.Evaluator

func TestMain(m *testing.M) {
	if err := nodedeps.Check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var err error
	bridge, err = jsonata.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "asl tests need the JSONata bridge:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = bridge.Close()
	os.Exit(code)
}

// t0 is the simulated start time of every test execution.
var t0 = time.Date(2026, 11, 24, 3, 4, 5, 0, time.UTC)

const (
	region  = "arn:aws:states:eu-west-1:123456789012"
	mainARN = region + ":stateMachine:Main"
)

func smArn(name string) string { return region + ":stateMachine:" + name }

// stub is an in-test Integration: per "service:action" handlers, a call log.
type stub struct {
	noLog    bool // do not keep a call log (large runs)
	mu       sync.Mutex
	handlers map[string]func(ctx context.Context, args map[string]any) (any, error)
	calls    []call
}

type call struct {
	Op   string
	Args map[string]any
}

func newStub() *stub {
	return &stub{handlers: map[string]func(context.Context, map[string]any) (any, error){}}
}

func (s *stub) on(op string, h func(ctx context.Context, args map[string]any) (any, error)) *stub {
	s.handlers[op] = h
	return s
}

func (s *stub) Call(ctx context.Context, service, action string, args map[string]any) (any, error) {
	op := service + ":" + action
	s.mu.Lock()
	if !s.noLog || strings.HasSuffix(op, ":listObjectsV2") {
		s.calls = append(s.calls, call{op, args})
	}
	h := s.handlers[op]
	s.mu.Unlock()
	if h == nil {
		return nil, awserr.New("States.TaskFailed", "stub: no handler for %s", op)
	}
	return h(ctx, args)
}

func (s *stub) callsTo(op string) []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []call
	for _, c := range s.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func newExec(integ Integration, opts ...Option) *Executor {
	opts = append([]Option{WithClock(func() time.Time { return t0 })}, opts...)
	return New(integ, FromJSONata(bridge), opts...)
}

func mustRegister(t *testing.T, ex *Executor, arn, def, typ string) {
	t.Helper()
	if err := ex.Register(arn, []byte(def), typ); err != nil {
		t.Fatalf("Register(%s): %v", arn, err)
	}
}

func start(t *testing.T, ex *Executor, arn string, input any) *Execution {
	t.Helper()
	x, err := ex.Start(context.Background(), arn, "", input)
	if err != nil {
		t.Fatalf("Start(%s): %v", arn, err)
	}
	return x
}

// runDef registers def as a STANDARD "Main" machine and runs it.
func runDef(t *testing.T, ex *Executor, def string, input any) *Execution {
	t.Helper()
	mustRegister(t, ex, mainARN, def, TypeStandard)
	return start(t, ex, mainARN, input)
}

func wantSucceeded(t *testing.T, x *Execution) {
	t.Helper()
	if x.Status != StatusSucceeded {
		t.Fatalf("status %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
	}
}

func wantFailed(t *testing.T, x *Execution, errName string) {
	t.Helper()
	if x.Status != StatusFailed || x.Error != errName {
		t.Fatalf("status %s error %q (cause %q), want FAILED %s", x.Status, x.Error, x.Cause, errName)
	}
}

// js decodes a JSON literal, for expected values.
func js(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON in test: %v\n%s", err, s)
	}
	return v
}

func wantJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	if w := js(t, want); !reflect.DeepEqual(normalized(t, got), w) {
		t.Errorf("%s = %s\nwant %s", what, jsonString(got), jsonString(w))
	}
}

func normalized(t *testing.T, v any) any {
	n, _, err := normalize(v)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func eventTypes(r ExecutionRecord) []string {
	out := make([]string, len(r.Events))
	for i, e := range r.Events {
		out[i] = e.Type
	}
	return out
}

func wantEvents(t *testing.T, r ExecutionRecord, want ...string) {
	t.Helper()
	got := eventTypes(r)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("history of %s:\n got %v\nwant %v", r.Name, got, want)
	}
	if r.HistoryEvents != len(want) {
		t.Errorf("HistoryEvents = %d, want %d", r.HistoryEvents, len(want))
	}
}
