package asl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// scope holds workflow variables. A Map iteration or Parallel branch gets a
// scope whose parent is the enclosing one: it reads outer variables and its
// own Assign never changes them. Distributed Map children get a fresh root.
type scope struct {
	parent  *scope
	mu      sync.RWMutex
	vals    map[string]any
	encoded map[string]encodedJSON // vals sent to the JSONata engine, by name
	gen     uint64                 // counts set calls: an encoding of an older value is not kept
}

func newScope(parent *scope) *scope { return &scope{parent: parent, vals: map[string]any{}} }

// getEncoded returns the variable's value for the JSONata engine: as JSON,
// encoded the first time it is asked for. A Distributed Map child reads the
// same $plan for each of its hundreds of items (measured with go tool pprof: encoding
// requests was the largest Go cost of the 100,000-object run).
func (s *scope) getEncoded(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		c.mu.RLock()
		v, ok := c.vals[name]
		e, done := c.encoded[name]
		gen := c.gen
		c.mu.RUnlock()
		if !ok {
			continue
		}
		if done {
			return e, true
		}
		b, err := marshalUnordered(v)
		if err != nil {
			return v, true // the request's encoding reports it
		}
		c.mu.Lock()
		if c.gen == gen {
			if c.encoded == nil {
				c.encoded = map[string]encodedJSON{}
			}
			c.encoded[name] = b
		}
		c.mu.Unlock()
		return encodedJSON(b), true
	}
	return nil, false
}

func (s *scope) set(vals map[string]any) {
	s.mu.Lock()
	s.gen++
	for k, v := range vals {
		s.vals[k] = v
		delete(s.encoded, k)
	}
	s.mu.Unlock()
}

// encodedJSON is a value already encoded as JSON.
type encodedJSON []byte

// MarshalJSON returns e itself.
func (e encodedJSON) MarshalJSON() ([]byte, error) { return e, nil }

// thread is one line of control inside an execution: the execution itself,
// a Map iteration or a Parallel branch. now is its simulated clock.
type thread struct {
	x    *execution
	vars *scope
	now  time.Time
	path string       // trace path prefix, e.g. "Map[2]/"
	stop *atomic.Bool // set when a sibling iteration or branch failed
	// firstArgs are the Arguments of the thread's first state, evaluated
	// ahead with its siblings' (see prefetchArguments); nil when not.
	firstArgs *prefetched
}

// errStopped is returned by a thread stopped because a sibling failed.
var errStopped = newErr("asl.Stopped", "stopped because a sibling iteration or branch failed")

// check is called before each state: it fails the thread when the execution
// was aborted, timed out or reached its history limit.
func (th *thread) check() *awserr.Error {
	x := th.x
	if x.limitHit.Load() {
		return newErr(ErrRuntime, historyLimitCause)
	}
	if x.timedOut.Load() {
		return newErr(ErrTimeout, "The execution timed out.")
	}
	if err := x.ctx.Err(); err != nil {
		return newErr("asl.Aborted", "execution aborted: "+err.Error())
	}
	if th.stop != nil && th.stop.Load() {
		return errStopped
	}
	if !x.deadline.IsZero() && th.now.After(x.deadline) {
		th.now = x.deadline
		x.timedOut.Store(true)
		return newErr(ErrTimeout, "The execution timed out.")
	}
	return nil
}

// terminal reports whether err ends the execution regardless of Retry and
// Catch.
func (th *thread) terminal(err *awserr.Error) bool {
	return err.Name == ErrRuntime || err == errStopped || th.x.timedOut.Load() || th.x.ctx.Err() != nil
}

func (th *thread) ev(typ, state string) *awserr.Error { return th.x.event(typ, state, th.now) }

// runMachine runs states from StartAt until a terminal state.
func (th *thread) runMachine(def *smDef, input any) (any, *awserr.Error) {
	cur := def.startAt
	for {
		if err := th.check(); err != nil {
			return nil, err
		}
		st := def.states[cur]
		out, next, err := th.runState(st, input)
		th.firstArgs = nil // only the first state's input is the one evaluated ahead
		if err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		cur, input = next, out
	}
}

