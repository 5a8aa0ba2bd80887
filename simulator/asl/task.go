package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// task runs one attempt of a Task state. History: [EvaluationFailed] or
// TaskScheduled, TaskStarted, [TaskSubmitted for .sync], then TaskSucceeded,
// TaskFailed or TaskTimedOut.
func (sr *stateRun) task() (any, *awserr.Error) {
	th, st := sr.th, sr.st
	args, timeout, err := sr.taskArguments()
	if err != nil {
		return nil, err
	}
	if n := jsonSize(args); n > MaxPayloadBytes {
		return nil, newErr(ErrDataLimitExceeded, fmt.Sprintf("The Arguments of Task state '%s' (%d bytes) exceed the maximum of %d bytes.", st.name, n, MaxPayloadBytes))
	}
	if err := th.ev("TaskScheduled", st.name); err != nil {
		return nil, err
	}
	if err := th.ev("TaskStarted", st.name); err != nil {
		return nil, err
	}
	var result any
	switch st.resource.kind {
	case resSDK:
		result, err = sr.callSDK(args)
	default:
		result, err = sr.startExecution(args, timeout)
	}
	if err != nil {
		if err.Name == ErrTimeout {
			return nil, sr.taskEvent("TaskTimedOut", err)
		}
		if err.Name == "asl.Aborted" || th.x.ctx.Err() != nil {
			return nil, err
		}
		return nil, sr.taskFailed(err)
	}
	norm, size, nerr := normalize(result)
	if nerr != nil {
		return nil, sr.taskFailed(newErr(ErrTaskFailed, "the integration returned a value that is not JSON: "+nerr.Error()))
	}
	if size > MaxPayloadBytes {
		return nil, sr.taskFailed(sr.tooLarge())
	}
	if err := th.ev("TaskSucceeded", st.name); err != nil {
		return nil, err
	}
	return norm, nil
}

func (sr *stateRun) taskFailed(err *awserr.Error) *awserr.Error {
	return sr.taskEvent("TaskFailed", err)
}

func (sr *stateRun) taskEvent(typ string, err *awserr.Error) *awserr.Error {
	if e := sr.th.ev(typ, sr.st.name); e != nil {
		return e
	}
	return err
}

func (sr *stateRun) callSDK(args map[string]any) (any, *awserr.Error) {
	x := sr.th.x
	r := sr.st.resource
	if r.service == "sfn" && r.action == "describeExecution" {
		if arn, _ := args["ExecutionArn"].(string); arn != "" {
			if rec, ok := x.ex.Execution(arn); ok {
				return describe(rec, rec.Input, rec.Output, false, false), nil
			}
			if x.ex.ownsExecutionARN(arn) {
				return nil, newErr(ErrSdkExecutionDoesNotExist, fmt.Sprintf("Execution Does Not Exist: '%s'", arn))
			}
		}
	}
	if x.ex.integ == nil {
		return nil, newErr(ErrTaskFailed, "no integration configured for "+r.arn)
	}
	return sr.th.call(r.service, r.action, args)
}

