package asl

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// inlineMapCap is the concurrency limit of an inline Map state: "Inline mode
// supports up to 40 concurrent iterations" (Step Functions Developer Guide,
// "Using Map state in Inline mode").
const inlineMapCap = 40

// inlineMap runs one attempt of an INLINE Map state. History, in the
// parent's history: MapStateStarted, then per iteration MapIterationStarted,
// the iteration's state events and MapIterationSucceeded (or
// MapIterationFailed / MapIterationAborted), then MapStateSucceeded or
// MapStateFailed. At most min(MaxConcurrency, 40) iterations run at once in
// simulated time.
func (sr *stateRun) inlineMap() (any, *awserr.Error) {
	th, st := sr.th, sr.st
	var b batch
	fields := sr.addMapFields(&b, sr.env())
	if err := sr.runBatch(&b); err != nil {
		return nil, err
	}
	arr, err := sr.itemsArray(fields.items)
	if err != nil {
		return nil, err
	}
	// The thresholds are checked, not applied: they are Distributed Map fields.
	mc, _, err := sr.mapLimits(fields)
	if err != nil {
		return nil, err
	}
	if err := th.ev("MapStateStarted", st.name); err != nil {
		return nil, err
	}
	failed := func(err *awserr.Error) (any, *awserr.Error) {
		if e := th.ev("MapStateFailed", st.name); e != nil {
			return nil, e
		}
		return nil, err
	}
	inputs, err := sr.selectItems(arr, 0)
	if err != nil {
		return failed(err)
	}
	slots := inlineMapCap
	if mc > 0 && mc < slots {
		slots = mc
	}
	ahead := sr.prefetchArguments(inputs)
	results := make([]any, len(inputs))
	errs := make([]*awserr.Error, len(inputs))
	var stop atomic.Bool
	th.now = th.pool(len(inputs), slots, func(i int, it *thread) {
		if stop.Load() {
			return
		}
		if e := th.x.event("MapIterationStarted", st.name, it.now); e != nil {
			errs[i] = e
			stop.Store(true)
			return
		}
		it.vars, it.path, it.stop = newScope(th.vars), th.path+st.name+"["+strconv.Itoa(i)+"]/", &stop
		if ahead != nil && ahead[i] != nil {
			it.firstArgs = &prefetched{st: st.processor.states[st.processor.startAt], res: ahead[i]}
		}
		out, err := it.runMachine(st.processor, inputs[i])
		switch err {
		case nil:
			results[i] = out
			if e := th.x.event("MapIterationSucceeded", st.name, it.now); e != nil {
				errs[i] = e
				stop.Store(true)
			}
		case errStopped:
			errs[i] = err
			_ = th.x.event("MapIterationAborted", st.name, it.now)
		default:
			errs[i] = err
			stop.Store(true)
			_ = th.x.event("MapIterationFailed", st.name, it.now)
		}
	})
	if err := firstError(errs); err != nil {
		return failed(err)
	}
	if err := th.ev("MapStateSucceeded", st.name); err != nil {
		return nil, err
	}
	return results, nil
}

// pool runs fn for indexes 0..n-1 in `slots` threads of th's execution,
// each taking the next index when it is done with one: at most `slots` run at
// once in simulated time. fn gets a thread whose clock is the simulated
// time; pool returns the time the last one finished.
func (th *thread) pool(n, slots int, fn func(i int, it *thread)) time.Time {
	slots = max(1, min(slots, n))
	if n == 0 {
		return th.now
	}
	var next atomic.Int64
	g := th.x.ex.clock.group()
	for w := 0; w < slots; w++ {
		g.spawn(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i, &thread{x: th.x, vars: th.vars, now: th.x.ex.clock.time()})
			}
		})
	}
	return g.wait()
}

// mapFields are the fields both kinds of Map state evaluate on entry.
type mapFields struct {
	items, maxConcurrency, tolCount, tolPct *batchItem
}

// addMapFields queues the Map fields in b, evaluated in env (the state's
// other fields share env, so that they go to JSONata in one request).
func (sr *stateRun) addMapFields(b *batch, env *evalEnv) mapFields {
	st := sr.st
	return mapFields{
		items:          b.add(st.items, "Items", env),
		maxConcurrency: b.add(st.maxConcurrency, "MaxConcurrency", env),
		tolCount:       b.add(st.tolCount, "ToleratedFailureCount", env),
		tolPct:         b.add(st.tolPct, "ToleratedFailurePercentage", env),
	}
}

// mapLimits checks the evaluated MaxConcurrency and tolerated failures.
func (sr *stateRun) mapLimits(f mapFields) (int, tolerated, *awserr.Error) {
	mc, err := sr.intField(f.maxConcurrency, "MaxConcurrency", 0)
	if err != nil {
		return 0, tolerated{}, err
	}
	tol, err := sr.tolerance(f.tolCount, f.tolPct)
	return mc, tol, err
}

// itemsArray returns the items, failing as AWS does (causes recorded in
// LocalStack's test_map_item_* snapshots) when they are not an array.
func (sr *stateRun) itemsArray(itemsI *batchItem) ([]any, *awserr.Error) {
	if !itemsI.set {
		if arr, ok := sr.input.([]any); ok {
			return arr, nil
		}
		return nil, sr.stateErr(ErrQueryEvaluation, "Map state input must be an array but was: "+jsonString(sr.input))
	}
	if arr, ok := itemsI.value.([]any); ok {
		return arr, nil
	}
	return nil, sr.stateErr(ErrQueryEvaluation, fmt.Sprintf(
		"The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s",
		sr.st.items.expr, jsonType(itemsI.value), jsonString(itemsI.value)))
}

func (sr *stateRun) intField(it *batchItem, field string, def int) (int, *awserr.Error) {
	if !it.set {
		return def, nil
	}
	n, ok := intValue(it.value)
	if !ok || n < 0 {
		return 0, sr.stateErr(ErrQueryEvaluation, fmt.Sprintf("The %s field must be a non-negative integer, got %s.", field, jsonString(it.value)))
	}
	return n, nil
}

// batchLimit is an ItemBatcher limit: absent means none (0), and a value
// given must be a positive integer (AWS: "evaluates to a positive integer").
func (sr *stateRun) batchLimit(it *batchItem, field string) (int, *awserr.Error) {
	n, err := sr.intField(it, field, 0)
	if err == nil && it.set && n < 1 {
		return 0, sr.stateErr(ErrQueryEvaluation, fmt.Sprintf("The %s field must be a positive integer, got %s.", field, jsonString(it.value)))
	}
	return n, err
}
