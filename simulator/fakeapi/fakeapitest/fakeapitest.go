// Package fakeapitest holds the test helpers shared by the tests of the
// local fakes: calling an action and checking the Step Functions error it
// returns.
package fakeapitest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// Caller is a fake: s3fake.Fake or rdsfake.Fake.
type Caller interface {
	Call(ctx context.Context, action string, args map[string]any) (any, error)
}

// Call runs one action and returns its result as a map; a failure must be
// an *awserr.Error.
func Call(t testing.TB, f Caller, action string, args map[string]any) (map[string]any, error) {
	t.Helper()
	res, err := f.Call(context.Background(), action, args)
	if err != nil {
		var e *awserr.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: error %v is not an *awserr.Error", action, err)
		}
		return nil, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		t.Fatalf("%s: result %T is not a map", action, res)
	}
	return m, nil
}

// MustCall runs one action that must succeed.
func MustCall(t testing.TB, f Caller, action string, args map[string]any) map[string]any {
	t.Helper()
	res, err := Call(t, f, action, args)
	if err != nil {
		t.Fatalf("%s(%v): %v", action, args, err)
	}
	return res
}

// CheckErr checks that err is an *awserr.Error with the given name whose
// cause contains cause ("" = any cause; name "" = no error expected).
func CheckErr(t testing.TB, err error, name, cause string) {
	t.Helper()
	if name == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	e := awserr.As(err)
	if e == nil {
		t.Fatalf("got no error, want %s (%s)", name, cause)
	}
	if e.Name != name || !strings.Contains(e.Cause, cause) {
		t.Fatalf("got %s: %s; want %s containing %q", e.Name, e.Cause, name, cause)
	}
}
