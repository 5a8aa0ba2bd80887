package s3fake

import (
	"testing"

	"github.com/snapshotlake/snapshotlake/simulator/fakeapi/fakeapitest"
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// The fakes' shared test helpers.
var (
	call     = fakeapitest.Call
	mustCall = fakeapitest.MustCall
	checkErr = fakeapitest.CheckErr
)

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
