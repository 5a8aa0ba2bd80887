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
	x := th.x
	e := x.ex
	var b batch
	env := sr.env()
	fields := sr.addMapFields(&b, env)
	var readerArgs, readerMax, batchMax, batchBytes, batchInput *batchItem
	if st.reader != nil {
		readerArgs = b.add(st.reader.args, "ItemReader/Arguments", env)
		readerMax = b.add(st.reader.maxItems, "ItemReader/ReaderConfig/MaxItems", env)
	}
	if st.batcher != nil {
		batchMax = b.add(st.batcher.maxItems, "ItemBatcher/MaxItemsPerBatch", env)
		batchBytes = b.add(st.batcher.maxBytes, "ItemBatcher/MaxInputBytesPerBatch", env)
		batchInput = b.add(st.batcher.batchInput, "ItemBatcher/BatchInput", env)
	}
	if err := sr.runBatch(&b); err != nil {
		return nil, err
	}
	mc, tol, err := sr.mapLimits(fields)
	if err != nil {
		return nil, err
	}
	cb := &childBatcher{batched: st.batcher != nil, batchInput: batchInput}
	if st.batcher != nil {
		if cb.maxItems, err = sr.intField(batchMax, "MaxItemsPerBatch", 0); err != nil {
			return nil, err
		}
		if cb.maxBytes, err = sr.intField(batchBytes, "MaxInputBytesPerBatch", 0); err != nil {
			return nil, err
		}
		cb.maxBytes = min(cb.maxBytes, MaxPayloadBytes)
	}
	if err := th.ev("MapStateStarted", st.name); err != nil {
		return nil, err
	}
	label := st.label
	e.mu.Lock()
	e.mapRuns++
	runNo := e.mapRuns
	e.mu.Unlock()
	if label == "" {
		label = fmt.Sprintf("%08x", runNo)
	}
	mapRunARN := fmt.Sprintf("%s/%s:%s", strings.Replace(x.mi.arn, ":stateMachine:", ":mapRun:", 1), label, e.uuid())
	if err := th.ev("MapRunStarted", st.name); err != nil {
		return nil, err
	}
	failed := func(err *awserr.Error) (any, *awserr.Error) {
		if e := th.ev("MapRunFailed", st.name); e != nil {
			return nil, e
		}
		if e := th.ev("MapStateFailed", st.name); e != nil {
			return nil, e
		}
		return nil, err
	}

	// Where the items come from: the ItemReader, page by page, or Items.
	var next func() ([]any, *awserr.Error)
	if st.reader != nil {
		args, ok := readerArgs.value.(map[string]any)
		if !ok {
			return failed(newErr(ErrItemReaderFailed, "The ItemReader Arguments must be a JSON object."))
		}
		limit, err := sr.intField(readerMax, "ItemReader/ReaderConfig/MaxItems", 0)
		if err != nil {
			return failed(err)
		}
		if st.reader.json {
			next = (&jsonReader{sr: sr, args: args, pointer: st.reader.pointer, limit: limit}).next
		} else {
			next = (&objectLister{sr: sr, args: args, limit: limit}).next
		}
	} else {
		arr, err := sr.itemsArray(fields.items)
		if err != nil {
			return failed(err)
		}
		next = func() ([]any, *awserr.Error) {
			page := arr
			arr = nil
			return page, nil
		}
	}

	childMI := &machineInfo{
		arn:  x.mi.arn + "/" + label,
		name: x.mi.name + "/" + label,
		typ:  st.execType,
		def:  st.processor,
	}
	var total, failedItems atomic.Int64
	slotCount := distributedMapCap
	if mc > 0 && mc < slotCount {
		slotCount = mc
	}
	runCtx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	sem := e.clock.slots(slotCount)
	g := e.clock.group()
	var (
		mu      sync.Mutex
		results []any
		stop    atomic.Bool
	)
	start := func(c childInput) {
		sem.acquire()
		if stop.Load() || runCtx.Err() != nil {
			sem.release()
			return
		}
		mu.Lock()
		i := len(results)
		results = append(results, nil)
		mu.Unlock()
		g.spawn(func() {
			defer sem.release()
			now := e.clock.time()
			name := e.uuid()
			e.mu.Lock()
			cx := e.newExecution(runCtx, childMI, executionARN(childMI, name, e), name, c.input, now, e.cfg.childPayloads)
			cx.rec.ParentARN = x.arn
			cx.rec.MapRunARN = mapRunARN
			e.mu.Unlock()
			out, cerr, _ := e.run(cx)
			if cerr == nil {
				mu.Lock()
				results[i] = out
				mu.Unlock()
				return
			}
			if tol.exceeded(int(failedItems.Add(int64(c.items))), int(total.Load())) && !stop.Swap(true) {
				cancel()
			}
		})
	}
	var readErr *awserr.Error
	for offset := 0; !stop.Load() && runCtx.Err() == nil; {
		page, err := next()
		if err != nil {
			readErr = err
			break
		}
		if page == nil {
			break
		}
		inputs, err := sr.selectItems(page, offset)
		if err != nil {
			readErr = err
			break
		}
		offset += len(page)
		total.Add(int64(len(page)))
		for _, c := range cb.add(inputs) {
			start(c)
		}
	}
	if readErr == nil {
		for _, c := range cb.flush() {
			start(c)
		}
	} else {
		stop.Store(true)
		cancel()
	}
	th.now = g.wait()
	if x.ctx.Err() != nil {
		return nil, newErr("asl.Aborted", "execution aborted")
	}
	if readErr != nil {
		return failed(readErr)
	}
	if tol.exceeded(int(failedItems.Load()), int(total.Load())) {
		return failed(newErr(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded"))
	}
	if err := th.ev("MapRunSucceeded", st.name); err != nil {
		return nil, err
	}
	if err := th.ev("MapStateSucceeded", st.name); err != nil {
		return nil, err
	}
	return results, nil
}
