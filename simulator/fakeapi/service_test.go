package fakeapi_test

import (
	"context"
	"sync"
	"testing"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

// newService returns a Service "svc" with actions "get" (answers
// {"ok": true}), "fail" (a handler error: Svc.Failed) and "bad" (an argument error and a
// handler error), matching faults on the Key and Prefix arguments.
func newService() *fakeapi.Service {
	return fakeapi.NewService("svc", &sync.Mutex{}, map[string]fakeapi.Handler{
		"get": func(*fakeapi.Args) (map[string]any, error) { return map[string]any{"ok": true}, nil },
		"fail": func(*fakeapi.Args) (map[string]any, error) {
			return nil, &awserr.Error{Name: "Svc.Failed", Cause: "handler failed"}
		},
		"bad": func(a *fakeapi.Args) (map[string]any, error) {
			a.Str("Missing")
			return map[string]any{}, &awserr.Error{Name: "Svc.Failed", Cause: "handler failed"}
		},
	}, "Key", "Prefix")
}

type step struct {
	action    string
	args      map[string]any
	wantErr   string // "" = success
	wantCause string
}

func TestServiceCall(t *testing.T) {
	get := func(args map[string]any) step { return step{action: "get", args: args} }
	fails := func(action string, args map[string]any, name, cause string) step {
		return step{action: action, args: args, wantErr: name, wantCause: cause}
	}
	none := map[string]any{}
	tests := []struct {
		name   string
		faults []fakeapi.Fault
		steps  []step
	}{
		{name: "no fault", steps: []step{get(none), get(map[string]any{"Key": "k"})}},
		{name: "unknown action", steps: []step{
			fails("put", none, fakeapi.ErrInvalidCall, "svc:put: action not supported by the fake")}},
		{name: "handler error", steps: []step{fails("fail", none, "Svc.Failed", "handler failed")}},
		{name: "argument error first", steps: []step{
			fails("bad", none, fakeapi.ErrInvalidCall, "svc:bad: argument Missing is required")}},
		{name: "always", faults: []fakeapi.Fault{{Action: "get", Error: "Svc.Throttled", Cause: "SlowDown"}}, steps: []step{
			fails("get", none, "Svc.Throttled", "SlowDown"), fails("get", none, "Svc.Throttled", "SlowDown")}},
		{name: "negative times is always", faults: []fakeapi.Fault{{Action: "get", Error: "E", Cause: "c", Times: -1}}, steps: []step{
			fails("get", none, "E", "c"), fails("get", none, "E", "c")}},
		{name: "times", faults: []fakeapi.Fault{{Action: "get", Error: "E", Cause: "c", Times: 2}}, steps: []step{
			fails("get", none, "E", "c"), fails("get", none, "E", "c"), get(none)}},
		{name: "other action", faults: []fakeapi.Fault{{Action: "fail", Error: "E", Cause: "c"}}, steps: []step{get(none)}},
		{name: "any action, before dispatch", faults: []fakeapi.Fault{{Error: "E", Cause: "c", Times: 2}}, steps: []step{
			fails("put", none, "E", "c"), fails("bad", none, "E", "c"),
			fails("put", none, fakeapi.ErrInvalidCall, "svc:put: action not supported by the fake")}},
		{name: "key pattern", faults: []fakeapi.Fault{{Action: "get", Error: "E", Cause: "c", KeyPattern: "^b"}}, steps: []step{
			get(map[string]any{"Key": "a"}), fails("get", map[string]any{"Key": "b1"}, "E", "c"),
			fails("get", map[string]any{"Key": "a", "Prefix": "b"}, "E", "c"),
			get(map[string]any{"Other": "b"}), get(map[string]any{"Key": 1.0}), get(none)}},
		{name: "first matching fault", faults: []fakeapi.Fault{
			{Action: "get", Error: "E1", Cause: "one", Times: 1, KeyPattern: "x"},
			{Action: "get", Error: "E2", Cause: "two", Times: 1},
		}, steps: []step{
			fails("get", map[string]any{"Key": "x"}, "E1", "one"), fails("get", map[string]any{"Key": "x"}, "E2", "two"),
			get(map[string]any{"Key": "x"})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService()
			for _, ft := range tt.faults {
				s.AddFault(ft)
			}
			want := map[string]int{}
			for i, st := range tt.steps {
				res, err := s.Call(context.Background(), st.action, st.args)
				want["svc:"+st.action]++
				if st.wantErr == "" {
					if err != nil || res.(map[string]any)["ok"] != true {
						t.Fatalf("step %d: %v, %v", i, res, err)
					}
					continue
				}
				if res != nil {
					t.Fatalf("step %d: result %v with an error", i, res)
				}
				wantErr(t, err, st.wantErr, st.wantCause)
			}
			if got := s.Calls(); !equalCounts(got, want) {
				t.Fatalf("Calls %v, want %v", got, want)
			}
		})
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestServiceDoneContext(t *testing.T) {
	s := newService()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Call(ctx, "get", nil)
	wantErr(t, err, "States.TaskFailed", "context canceled")
	if calls := s.Calls(); len(calls) != 0 {
		t.Fatalf("a call with a done context was counted: %v", calls)
	}
}

func TestServiceCallsIsACopy(t *testing.T) {
	s := newService()
	_, _ = s.Call(context.Background(), "get", nil)
	s.Calls()["svc:get"] = 10
	if got := s.Calls()["svc:get"]; got != 1 {
		t.Fatalf("Calls()[svc:get] = %d, want 1", got)
	}
}

func TestAddFaultBadPattern(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("AddFault accepted an invalid KeyPattern")
		}
	}()
	newService().AddFault(fakeapi.Fault{KeyPattern: "("})
}

func TestServiceConcurrentUse(t *testing.T) {
	s := newService()
	s.AddFault(fakeapi.Fault{Action: "get", Error: "E", Cause: "c", Times: 50})
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for range 10 {
		wg.Go(func() {
			for range 20 {
				if _, err := s.Call(context.Background(), "get", nil); err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
				_ = s.Calls()
			}
		})
	}
	wg.Wait()
	if failed != 50 || s.Calls()["svc:get"] != 200 {
		t.Fatalf("%d failed calls, want 50; calls %v", failed, s.Calls())
	}
}
