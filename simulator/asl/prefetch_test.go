package asl

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingEvaluator passes requests to the bridge and keeps the
// expressions it was asked to evaluate.
type recordingEvaluator struct {
	mu   sync.Mutex
	sent []string
}

func (r *recordingEvaluator) EvalMany(reqs []EvalRequest) ([]EvalResult, error) {
	r.mu.Lock()
	for _, q := range reqs {
		switch {
		case q.ParseOnly:
		case q.Exprs != nil:
			r.sent = append(r.sent, q.Exprs...)
		default:
			r.sent = append(r.sent, q.Expr)
		}
	}
	r.mu.Unlock()
	return FromJSONata(bridge).EvalMany(reqs)
}

// sentContaining counts the expressions sent that contain s.
func (r *recordingEvaluator) sentContaining(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.sent {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

// prefetchDef is an inline Map whose iterations start with a Task; args are
// its Arguments.
func prefetchDef(args string) string {
	return `{
	  "QueryLanguage": "JSONata",
	  "StartAt": "Init",
	  "States": {
	    "Init": {"Type": "Pass", "Assign": {"prefix": "data/"}, "Next": "Each"},
	    "Each": {"Type": "Map", "Items": "{% $states.input %}", "MaxConcurrency": 3,
	      "ItemProcessor": {"StartAt": "Head", "States": {
	        "Head": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
	          "Arguments": ` + args + `, "End": true}
	      }},
	      "End": true}
	  }
	}`
}

func headStub() *stub {
	return newStub().on("s3:headObject", func(_ context.Context, args map[string]any) (any, error) {
		return args, nil
	})
}

// GIVEN an inline Map whose first state's Arguments read the item (objects,
// arrays, a singleton array, a string) and a variable
// WHEN it runs over all the items, and over each item alone (never
// evaluated ahead)
// THEN each iteration gets the Arguments it gets alone, and they were
// evaluated in one request for all the items.
func TestInlineMapArgumentsAreEvaluatedAhead(t *testing.T) {
	def := prefetchDef(`{"Key": "{% $prefix & $states.input.key %}", "Tags": "{% $states.input.tags %}", "First": "{% $states.input.tags[0] %}"}`)
	items := js(t, `[{"key": "a", "tags": [1, 2]}, {"key": "b", "tags": [3]}, {"key": "c", "tags": [[5, 6]]}, {"key": "é/d", "tags": [[4]]}, {"key": "e", "tags": "x"}]`).([]any)
	rec := &recordingEvaluator{}
	x := runDef(t, New(headStub(), rec), def, items)
	wantSucceeded(t, x)
	assert.Equal(t, 1, rec.sentContaining("$prefix & $states.input.key"), "one request for all items")
	for i, item := range items {
		alone := runDef(t, newExec(headStub()), def, []any{item})
		wantSucceeded(t, alone)
		assert.Equal(t, alone.Output.([]any)[0], x.Output.([]any)[i], "item %d", i)
	}
	wantJSON(t, "first item", x.Output.([]any)[0], `{"Key": "data/a", "Tags": [1, 2], "First": 1}`)
}

// GIVEN the same Map with one item on which an expression fails
// WHEN it runs with that item among others, and alone (never evaluated ahead)
// THEN both fail with the same error and cause.
func TestInlineMapArgumentsEvaluatedAheadFailAsAlone(t *testing.T) {
	def := prefetchDef(`{"Key": "{% $states.input.key = 'bad' ? $error('no good') : $states.input.key %}", "N": "{% $states.input.n %}"}`)
	among := runDef(t, newExec(headStub()), def, js(t, `[{"key": "a", "n": 1}, {"key": "bad", "n": 2}, {"key": "c", "n": 3}]`))
	alone := runDef(t, newExec(headStub()), def, js(t, `[{"key": "bad", "n": 2}]`))
	wantFailed(t, among, ErrQueryEvaluation)
	wantFailed(t, alone, ErrQueryEvaluation)
	assert.Equal(t, withoutEventID(alone.Cause), withoutEventID(among.Cause))
	assert.Contains(t, among.Cause, "no good")

	undefinedAmong := runDef(t, newExec(headStub()), def, js(t, `[{"key": "a", "n": 1}, {"key": "b"}]`))
	undefinedAlone := runDef(t, newExec(headStub()), def, js(t, `[{"key": "b"}]`))
	wantFailed(t, undefinedAmong, ErrQueryEvaluation)
	assert.Equal(t, withoutEventID(undefinedAlone.Cause), withoutEventID(undefinedAmong.Cause))
	assert.Contains(t, undefinedAmong.Cause, "returned nothing (undefined)")
}

// withoutEventID drops the "(entered at the event id #n)" of a cause: the
// iterations before the failing one add events.
func withoutEventID(cause string) string {
	return regexp.MustCompile(`event id #\d+`).ReplaceAllString(cause, "event id #n")
}

// GIVEN Arguments that read the context object (which differs between
// iterations and attempts) or call $now
// WHEN the Map runs
// THEN they are evaluated per iteration, as usual.
func TestInlineMapArgumentsThatCanDifferAreNotEvaluatedAhead(t *testing.T) {
	for _, args := range []string{
		`{"Key": "{% $states.input.key %}", "Index": "{% $states.context.State.EnteredTime %}"}`,
		`{"Key": "{% $states.input.key %}", "At": "{% $now() %}"}`,
	} {
		rec := &recordingEvaluator{}
		x := runDef(t, New(headStub(), rec), prefetchDef(args), js(t, `[{"key": "a"}, {"key": "b"}, {"key": "c"}]`))
		wantSucceeded(t, x)
		require.Equal(t, 3, rec.sentContaining("$states.input.key"), "%s: %q", args, rec.sent)
	}
}

// GIVEN the answer for a chunk of one item, which $map gives unwrapped
// WHEN it is unpacked
// THEN it is that item's values; an undefined value is refused.
func TestDecomposeAheadOneItem(t *testing.T) {
	one := EvalResult{Value: []any{map[string]any{"v": "k"}, map[string]any{"v": []any{1.0}}}}
	got, ok := decomposeAhead(one, 1, 2)
	require.True(t, ok)
	assert.Equal(t, [][]EvalResult{{{Value: "k"}, {Value: []any{1.0}}}}, got)
	_, ok = decomposeAhead(EvalResult{Value: []any{map[string]any{"v": "k"}, map[string]any{}}}, 1, 2)
	assert.False(t, ok, "undefined")
}
