package asl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingEvaluator answers every expression with its own text's length and
// counts the expressions it was sent.
type countingEvaluator struct{ sent []string }

func (c *countingEvaluator) EvalMany(reqs []EvalRequest) ([]EvalResult, error) {
	out := make([]EvalResult, len(reqs))
	for i, r := range reqs {
		if r.Exprs == nil {
			c.sent = append(c.sent, r.Expr)
			out[i] = EvalResult{Value: float64(len(r.Expr))}
			continue
		}
		for _, x := range r.Exprs {
			c.sent = append(c.sent, x)
			out[i].Each = append(out[i].Each, EvalResult{Value: float64(len(x))})
		}
	}
	return out, nil
}

// GIVEN a field template with an expression that references nothing and
// one that references its input
// WHEN the same template is evaluated three times
// THEN the closed expression goes to the engine once and its answer is
// reused; the other is sent every time.
func TestClosedExpressionsAreEvaluatedOnce(t *testing.T) {
	tm, err := compile(map[string]any{"one": "{% 1 %}", "key": "{% $states.input.key %}", "now": "{% $now() %}"})
	require.NoError(t, err)
	ev := &countingEvaluator{}
	for range 3 {
		var b batch
		it := b.add(tm, "Output", &evalEnv{input: map[string]any{"key": "k"}})
		require.Nil(t, b.run(ev))
		assert.Equal(t, map[string]any{
			"one": float64(len("1")), "key": float64(len("$states.input.key")), "now": float64(len("$now()")),
		}, it.value)
	}
	count := map[string]int{}
	for _, x := range ev.sent {
		count[x]++
	}
	assert.Equal(t, map[string]int{"1": 1, "$states.input.key": 3, "$now()": 3}, count)
}

// GIVEN a closed expression whose answer is an object
// WHEN it is evaluated twice
// THEN it is sent twice: only scalars are kept, since a receiver may change
// a composite value.
func TestClosedCompositeResultsAreNotKept(t *testing.T) {
	tm, err := compile("{% {'a': 1} %}")
	require.NoError(t, err)
	calls := 0
	ev := evalFunc(func(reqs []EvalRequest) ([]EvalResult, error) {
		calls += len(reqs)
		return []EvalResult{{Value: map[string]any{"a": float64(1)}}}, nil
	})
	for range 2 {
		var b batch
		b.add(tm, "Output", &evalEnv{})
		require.Nil(t, b.run(ev))
	}
	assert.Equal(t, 2, calls)
}

type evalFunc func([]EvalRequest) ([]EvalResult, error)

func (f evalFunc) EvalMany(reqs []EvalRequest) ([]EvalResult, error) { return f(reqs) }
