package asl

import (
	"fmt"
	"sort"
	"strconv"
)

// Definition-time JSONata checks. Step Functions parses every JSONata
// expression of a definition at CreateStateMachine, UpdateStateMachine and
// ValidateStateMachineDefinition, not only those an execution reaches, and
// refuses the definition (InvalidDefinition) with the diagnostic's code, its
// message and the field's location. Measured on AWS with
// `aws stepfunctions validate-state-machine-definition` and published in
// floci-io/floci issues #2670, #2745 and #2786 (pull requests #2699, #2786):
//
//	INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/Main/Output
//	UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. at /States/E/Output/v
//	UNSUPPORTED_JSONATA_EXPRESSION: Reference to '$$' is not supported. at /States/Main/Output
//	UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.errorOutput' does not exist. at /States/Main/Output
//
// The parser message is jsonata's own without its code (AWS's texts for
// a[1,2), 1 +, "unterminated, {"a":}, $x :=, /abc and the empty expression
// are those of the reference jsonata 2.2.2).

// Diagnostic codes of ValidateStateMachineDefinition.
const (
	CodeInvalidJSONata     = "INVALID_JSONATA_EXPRESSION"
	CodeUnsupportedJSONata = "UNSUPPORTED_JSONATA_EXPRESSION"
)

// DefinitionError is a definition Register refuses as Step Functions refuses
// it at CreateStateMachine: Code and Message are the diagnostic's, Location
// the field's JSON pointer (e.g. /States/E/Output/v, array elements as [i]).
type DefinitionError struct {
	Code     string
	Message  string
	Location string
}

// Error formats e as the InvalidDefinition message of CreateStateMachine.
func (e *DefinitionError) Error() string {
	return fmt.Sprintf("Invalid State Machine Definition: '%s: %s at %s'", e.Code, e.Message, e.Location)
}

// exprSite is one JSONata expression of a definition and where it is.
type exprSite struct {
	t        *tmpl
	expr     string
	location string
	inCatch  bool // a Catcher's Output or Assign, where $states.errorOutput exists
}

// exprSites lists every expression of def, state by state (sorted by name),
// nested Branches and ItemProcessors included.
func (def *smDef) exprSites(prefix string) []exprSite {
	var out []exprSite
	names := make([]string, 0, len(def.states))
	for n := range def.states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := def.states[n]
		ptr := prefix + "/States/" + n
		st.templates(func(field string, t *tmpl, inCatch bool) {
			t.exprs(field, func(e *tmpl, path string) {
				out = append(out, exprSite{t: e, expr: e.expr, location: ptr + "/" + path, inCatch: inCatch})
			})
		})
		for i, br := range st.branches {
			out = append(out, br.exprSites(ptr+"/Branches["+strconv.Itoa(i)+"]")...)
		}
		if st.processor != nil {
			out = append(out, st.processor.exprSites(ptr+"/ItemProcessor")...)
		}
	}
	return out
}

// templates calls f for every field of st that may hold JSONata, named as in
// AWS's locations.
func (st *stateDef) templates(f func(field string, t *tmpl, inCatch bool)) {
	each := func(field string, t *tmpl) {
		if t != nil {
			f(field, t, false)
		}
	}
	each("Arguments", st.arguments)
	each("TimeoutSeconds", st.timeout)
	each("HeartbeatSeconds", st.heartbeat)
	each("Seconds", st.seconds)
	each("Timestamp", st.timestamp)
	each("Error", st.errorT)
	each("Cause", st.causeT)
	each("Items", st.items)
	each("ItemSelector", st.itemSelector)
	each("MaxConcurrency", st.maxConcurrency)
	each("ToleratedFailureCount", st.tolCount)
	each("ToleratedFailurePercentage", st.tolPct)
	if r := st.reader; r != nil {
		each("ItemReader/Arguments", r.args)
		each("ItemReader/ReaderConfig/MaxItems", r.maxItems)
	}
	if b := st.batcher; b != nil {
		each("ItemBatcher/MaxItemsPerBatch", b.maxItems)
		each("ItemBatcher/MaxInputBytesPerBatch", b.maxBytes)
		each("ItemBatcher/BatchInput", b.batchInput)
	}
	for i, c := range st.choices {
		at := "Choices[" + strconv.Itoa(i) + "]/"
		each(at+"Condition", c.condition)
		each(at+"Output", c.output)
		each(at+"Assign", c.assign)
	}
	each("Output", st.output)
	each("Assign", st.assign)
	for i, c := range st.catch {
		at := "Catch[" + strconv.Itoa(i) + "]/"
		if c.output != nil {
			f(at+"Output", c.output, true)
		}
		if c.assign != nil {
			f(at+"Assign", c.assign, true)
		}
	}
}

