package jsonata

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// Engine evaluates requests: an *Evaluator (one Node process) or a *Pool
// (several).
type Engine interface {
	// EvalMany evaluates reqs in one round trip; see Evaluator.EvalMany.
	EvalMany(reqs []Request) ([]Result, error)
	// Close stops the Node process or processes.
	Close() error
}

var (
	_ Engine = (*Evaluator)(nil)
	_ Engine = (*Pool)(nil)
)

// Pool spreads requests over several Node processes. Node evaluates JSONata
// on one thread, so in a long local run one process is the bottleneck while
// the executor's goroutines wait for it; a second process uses the second
// core. Each request goes to the process with the fewest requests in flight.
// Every process caches its own compiled expressions.
type Pool struct {
	evs      []*Evaluator
	inFlight []atomic.Int64
}

// StartPool starts n Node processes (n >= 1) as Start does.
func StartPool(n int) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("jsonata: a pool needs at least one process, got %d", n)
	}
	p := &Pool{evs: make([]*Evaluator, 0, n), inFlight: make([]atomic.Int64, n)}
	for range n {
		e, err := Start()
		if err != nil {
			_ = p.Close()
			return nil, err
		}
		p.evs = append(p.evs, e)
	}
	return p, nil
}

// EvalMany evaluates reqs in one round trip to the least busy process.
func (p *Pool) EvalMany(reqs []Request) ([]Result, error) {
	best := 0
	for i := 1; i < len(p.evs); i++ {
		if p.inFlight[i].Load() < p.inFlight[best].Load() {
			best = i
		}
	}
	p.inFlight[best].Add(1)
	defer p.inFlight[best].Add(-1)
	return p.evs[best].EvalMany(reqs)
}

// Eval evaluates one expression; see Evaluator.Eval.
func (p *Pool) Eval(expr string, input any, bindings map[string]any) (value any, undefined bool, err error) {
	return evalOne(p, expr, input, bindings)
}

// Close stops every process.
func (p *Pool) Close() error {
	var errs []error
	for _, e := range p.evs {
		errs = append(errs, e.Close())
	}
	return errors.Join(errs...)
}