// startExecution implements arn:aws:states:::states:startExecution,
// .sync and .sync:2 (the optimized Step Functions integration).
func (sr *stateRun) startExecution(args map[string]any, timeout int) (any, *awserr.Error) {
	th, st := sr.th, sr.st
	x := th.x
	smArn, _ := args["StateMachineArn"].(string)
	if smArn == "" {
		return nil, newErr("StepFunctions.InvalidArnException", "Invalid Arn: 'StateMachineArn' is required")
	}
	name, _ := args["Name"].(string)
	var input any = map[string]any{}
	if in, ok := args["Input"]; ok && in != nil {
		input = in
		if s, isStr := in.(string); isStr {
			if err := json.Unmarshal([]byte(s), &input); err != nil {
				return nil, newErr(ErrInvalidExecutionInput, "Invalid State Machine Execution Input: '"+err.Error()+"'")
			}
		}
	}
	// A .sync child is stopped with its parent; a fire-and-forget child
	// lives on its own.
	ctx := x.ctx
	if st.resource.kind == resStartExecution {
		ctx = context.WithoutCancel(ctx)
	}
	child, existing, err := x.ex.begin(ctx, smArn, name, input, x, th.now)
	if err != nil {
		return nil, err
	}
	if st.resource.kind == resStartExecution {
		if !existing {
			x.ex.bg.Add(1)
			x.ex.clock.enter()
			go func() {
				defer x.ex.bg.Done()
				defer x.ex.clock.exit()
				x.ex.execute(child)
			}()
		}
		return map[string]any{"ExecutionArn": child.arn, "StartDate": float64(child.start.UnixMilli())}, nil
	}
	if e := th.ev("TaskSubmitted", st.name); e != nil {
		return nil, e
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = th.now.Add(time.Duration(timeout) * time.Second)
	}
	timedOut := x.ex.clock.race(deadline, func() {
		if existing {
			x.ex.clock.blockOn(child.done)
		} else {
			x.ex.execute(child)
		}
	})
	th.now = x.ex.clock.time()
	rec, _ := x.ex.Execution(child.arn)
	if timedOut {
		return nil, newErr(ErrTimeout, fmt.Sprintf("The task '%s' timed out after %d seconds waiting for execution %s.", st.name, timeout, child.arn))
	}
	sync2 := st.resource.kind == resStartExecutionSync2
	d := describe(rec, child.input, rec.Output, sync2, true)
	if rec.Status != StatusSucceeded {
		// As the optimized integration does: the task fails with
		// States.TaskFailed and the child's DescribeExecution output (with
		// its Error and Cause) as the cause.
		return nil, newErr(ErrTaskFailed, jsonString(d))
	}
	return d, nil
}

// taskArgs are a Task's evaluated Arguments and TimeoutSeconds.
type taskArgs struct {
	args    map[string]any
	timeout int
}

// taskArguments evaluates the Task's Arguments and TimeoutSeconds. A retry
// reuses the first attempt's values when no expression of them can give
// another value: nothing but $states.context changes between attempts
// (variables are assigned when the state ends, its input is fixed), so an
// expression that reads neither the context nor an impure function
// evaluates to the same value again.
func (sr *stateRun) taskArguments() (map[string]any, int, *awserr.Error) {
	if sr.taskArgs != nil {
		return sr.taskArgs.args, sr.taskArgs.timeout, nil
	}
	st := sr.st
	var b batch
	env := sr.env()
	argsItem := b.add(st.arguments, "Arguments", env)
	toItem := b.add(st.timeout, "TimeoutSeconds", env)
	p := sr.th.firstArgs
	sr.th.firstArgs = nil
	// Evaluated ahead: used when they passed the checks (a failure is
	// evaluated again, so that it is reported as any other).
	if p == nil || p.st != st || len(p.res) != len(b.exprs) || b.finish(p.res) != nil {
		if err := sr.runBatch(&b); err != nil {
			return nil, 0, err
		}
	}
	args := map[string]any{}
	if argsItem.set {
		m, ok := argsItem.value.(map[string]any)
		if !ok {
			return nil, 0, sr.stateErr(ErrRuntime, "The Arguments field must be a JSON object, got "+jsonString(argsItem.value)+".")
		}
		args = m
	}
	timeout := 0
	if toItem.set {
		n, ok := intValue(toItem.value)
		if !ok || n <= 0 {
			return nil, 0, sr.stateErr(ErrQueryEvaluation, "The TimeoutSeconds field must be a positive integer, got "+jsonString(toItem.value)+".")
		}
		timeout = n
	}
	if sameEveryAttempt(st.arguments) && sameEveryAttempt(st.timeout) {
		sr.taskArgs = &taskArgs{args: args, timeout: timeout}
	}
	return args, timeout, nil
}

// impure are the functions whose value may change from call to call
// (Step Functions' $random and $uuid; JSONata's $now and $millis).
var impure = []string{"random", "uuid", "now", "millis"}

// sameEveryAttempt reports whether every expression of t gives the same
// value in each attempt of its state.
func sameEveryAttempt(t *tmpl) bool {
	same := true
	t.exprs("", func(e *tmpl, _ string) {
		if e.refs.states&partContext != 0 {
			same = false
		}
		for _, v := range e.refs.vars {
			if slices.Contains(impure, v) {
				same = false
			}
		}
	})
	return same
}
