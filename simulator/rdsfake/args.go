package rdsfake

import (
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
		r.err = awserr.New(ErrInvalidCall, "rds:"+r.action+": "+format, args...)
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

// strList returns an optional list of strings.
func (r *argReader) strList(name string) []string {
	v, ok := r.args[name]
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
		r.fail("argument %s must be a list of strings, got %v", name, v)
	}
	return out
}
