package asl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// distributedMapCap is the most child executions a Distributed Map runs at
// once: "up to 10,000 parallel child workflow executions" (Step Functions
// Developer Guide, "Using Map state in Distributed mode"); MaxConcurrency 0
// means that limit.
const distributedMapCap = 10000

// distributedMap runs one attempt of a DISTRIBUTED Map state. History, in
// the parent's history: MapStateStarted, MapRunStarted, MapRunSucceeded (or
// MapRunFailed), MapStateSucceeded (or MapStateFailed). Each child is a
// separate execution with its own history, counts and record. Items are
// read, selected and batched page by page, and each batch starts a child as
// soon as one of the MaxConcurrency slots is free in simulated time.
func (sr *stateRun) distributedMap() (any, *awserr.Error) {
	th, st := sr.th, sr.st
	cfg, err := sr.distributedFields()
	if err != nil {
		return nil, err
	}
	if err := th.ev("MapStateStarted", st.name); err != nil {
		return nil, err
	}
	run := sr.newMapRun(cfg)
	defer run.cancel()
	if err := th.ev("MapRunStarted", st.name); err != nil {
		return nil, err
	}
	next, err := sr.itemSource(cfg)
	if err != nil {
		return run.failed(err)
	}
	readErr := run.feed(next, cfg.batcher)
	th.now = run.children.wait()
	if th.x.ctx.Err() != nil {
		return nil, newErr("asl.Aborted", "execution aborted")
	}
	if readErr != nil {
		return run.failed(readErr)
	}
	if run.tol.exceeded(int(run.failedItems.Load()), int(run.total.Load())) {
		return run.failed(newErr(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
	}
	if err := th.ev("MapRunSucceeded", st.name); err != nil {
		return nil, err
	}
	if err := th.ev("MapStateSucceeded", st.name); err != nil {
		return nil, err
	}
	return run.results, nil
}

// distributedConfig is a Distributed Map attempt's evaluated fields.
type distributedConfig struct {
	fields                mapFields
	readerArgs, readerMax *batchItem
	maxConcurrency        int
	tol                   tolerated
	batcher               *childBatcher
}

// distributedFields evaluates the Map's fields, ItemReader and ItemBatcher
// in one round trip and checks their values.
func (sr *stateRun) distributedFields() (distributedConfig, *awserr.Error) {
	st := sr.st
	var b batch
	env := sr.env()
	cfg := distributedConfig{fields: sr.addMapFields(&b, env)}
	var batchMax, batchBytes, batchInput *batchItem
	if st.reader != nil {
		cfg.readerArgs = b.add(st.reader.args, "ItemReader/Arguments", env)
		cfg.readerMax = b.add(st.reader.maxItems, "ItemReader/ReaderConfig/MaxItems", env)
	}
	if st.batcher != nil {
		batchMax = b.add(st.batcher.maxItems, "ItemBatcher/MaxItemsPerBatch", env)
		batchBytes = b.add(st.batcher.maxBytes, "ItemBatcher/MaxInputBytesPerBatch", env)
		batchInput = b.add(st.batcher.batchInput, "ItemBatcher/BatchInput", env)
	}
	if err := sr.runBatch(&b); err != nil {
		return cfg, err
	}
	var err *awserr.Error
	if cfg.maxConcurrency, cfg.tol, err = sr.mapLimits(cfg.fields); err != nil {
		return cfg, err
	}
	cfg.batcher = &childBatcher{batched: st.batcher != nil, batchInput: batchInput}
	if st.batcher != nil {
		if cfg.batcher.maxItems, err = sr.batchLimit(batchMax, "MaxItemsPerBatch"); err != nil {
			return cfg, err
		}
		if cfg.batcher.maxBytes, err = sr.batchLimit(batchBytes, "MaxInputBytesPerBatch"); err != nil {
			return cfg, err
		}
		cfg.batcher.maxBytes = min(cfg.batcher.maxBytes, MaxPayloadBytes)
	}
	return cfg, nil
}

// itemSource returns where the items come from: the ItemReader, page by
// page, or Items, as one page. next returns nil at the end.
func (sr *stateRun) itemSource(cfg distributedConfig) (next func() ([]any, *awserr.Error), err *awserr.Error) {
	st := sr.st
	if st.reader == nil {
		arr, err := sr.itemsArray(cfg.fields.items)
		if err != nil {
			return nil, err
		}
		return func() ([]any, *awserr.Error) {
			page := arr
			arr = nil
			return page, nil
		}, nil
	}
	args, ok := cfg.readerArgs.value.(map[string]any)
	if !ok {
		return nil, newErr(ErrItemReaderFailed, "The ItemReader Arguments must be a JSON object.")
	}
	limit, err := sr.intField(cfg.readerMax, "ItemReader/ReaderConfig/MaxItems", 0)
	if err != nil {
		return nil, err
	}
	if st.reader.json {
		return (&jsonReader{sr: sr, args: args, pointer: st.reader.pointer, limit: limit}).next, nil
	}
	return (&objectLister{sr: sr, args: args, limit: limit}).next, nil
}

// mapRun is one Map Run: the child executions it starts, at most
// MaxConcurrency at once on the simulated clock, their results in item
// order, and the failures counted against the tolerated threshold.
type mapRun struct {
	sr       *stateRun
	arn      string
	child    *machineInfo
	tol      tolerated
	ctx      context.Context
	cancel   context.CancelFunc
	slots    *slots
	children *group

	mu                 sync.Mutex
	results            []any
	stop               atomic.Bool
	total, failedItems atomic.Int64
}

// newMapRun names the Map Run (its label, else a sequence number) and its
// child state machine.
func (sr *stateRun) newMapRun(cfg distributedConfig) *mapRun {
	x, st := sr.th.x, sr.st
	e := x.ex
	e.mu.Lock()
	e.mapRuns++
	runNo := e.mapRuns
	e.mu.Unlock()
	label := st.label
	if label == "" {
		label = fmt.Sprintf("%08x", runNo)
	}
	slotCount := distributedMapCap
	if mc := cfg.maxConcurrency; mc > 0 && mc < slotCount {
		slotCount = mc
	}
	r := &mapRun{
		sr:  sr,
		arn: fmt.Sprintf("%s/%s:%s", strings.Replace(x.mi.arn, ":stateMachine:", ":mapRun:", 1), label, e.uuid()),
		child: &machineInfo{
			arn:  x.mi.arn + "/" + label,
			name: x.mi.name + "/" + label,
			typ:  st.execType,
			def:  st.processor,
		},
		tol:      cfg.tol,
		slots:    e.clock.slots(slotCount),
		children: e.clock.group(),
	}
	r.ctx, r.cancel = context.WithCancel(x.ctx)
	return r
}

// failed records the Map Run's and the state's failure.
func (r *mapRun) failed(err *awserr.Error) (any, *awserr.Error) {
	th, name := r.sr.th, r.sr.st.name
	if e := th.ev("MapRunFailed", name); e != nil {
		return nil, e
	}
	if e := th.ev("MapStateFailed", name); e != nil {
		return nil, e
	}
	return nil, err
}

// feed reads the items page by page and starts a child for each batch as
// it fills, until the items end, reading fails or the run stops.
func (r *mapRun) feed(next func() ([]any, *awserr.Error), cb *childBatcher) *awserr.Error {
	var readErr *awserr.Error
	for offset := 0; !r.stop.Load() && r.ctx.Err() == nil; {
		page, err := next()
		if err != nil {
			readErr = err
			break
		}
		if page == nil {
			break
		}
		inputs, err := r.sr.selectItems(page, offset)
		if err != nil {
			readErr = err
			break
		}
		offset += len(page)
		r.total.Add(int64(len(page)))
		for _, c := range cb.add(inputs) {
			r.start(c)
		}
	}
	if readErr != nil {
		r.stop.Store(true)
		r.cancel()
		return readErr
	}
	for _, c := range cb.flush() {
		r.start(c)
	}
	return nil
}

// start runs one child execution once a slot is free. A failed child
// counts its items; past the tolerated threshold the run stops and the
// running children are aborted.
func (r *mapRun) start(c childInput) {
	r.slots.acquire()
	if r.stop.Load() || r.ctx.Err() != nil {
		r.slots.release()
		return
	}
	r.mu.Lock()
	i := len(r.results)
	r.results = append(r.results, nil)
	r.mu.Unlock()
	x := r.sr.th.x
	e := x.ex
	// Named here, in item order, not when the goroutine runs: a child's name
	// seeds its retries' jitter, so a run repeats itself.
	name := e.uuid()
	r.children.spawn(func() {
		defer r.slots.release()
		now := e.clock.time()
		e.mu.Lock()
		cx := e.newExecution(r.ctx, r.child, executionARN(r.child, name, e), name, c.input, now, e.cfg.childPayloads)
		cx.rec.ParentARN = x.arn
		cx.rec.MapRunARN = r.arn
		e.mu.Unlock()
		out, cerr, _ := e.run(cx)
		if cerr == nil {
			r.mu.Lock()
			r.results[i] = out
			r.mu.Unlock()
			return
		}
		if r.tol.exceeded(int(r.failedItems.Add(int64(c.items))), int(r.total.Load())) && !r.stop.Swap(true) {
			r.cancel()
		}
	})
}
