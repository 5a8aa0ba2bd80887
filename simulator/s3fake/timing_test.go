package s3fake

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/timing"
)

var t0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// Hand-computed: with 10 writes/s per prefix (one second of burst), 12
// copies into one table folder at one instant: 10 pass, 2 get SlowDown; a
// copy into another table folder passes (its own prefix). Each accepted
// 4 MiB copy takes 100 ms + 4 MiB / 100 MiB/s = 140 ms and its object is
// dated when it ends; a throttled one fails after the 100 ms latency.
func TestCallAtThrottlesPerPrefix(t *testing.T) {
	f := NewFake()
	f.CreateBucket("src")
	f.CreateBucket("dst")
	if err := f.PutDeclared("src", "part-1", 4*mib); err != nil {
		t.Fatal(err)
	}
	f.SetTiming(timing.Model{S3WritesPerSecond: 10})
	copyTo := func(key string) (time.Duration, error) {
		_, took, err := f.CallAt(context.Background(), t0, "copyObject", map[string]any{"Bucket": "dst", "Key": key, "CopySource": "src/part-1"})
		return took, err
	}
	var throttled int
	for i := 0; i < 12; i++ {
		took, err := copyTo("db/public.t1/p=1/part-" + string(rune('a'+i)))
		switch {
		case err == nil && took != 140*time.Millisecond:
			t.Errorf("copy %d took %v, want 140ms", i, took)
		case err != nil:
			throttled++
			e := awserr.As(err)
			if e.Name != ErrS3 || !strings.HasPrefix(e.Cause, "Please reduce your request rate. (Service: S3, Status Code: 503, Request ID: ") || took != 100*time.Millisecond {
				t.Errorf("copy %d: %s: %s after %v", i, e.Name, e.Cause, took)
			}
		}
	}
	if throttled != 2 {
		t.Errorf("%d copies throttled, want 2", throttled)
	}
	if _, err := copyTo("db/public.t2/p=1/part-a"); err != nil {
		t.Errorf("copy into another prefix: %v", err)
	}
	st := f.TimingStats()
	if st.Throttled["copyObject"] != 2 || st.Writes["dst/db/public.t1/"] != 10 || st.Writes["dst/db/public.t2/"] != 1 || st.LargestWrite != 4*mib {
		t.Errorf("stats %+v", st)
	}
	if o, _ := f.Object("dst", "db/public.t1/p=1/part-a"); !o.LastModified.Equal(t0.Add(140 * time.Millisecond)) {
		t.Errorf("LastModified %v, want t0+140ms", o.LastModified)
	}
}

// Without a bucket key every SSE-KMS copy calls KMS (GenerateDataKey); with
// one, the first call fetches the bucket-level key and the next ones reuse
// it for its lifetime. With 2 KMS requests per second, the third copy
// without a bucket key is throttled.
func TestCallAtKMS(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		f := NewFake()
		f.CreateBucket("src")
		f.CreateBucket("dst", BucketOptions{KMSKeyARN: "arn:aws:kms:ap-northeast-1:111122223333:key/k", BucketKeyEnabled: keyed})
		if err := f.PutDeclared("src", "o", 1); err != nil {
			t.Fatal(err)
		}
		f.SetTiming(timing.Model{KMSRequestsPerSecond: 2})
		var failed int
		for i := 0; i < 3; i++ {
			if _, _, err := f.CallAt(context.Background(), t0, "copyObject", map[string]any{"Bucket": "dst", "Key": "k" + string(rune('0'+i)), "CopySource": "src/o"}); err != nil {
				failed++
			}
		}
		st := f.TimingStats()
		want := map[bool][3]int{false: {3, 1, 1}, true: {1, 0, 0}}[keyed]
		if st.KMSRequests != want[0] || st.KMSThrottled != want[1] || failed != want[2] {
			t.Errorf("bucket key %v: %d KMS requests, %d throttled, %d copies failed; want %v", keyed, st.KMSRequests, st.KMSThrottled, failed, want)
		}
	}
}