// stateRun carries what one state visit's expressions see.
type stateRun struct {
	th        *thread
	st        *stateDef
	input     any
	entered   time.Time
	enteredID int // id of the StateEntered event
	retries   int
	// taskArgs are a Task's evaluated Arguments and TimeoutSeconds, kept
	// for its retries when they cannot differ between attempts.
	taskArgs *taskArgs
}

// stateErr is an error the state's own processing raises (an expression, a
// field value): AWS prefixes its cause with the state and the id of its
// StateEntered event, e.g. "An error occurred while executing the state
// 'State0' (entered at the event id #2). The JSONata expression ..."
// (executions recorded on AWS in LocalStack's Step Functions snapshots).
func (sr *stateRun) stateErr(name, cause string) *awserr.Error {
	return newErr(name, fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", sr.st.name, sr.enteredID, cause))
}

func (sr *stateRun) env() *evalEnv {
	return &evalEnv{input: sr.input, vars: sr.th.vars, context: func() map[string]any { return sr.contextObject(nil) }}
}

func (sr *stateRun) contextObject(item map[string]any) map[string]any {
	x := sr.th.x
	c := map[string]any{
		"Execution":    x.ctxExec,
		"StateMachine": x.ctxSM,
		"State": map[string]any{
			"Name":        sr.st.name,
			"EnteredTime": isoTime(sr.entered),
		},
	}
	// RetryCount only where Retry exists: AWS omits it on a Pass state
	// (LocalStack's test_output::test_base_cases[BASE_EXPR]) and has it on
	// a Task (test_base_scenarios, InvokeLambdaWithRetry).
	if sr.st.kind.retries() {
		c["State"].(map[string]any)["RetryCount"] = float64(sr.retries)
	}
	if item != nil {
		c["Map"] = map[string]any{"Item": item}
	}
	return c
}

func (th *thread) runState(st *stateDef, input any) (out any, next string, err *awserr.Error) {
	sr := &stateRun{th: th, st: st, input: input, entered: th.now}
	id, err := th.x.eventID(st.kind.String()+"StateEntered", st.name, th.now)
	if err != nil {
		return nil, "", err
	}
	sr.enteredID = id
	th.x.statesEntered.Add(1)
	defer func() {
		if mode := th.x.ex.cfg.trace; mode != TraceOff && (mode != TraceTop || !strings.Contains(th.path, "[")) {
			t := TraceEntry{State: st.name, Path: th.path + st.name}
			if mode == TraceData {
				t.Input, t.Output = input, out
			}
			if err != nil {
				t.Error = err.Name
			}
			th.x.addTrace(t)
		}
	}()
	switch st.kind {
	case kindPass:
		out, err = sr.complete(st.output, st.assign, input, false, nil)
		next = st.next
	case kindSucceed:
		out, err = sr.complete(st.output, nil, input, false, nil)
	case kindFail:
		return nil, "", sr.fail()
	case kindWait:
		out, err = sr.wait()
		next = st.next
	case kindChoice:
		out, next, err = sr.choice()
	default: // Task, Parallel, Map
		return sr.withRetry()
	}
	if err != nil {
		return nil, "", err
	}
	if e := th.ev(st.kind.String()+"StateExited", st.name); e != nil {
		return nil, "", e
	}
	return out, next, nil
}

// complete evaluates Output and Assign in one round trip (both see the
// variables as they were when the state was entered, and $states.result when
// hasResult), applies Assign and checks the output size.
func (sr *stateRun) complete(outT, assignT *tmpl, defaultOut any, hasResult bool, result any) (any, *awserr.Error) {
	env := sr.env()
	env.hasResult, env.result = hasResult, result
	return sr.completeEnv(env, outT, assignT, defaultOut)
}

func (sr *stateRun) completeEnv(env *evalEnv, outT, assignT *tmpl, defaultOut any) (any, *awserr.Error) {
	var b batch
	o := b.add(outT, "Output", env)
	a := b.add(assignT, "Assign", env)
	if err := sr.runBatch(&b); err != nil {
		return nil, err
	}
	out := defaultOut
	if o.set {
		out = o.value
	}
	if a.set {
		vals, _ := a.value.(map[string]any)
		if err := sr.checkAssign(vals); err != nil {
			return nil, err
		}
		sr.th.vars.set(vals)
	}
	if jsonSize(out) > MaxPayloadBytes {
		return nil, sr.tooLarge()
	}
	return out, nil
}

// tooLarge is the failure of a state whose result or output exceeds the
// 256 KiB quota ("Maximum input or output size for a task, state, or
// execution: 256 KiB of data as a UTF-8 encoded string", Step Functions
// service quotas), with AWS's cause (recorded for a Pass state and a Lambda
// task in LocalStack's test_states_errors snapshots).
func (sr *stateRun) tooLarge() *awserr.Error {
	return newErr(ErrDataLimitExceeded, fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", sr.st.name))
}

func (sr *stateRun) checkAssign(vals map[string]any) *awserr.Error {
	total := 0
	for k, v := range vals {
		n := jsonSize(v)
		if n > MaxPayloadBytes {
			return newErr(ErrDataLimitExceeded, fmt.Sprintf("The variable '%s' assigned in state '%s' exceeds the maximum size of 256 KiB.", k, sr.st.name))
		}
		total += n
	}
	if total > MaxPayloadBytes {
		return newErr(ErrDataLimitExceeded, fmt.Sprintf("The variables assigned in state '%s' exceed the maximum combined size of 256 KiB.", sr.st.name))
	}
	return nil
}

// runBatch evaluates a batch; an evaluation failure is recorded as an
// EvaluationFailed history event.
func (sr *stateRun) runBatch(b *batch) *awserr.Error {
	if err := b.run(sr.th.x.ex.eval); err != nil {
		if e := sr.th.ev("EvaluationFailed", sr.st.name); e != nil {
			return e
		}
		return sr.stateErr(err.Name, err.Cause)
	}
	return nil
}

// tolerated are a Distributed Map's tolerated failures; a threshold applies
// only when its field is set.
type tolerated struct {
	count            int
	pct              float64
	countSet, pctSet bool
}

// exceeded reports whether failed of total items break the thresholds: with
// none set, any failure does.
func (t tolerated) exceeded(failed, total int) bool {
	if t.countSet && failed > t.count {
		return true
	}
	if t.pctSet && total > 0 && float64(failed)*100/float64(total) > t.pct {
		return true
	}
	return !t.countSet && !t.pctSet && failed > 0
}

// tolerance reads a Map's ToleratedFailureCount and
// ToleratedFailurePercentage, with AWS's causes for values out of range
// (States.Runtime, recorded in LocalStack's
// test_map_state_tolerated_failure_{count,percentage}_path).
func (sr *stateRun) tolerance(count, pct *batchItem) (tolerated, *awserr.Error) {
	t := tolerated{countSet: count.set, pctSet: pct.set}
	if count.set {
		f, ok := count.value.(float64)
		if ok && f < 0 {
			return tolerated{}, sr.stateErr(ErrRuntime, "ToleratedFailureCount cannot be negative.")
		}
		if t.count, ok = intValue(count.value); !ok {
			return tolerated{}, sr.stateErr(ErrRuntime, "ToleratedFailureCount must be an integer, got "+jsonString(count.value)+".")
		}
	}
	if pct.set {
		f, ok := pct.value.(float64)
		if !ok || f < 0 || f > 100 {
			return tolerated{}, sr.stateErr(ErrRuntime, "ToleratedFailurePercentage must be between 0 and 100.")
		}
		t.pct = f
	}
	return t, nil
}

func (sr *stateRun) fail() *awserr.Error {
	var b batch
	env := sr.env()
	et := b.add(sr.st.errorT, "Error", env)
	ct := b.add(sr.st.causeT, "Cause", env)
	if err := sr.runBatch(&b); err != nil {
		return err
	}
	name, cause := "", ""
	if et.set {
		s, ok := et.value.(string)
		if !ok {
			return sr.stateErr(ErrQueryEvaluation, "The Error field must be a string, got "+jsonString(et.value)+".")
		}
		name = s
	}
	if ct.set {
		s, ok := ct.value.(string)
		if !ok {
			return sr.stateErr(ErrQueryEvaluation, "The Cause field must be a string, got "+jsonString(ct.value)+".")
		}
		cause = s
	}
	return &awserr.Error{Name: name, Cause: cause}
}

func (sr *stateRun) wait() (any, *awserr.Error) {
	th, st := sr.th, sr.st
	var b batch
	env := sr.env()
	s := b.add(st.seconds, "Seconds", env)
	ts := b.add(st.timestamp, "Timestamp", env)
	if err := sr.runBatch(&b); err != nil {
		return nil, err
	}
	until := th.now
	if s.set {
		n, ok := intValue(s.value)
		if !ok || n < 0 {
			return nil, sr.stateErr(ErrQueryEvaluation, "The Seconds field must be a non-negative integer, got "+jsonString(s.value)+".")
		}
		until = th.now.Add(time.Duration(n) * time.Second)
	} else {
		str, isStr := ts.value.(string)
		t, err := time.Parse(time.RFC3339Nano, str)
		if err != nil {
			if !isStr {
				str = jsonString(ts.value)
			}
			// AWS's cause (test_wait_timestamp_jsonata recordings).
			return nil, sr.stateErr(ErrQueryEvaluation, "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+str)
		}
		if t.After(until) {
			until = t
		}
	}
	if err := th.sleep(until); err != nil {
		return nil, err
	}
	if err := th.check(); err != nil {
		return nil, err
	}
	return sr.complete(st.output, st.assign, sr.input, false, nil)
}

func (sr *stateRun) choice() (any, string, *awserr.Error) {
	st := sr.st
	var b batch
	env := sr.env()
	conds := make([]*batchItem, len(st.choices))
	for i, c := range st.choices {
		conds[i] = b.add(c.condition, "Condition", env)
	}
	if err := sr.runBatch(&b); err != nil {
		return nil, "", err
	}
	for i, c := range conds {
		ok, isBool := c.value.(bool)
		if !isBool {
			return nil, "", sr.stateErr(ErrQueryEvaluation, fmt.Sprintf("The Condition of Choices[%d] must evaluate to a boolean, got %s.", i, jsonString(c.value)))
		}
		if ok {
			rule := st.choices[i]
			outT, assignT := st.output, st.assign
			if rule.output != nil {
				outT = rule.output
			}
			if rule.assign != nil {
				assignT = rule.assign
			}
			out, err := sr.complete(outT, assignT, sr.input, false, nil)
			return out, rule.next, err
		}
	}
	if st.defaultNext == "" {
		return nil, "", newErr(ErrNoChoiceMatched, fmt.Sprintf("No Choice Rules matched and no Default was specified in state '%s'.", st.name))
	}
	out, err := sr.complete(st.output, st.assign, sr.input, false, nil)
	return out, st.defaultNext, err
}

// attemptFunc runs one attempt of a Task, Parallel or Map state and returns
// its result ($states.result).
type attemptFunc func(sr *stateRun) (any, *awserr.Error)

// withRetry runs a Task, Parallel or Map state: attempts, Retry, Output and
// Assign, Catch.
func (sr *stateRun) withRetry() (any, string, *awserr.Error) {
	th, st := sr.th, sr.st
	var attempt attemptFunc
	switch st.kind {
	case kindTask:
		attempt = (*stateRun).task
	case kindParallel:
		attempt = (*stateRun).parallel
	default:
		if st.distributed {
			attempt = (*stateRun).distributedMap
		} else {
			attempt = (*stateRun).inlineMap
		}
	}
	used := make([]int, len(st.retry))
	for {
		result, err := attempt(sr)
		// A Map or Parallel result is capped like a task's (task checks its
		// own): a Map without ResultWriter gathers every iteration's or
		// child's output into it, and AWS points at ResultWriter "if your
		// output payload size exceeds 256 KiB" (ResultWriter (Map)). The cap
		// applies before Output can reduce the result.
		if err == nil && st.kind != kindTask && jsonSize(result) > MaxPayloadBytes {
			err = sr.tooLarge()
		}
		var out any
		if err == nil {
			out, err = sr.complete(st.output, st.assign, result, true, result)
		}
		if err == nil {
			if e := th.ev(st.kind.String()+"StateExited", st.name); e != nil {
				return nil, "", e
			}
			return out, st.next, nil
		}
		if th.terminal(err) {
			return nil, "", err
		}
		if i := matchRetrier(st.retry, err.Name); i >= 0 && used[i] < st.retry[i].maxAttempts {
			r := st.retry[i]
			delay := r.interval * math.Pow(r.backoff, float64(used[i]))
			if r.maxDelay > 0 && delay > r.maxDelay {
				delay = r.maxDelay
			}
			if r.jitter {
				delay *= jitterFraction(th.x.arn, th.path+st.name, sr.retries)
			}
			used[i]++
			sr.retries++
			th.x.retries.Add(1)
			if e := th.sleep(th.now.Add(time.Duration(delay * float64(time.Second)))); e != nil {
				return nil, "", e
			}
			if e := th.check(); e != nil {
				return nil, "", e
			}
			continue
		}
		for _, c := range st.catch {
			if !errorMatches(c.errorEquals, err.Name) {
				continue
			}
			errOut := map[string]any{"Error": err.Name, "Cause": err.Cause}
			env := sr.env()
			env.hasErrOut, env.errorOutput = true, errOut
			out, cerr := sr.completeEnv(env, c.output, c.assign, errOut)
			if cerr != nil {
				return nil, "", cerr
			}
			if e := th.ev(st.kind.String()+"StateExited", st.name); e != nil {
				return nil, "", e
			}
			return out, c.next, nil
		}
		return nil, "", err
	}
}

func matchRetrier(rs []*retrier, name string) int {
	for i, r := range rs {
		if errorMatches(r.errorEquals, name) {
			return i
		}
	}
	return -1
}

// parallel runs every branch concurrently on the same input.
func (sr *stateRun) parallel() (any, *awserr.Error) {
	th, st := sr.th, sr.st
	var b batch
	args := b.add(st.arguments, "Arguments", sr.env())
	if err := sr.runBatch(&b); err != nil {
		return nil, err
	}
	in := sr.input
	if args.set {
		in = args.value
	}
	if err := th.ev("ParallelStateStarted", st.name); err != nil {
		return nil, err
	}
	results := make([]any, len(st.branches))
	errs := make([]*awserr.Error, len(st.branches))
	var stop atomic.Bool
	g := th.x.ex.clock.group()
	for i, br := range st.branches {
		g.spawn(func() {
			bt := &thread{x: th.x, vars: newScope(th.vars), now: th.now, path: th.path + st.name + "#" + strconv.Itoa(i) + "/", stop: &stop}
			results[i], errs[i] = bt.runMachine(br, in)
			if errs[i] != nil && errs[i] != errStopped {
				stop.Store(true)
			}
		})
	}
	th.now = g.wait()
	if err := firstError(errs); err != nil {
		if e := th.ev("ParallelStateFailed", st.name); e != nil {
			return nil, e
		}
		return nil, err
	}
	if err := th.ev("ParallelStateSucceeded", st.name); err != nil {
		return nil, err
	}
	return results, nil
}

// firstError returns the error of the lowest-index failed branch or
// iteration, preferring real failures over sibling stops.
func firstError(errs []*awserr.Error) *awserr.Error {
	var stopped *awserr.Error
	for _, e := range errs {
		if e == nil {
			continue
		}
		if e == errStopped {
			stopped = e
			continue
		}
		return e
	}
	return stopped
}
