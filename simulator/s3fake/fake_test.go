package s3fake

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestObjectActions(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b", BucketOptions{KMSKeyARN: "arn:k"})
	f.SetClock(func() time.Time { return time.Date(2026, 11, 24, 3, 4, 5, 0, time.UTC) })
	put := mustCall(t, f, "putObject", map[string]any{"Bucket": "b", "Key": "k", "Body": "hello"})
	if put["ETag"] != `"5d41402abc4b2a76b9719d911017c592"` || put["SsekmsKeyId"] != "arn:k" {
		t.Fatalf("putObject %v", put)
	}
	head := mustCall(t, f, "headObject", map[string]any{"Bucket": "b", "Key": "k"})
	if head["ContentLength"] != float64(5) || head["LastModified"] != "2026-11-24T03:04:05.000Z" || head["ServerSideEncryption"] != "aws:kms" {
		t.Fatalf("headObject %v", head)
	}
	if get := mustCall(t, f, "getObject", map[string]any{"Bucket": "b", "Key": "k"}); get["Body"] != "hello" {
		t.Fatalf("getObject %v", get)
	}
	_ = f.PutDeclared("b", "big", 10)
	_, err := call(t, f, "getObject", map[string]any{"Bucket": "b", "Key": "big"})
	checkErr(t, err, ErrInvalidCall, "getObject")
	_, err = call(t, f, "headObject", map[string]any{"Bucket": "b", "Key": "nope"})
	checkErr(t, err, ErrNoSuchKey, "nope")
	mustCall(t, f, "deleteObject", map[string]any{"Bucket": "b", "Key": "k"})
	if _, ok := f.Object("b", "k"); ok {
		t.Fatal("deleted object still there")
	}
	if objs := f.Objects("b", ""); len(objs) != 1 || objs[0].Key != "big" || objs[0].HasContent {
		t.Fatalf("objects %+v", objs)
	}
	_ = f.PutObject("b", "_SUCCESS", nil)
	mustCall(t, f, "putObject", map[string]any{"Bucket": "b", "Key": "empty"})
	for _, k := range []string{"_SUCCESS", "empty"} {
		o, _ := f.Object("b", k)
		data, err := f.Read("b", k)
		if !o.HasContent || o.Size != 0 || err != nil || len(data) != 0 || o.ETag != `"d41d8cd98f00b204e9800998ecf8427e"` {
			t.Fatalf("empty object %+v: %q %v", o, data, err)
		}
	}
}

func TestInvalidCalls(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	tests := []struct {
		action string
		args   map[string]any
		want   string
	}{
		{action: "uploadPart", args: map[string]any{}, want: "s3:uploadPart: action not supported"},
		{action: "copyObject", args: map[string]any{"Bucket": "b", "Key": "k"}, want: "s3:copyObject: argument CopySource is required"},
		{action: "copyObject", args: map[string]any{"Bucket": "b", "Key": 3.0, "CopySource": "b/x"}, want: "s3:copyObject: argument Key must be a non-empty string"},
		{action: "completeMultipartUpload", args: map[string]any{"Bucket": "b", "Key": "k", "UploadId": "u"}, want: "s3:completeMultipartUpload: argument MultipartUpload"},
		{action: "headObject", args: nil, want: "s3:headObject: argument Bucket is required"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			_, err := call(t, f, tt.action, tt.args)
			checkErr(t, err, ErrInvalidCall, tt.want)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Call(ctx, "headObject", nil); err == nil {
		t.Fatal("cancelled context accepted")
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		keys  []string // copied in order
		want  []bool   // whether each copy fails
	}{
		{name: "three times", fault: Fault{Action: "copyObject", Error: ErrS3, Cause: "SlowDown", Times: 3},
			keys: []string{"a", "a", "a", "a", "a"}, want: []bool{true, true, true, false, false}},
		{name: "always", fault: Fault{Action: "copyObject", Error: ErrS3, Cause: "SlowDown"},
			keys: []string{"a", "b", "a"}, want: []bool{true, true, true}},
		{name: "key pattern", fault: Fault{Action: "copyObject", Error: ErrS3, Cause: "AccessDenied", KeyPattern: `^b$`, Times: 1},
			keys: []string{"a", "b", "b"}, want: []bool{false, true, false}},
		{name: "other action", fault: Fault{Action: "headObject", Error: ErrS3, Cause: "SlowDown"},
			keys: []string{"a"}, want: []bool{false}},
		{name: "any action", fault: Fault{Error: "S3.SdkClientException", Cause: "timeout", Times: 1},
			keys: []string{"a", "a"}, want: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake()
			f.CreateBucket("b")
			_ = f.PutObject("b", "src", []byte("x"))
			f.AddFault(tt.fault)
			for i, k := range tt.keys {
				_, err := call(t, f, "copyObject", map[string]any{"Bucket": "b", "Key": k, "CopySource": "b/src"})
				if (err != nil) != tt.want[i] {
					t.Fatalf("call %d (%s): err %v, want failure %v", i, k, err, tt.want[i])
				}
				if err != nil {
					checkErr(t, err, tt.fault.Error, tt.fault.Cause)
					if _, ok := f.Object("b", k); ok && i == 0 {
						t.Fatal("a faulted call wrote the object")
					}
				}
			}
			if got := f.Calls()["s3:copyObject"]; got != len(tt.keys) {
				t.Fatalf("Calls %d, want %d", got, len(tt.keys))
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newCopyFake(t)
	_ = f.PutDeclared("src", "big", 11*mib)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := range 20 {
				key := fmt.Sprintf("g%d/%d", g, i)
				if _, err := f.Call(ctx, "copyObject", map[string]any{"Bucket": "dst", "Key": key, "CopySource": "src/big"}); err != nil {
					t.Error(err)
				}
				if _, err := f.Call(ctx, "listObjectsV2", map[string]any{"Bucket": "dst", "MaxKeys": float64(10)}); err != nil {
					t.Error(err)
				}
				up, err := f.Call(ctx, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": key + "-mp"})
				if err != nil {
					t.Error(err)
					continue
				}
				id := up.(map[string]any)["UploadId"]
				if _, err := f.Call(ctx, "abortMultipartUpload", map[string]any{"Bucket": "dst", "Key": key + "-mp", "UploadId": id}); err != nil {
					t.Error(err)
				}
				_ = f.Objects("dst", "g")
				_ = f.Calls()
			}
		}()
	}
	wg.Wait()
	if n := len(f.Objects("dst", "")); n != 16*20 || f.OpenUploads() != 0 {
		t.Fatalf("%d objects, %d open uploads", n, f.OpenUploads())
	}
}
