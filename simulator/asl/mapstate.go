package asl

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// inlineMapCap is the concurrency limit of an inline Map state in AWS.
const inlineMapCap = 40

// selectorChunk is how many ItemSelector evaluations go in one round trip.
const selectorChunk = 1000

// inlineMap runs one attempt of an INLINE Map state. History, in the
// parent's history: MapStateStarted, then per iteration MapIterationStarted,
// the iteration's state events and MapIterationSucceeded (or
// MapIterationFailed / MapIterationAborted), then MapStateSucceeded or
// MapStateFailed.
func (sr *stateRun) inlineMap() (any, *awserr.Error) {
	th, st := sr.th, sr.st
	var b batch
	env := sr.env()
	itemsI := b.add(st.items, "Items", env)
	mcI := b.add(st.maxConcurrency, "MaxConcurrency", env)
	tcI := b.add(st.tolCount, "ToleratedFailureCount", env)
	tpI := b.add(st.tolPct, "ToleratedFailurePercentage", env)
	if err := sr.runBatch(&b); err != nil {
		return nil, err
	}
	arr, err := sr.itemsArray(itemsI)
	if err != nil {
		return nil, err
	}
	mc, err := sr.intField(mcI, "MaxConcurrency", 0)
	if err != nil {
		return nil, err
	}
	// Checked, not applied: the thresholds are Distributed Map fields.
	if _, _, err := sr.tolerance(tcI, tpI); err != nil {
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
	inputs, err := sr.selectItems(arr)
	if err != nil {
		return failed(err)
	}
	workers := inlineMapCap
	if mc > 0 && mc < workers {
		workers = mc
	}
	if w := th.x.ex.cfg.maxWorkers; w < workers {
		workers = w
	}
	results := make([]any, len(inputs))
	errs := make([]*awserr.Error, len(inputs))
	var stop atomic.Bool
	th.now = pool(len(inputs), workers, th.now, func(i int, now *time.Time) {
		if stop.Load() {
			return
		}
		if e := th.x.event("MapIterationStarted", st.name, *now); e != nil {
			errs[i] = e
			stop.Store(true)
			return
		}
		it := &thread{x: th.x, vars: newScope(th.vars), now: *now, path: th.path + st.name + "[" + strconv.Itoa(i) + "]/", stop: &stop}
		out, err := it.runMachine(st.processor, inputs[i])
		*now = it.now
		switch err {
		case nil:
			results[i] = out
			if e := th.x.event("MapIterationSucceeded", st.name, *now); e != nil {
				errs[i] = e
				stop.Store(true)
			}
		case errStopped:
			errs[i] = err
			_ = th.x.event("MapIterationAborted", st.name, *now)
		default:
			errs[i] = err
			stop.Store(true)
			_ = th.x.event("MapIterationFailed", st.name, *now)
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

// pool runs fn for indexes 0..n-1 on up to workers goroutines. Each worker
// has its own simulated clock starting at start; pool returns the latest.
func pool(n, workers int, start time.Time, fn func(i int, now *time.Time)) time.Time {
	if workers < 1 {
		workers = 1
	}
	if workers > n {
		workers = n
	}
	var next atomic.Int64
	ends := make([]time.Time, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			now := start
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					break
				}
				fn(i, &now)
			}
			ends[w] = now
		}(w)
	}
	wg.Wait()
	end := start
	for _, t := range ends {
		if t.After(end) {
			end = t
		}
	}
	return end
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

// selectItems applies ItemSelector to every item. The selector sees
// $states.input (the Map state's input) and $states.context.Map.Item
// {Index, Value}. A chunk of items is one request: the selector's
// expressions run in a $map over the items, so that the Map state's input is
// sent once per chunk, not once per item. Should a chunk fail, its items are
// evaluated one by one to report the failing expression and item.
func (sr *stateRun) selectItems(items []any) ([]any, *awserr.Error) {
	t := sr.st.itemSelector
	if t == nil {
		return items, nil
	}
	if t.kind == tmplLit {
		out := make([]any, len(items))
		for i := range out {
			out[i] = t.lit
		}
		return out, nil
	}
	var texts []string
	var refs refSet
	t.exprs("", func(e *tmpl, _ string) {
		texts = append(texts, e.expr)
		refs = refs.union(e.refs)
	})
	base := sr.env()
	expr := "$map($__items, function($__v, $__i) {(" +
		"$states := $merge([$__s, {\"context\": $merge([$__s.context, {\"Map\": {\"Item\": {\"Index\": $__i + $__off, \"Value\": $__v}}}])}]);" +
		"{\"r\": " + compose(texts) + "})})"
	out := make([]any, len(items))
	for lo := 0; lo < len(items); lo += selectorChunk {
		hi := min(lo+selectorChunk, len(items))
		bind := map[string]any{
			"__items": items[lo:hi],
			"__off":   float64(lo),
			"__s":     base.statesValue(refs.states &^ partContext),
		}
		if refs.states&partContext != 0 {
			bind["__s"].(map[string]any)["context"] = sr.contextObject(nil)
		}
		base.bindVars(bind, refs.vars)
		res, err := sr.th.x.ex.eval.EvalMany([]EvalRequest{{Expr: expr, Bindings: bind}})
		if err != nil || len(res) != 1 {
			return nil, newErr(ErrRuntime, fmt.Sprintf("JSONata engine failure: %v", err))
		}
		if vals, ok := decomposeSelector(res[0], hi-lo, len(texts)); ok {
			for k, v := range vals {
				pos := 0
				out[lo+k] = fill(t, v, &pos)
			}
			continue
		}
		if err := sr.selectOneByOne(items, lo, hi, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decomposeSelector unpacks [{"r": [{"v": ...}, ...]}, ...]; it fails on any
// error or undefined value, which selectOneByOne then reports.
func decomposeSelector(r EvalResult, items, exprs int) ([][]EvalResult, bool) {
	if r.Err != nil || r.Undefined {
		return nil, false
	}
	arr, ok := r.Value.([]any)
	if !ok {
		if m, isObj := r.Value.(map[string]any); isObj && items == 1 {
			arr = []any{m}
		} else {
			return nil, false
		}
	}
	if len(arr) != items {
		return nil, false
	}
	out := make([][]EvalResult, items)
	for i, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		parts, ok := decomposed(EvalResult{Value: m["r"]}, exprs)
		if !ok {
			return nil, false
		}
		for _, p := range parts {
			if p.Undefined {
				return nil, false
			}
		}
		out[i] = parts
	}
	return out, true
}

func (sr *stateRun) selectOneByOne(items []any, lo, hi int, out []any) *awserr.Error {
	var b batch
	handles := make([]*batchItem, 0, hi-lo)
	for i := lo; i < hi; i++ {
		item := map[string]any{"Index": float64(i), "Value": items[i]}
		env := &evalEnv{input: sr.input, vars: sr.th.vars, context: func() map[string]any { return sr.contextObject(item) }}
		handles = append(handles, b.add(sr.st.itemSelector, fmt.Sprintf("ItemSelector (item %d)", i), env))
	}
	if err := sr.runBatch(&b); err != nil {
		return err
	}
	for k, h := range handles {
		out[lo+k] = h.value
	}
	return nil
}

// distributedMap runs one attempt of a DISTRIBUTED Map state. History, in
// the parent's history: MapStateStarted, MapRunStarted, MapRunSucceeded (or
// MapRunFailed), MapStateSucceeded (or MapStateFailed). Each child is a
// separate execution with its own history, counts and record.
func (sr *stateRun) distributedMap() (any, *awserr.Error) {
	th, st := sr.th, sr.st
	x := th.x
	e := x.ex
	var b batch
	env := sr.env()
	itemsI := b.add(st.items, "Items", env)
	mcI := b.add(st.maxConcurrency, "MaxConcurrency", env)
	tcI := b.add(st.tolCount, "ToleratedFailureCount", env)
	tpI := b.add(st.tolPct, "ToleratedFailurePercentage", env)
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
	mc, err := sr.intField(mcI, "MaxConcurrency", 0)
	if err != nil {
		return nil, err
	}
	tolCount, tolPct, err := sr.tolerance(tcI, tpI)
	if err != nil {
		return nil, err
	}
	maxItems, maxBytes := 0, 0
	if st.batcher != nil {
		if maxItems, err = sr.intField(batchMax, "MaxItemsPerBatch", 0); err != nil {
			return nil, err
		}
		if maxBytes, err = sr.intField(batchBytes, "MaxInputBytesPerBatch", 0); err != nil {
			return nil, err
		}
		if maxBytes > MaxPayloadBytes {
			maxBytes = MaxPayloadBytes
		}
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

	var items []any
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
			items, err = sr.readJSONItems(args, st.reader.pointer, limit)
		} else {
			items, err = sr.listObjects(args, limit)
		}
		if err != nil {
			return failed(err)
		}
	} else {
		if items, err = sr.itemsArray(itemsI); err != nil {
			return failed(err)
		}
	}
	inputs, err := sr.selectItems(items)
	if err != nil {
		return failed(err)
	}

	// Child inputs: one per item, or {Items, BatchInput} per batch.
	type child struct {
		input any
		items int
	}
	var children []child
	if st.batcher == nil {
		children = make([]child, len(inputs))
		for i, in := range inputs {
			children[i] = child{in, 1}
		}
	} else {
		var cur []any
		size := 0
		flush := func() {
			if len(cur) == 0 {
				return
			}
			in := map[string]any{"Items": cur}
			if batchInput.set {
				in["BatchInput"] = batchInput.value
			}
			children = append(children, child{in, len(cur)})
			cur, size = nil, 0
		}
		for _, in := range inputs {
			n := jsonSize(in) + 1
			if len(cur) > 0 && ((maxItems > 0 && len(cur) >= maxItems) || (maxBytes > 0 && size+n > maxBytes)) {
				flush()
			}
			cur = append(cur, in)
			size += n
		}
		flush()
	}

	childMI := &machineInfo{
		arn:  x.mi.arn + "/" + label,
		name: x.mi.name + "/" + label,
		typ:  st.execType,
		def:  st.processor,
	}
	total := len(inputs)
	exceeded := func(failedItems int) bool {
		if tcI.set && failedItems > tolCount {
			return true
		}
		if tpI.set && total > 0 && float64(failedItems)*100/float64(total) > tolPct {
			return true
		}
		return !tcI.set && !tpI.set && failedItems > 0
	}
	workers := e.cfg.maxWorkers
	if mc > 0 && mc < workers {
		workers = mc
	}
	runCtx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	results := make([]any, len(children))
	var failedItems atomic.Int64
	var stop atomic.Bool
	th.now = pool(len(children), workers, th.now, func(i int, now *time.Time) {
		if stop.Load() || runCtx.Err() != nil {
			return
		}
		name := e.uuid()
		e.mu.Lock()
		cx := e.newExecution(runCtx, childMI, executionARN(childMI, name, e), name, children[i].input, *now, e.cfg.childPayloads)
		cx.rec.ParentARN = x.arn
		cx.rec.MapRunARN = mapRunARN
		e.mu.Unlock()
		out, cerr, stopAt := e.run(cx)
		if stopAt.After(*now) {
			*now = stopAt
		}
		if cerr == nil {
			results[i] = out
			return
		}
		if exceeded(int(failedItems.Add(int64(children[i].items)))) && !stop.Swap(true) {
			cancel()
		}
	})
	if x.ctx.Err() != nil {
		return nil, newErr("asl.Aborted", "execution aborted")
	}
	if exceeded(int(failedItems.Load())) {
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

// listObjects pages arn:aws:states:::s3:listObjectsV2 through the
// integration and turns each object into the item the S3 ItemReader yields:
// {Key, Size, Etag, LastModified (epoch seconds), StorageClass}.
func (sr *stateRun) listObjects(args map[string]any, limit int) ([]any, *awserr.Error) {
	x := sr.th.x
	if x.ex.integ == nil {
		return nil, newErr(ErrItemReaderFailed, "no integration configured for s3:listObjectsV2")
	}
	var items []any
	token := ""
	for {
		params := make(map[string]any, len(args)+1)
		for k, v := range args {
			params[k] = v
		}
		if token != "" {
			params["ContinuationToken"] = token
		}
		res, err := x.ex.integ.Call(x.ctx, "s3", "listObjectsV2", params)
		if err != nil {
			if x.ctx.Err() != nil {
				return nil, newErr("asl.Aborted", "execution aborted")
			}
			ae := awserr.As(err)
			return nil, newErr(ErrItemReaderFailed, fmt.Sprintf("An error occurred while reading items with s3:listObjectsV2: %s: %s", ae.Name, ae.Cause))
		}
		norm, _, nerr := normalize(res)
		page, ok := norm.(map[string]any)
		if nerr != nil || !ok {
			return nil, newErr(ErrItemReaderFailed, "s3:listObjectsV2 returned a response that is not a JSON object")
		}
		contents, _ := page["Contents"].([]any)
		for _, c := range contents {
			o, ok := c.(map[string]any)
			if !ok {
				continue
			}
			items = append(items, s3Item(o))
			if limit > 0 && len(items) >= limit {
				return items, nil
			}
		}
		token, _ = page["NextContinuationToken"].(string)
		if truncated, _ := page["IsTruncated"].(bool); !truncated || token == "" {
			return items, nil
		}
	}
}

func s3Item(o map[string]any) map[string]any {
	etag := o["Etag"]
	if v, ok := o["ETag"]; ok {
		etag = v
	}
	sc := o["StorageClass"]
	if sc == nil {
		sc = "STANDARD"
	}
	return map[string]any{
		"Key":          o["Key"],
		"Size":         o["Size"],
		"Etag":         etag,
		"LastModified": epochSeconds(o["LastModified"]),
		"StorageClass": sc,
	}
}

func epochSeconds(v any) any {
	switch t := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, time.RFC1123, "2006-01-02T15:04:05.000Z0700"} {
			if p, err := time.Parse(layout, t); err == nil {
				return float64(p.Unix())
			}
		}
		return t
	case float64:
		if t > 1e11 { // milliseconds
			return float64(int64(t / 1000))
		}
		return t
	default:
		return v
	}
}
