package fakeapi

import (
	"math"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// Args reads the Arguments of one call, keeping the first error, which
// [Service.Call] returns in preference to the handler's own error. The
// readers return a zero value (or the given default) after an error, so a
// handler may read all its arguments and check [Args.Err] once.
type Args struct {
	prefix string // "<service>:<action>: "
	args   map[string]any
	err    *awserr.Error
}

// Err returns the first argument error, or nil.
func (a *Args) Err() *awserr.Error { return a.err }

// Fail records an [ErrInvalidCall] error whose cause is the formatted
// message after "<service>:<action>: ", unless an error is already recorded.
func (a *Args) Fail(format string, args ...any) {
	if a.err == nil {
		a.err = awserr.New(ErrInvalidCall, a.prefix+format, args...)
	}
}

// Value returns an argument as it was passed, nil when absent.
func (a *Args) Value(name string) any { return a.args[name] }

// Str returns a required non-empty string argument.
func (a *Args) Str(name string) string {
	v, ok := a.args[name]
	if !ok || v == nil {
		a.Fail("argument %s is required", name)
		return ""
	}
	s, ok := v.(string)
	if !ok || s == "" {
		a.Fail("argument %s must be a non-empty string, got %T %v", name, v, v)
	}
	return s
}

// OptStr returns an optional string argument, "" when absent or null.
func (a *Args) OptStr(name string) string {
	v, ok := a.args[name]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		a.Fail("argument %s must be a string, got %T %v", name, v, v)
	}
	return s
}

// Int returns a required integral number argument (see [ToInt]).
func (a *Args) Int(name string) int64 { return a.integer(name, true, 0) }

// OptInt returns an optional integral number argument, def when absent or
// null.
func (a *Args) OptInt(name string, def int64) int64 { return a.integer(name, false, def) }

func (a *Args) integer(name string, required bool, def int64) int64 {
	v, ok := a.args[name]
	if !ok || v == nil {
		if required {
			a.Fail("argument %s is required", name)
		}
		return def
	}
	n, ok := ToInt(v)
	if !ok {
		a.Fail("argument %s must be an integer, got %T %v", name, v, v)
	}
	return n
}

// StrList returns an optional list of strings, nil when absent or null.
func (a *Args) StrList(name string) []string {
	v, ok := a.args[name]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, isStr := item.(string)
		ok = ok && isStr
		out = append(out, s)
	}
	if !ok {
		a.Fail("argument %s must be a list of strings, got %v", name, v)
	}
	return out
}

// Absent fails when one of the named arguments, which the fake does not
// model, is present (even as null).
func (a *Args) Absent(names ...string) {
	for _, n := range names {
		if _, ok := a.args[n]; ok {
			a.Fail("argument %s is not supported by the fake", n)
		}
	}
}

// ToInt returns v as an int64 when it is an integer: a float64 (a JSON
// number) with an integral value of magnitude at most 2^53, an int or an
// int64.
func ToInt(v any) (int64, bool) {
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
