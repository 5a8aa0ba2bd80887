package asl

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
)

// tmpl is a compiled field value: a JSON value in which every string of the
// exact form "{% expr %}" is a JSONata expression. Objects and arrays are
// walked recursively; any other string stays literal.
type tmpl struct {
	kind  tmplKind
	lit   any                        // tmplLit: the value, immutable
	expr  string                     // tmplExpr
	refs  refSet                     // tmplExpr: what the expression references
	keys  []string                   // tmplObj, sorted
	elems []*tmpl                    // tmplObj (parallel to keys) or tmplArr
	memo  atomic.Pointer[EvalResult] // a closed expression's scalar result, once known
}

type tmplKind int

const (
	tmplLit tmplKind = iota
	tmplExpr
	tmplObj
	tmplArr
)

var varRef = regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*`)

// isExprString reports whether s is a whole-string JSONata template.
func isExprString(s string) (string, bool) {
	if len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") {
		return strings.TrimSpace(s[2 : len(s)-2]), true
	}
	return "", false
}

// compile turns a JSON value into a template; it returns a literal template
// when the value holds no expression.
func compile(v any) (*tmpl, error) {
	switch x := v.(type) {
	case string:
		if e, ok := isExprString(x); ok {
			// An empty expression is refused by checkExpressions with
			// the parser's message, as AWS refuses it.
			return &tmpl{kind: tmplExpr, expr: e, refs: scanRefs(e)}, nil
		}
		return &tmpl{kind: tmplLit, lit: x}, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		elems := make([]any, len(keys))
		for i, k := range keys {
			elems[i] = x[k]
		}
		return compileElems(&tmpl{kind: tmplObj, keys: keys}, elems, x, func(i int) string { return keys[i] })
	case []any:
		return compileElems(&tmpl{kind: tmplArr}, x, x, func(i int) string { return "[" + strconv.Itoa(i) + "]" })
	default:
		return &tmpl{kind: tmplLit, lit: v}, nil
	}
}

// compileElems compiles the members of an object or array template t (whose
// JSON value is v); label names member i in errors. A template with no
// expression in it is the literal v.
func compileElems(t *tmpl, elems []any, v any, label func(i int) string) (*tmpl, error) {
	dynamic := false
	for i, e := range elems {
		c, err := compile(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label(i), err)
		}
		if c.kind != tmplLit {
			dynamic = true
		}
		t.elems = append(t.elems, c)
	}
	if !dynamic {
		return &tmpl{kind: tmplLit, lit: v}, nil
	}
	return t, nil
}

// refSet is what an expression references: workflow variables by name and
// parts of $states, so that only those are sent with the evaluation (the
// input of a state can be large; its context holds the execution input).
type refSet struct {
	vars   []string
	states statesParts
}

type statesParts uint8

const (
	partInput statesParts = 1 << iota
	partResult
	partErrorOutput
	partContext
	partAll = partInput | partResult | partErrorOutput | partContext
)

var statesFields = []struct {
	name string
	part statesParts
}{{".input", partInput}, {".result", partResult}, {".errorOutput", partErrorOutput}, {".context", partContext}}

func scanRefs(expr string) refSet {
	var rs refSet
	seen := map[string]bool{}
	for _, loc := range varRef.FindAllStringIndex(expr, -1) {
		n := expr[loc[0]+1 : loc[1]]
		if n == "states" {
			rest := expr[loc[1]:]
			part := partAll
			for _, f := range statesFields {
				if strings.HasPrefix(rest, f.name) && !identChar(rest, len(f.name)) {
					part = f.part
				}
			}
			rs.states |= part
			continue
		}
		if !seen[n] {
			seen[n] = true
			rs.vars = append(rs.vars, n)
		}
	}
	return rs
}

func identChar(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	c := s[i]
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (r refSet) union(o refSet) refSet {
	out := refSet{states: r.states | o.states, vars: append([]string(nil), r.vars...)}
	for _, v := range o.vars {
		if !slices.Contains(out.vars, v) {
			out.vars = append(out.vars, v)
		}
	}
	return out
}

// exprs calls f for every expression in t, in fill order, with its location
// written as AWS writes field paths (e.g. "Arguments/Key", "Output/list[1]").
func (t *tmpl) exprs(path string, f func(e *tmpl, path string)) {
	if t == nil {
		return
	}
	switch t.kind {
	case tmplExpr:
		f(t, path)
	case tmplObj:
		for i, e := range t.elems {
			e.exprs(path+"/"+t.keys[i], f)
		}
	case tmplArr:
		for i, e := range t.elems {
			e.exprs(path+"["+strconv.Itoa(i)+"]", f)
		}
	}
}

// evalEnv is what one evaluation sees: the $states fields and the variables.
type evalEnv struct {
	input       any
	hasResult   bool
	result      any
	hasErrOut   bool
	errorOutput any
	context     func() map[string]any // built lazily: only when referenced
	vars        *scope
}

// statesValue builds the $states object with the parts in p.
func (env *evalEnv) statesValue(p statesParts) map[string]any {
	st := map[string]any{}
	if p&partInput != 0 {
		st["input"] = env.input
	}
	if p&partResult != 0 && env.hasResult {
		st["result"] = env.result
	}
	if p&partErrorOutput != 0 && env.hasErrOut {
		st["errorOutput"] = env.errorOutput
	}
	if p&partContext != 0 && env.context != nil {
		st["context"] = env.context()
	}
	return st
}

// bindings builds the JSONata bindings an expression needs: $states (the
// parts it references) and the workflow variables it names (unknown names
// are left unbound: they evaluate to undefined).
func (env *evalEnv) bindings(refs refSet) map[string]any {
	b := make(map[string]any, len(refs.vars)+1)
	if refs.states != 0 {
		b["states"] = env.statesValue(refs.states)
	}
	env.bindVars(b, refs.vars)
	return b
}

func (env *evalEnv) bindVars(b map[string]any, names []string) {
	if env.vars == nil {
		return
	}
	for _, n := range names {
		if v, ok := env.vars.getEncoded(n); ok {
			b[n] = v
		}
	}
}

// batch collects the expressions of several fields so that they are
// evaluated in one round trip. The expressions that share an environment
// (the fields of one state) go in one request with several expressions, so
// that a large $states.input is sent once.
type batch struct {
	exprs []pendingExpr
	items []*batchItem
}

type pendingExpr struct {
	e    *tmpl
	env  *evalEnv
	path string
}

type batchItem struct {
	t     *tmpl
	first int // index of the item's first expression
	value any
	set   bool
}

// add queues template t (may be nil) evaluated in env and returns its handle.
func (b *batch) add(t *tmpl, field string, env *evalEnv) *batchItem {
	it := &batchItem{t: t, first: len(b.exprs)}
	b.items = append(b.items, it)
	t.exprs(field, func(e *tmpl, path string) {
		b.exprs = append(b.exprs, pendingExpr{e: e, env: env, path: path})
	})
	return it
}

// run evaluates everything queued. Errors are States.QueryEvaluationError.
func (b *batch) run(ev Evaluator) *awserr.Error {
	res := make([]EvalResult, len(b.exprs))
	// The expressions still to evaluate: a closed one (see tmpl.closed)
	// that gave a scalar before is not sent again.
	todo := make([]int, 0, len(b.exprs))
	for i, p := range b.exprs {
		if r := p.e.memo.Load(); r != nil {
			res[i] = *r
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) > 0 {
		var reqs []EvalRequest
		var groups [][]int // the todo indices each request answers
		for lo := 0; lo < len(todo); {
			hi := lo + 1
			for hi < len(todo) && b.exprs[todo[hi]].env == b.exprs[todo[lo]].env {
				hi++
			}
			group := todo[lo:hi]
			if len(group) == 1 {
				p := b.exprs[group[0]]
				reqs = append(reqs, EvalRequest{Expr: p.e.expr, Bindings: p.env.bindings(p.e.refs)})
			} else {
				var refs refSet
				texts := make([]string, 0, len(group))
				for _, i := range group {
					refs = refs.union(b.exprs[i].e.refs)
					texts = append(texts, b.exprs[i].e.expr)
				}
				reqs = append(reqs, EvalRequest{Exprs: texts, Bindings: b.exprs[group[0]].env.bindings(refs)})
			}
			groups = append(groups, group)
			lo = hi
		}
		out, err := ev.EvalMany(reqs)
		if err == nil && len(out) != len(reqs) {
			err = fmt.Errorf("JSONata engine returned %d results for %d requests", len(out), len(reqs))
		}
		if err != nil {
			return newErr(ErrRuntime, "JSONata engine failure: "+err.Error())
		}
		for i, r := range out {
			if reqs[i].Exprs == nil {
				res[groups[i][0]] = r
				continue
			}
			if len(r.Each) != len(reqs[i].Exprs) {
				return newErr(ErrRuntime, fmt.Sprintf("JSONata engine failure: %d results for %d expressions", len(r.Each), len(reqs[i].Exprs)))
			}
			for j, at := range groups[i] {
				res[at] = r.Each[j]
			}
		}
		for _, i := range todo {
			b.exprs[i].e.remember(res[i])
		}
	}
	return b.finish(res)
}

// finish checks the results of b's expressions, in b.exprs order, and fills
// its items.
func (b *batch) finish(res []EvalResult) *awserr.Error {
	for i, r := range res {
		if e := checkResult(r, b.exprs[i].e.expr, b.exprs[i].path); e != nil {
			return e
		}
	}
	for _, it := range b.items {
		if it.t == nil {
			continue
		}
		pos := it.first
		it.value = fill(it.t, res, &pos)
		it.set = true
	}
	return nil
}

// closed reports whether expression t references nothing: no $states, no
// variable and no function (JSONata's own, such as $now, included), so
// that every evaluation gives the same value. A copy's `{% 1 %}` Output is
// one, evaluated once per copied object.
func (t *tmpl) closed() bool {
	return t.kind == tmplExpr && len(t.refs.vars) == 0 && t.refs.states == 0
}

// remember keeps the result of a closed expression when it is a scalar
// (a composite value could be changed by whoever receives it), so that
// later evaluations reuse the reference implementation's first answer.
func (t *tmpl) remember(r EvalResult) {
	if !t.closed() || r.Err != nil || r.Undefined {
		return
	}
	switch r.Value.(type) {
	case nil, bool, float64, string:
		t.memo.Store(&r)
	}
}

// checkResult turns a JSONata error or an undefined value into
// States.QueryEvaluationError.
func checkResult(r EvalResult, expr, path string) *awserr.Error {
	// AWS's causes (recorded in LocalStack's snapshots: fn_random_seeded,
	// map_items_literal_not_array_function, undefined_output_field); the
	// state prefix is added by stateRun.runBatch.
	if r.Err != nil && r.Err.Code == jsonata.CodeNotJSON {
		return newErr(ErrQueryEvaluation, fmt.Sprintf(
			"The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", expr, path))
	}
	if r.Err != nil {
		return newErr(ErrQueryEvaluation, fmt.Sprintf(
			"The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s: %s",
			expr, path, r.Err.Code, r.Err.Message))
	}
	if r.Undefined {
		return newErr(ErrQueryEvaluation, fmt.Sprintf(
			"The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", expr, path))
	}
	return nil
}

// jsonType names v's JSON type as AWS's causes do.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}

func fill(t *tmpl, res []EvalResult, pos *int) any {
	switch t.kind {
	case tmplLit:
		return t.lit
	case tmplExpr:
		v := res[*pos].Value
		*pos++
		return v
	case tmplObj:
		m := make(map[string]any, len(t.keys))
		for i, k := range t.keys {
			m[k] = fill(t.elems[i], res, pos)
		}
		return m
	default:
		a := make([]any, len(t.elems))
		for i, e := range t.elems {
			a[i] = fill(e, res, pos)
		}
		return a
	}
}
