package asl

// Parsers of the fields several state types share: Assign, Retry, Catch
// and numbers.

import (
	"fmt"
	"math"
	"regexp"
	"slices"
)

// isExpr reports whether s is a whole-string {% %} expression.
func isExpr(s string) bool { _, ok := isExprString(s); return ok }

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) parseAssign(m map[string]any, fail func(string, ...any) error) (*tmpl, error) {
	v, ok := m["Assign"]
	if !ok {
		return nil, nil
	}
	am, ok := v.(map[string]any)
	if !ok {
		return nil, fail("Assign must be an object")
	}
	for k := range am {
		if !varName.MatchString(k) || k == "states" {
			return nil, fail("Assign: invalid variable name %q", k)
		}
	}
	t, err := compile(am)
	if err != nil {
		return nil, fail("Assign: %v", err)
	}
	return t, nil
}

func (p *parser) positiveIntField(m map[string]any, field string, fail func(string, ...any) error) (*tmpl, error) {
	v, ok := m[field]
	if !ok {
		return nil, nil
	}
	if s, isStr := v.(string); isStr {
		if !isExpr(s) {
			return nil, fail("%s must be a positive integer or a JSONata expression", field)
		}
		return compile(v)
	}
	n, ok := intValue(v)
	if !ok || n < 0 || (n == 0 && field != "Seconds") {
		return nil, fail("%s must be a positive integer, got %v", field, v)
	}
	return compile(v)
}

func (p *parser) nonNegIntField(m map[string]any, field string, fail func(string, ...any) error) (*tmpl, error) {
	v, ok := m[field]
	if !ok {
		return nil, nil
	}
	if s, isStr := v.(string); isStr {
		if !isExpr(s) {
			return nil, fail("%s must be a non-negative integer or a JSONata expression", field)
		}
		return compile(v)
	}
	n, ok := intValue(v)
	if !ok || n < 0 {
		return nil, fail("%s must be a non-negative integer, got %v", field, v)
	}
	return compile(v)
}

func parseRetry(v any, fail func(string, ...any) error) ([]*retrier, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fail("Retry must be an array")
	}
	var out []*retrier
	for i, r := range arr {
		rm, ok := r.(map[string]any)
		if !ok {
			return nil, fail("Retry[%d]: not an object", i)
		}
		for k := range rm {
			if !slices.Contains([]string{"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"}, k) {
				return nil, fail("Retry[%d]: field %s is not allowed", i, k)
			}
		}
		eq, err := errorEquals(rm["ErrorEquals"], i == len(arr)-1)
		if err != nil {
			return nil, fail("Retry[%d]: %v", i, err)
		}
		rt := &retrier{errorEquals: eq, interval: 1, maxAttempts: 3, backoff: 2.0}
		if x, ok := rm["IntervalSeconds"]; ok {
			n, ok := intValue(x)
			if !ok || n < 1 {
				return nil, fail("Retry[%d]: IntervalSeconds must be a positive integer", i)
			}
			rt.interval = float64(n)
		}
		if x, ok := rm["MaxAttempts"]; ok {
			n, ok := intValue(x)
			if !ok || n < 0 {
				return nil, fail("Retry[%d]: MaxAttempts must be a non-negative integer", i)
			}
			rt.maxAttempts = n
		}
		if x, ok := rm["BackoffRate"]; ok {
			f, ok := x.(float64)
			if !ok || f < 1 {
				return nil, fail("Retry[%d]: BackoffRate must be a number >= 1.0", i)
			}
			rt.backoff = f
		}
		if x, ok := rm["MaxDelaySeconds"]; ok {
			n, ok := intValue(x)
			if !ok || n < 1 {
				return nil, fail("Retry[%d]: MaxDelaySeconds must be a positive integer", i)
			}
			rt.maxDelay = float64(n)
		}
		if x, ok := rm["JitterStrategy"]; ok {
			s, _ := x.(string)
			if s != "FULL" && s != "NONE" {
				return nil, fail("Retry[%d]: JitterStrategy must be FULL or NONE", i)
			}
			rt.jitter = s == "FULL"
		}
		out = append(out, rt)
	}
	return out, nil
}

func (p *parser) parseCatch(v any, fail func(string, ...any) error) ([]*catcher, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fail("Catch must be an array")
	}
	var out []*catcher
	for i, c := range arr {
		cm, ok := c.(map[string]any)
		if !ok {
			return nil, fail("Catch[%d]: not an object", i)
		}
		for k := range cm {
			if !slices.Contains([]string{"ErrorEquals", "Next", "Output", "Assign", "Comment"}, k) {
				return nil, fail("Catch[%d]: field %s is not allowed in a JSONata Catcher", i, k)
			}
		}
		eq, err := errorEquals(cm["ErrorEquals"], i == len(arr)-1)
		if err != nil {
			return nil, fail("Catch[%d]: %v", i, err)
		}
		ct := &catcher{errorEquals: eq}
		ct.next, _ = cm["Next"].(string)
		if ct.next == "" {
			return nil, fail("Catch[%d]: Next is required", i)
		}
		if o, ok := cm["Output"]; ok {
			if ct.output, err = compile(o); err != nil {
				return nil, fail("Catch[%d].Output: %v", i, err)
			}
		}
		if ct.assign, err = p.parseAssign(cm, func(f string, a ...any) error {
			return fail("Catch[%d]: %s", i, fmt.Sprintf(f, a...))
		}); err != nil {
			return nil, err
		}
		out = append(out, ct)
	}
	return out, nil
}

func errorEquals(v any, last bool) ([]string, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("ErrorEquals must be a non-empty array of error names")
	}
	var out []string
	for _, e := range arr {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("ErrorEquals must hold strings")
		}
		out = append(out, s)
	}
	if slices.Contains(out, ErrALL) {
		if len(out) != 1 {
			return nil, fmt.Errorf("States.ALL must appear alone in ErrorEquals")
		}
		if !last {
			return nil, fmt.Errorf("a States.ALL Retrier or Catcher must be the last one")
		}
	}
	return out, nil
}

func allowedKeys(m map[string]any, where string, keys ...string) error {
	for k := range m {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("asl: %s: field %s is not allowed", where, k)
		}
	}
	return nil
}

// intValue converts a JSON number holding an integer.
func intValue(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.IsInf(f, 0) || f > math.MaxInt32*1024 || f < -math.MaxInt32*1024 {
		return 0, false
	}
	return int(f), true
}
