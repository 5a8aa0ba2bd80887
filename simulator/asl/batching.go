package asl

import (
	"fmt"
	"strings"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// selectorChunk is how many ItemSelector evaluations go in one round trip.
const selectorChunk = 1000

// selectItems applies ItemSelector to items, the items from index offset on
// of the Map state's whole list. The selector sees $states.input (the Map
// state's input) and $states.context.Map.Item {Index, Value}. A chunk of
// items is one request: the selector's expressions run in a $map over the
// items, so that the Map state's input is sent once per chunk, not once per
// item. Should a chunk fail, its items are evaluated one by one to report
// the failing expression and item.
func (sr *stateRun) selectItems(items []any, offset int) ([]any, *awserr.Error) {
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
			"__off":   float64(offset + lo),
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
		if err := sr.selectOneByOne(items, offset, lo, hi, out); err != nil {
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

// compose returns the expression evaluating exprs into [{"v": value}, ...]:
// inside a $map over items, several expressions cannot be separate requests.
func compose(exprs []string) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, e := range exprs {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"v":(`)
		sb.WriteString(e)
		sb.WriteString("\n)}")
	}
	sb.WriteByte(']')
	return sb.String()
}

// decomposed unpacks the result of a composed expression.
func decomposed(r EvalResult, n int) ([]EvalResult, bool) {
	if r.Err != nil || r.Undefined {
		return nil, false
	}
	arr, ok := r.Value.([]any)
	if !ok || len(arr) != n {
		return nil, false
	}
	out := make([]EvalResult, n)
	for i, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		v, has := m["v"]
		out[i] = EvalResult{Value: v, Undefined: !has}
	}
	return out, true
}

func (sr *stateRun) selectOneByOne(items []any, offset, lo, hi int, out []any) *awserr.Error {
	var b batch
	handles := make([]*batchItem, 0, hi-lo)
	for i := lo; i < hi; i++ {
		item := map[string]any{"Index": float64(offset + i), "Value": items[i]}
		env := &evalEnv{input: sr.input, vars: sr.th.vars, context: func() map[string]any { return sr.contextObject(item) }}
		handles = append(handles, b.add(sr.st.itemSelector, fmt.Sprintf("ItemSelector (item %d)", offset+i), env))
	}
	if err := sr.runBatch(&b); err != nil {
		return err
	}
	for k, h := range handles {
		out[lo+k] = h.value
	}
	return nil
}

// childInput is the input of one Distributed Map child and how many items
// it carries.
type childInput struct {
	input any
	items int
}

// childBatcher groups a Distributed Map's items into child inputs: one per
// item without an ItemBatcher, else {Items, BatchInput} of at most maxItems
// items and maxBytes bytes (each item counted with its JSON size and a
// separator).
type childBatcher struct {
	batched    bool
	maxItems   int
	maxBytes   int
	batchInput *batchItem
	cur        []any
	size       int
}

// add adds items and returns the child inputs that are complete.
func (cb *childBatcher) add(items []any) []childInput {
	if !cb.batched {
		out := make([]childInput, len(items))
		for i, in := range items {
			out[i] = childInput{in, 1}
		}
		return out
	}
	var out []childInput
	for _, in := range items {
		n := jsonSize(in) + 1
		if len(cb.cur) > 0 && ((cb.maxItems > 0 && len(cb.cur) >= cb.maxItems) || (cb.maxBytes > 0 && cb.size+n > cb.maxBytes)) {
			out = append(out, cb.take())
		}
		cb.cur = append(cb.cur, in)
		cb.size += n
	}
	return out
}

// flush returns the last, partial batch, if any.
func (cb *childBatcher) flush() []childInput {
	if !cb.batched || len(cb.cur) == 0 {
		return nil
	}
	return []childInput{cb.take()}
}

func (cb *childBatcher) take() childInput {
	in := map[string]any{"Items": cb.cur}
	if cb.batchInput != nil && cb.batchInput.set {
		in["BatchInput"] = cb.batchInput.value
	}
	c := childInput{in, len(cb.cur)}
	cb.cur, cb.size = nil, 0
	return c
}

// prefetched are the evaluated expressions of a Task's Arguments and
// TimeoutSeconds (in the order batch.add queues them) for its state st.
type prefetched struct {
	st  *stateDef
	res []EvalResult
}

// prefetchArguments evaluates, for each input of an inline Map, the
// Arguments and TimeoutSeconds of the iterations' first state when it is a
// Task, a chunk of inputs per request, as selectItems does with ItemSelector.
// A copy's inline Map copies a hundred objects, one CopyObject each: one
// round trip per object was the local run's largest cost (measured with
// go tool pprof and node --cpu-prof on the 100,000-object run).
//
// The values are those the iteration would get: its first state sees only
// its input ($states.input, the item) and the variables of the Map's scope,
// which no state changes while the Map runs (an iteration assigns in its own
// scope). Expressions that could differ are not evaluated ahead: those
// reading $states.context (entered time, retry count) or calling $now,
// $millis, $random or $uuid. A chunk whose evaluation fails or gives an
// undefined value is left to the iterations, which report it as they would.
// The result is nil or has one entry per input (nil: evaluate as usual).
func (sr *stateRun) prefetchArguments(inputs []any) [][]EvalResult {
	first := sr.st.processor.states[sr.st.processor.startAt]
	if len(inputs) < 2 || first.kind != kindTask || !sameEveryAttempt(first.arguments) || !sameEveryAttempt(first.timeout) {
		return nil
	}
	var texts []string
	var refs refSet
	queue := func(e *tmpl, _ string) {
		texts = append(texts, e.expr)
		refs = refs.union(e.refs)
	}
	first.arguments.exprs("", queue)
	first.timeout.exprs("", queue)
	if len(texts) == 0 || refs.states&^partInput != 0 {
		return nil
	}
	for _, v := range refs.vars {
		if strings.HasPrefix(v, "__") { // the names the composed expression binds
			return nil
		}
	}
	// $states is the lambda's parameter: binding it in a block per item cost
	// a third more (node, 100 items of a copy batch: 25 µs an item, not 33).
	expr := "$map($__items, function($states) {" + compose(texts) + "})"
	out := make([][]EvalResult, len(inputs))
	base := sr.env()
	for lo := 0; lo < len(inputs); lo += selectorChunk {
		hi := min(lo+selectorChunk, len(inputs))
		wrapped := make([]any, hi-lo)
		for i, in := range inputs[lo:hi] {
			wrapped[i] = map[string]any{"input": in}
		}
		bind := map[string]any{"__items": wrapped}
		base.bindVars(bind, refs.vars)
		res, err := sr.th.x.ex.eval.EvalMany([]EvalRequest{{Expr: expr, Bindings: bind}})
		if err != nil || len(res) != 1 {
			continue // the iterations evaluate theirs and report the engine's failure
		}
		if vals, ok := decomposeAhead(res[0], hi-lo, len(texts)); ok {
			copy(out[lo:hi], vals)
		}
	}
	return out
}

// decomposeAhead unpacks prefetchArguments' [[{"v": ...}, ...], ...]: one
// array per item (for one item, $map gives its array alone). It fails on
// any error or undefined value, which the iterations then report.
func decomposeAhead(r EvalResult, items, exprs int) ([][]EvalResult, bool) {
	if r.Err != nil || r.Undefined {
		return nil, false
	}
	arr, ok := r.Value.([]any)
	if !ok {
		return nil, false
	}
	if items == 1 {
		arr = []any{arr}
	}
	if len(arr) != items {
		return nil, false
	}
	out := make([][]EvalResult, items)
	for i, x := range arr {
		parts, ok := decomposed(EvalResult{Value: x}, exprs)
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
