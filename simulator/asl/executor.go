package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// Executor runs registered state machines locally. It is safe for concurrent
// use.
type Executor struct {
	integ Integration
	eval  Evaluator
	cfg   config
	clock *clock

	mu       sync.Mutex
	machines map[string]*machineInfo
	records  []*ExecutionRecord
	byARN    map[string]*ExecutionRecord
	running  map[string]*execution // by execution ARN
	names    map[string]string     // STANDARD "smArn\x00name" -> execution ARN
	mapRuns  int
	nested   int

	seq   atomic.Uint64
	joins atomic.Int64 // idempotent StartExecution calls that joined a running execution
	bg    sync.WaitGroup
}

type config struct {
	clock         func() time.Time
	roleArn       string
	keepHistory   bool
	trace         TraceMode
	childPayloads bool
	expressMax    time.Duration
	quantum       time.Duration
}

// Option configures an Executor.
type Option func(*config)

// WithClock sets where simulated time starts for executions started with
// Start (default: the wall clock at Start). Time then only advances inside
// the simulation: Wait states, Retry intervals and nested executions.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithRoleArn sets $states.context.Execution.RoleArn.
func WithRoleArn(arn string) Option { return func(c *config) { c.roleArn = arn } }

// WithHistory keeps every execution's history events in its record
// (ExecutionRecord.Events). Counts are always kept; the lists are not, to
// bound memory on large Distributed Map runs.
func WithHistory(keep bool) Option { return func(c *config) { c.keepHistory = keep } }

// WithTrace keeps a trace of the states each execution entered.
func WithTrace(mode TraceMode) Option { return func(c *config) { c.trace = mode } }

// WithExpressMaxDuration sets how long an Express execution may run before
// it fails with States.Timeout (default ExpressMaxDuration, AWS's 5
// minutes).
func WithExpressMaxDuration(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.expressMax = d
		}
	}
}

// WithChildPayloads keeps Input and Output in the records of Distributed Map
// child executions (dropped by default to bound memory).
func WithChildPayloads(keep bool) Option { return func(c *config) { c.childPayloads = keep } }

// New returns an Executor that calls integ for aws-sdk tasks and eval for
// JSONata.
func New(integ Integration, eval Evaluator, opts ...Option) *Executor {
	cfg := config{
		clock:      func() time.Time { return time.Now().UTC() },
		roleArn:    "arn:aws:iam::123456789012:role/StepFunctionsExecutionRole",
		expressMax: ExpressMaxDuration,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return &Executor{
		integ:    integ,
		eval:     eval,
		cfg:      cfg,
		clock:    &clock{quantum: cfg.quantum},
		machines: map[string]*machineInfo{},
		byARN:    map[string]*ExecutionRecord{},
		running:  map[string]*execution{},
		names:    map[string]string{},
	}
}

type machineInfo struct {
	arn  string
	name string
	typ  string
	def  *smDef
}

var smARN = regexp.MustCompile(`^arn:[a-z-]+:states:[a-z0-9-]*:[0-9]*:stateMachine:([A-Za-z0-9_-]{1,80})$`)

// Register validates a definition (JSON as []byte, string, json.RawMessage,
// or an already decoded map) and registers it under arn, a state machine ARN
// ("arn:aws:states:<region>:<account>:stateMachine:<name>"), with type
// TypeStandard or TypeExpress. Registering an ARN again replaces it.
// Validation errors name the offending state; every JSONata expression is
// parsed, and one AWS would refuse is reported as a *DefinitionError.
func (e *Executor) Register(arn string, definition any, typ string) error {
	m := smARN.FindStringSubmatch(arn)
	if m == nil {
		return fmt.Errorf("asl: %q is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)", arn)
	}
	if typ != TypeStandard && typ != TypeExpress {
		return fmt.Errorf("asl: type must be %s or %s, got %q", TypeStandard, TypeExpress, typ)
	}
	dm, err := toJSONMap(definition)
	if err != nil {
		return err
	}
	def, err := parseDefinition(dm, typ)
	if err == nil {
		err = checkExpressions(def, e.eval)
	}
	if err != nil {
		return fmt.Errorf("%w (state machine %s)", err, m[1])
	}
	e.mu.Lock()
	e.machines[arn] = &machineInfo{arn: arn, name: m[1], typ: typ, def: def}
	e.mu.Unlock()
	return nil
}

// Start runs a new execution of the registered state machine arn to
// completion and returns its record; the execution's own failure is in the
// record (Status, Error, Cause), not in the error. name may be empty (a
// unique name is generated). As in StartExecution, a STANDARD execution name
// may be used once per state machine: starting the same name with the same
// input while that execution runs returns that execution (after waiting for
// it); otherwise the error is StepFunctions.ExecutionAlreadyExistsException.
// Errors are *awserr.Error.
func (e *Executor) Start(ctx context.Context, arn, name string, input any) (*Execution, error) {
	start := e.clock.begin(e.cfg.clock())
	defer e.clock.exit()
	x, existing, err := e.begin(ctx, arn, name, input, nil, start)
	if err != nil {
		return nil, err
	}
	if !existing {
		e.execute(x)
	} else {
		e.clock.blockOn(x.done)
	}
	rec, _ := e.Execution(x.arn)
	return &Execution{ExecutionRecord: rec}, nil
}

// Wait blocks until the executions started without waiting (Task states on
// "arn:aws:states:::states:startExecution") have finished.
func (e *Executor) Wait() { e.bg.Wait() }

// Executions returns a copy of every execution record, in start order.
func (e *Executor) Executions() []ExecutionRecord {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ExecutionRecord, len(e.records))
	for i, r := range e.records {
		out[i] = *r
	}
	return out
}

