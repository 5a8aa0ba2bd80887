package s3fake

import (
	"math"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// argReader reads task arguments, keeping the first error (which Call
// returns in preference to the handler's own error).
type argReader struct {
	action string
	args   map[string]any
	err    *awserr.Error
}

func (r *argReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = awserr.New(ErrInvalidCall, "s3:"+r.action+": "+format, args...)
	}
}

// str returns a required string argument.
func (r *argReader) str(name string) string {
	v, ok := r.args[name]
	if !ok || v == nil {
		r.fail("argument %s is required", name)
		return ""
	}
	s, ok := v.(string)
	if !ok || s == "" {
		r.fail("argument %s must be a non-empty string, got %T %v", name, v, v)
	}
	return s
}

// optStr returns an optional string argument, "" when absent.
func (r *argReader) optStr(name string) string {
	v, ok := r.args[name]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.fail("argument %s must be a string, got %T %v", name, v, v)
	}
	return s
}

// integer returns an integral number argument; def when optional and absent.
func (r *argReader) integer(name string, required bool, def int64) int64 {
	v, ok := r.args[name]
	if !ok || v == nil {
		if required {
			r.fail("argument %s is required", name)
		}
		return def
	}
	n, ok := toInt(v)
	if !ok {
		r.fail("argument %s must be an integer, got %T %v", name, v, v)
	}
	return n
}

// absent fails when an argument the fake does not model is present.
func (r *argReader) absent(names ...string) {
	for _, n := range names {
		if _, ok := r.args[n]; ok {
			r.fail("argument %s is not supported by the fake", n)
		}
	}
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}
