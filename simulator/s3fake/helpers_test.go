package s3fake

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// call runs one action and returns its result as a map.
func call(t *testing.T, f *Fake, action string, args map[string]any) (map[string]any, error) {
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

// mustCall runs one action that must succeed.
func mustCall(t *testing.T, f *Fake, action string, args map[string]any) map[string]any {
	t.Helper()
	res, err := call(t, f, action, args)
	if err != nil {
		t.Fatalf("%s(%v): %v", action, args, err)
	}
	return res
}

// checkErr checks that err is an *awserr.Error with the given name whose
// cause contains cause ("" = any cause; name "" = no error expected).
func checkErr(t *testing.T, err error, name, cause string) {
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

// sameBytes compares sampled ranges of two objects: both ends, every
// boundary offset given, and a few points in between.
func sameBytes(t *testing.T, f *Fake, b1, k1, b2, k2 string, size int64, boundaries ...int64) {
	t.Helper()
	offsets := append([]int64{0, size / 3, size / 2, size - 4096}, boundaries...)
	for _, off := range offsets {
		from, n := max(off-2048, 0), int64(4096)
		n = min(n, size-from)
		x, err := f.ReadRange(b1, k1, from, n)
		if err != nil {
			t.Fatal(err)
		}
		y, err := f.ReadRange(b2, k2, from, n)
		if err != nil {
			t.Fatal(err)
		}
		if string(x) != string(y) {
			t.Fatalf("bytes differ around offset %d", off)
		}
	}
}
