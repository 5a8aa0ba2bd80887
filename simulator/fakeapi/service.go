package fakeapi

import (
	"context"
	"maps"
	"regexp"
	"sync"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// ErrInvalidCall is the error name of a call the SDK itself would refuse
// (unknown action, missing or wrong-typed argument) or that a fake does not
// model. Like every States.Runtime error it is meant to fail the execution:
// no Retry or Catch should handle it.
const ErrInvalidCall = "States.Runtime"

// Fault makes matching calls fail before they do anything.
type Fault struct {
	// Action is the camelCase action, e.g. "copyObject". Default: every action.
	Action string
	// Error is the error name returned, e.g. "S3.S3Exception".
	Error string
	// Cause is the error cause returned, e.g. "SlowDown".
	Cause string
	// Times is how many matching calls fail; 0 or negative: every one.
	Times int
	// KeyPattern is a regular expression matched against the call's key
	// arguments, those given to [NewService]: a call matches when one of
	// them is a string the expression matches. Default: every call matches.
	KeyPattern string
}

// Handler answers one action: it reads the call's arguments from a and
// returns the JSON-compatible response or an error (an *awserr.Error).
type Handler func(a *Args) (map[string]any, error)

// Service counts, faults and dispatches the calls of one fake. Every method
// holds the fake's lock given to [NewService]; handlers run with it held.
type Service struct {
	name     string
	mu       sync.Locker
	handlers map[string]Handler
	keyArgs  []string
	calls    map[string]int
	faults   []*fault
}

type fault struct {
	Fault
	re *regexp.Regexp
}

// NewService returns a Service for the fake of the named service ("s3",
// "rds"), which guards its state with mu. handlers are the actions it
// answers, by camelCase name; keyArgs the arguments a [Fault.KeyPattern] is
// matched against.
func NewService(name string, mu sync.Locker, handlers map[string]Handler, keyArgs ...string) *Service {
	return &Service{name: name, mu: mu, handlers: handlers, keyArgs: keyArgs, calls: map[string]int{}}
}

// AddFault registers a fault. It panics if KeyPattern is not a valid
// regular expression.
func (s *Service) AddFault(ft Fault) {
	x := &fault{Fault: ft}
	if ft.KeyPattern != "" {
		x.re = regexp.MustCompile(ft.KeyPattern)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, x)
}

// Calls returns the number of Call invocations per action, keyed like
// "s3:copyObject", counting failed ones (but not those whose context was
// already done).
func (s *Service) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Call answers one call of a task. action is the camelCase action name and
// args the task's resolved Arguments with PascalCase member names. A done
// ctx fails the call with States.TaskFailed. Otherwise, with the lock held,
// the call is counted; the first matching fault fails it (and consumes one
// of its Times); an action without a handler fails with [ErrInvalidCall];
// else the handler runs, and an argument error it recorded in its [Args]
// is returned in preference to its own result or error.
func (s *Service) Call(ctx context.Context, action string, args map[string]any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, &awserr.Error{Name: "States.TaskFailed", Cause: err.Error()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[s.name+":"+action]++
	if err := s.injected(action, args); err != nil {
		return nil, err
	}
	h, ok := s.handlers[action]
	if !ok {
		return nil, awserr.New(ErrInvalidCall, "%s:%s: action not supported by the fake", s.name, action)
	}
	a := &Args{prefix: s.name + ":" + action + ": ", args: args}
	res, err := h(a)
	if a.err != nil {
		return nil, a.err
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Inject fails the call as a registered fault says, or returns nil; it does
// not dispatch, for callers that answer the call themselves.
func (s *Service) Inject(ctx context.Context, action string, args map[string]any) error {
	if err := ctx.Err(); err != nil {
		return &awserr.Error{Name: "States.TaskFailed", Cause: err.Error()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.injected(action, args); err != nil {
		return err
	}
	return nil
}

// injected returns the error of the first fault matching the call, and
// consumes one of its Times. Called with s.mu held.
func (s *Service) injected(action string, args map[string]any) error {
	for i, ft := range s.faults {
		if ft.Action != "" && ft.Action != action {
			continue
		}
		if ft.re != nil && !s.matchesKey(ft.re, args) {
			continue
		}
		if ft.Times > 0 {
			if ft.Times--; ft.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &awserr.Error{Name: ft.Error, Cause: ft.Cause}
	}
	return nil
}

func (s *Service) matchesKey(re *regexp.Regexp, args map[string]any) bool {
	for _, n := range s.keyArgs {
		if str, ok := args[n].(string); ok && re.MatchString(str) {
			return true
		}
	}
	return false
}
