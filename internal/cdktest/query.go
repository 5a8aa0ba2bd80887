package cdktest

import (
	"fmt"
	"strings"
	"testing"
)

// Path follows a path through decoded JSON (a template, a definition): a
// string steps into an object's member, an int into an array's element. It
// returns the value found, or an error naming the first step that is missing
// or lands on another kind of value.
func Path(v any, path ...any) (any, error) {
	cur := v
	for i, step := range path {
		where := func() string { return pathString(path[:i+1]) }
		switch s := step.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: %s is %s, not an object", where(), pathString(path[:i]), kind(cur))
			}
			next, ok := m[s]
			if !ok {
				return nil, fmt.Errorf("%s: no member %q", where(), s)
			}
			cur = next
		case int:
			a, ok := cur.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: %s is %s, not an array", where(), pathString(path[:i]), kind(cur))
			}
			if s < 0 || s >= len(a) {
				return nil, fmt.Errorf("%s: index %d out of range (%d elements)", where(), s, len(a))
			}
			cur = a[s]
		default:
			return nil, fmt.Errorf("%s: a step must be a string or an int, got %T", where(), step)
		}
	}
	return cur, nil
}

// At is Path in a test: it fails t (and stops it) when the path does not
// lead to a value.
func At(t testing.TB, v any, path ...any) any {
	t.Helper()
	got, err := Path(v, path...)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// As is At for a value of type T (map[string]any, []any, string, float64,
// bool): it fails t when the value has another type.
func As[T any](t testing.TB, v any, path ...any) T {
	t.Helper()
	got := At(t, v, path...)
	typed, ok := got.(T)
	if !ok {
		var want T
		t.Fatalf("%s is %s, not %T", pathString(path), kind(got), want)
	}
	return typed
}

// pathString writes a path as "/Resources/X/Properties/0".
func pathString(path []any) string {
	var b strings.Builder
	for _, s := range path {
		fmt.Fprintf(&b, "/%v", s)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