// checkExpressions parses every expression of def in one round trip and
// returns the first diagnostic AWS would report, or nil.
func checkExpressions(def *smDef, ev Evaluator) error {
	sites := def.exprSites("")
	if len(sites) == 0 {
		return nil
	}
	index := map[string]int{}
	var reqs []EvalRequest
	for _, s := range sites {
		if _, seen := index[s.expr]; !seen {
			index[s.expr] = len(reqs)
			reqs = append(reqs, EvalRequest{Expr: s.expr, ParseOnly: true})
		}
	}
	res, err := ev.EvalMany(reqs)
	if err == nil && len(res) != len(reqs) {
		err = fmt.Errorf("JSONata engine returned %d results for %d requests", len(res), len(reqs))
	}
	if err != nil {
		return fmt.Errorf("asl: parsing the definition's JSONata expressions: %w", err)
	}
	for _, s := range sites {
		r := res[index[s.expr]]
		if r.Err != nil {
			return &DefinitionError{Code: CodeInvalidJSONata, Message: r.Err.Message, Location: s.location}
		}
		if msg := unsupported(r.AST, s.inCatch); msg != "" {
			return &DefinitionError{Code: CodeUnsupportedJSONata, Message: msg, Location: s.location}
		}
	}
	for _, s := range sites {
		foldLiteral(s.t, res[index[s.expr]].AST)
	}
	return nil
}

// foldLiteral turns an expression that the reference parser reads as a
// literal (a number, a string, true, false or null, such as the copy's
// Output {% 1 %}) into that literal, so that it is not sent for evaluation
// once per iteration: its value is the parser's.
func foldLiteral(t *tmpl, ast any) {
	node, ok := ast.(map[string]any)
	if !ok || t == nil || t.kind != tmplExpr {
		return
	}
	switch node["type"] {
	case "number", "string":
	case "value":
		switch node["value"].(type) {
		case bool, nil:
		default:
			return
		}
	default:
		return
	}
	if _, has := node["value"]; !has {
		return
	}
	// expr stays: causes quote the expression as written.
	t.kind, t.lit, t.refs = tmplLit, node["value"], refSet{}
}

// unsupported returns AWS's message for the first thing ast reads that a
// Step Functions expression may not, or "". An expression is evaluated with
// no input document: only $states and variables are in scope, so a name, $
// or $$ read against the top-level context is refused. Only what the
// top-level context evaluates is walked: the first step of a path (later
// steps, predicates, sort terms and groupings read the step before), operands,
// function arguments, lambda bodies (they keep their definer's context),
// conditions, blocks, bindings and array and object constructors (object keys
// included: AWS names aaa in {aaa: 1}). This is the walk floci-io/floci
// measured against AWS (JsonataTopLevelReferences, pull request #2699), on
// the reference jsonata's processed syntax tree.
func unsupported(ast any, inCatch bool) string {
	n, ok := ast.(map[string]any)
	if !ok {
		return ""
	}
	node := func(k string) any { return n[k] }
	list := func(k string) []any { l, _ := n[k].([]any); return l }
	first := func(nodes ...any) string {
		for _, c := range nodes {
			if m := unsupported(c, inCatch); m != "" {
				return m
			}
		}
		return ""
	}
	switch n["type"] {
	case "path":
		steps := list("steps")
		if len(steps) == 0 {
			return ""
		}
		if m := unsupported(steps[0], inCatch); m != "" {
			return m
		}
		if !inCatch && len(steps) > 1 && isNode(steps[0], "variable", "states") && isNode(steps[1], "name", "errorOutput") {
			return "Field '$states.errorOutput' does not exist."
		}
	case "name":
		return fmt.Sprintf("Reference to '%v' at the top level is not supported.", n["value"])
	case "variable":
		switch n["value"] {
		case "":
			return "Reference to '$' at the top level is not supported."
		case "$":
			return "Reference to '$$' is not supported."
		}
	case "unary":
		switch n["value"] {
		case "[":
			return first(list("expressions")...)
		case "{":
			for _, p := range list("lhs") {
				if m := first(asList(p)...); m != "" {
					return m
				}
			}
		default:
			return first(node("expression"))
		}
	case "binary", "apply":
		return first(node("lhs"), node("rhs"))
	case "function", "partial":
		return first(append([]any{node("procedure")}, list("arguments")...)...)
	case "lambda":
		return first(node("body"))
	case "condition":
		return first(node("condition"), node("then"), node("else"))
	case "block":
		return first(list("expressions")...)
	case "bind":
		return first(node("rhs"))
	}
	return ""
}

func isNode(v any, typ, value string) bool {
	m, ok := v.(map[string]any)
	return ok && m["type"] == typ && m["value"] == value
}

func asList(v any) []any { l, _ := v.([]any); return l }
