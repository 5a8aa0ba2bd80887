package asl

import "github.com/snapshotlake/snapshotlake/simulator/jsonata"

// FromJSONata adapts the Node bridge to the reference jsonata implementation
// (package jsonata) to Evaluator.
func FromJSONata(e *jsonata.Evaluator) Evaluator { return jsonataEvaluator{e} }

type jsonataEvaluator struct{ e *jsonata.Evaluator }

// EvalMany evaluates reqs in one round trip to Node.
func (j jsonataEvaluator) EvalMany(reqs []EvalRequest) ([]EvalResult, error) {
	in := make([]jsonata.Request, len(reqs))
	for i, r := range reqs {
		in[i] = jsonata.Request{Expr: r.Expr, Input: r.Input, Bindings: r.Bindings, ParseOnly: r.ParseOnly}
	}
	res, err := j.e.EvalMany(in)
	if err != nil {
		return nil, err
	}
	out := make([]EvalResult, len(res))
	for i, r := range res {
		out[i] = EvalResult{Value: r.Value, Undefined: r.Undefined, AST: r.AST}
		if r.Err != nil {
			out[i].Err = &EvalError{Code: r.Err.Code, Message: r.Err.Message, Position: r.Err.Position}
		}
	}
	return out, nil
}
