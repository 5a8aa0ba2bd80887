package asl

import "github.com/snapshotlake/snapshotlake/simulator/jsonata"

// FromJSONata adapts the Node bridge to the reference jsonata implementation
// (package jsonata) to Evaluator.
func FromJSONata(e jsonata.Engine) Evaluator { return jsonataEvaluator{e} }

type jsonataEvaluator struct{ e jsonata.Engine }

// EvalMany evaluates reqs in one round trip to Node.
func (j jsonataEvaluator) EvalMany(reqs []EvalRequest) ([]EvalResult, error) {
	in := make([]jsonata.Request, len(reqs))
	for i, r := range reqs {
		in[i] = jsonata.Request{Expr: r.Expr, Exprs: r.Exprs, Input: r.Input, Bindings: r.Bindings, ParseOnly: r.ParseOnly}
	}
	res, err := j.e.EvalMany(in)
	if err != nil {
		return nil, err
	}
	out := make([]EvalResult, len(res))
	for i, r := range res {
		out[i] = fromJSONata(r)
	}
	return out, nil
}

func fromJSONata(r jsonata.Result) EvalResult {
	out := EvalResult{Value: r.Value, Undefined: r.Undefined, AST: r.AST}
	if r.Err != nil {
		out.Err = &EvalError{Code: r.Err.Code, Message: r.Err.Message, Position: r.Err.Position}
	}
	if r.Each != nil {
		out.Each = make([]EvalResult, len(r.Each))
		for i, e := range r.Each {
			out.Each[i] = fromJSONata(e)
		}
	}
	return out
}
