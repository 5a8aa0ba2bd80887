package asl

import (
	"context"
	"time"
)

// Integration answers the Task states whose Resource is
// "arn:aws:states:::aws-sdk:<service>:<action>" and the ItemReader's
// s3:listObjectsV2 paging. service and action are spelled as in the Resource
// ARN (for example "s3", "copyObject"); args are the evaluated Arguments.
// Errors should be *awserr.Error carrying the Step Functions error name (for
// example "S3.NoSuchKeyException"); any other error becomes States.TaskFailed.
type Integration interface {
	Call(ctx context.Context, service, action string, args map[string]any) (any, error)
}

// IntegrationFunc adapts a function to Integration.
type IntegrationFunc func(ctx context.Context, service, action string, args map[string]any) (any, error)

// Call calls f.
func (f IntegrationFunc) Call(ctx context.Context, service, action string, args map[string]any) (any, error) {
	return f(ctx, service, action, args)
}

// EvalRequest is one JSONata evaluation: the expression (without the {% %}
// delimiters), the input bound to $ and the variables bound by name (without
// the leading $).
type EvalRequest struct {
	Expr     string
	Input    any
	Bindings map[string]any
	// ParseOnly asks for the expression's syntax tree (EvalResult.AST, the
	// reference jsonata's expr.ast()) instead of its value: Register checks
	// every expression of a definition with it.
	ParseOnly bool
	// Exprs, set instead of Expr, are the expressions of one state's fields
	// evaluated with the same Input and Bindings, sent once; their results
	// are in EvalResult.Each.
	Exprs []string
}

// EvalError is a JSONata error as reported by the reference implementation.
type EvalError struct {
	Code     string
	Message  string
	Position int
}

// EvalResult is the outcome of one EvalRequest: a JSON-compatible value, or
// Undefined when the expression produced nothing, or Err.
type EvalResult struct {
	Value     any
	Undefined bool
	Err       *EvalError
	AST       any          // ParseOnly requests
	Each      []EvalResult // Exprs requests, in order
}

// Evaluator evaluates JSONata expressions in batches: one call is one round
// trip to the JSONata engine. Per-request failures go in EvalResult.Err; the
// returned error is for a broken engine.
type Evaluator interface {
	EvalMany(reqs []EvalRequest) ([]EvalResult, error)
}

// Workflow types, as in CreateStateMachine.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

// Status is an execution status, as in DescribeExecution.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// HistoryEvent is one recorded history event; kept only with WithHistory.
type HistoryEvent struct {
	ID        int
	Type      string    // e.g. "TaskStateEntered"
	State     string    // state name, when the event belongs to a state
	Timestamp time.Time // simulated
	Error     string    // closing events only
	Cause     string    // closing events only
}

// TraceMode selects what an execution record's Trace keeps.
type TraceMode int

// Trace modes.
const (
	// TraceOff keeps no trace (the default).
	TraceOff TraceMode = iota
	// TraceStates keeps the name and path of every state entered.
	TraceStates
	// TraceData also keeps each state's input and output.
	TraceData
	// TraceTop keeps the name and path of every state entered outside Map
	// iterations (what a report of a large run needs, in bounded memory).
	TraceTop
)

// TraceEntry is one state run: Path locates it inside Map iterations and
// Parallel branches, e.g. "CopyAll[3]/Copy" or "Both#1/Left".
type TraceEntry struct {
	State  string
	Path   string
	Input  any
	Output any
	Error  string
}

// ExecutionRecord describes one execution: a top-level execution, a nested
// execution started by a states:startExecution task, or a Distributed Map
// child execution.
type ExecutionRecord struct {
	ExecutionARN     string
	Name             string
	StateMachineARN  string
	StateMachineName string
	// Type is TypeStandard or TypeExpress.
	Type string
	// ParentARN is the execution that started this one (empty for Start).
	ParentARN string
	// MapRunARN is set for Distributed Map child executions.
	MapRunARN string

	Status Status
	Error  string
	Cause  string
	// Input and Output are kept for all executions except Distributed Map
	// children, unless WithChildPayloads(true).
	Input  any
	Output any

	StartDate time.Time // simulated
	StopDate  time.Time // simulated

	// HistoryEvents is the number of events this execution's history holds
	// (counted for Express executions too, although AWS keeps no history for
	// them).
	HistoryEvents int
	// StatesEntered counts every state entered, nested Map iterations and
	// Parallel branches included.
	StatesEntered int
	// Retries counts Retry attempts.
	Retries int
	// StateTransitions is the billed state transitions of a Standard
	// execution: StatesEntered + Retries. Zero for Express executions.
	StateTransitions int
	// ExpressRequests is 1 for an Express execution (billed per request).
	ExpressRequests int
	// ExpressDuration is an Express execution's simulated duration (what
	// AWS bills, rounded up to 100 ms there).
	ExpressDuration time.Duration

	// Events is the history, only kept with WithHistory(true).
	Events []HistoryEvent
	// Trace is kept according to WithTrace.
	Trace []TraceEntry
}

// Execution is the result of Start: the record of the finished execution.
type Execution struct {
	ExecutionRecord
}

// Summary aggregates all executions an Executor has run.
type Summary struct {
	Executions          int
	StandardExecutions  int
	ExpressExecutions   int
	ByStatus            map[Status]int
	StateTransitions    int // billed Standard transitions, all executions
	ExpressRequests     int
	HistoryEvents       int // sum over executions
	MaxHistoryEvents    int // largest single history
	MapRuns             int
	MapRunChildren      int
	NestedStartedByTask int
}
