package fakeapi_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

// read runs read as the handler of action "act" of service "svc" with args
// and returns what it read and the call's error.
func read(t *testing.T, args map[string]any, read func(a *fakeapi.Args) any) (any, error) {
	t.Helper()
	var got any
	s := fakeapi.NewService("svc", &sync.Mutex{}, map[string]fakeapi.Handler{
		"act": func(a *fakeapi.Args) (map[string]any, error) {
			got = read(a)
			return map[string]any{}, nil
		},
	})
	_, err := s.Call(context.Background(), "act", args)
	return got, err
}

// wantErr checks that err is exactly an *awserr.Error named name with cause
// cause (name "" = no error).
func wantErr(t *testing.T, err error, name, cause string) {
	t.Helper()
	var want error
	if name != "" {
		want = &awserr.Error{Name: name, Cause: cause}
	}
	if !reflect.DeepEqual(err, want) {
		t.Fatalf("got error %#v, want %#v", err, want)
	}
}

func TestArgs(t *testing.T) {
	str := func(a *fakeapi.Args) any { return a.Str("K") }
	optStr := func(a *fakeapi.Args) any { return a.OptStr("K") }
	integer := func(a *fakeapi.Args) any { return a.Int("K") }
	optInt := func(a *fakeapi.Args) any { return a.OptInt("K", 7) }
	strList := func(a *fakeapi.Args) any { return a.StrList("K") }
	absent := func(a *fakeapi.Args) any { a.Absent("X", "K"); return nil }
	const inv = fakeapi.ErrInvalidCall
	tests := []struct {
		name      string
		args      map[string]any
		read      func(a *fakeapi.Args) any
		want      any
		wantCause string // "" = no error
	}{
		{name: "str", args: map[string]any{"K": "v"}, read: str, want: "v"},
		{name: "str missing", args: map[string]any{}, read: str, want: "", wantCause: "svc:act: argument K is required"},
		{name: "str null", args: map[string]any{"K": nil}, read: str, want: "", wantCause: "svc:act: argument K is required"},
		{name: "str empty", args: map[string]any{"K": ""}, read: str, want: "", wantCause: "svc:act: argument K must be a non-empty string, got string "},
		{name: "str number", args: map[string]any{"K": 3.0}, read: str, want: "", wantCause: "svc:act: argument K must be a non-empty string, got float64 3"},
		{name: "optStr", args: map[string]any{"K": "v"}, read: optStr, want: "v"},
		{name: "optStr missing", args: map[string]any{}, read: optStr, want: ""},
		{name: "optStr null", args: map[string]any{"K": nil}, read: optStr, want: ""},
		{name: "optStr empty", args: map[string]any{"K": ""}, read: optStr, want: ""},
		{name: "optStr bool", args: map[string]any{"K": true}, read: optStr, want: "", wantCause: "svc:act: argument K must be a string, got bool true"},
		{name: "int", args: map[string]any{"K": 12.0}, read: integer, want: int64(12)},
		{name: "int missing", args: map[string]any{}, read: integer, want: int64(0), wantCause: "svc:act: argument K is required"},
		{name: "int fraction", args: map[string]any{"K": 1.5}, read: integer, want: int64(0), wantCause: "svc:act: argument K must be an integer, got float64 1.5"},
		{name: "int string", args: map[string]any{"K": "1"}, read: integer, want: int64(0), wantCause: "svc:act: argument K must be an integer, got string 1"},
		{name: "optInt", args: map[string]any{"K": -3.0}, read: optInt, want: int64(-3)},
		{name: "optInt missing", args: map[string]any{}, read: optInt, want: int64(7)},
		{name: "optInt null", args: map[string]any{"K": nil}, read: optInt, want: int64(7)},
		{name: "optInt too large", args: map[string]any{"K": 1e17}, read: optInt, want: int64(0), wantCause: "svc:act: argument K must be an integer, got float64 1e+17"},
		{name: "strList", args: map[string]any{"K": []any{"a", "b"}}, read: strList, want: []string{"a", "b"}},
		{name: "strList empty", args: map[string]any{"K": []any{}}, read: strList, want: []string{}},
		{name: "strList missing", args: map[string]any{}, read: strList, want: []string(nil)},
		{name: "strList mixed", args: map[string]any{"K": []any{"a", 1.0}}, read: strList, want: []string{"a", ""}, wantCause: "svc:act: argument K must be a list of strings, got [a 1]"},
		{name: "strList string", args: map[string]any{"K": "a"}, read: strList, want: []string{}, wantCause: "svc:act: argument K must be a list of strings, got a"},
		{name: "absent", args: map[string]any{"Y": 1.0}, read: absent, want: nil},
		{name: "absent present", args: map[string]any{"K": nil}, read: absent, want: nil, wantCause: "svc:act: argument K is not supported by the fake"},
		{name: "first error kept", args: map[string]any{"X": 1.0, "K": 1.0}, read: func(a *fakeapi.Args) any {
			a.Str("K")
			a.Absent("X")
			a.Fail("custom %d", 1)
			return a.Value("X")
		}, want: 1.0, wantCause: "svc:act: argument K must be a non-empty string, got float64 1"},
		{name: "fail", args: map[string]any{}, read: func(a *fakeapi.Args) any { a.Fail("Parts[%d] is bad", 2); return a.Err() != nil }, want: true, wantCause: "svc:act: Parts[2] is bad"},
		{name: "value missing", args: map[string]any{}, read: func(a *fakeapi.Args) any { return a.Value("K") }, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, tt.args, tt.read)
			if tt.wantCause == "" {
				wantErr(t, err, "", "")
			} else {
				wantErr(t, err, inv, tt.wantCause)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("read %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestToInt(t *testing.T) {
	tests := []struct {
		v      any
		want   int64
		wantOK bool
	}{
		{v: 5.0, want: 5, wantOK: true},
		{v: -5.0, want: -5, wantOK: true},
		{v: float64(1 << 53), want: 1 << 53, wantOK: true},
		{v: float64(1<<53) * 2},
		{v: 0.5},
		{v: 3, want: 3, wantOK: true},
		{v: int64(1 << 60), want: 1 << 60, wantOK: true},
		{v: "3"},
		{v: nil},
		{v: int32(3)},
	}
	for _, tt := range tests {
		got, ok := fakeapi.ToInt(tt.v)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ToInt(%#v) = %d, %v; want %d, %v", tt.v, got, ok, tt.want, tt.wantOK)
		}
	}
}