// Execution returns a copy of one execution's record.
func (e *Executor) Execution(arn string) (ExecutionRecord, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.byARN[arn]
	if !ok {
		return ExecutionRecord{}, false
	}
	return *r, true
}

// Summary aggregates the records of every execution run so far.
func (e *Executor) Summary() Summary {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Summary{ByStatus: map[Status]int{}, MapRuns: e.mapRuns, NestedStartedByTask: e.nested}
	for _, r := range e.records {
		s.Executions++
		if r.Type == TypeExpress {
			s.ExpressExecutions++
		} else {
			s.StandardExecutions++
		}
		if r.MapRunARN != "" {
			s.MapRunChildren++
		}
		s.ByStatus[r.Status]++
		s.StateTransitions += r.StateTransitions
		s.ExpressRequests += r.ExpressRequests
		s.HistoryEvents += r.HistoryEvents
		if r.HistoryEvents > s.MaxHistoryEvents {
			s.MaxHistoryEvents = r.HistoryEvents
		}
	}
	return s
}

// validName checks an execution name as StartExecution does: 1 to 80
// characters, no whitespace, brackets, wildcards, special or control
// characters.
func validName(name string) bool {
	if len(name) == 0 || len(name) > 80 {
		return false
	}
	for _, r := range name {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// begin creates (or, for an idempotent StartExecution, finds) an execution.
func (e *Executor) begin(ctx context.Context, smArn, name string, input any, parent *execution, start time.Time) (*execution, bool, *awserr.Error) {
	e.mu.Lock()
	mi, ok := e.machines[smArn]
	e.mu.Unlock()
	if !ok {
		return nil, false, newErr(ErrStateMachineDoesNotExist, fmt.Sprintf("State Machine Does Not Exist: '%s'", smArn))
	}
	if name == "" {
		name = e.uuid()
	} else if !validName(name) {
		return nil, false, newErr(ErrInvalidName, fmt.Sprintf("Invalid Name: '%s'", name))
	}
	norm, size, err := normalize(input)
	if err != nil {
		return nil, false, newErr(ErrInvalidExecutionInput, "Invalid State Machine Execution Input: "+err.Error())
	}
	if size > MaxPayloadBytes {
		return nil, false, newErr(ErrInvalidExecutionInput, fmt.Sprintf("The input of %d bytes exceeds the maximum of %d bytes.", size, MaxPayloadBytes))
	}
	arn := executionARN(mi, name, e)
	key := smArn + "\x00" + name
	e.mu.Lock()
	defer e.mu.Unlock()
	if mi.typ == TypeStandard {
		if prev, used := e.names[key]; used {
			if x, running := e.running[prev]; running && jsonEqual(x.input, norm) {
				e.joins.Add(1)
				return x, true, nil
			}
			return nil, false, newErr(ErrExecutionAlreadyExists, fmt.Sprintf("Execution Already Exists: '%s'", prev))
		}
		e.names[key] = arn
	}
	x := e.newExecution(ctx, mi, arn, name, norm, start, true)
	if parent != nil {
		x.rec.ParentARN = parent.arn
		e.nested++
	}
	return x, false, nil
}

// newExecution creates and records an execution; e.mu must be held.
func (e *Executor) newExecution(ctx context.Context, mi *machineInfo, arn, name string, input any, start time.Time, keepPayload bool) *execution {
	xctx, cancel := context.WithCancel(ctx)
	x := &execution{
		ex:     e,
		mi:     mi,
		arn:    arn,
		name:   name,
		input:  input,
		start:  start,
		ctx:    xctx,
		cancel: cancel,
		done:   make(chan struct{}),
		keep:   keepPayload,
	}
	if mi.def.timeoutSeconds > 0 {
		x.deadline = start.Add(time.Duration(mi.def.timeoutSeconds) * time.Second)
	}
	if mi.typ == TypeExpress && e.cfg.expressMax > 0 {
		if d := start.Add(e.cfg.expressMax); x.deadline.IsZero() || d.Before(x.deadline) {
			x.deadline = d
		}
	}
	x.rec = &ExecutionRecord{
		ExecutionARN:     arn,
		Name:             name,
		StateMachineARN:  mi.arn,
		StateMachineName: mi.name,
		Type:             mi.typ,
		Status:           StatusRunning,
		StartDate:        start,
	}
	if keepPayload {
		x.rec.Input = input
	}
	x.ctxExec = map[string]any{
		"Id":           arn,
		"Input":        input,
		"Name":         name,
		"RoleArn":      e.cfg.roleArn,
		"StartTime":    isoTime(start),
		"RedriveCount": 0.0,
	}
	x.ctxSM = map[string]any{"Id": mi.arn, "Name": mi.name}
	e.records = append(e.records, x.rec)
	e.byARN[arn] = x.rec
	e.running[arn] = x
	return x
}

// ownsExecutionARN reports whether arn names an execution of a state machine
// registered here.
func (e *Executor) ownsExecutionARN(arn string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for smArn, mi := range e.machines {
		prefix := strings.Replace(smArn, ":stateMachine:", ":execution:", 1) + ":"
		if mi.typ == TypeExpress {
			prefix = strings.Replace(smArn, ":stateMachine:", ":express:", 1) + ":"
		}
		if strings.HasPrefix(arn, prefix) {
			return true
		}
	}
	return false
}

func executionARN(mi *machineInfo, name string, e *Executor) string {
	if mi.typ == TypeExpress {
		return strings.Replace(mi.arn, ":stateMachine:", ":express:", 1) + ":" + name + ":" + e.uuid()
	}
	return strings.Replace(mi.arn, ":stateMachine:", ":execution:", 1) + ":" + name
}

// uuid returns a unique, UUID-shaped identifier (sequential, so that runs
// are reproducible).
func (e *Executor) uuid() string {
	n := e.seq.Add(1)
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
}

// execution is one running execution.
type execution struct {
	ex       *Executor
	mi       *machineInfo
	arn      string
	name     string
	input    any
	start    time.Time
	deadline time.Time
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	keep     bool // keep Input/Output in the record
	rec      *ExecutionRecord

	ctxExec map[string]any
	ctxSM   map[string]any

	events        atomic.Int64
	limitHit      atomic.Bool
	timedOut      atomic.Bool
	statesEntered atomic.Int64
	retries       atomic.Int64

	mu     sync.Mutex
	evList []HistoryEvent
	trace  []TraceEntry
}

// event records one history event. For a STANDARD execution it fails with
// States.Runtime when the event would take the last slot of the 25,000-event
// history: that slot is kept for the closing ExecutionFailed, so that the
// failed history holds exactly 25,000 events.
func (x *execution) event(typ, state string, at time.Time) *awserr.Error {
	_, err := x.eventID(typ, state, at)
	return err
}

// eventID is event, returning the event's id.
func (x *execution) eventID(typ, state string, at time.Time) (int, *awserr.Error) {
	n := x.events.Add(1)
	if x.mi.typ == TypeStandard && n >= MaxHistoryEvents {
		x.events.Add(-1)
		x.limitHit.Store(true)
		return 0, newErr(ErrRuntime, historyLimitCause)
	}
	if x.ex.cfg.keepHistory {
		x.mu.Lock()
		x.evList = append(x.evList, HistoryEvent{ID: int(n), Type: typ, State: state, Timestamp: at})
		x.mu.Unlock()
	}
	return int(n), nil
}

func (x *execution) closingEvent(typ, errName, cause string, at time.Time) {
	n := x.events.Add(1)
	if x.ex.cfg.keepHistory {
		x.mu.Lock()
		x.evList = append(x.evList, HistoryEvent{ID: int(n), Type: typ, Error: errName, Cause: cause, Timestamp: at})
		x.mu.Unlock()
	}
}

func (x *execution) addTrace(t TraceEntry) {
	x.mu.Lock()
	x.trace = append(x.trace, t)
	x.mu.Unlock()
}

// execute runs x to completion in the calling goroutine.
func (e *Executor) execute(x *execution) { _, _, _ = e.run(x) }

// run runs x to completion and returns its output, its failure and its
// (simulated) stop time.
func (e *Executor) run(x *execution) (any, *awserr.Error, time.Time) {
	x.closingEvent("ExecutionStarted", "", "", x.start)
	th := &thread{x: x, vars: newScope(nil), now: x.start}
	var (
		out any
		err *awserr.Error
	)
	if n := jsonSize(x.input); n > MaxPayloadBytes {
		err = newErr(ErrDataLimitExceeded, fmt.Sprintf("The execution input of %d bytes exceeds the maximum of %d bytes.", n, MaxPayloadBytes))
	} else {
		out, err = th.runMachine(x.mi.def, x.input)
		if err == nil && !x.deadline.IsZero() && th.now.After(x.deadline) {
			x.timedOut.Store(true)
			err = newErr(ErrTimeout, "The execution timed out.")
		}
	}
	stop := e.finish(x, out, err, th.now)
	return out, err, stop
}

func (e *Executor) finish(x *execution, out any, err *awserr.Error, stop time.Time) time.Time {
	if !x.deadline.IsZero() && stop.After(x.deadline) {
		stop = x.deadline
	}
	status := StatusSucceeded
	var errName, cause string
	switch {
	case err == nil:
		x.closingEvent("ExecutionSucceeded", "", "", stop)
	case x.timedOut.Load():
		status, errName, cause = StatusTimedOut, ErrTimeout, err.Cause
		x.closingEvent("ExecutionTimedOut", errName, cause, stop)
	case x.ctx.Err() != nil && !x.limitHit.Load():
		status = StatusAborted
		x.closingEvent("ExecutionAborted", "", "", stop)
	default:
		status, errName, cause = StatusFailed, err.Name, err.Cause
		x.closingEvent("ExecutionFailed", errName, cause, stop)
	}
	x.cancel()
	entered := int(x.statesEntered.Load())
	retries := int(x.retries.Load())
	x.mu.Lock()
	evs, trace := x.evList, x.trace
	x.mu.Unlock()

	e.mu.Lock()
	r := x.rec
	r.Status = status
	r.Error, r.Cause = errName, cause
	if x.keep && status == StatusSucceeded {
		r.Output = out
	}
	r.StopDate = stop
	r.HistoryEvents = int(x.events.Load())
	r.StatesEntered = entered
	r.Retries = retries
	if x.mi.typ == TypeStandard {
		r.StateTransitions = entered + retries
	} else {
		r.ExpressRequests = 1
		r.ExpressDuration = stop.Sub(x.start)
	}
	r.Events = evs
	r.Trace = trace
	delete(e.running, x.arn)
	e.mu.Unlock()
	x.ctxExec = nil
	close(x.done)
	return stop
}

// describe renders a finished or running execution as DescribeExecution
// does. sync2 parses Input and Output; otherwise they are JSON strings.
// millis renders dates as epoch milliseconds (optimized integrations),
// otherwise as ISO-8601 strings (AWS SDK integrations).
func describe(r ExecutionRecord, input, output any, sync2, millis bool) map[string]any {
	d := map[string]any{
		"ExecutionArn":    r.ExecutionARN,
		"StateMachineArn": r.StateMachineARN,
		"Name":            r.Name,
		"Status":          string(r.Status),
		"RedriveCount":    0.0,
	}
	date := func(t time.Time) any {
		if millis {
			return float64(t.UnixMilli())
		}
		return isoTime(t)
	}
	d["StartDate"] = date(r.StartDate)
	if r.Status != StatusRunning {
		d["StopDate"] = date(r.StopDate)
		d["RedriveStatus"] = "NOT_REDRIVABLE"
		if r.Status == StatusSucceeded {
			d["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
		}
	}
	if input != nil || r.Status != StatusRunning {
		if sync2 {
			d["Input"] = input
		} else {
			d["Input"] = jsonString(input)
		}
		d["InputDetails"] = map[string]any{"Included": true}
	}
	if r.Status == StatusSucceeded {
		if sync2 {
			d["Output"] = output
		} else {
			d["Output"] = jsonString(output)
		}
		d["OutputDetails"] = map[string]any{"Included": true}
	}
	if r.Status == StatusFailed || r.Status == StatusTimedOut {
		d["Error"] = r.Error
		d["Cause"] = r.Cause
	}
	return d
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// normalize turns any JSON-compatible value into plain JSON values (maps,
// slices, float64, string, bool, nil) and returns its JSON size in bytes.
// A value already made of plain JSON values (what the fakes and the JSONata
// bridge return) is returned as it is: values are never modified in place.
func normalize(v any) (any, int, error) {
	if n, ok := plainSize(v); ok {
		return v, n, nil
	}
	if out, n, err := fastNormalize(v); err == nil {
		return out, n, nil
	}
	b, err := marshal(v)
	if err != nil {
		return nil, 0, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, 0, err
	}
	return out, len(b), nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func jsonSize(v any) int {
	if n, ok := plainSize(v); ok {
		return n
	}
	b, err := marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

func jsonString(v any) string {
	b, err := marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func jsonEqual(a, b any) bool { return jsonString(a) == jsonString(b) }
