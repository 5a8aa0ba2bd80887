package s3fake

import (
	"testing"
)

func TestCopySourceDecoding(t *testing.T) {
	tests := []struct {
		name      string
		keys      []string // source keys to create in bucket "src"
		give      string   // CopySource
		wantKey   string   // key that must be copied
		wantErr   string
		wantCause string
	}{
		{name: "plain", keys: []string{"db/public.city/1/part-0.parquet"}, give: "src/db/public.city/1/part-0.parquet", wantKey: "db/public.city/1/part-0.parquet"},
		{name: "leading slash", keys: []string{"a/b"}, give: "/src/a/b", wantKey: "a/b"},
		{name: "non-ASCII encoded", keys: []string{"データ/Zürich.parquet"}, give: "src/%E3%83%87%E3%83%BC%E3%82%BF/Z%C3%BCrich.parquet", wantKey: "データ/Zürich.parquet"},
		{name: "lower-case hex", keys: []string{"ü"}, give: "src/%c3%bc", wantKey: "ü"},
		{name: "non-ASCII raw", keys: []string{"ü"}, give: "src/ü", wantErr: ErrS3, wantCause: "SignatureDoesNotMatch"},
		{name: "percent encoded", keys: []string{"100%/x"}, give: "src/100%25/x", wantKey: "100%/x"},
		{name: "percent raw is malformed", keys: []string{"100%/x"}, give: "src/100%/x", wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "percent raw before hex digits copies another key", keys: []string{"%41", "A"}, give: "src/%41", wantKey: "A"},
		{name: "bad hex", keys: []string{"a"}, give: "src/a%zz", wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "truncated escape", keys: []string{"a"}, give: "src/a%4", wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "escape to invalid UTF-8", keys: []string{"a"}, give: "src/a%FF", wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "plus encoded", keys: []string{"c++/a+b"}, give: "src/c%2B%2B/a%2Bb", wantKey: "c++/a+b"},
		{name: "plus raw is a space: missing", keys: []string{"a+b"}, give: "src/a+b", wantErr: ErrNoSuchKey},
		{name: "plus raw is a space: wrong object", keys: []string{"a+b", "a b"}, give: "src/a+b", wantKey: "a b"},
		{name: "space encoded", keys: []string{"a b"}, give: "src/a%20b", wantKey: "a b"},
		{name: "question mark raw truncates", keys: []string{"a?b"}, give: "src/a?b", wantErr: ErrNoSuchKey},
		{name: "question mark encoded", keys: []string{"a?b"}, give: "src/a%3Fb", wantKey: "a?b"},
		{name: "whole value encoded", keys: []string{"x/a+b"}, give: "src%2Fx%2Fa%2Bb", wantKey: "x/a+b"},
		{name: "versionId refused", keys: []string{"a"}, give: "src/a?versionId=3", wantErr: ErrInvalidCall, wantCause: "versionId"},
		{name: "no key", keys: []string{"a"}, give: "src", wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "no bucket", keys: []string{"a"}, give: "/a", wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "unknown bucket", keys: []string{"a"}, give: "other/a", wantErr: ErrNoSuchBucket},
		{name: "unknown key", keys: []string{"a"}, give: "src/b", wantErr: ErrNoSuchKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake()
			f.CreateBucket("src")
			f.CreateBucket("dst")
			for _, k := range tt.keys {
				if err := f.PutObject("src", k, []byte("content of "+k)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := call(t, f, "copyObject", map[string]any{"Bucket": "dst", "Key": "out", "CopySource": tt.give})
			checkErr(t, err, tt.wantErr, tt.wantCause)
			got, _ := f.Read("dst", "out")
			if tt.wantErr != "" {
				if objs := f.Objects("dst", ""); len(objs) != 0 {
					t.Fatalf("failed copy wrote %v", objs)
				}
				return
			}
			if want := "content of " + tt.wantKey; string(got) != want {
				t.Fatalf("copied %q, want %q", got, want)
			}
		})
	}
}

func TestCopyObject(t *testing.T) {
	tests := []struct {
		name      string
		size      int64
		args      map[string]any
		wantErr   string
		wantCause string
		wantSSE   string
		wantKMS   string
	}{
		{name: "5 GiB is allowed", size: 5 * gib, wantSSE: "aws:kms", wantKMS: "arn:dst-key"},
		{name: "over 5 GiB is refused", size: 5*gib + 1, wantErr: ErrS3, wantCause: "InvalidRequest: The specified copy source is larger than the maximum allowable size for a copy source: 5368709120"},
		{name: "bucket-owner-full-control", size: 10, args: map[string]any{"ACL": "bucket-owner-full-control"}, wantSSE: "aws:kms", wantKMS: "arn:dst-key"},
		{name: "other ACL refused", size: 10, args: map[string]any{"ACL": "public-read"}, wantErr: ErrS3, wantCause: "AccessControlListNotSupported"},
		{name: "explicit key", size: 10, args: map[string]any{"ServerSideEncryption": "aws:kms", "SsekmsKeyId": "arn:other"}, wantSSE: "aws:kms", wantKMS: "arn:other"},
		{name: "the API's spelling is not a Step Functions field", size: 10, args: map[string]any{"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "arn:other"}, wantErr: ErrInvalidCall, wantCause: "named SsekmsKeyId"},
		{name: "SSE-S3", size: 10, args: map[string]any{"ServerSideEncryption": "AES256"}, wantSSE: "AES256"},
		{name: "bad SSE", size: 10, args: map[string]any{"ServerSideEncryption": "rot13"}, wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "missing destination bucket", size: 10, args: map[string]any{"Bucket": "nope"}, wantErr: ErrNoSuchBucket},
		{name: "expected owner matches", size: 10, args: map[string]any{"ExpectedBucketOwner": "444455556666"}, wantSSE: "aws:kms", wantKMS: "arn:dst-key"},
		{name: "expected owner differs", size: 10, args: map[string]any{"ExpectedBucketOwner": "999988887777"}, wantErr: ErrS3, wantCause: "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake()
			f.CreateBucket("src")
			f.CreateBucket("dst", BucketOptions{Owner: "444455556666", KMSKeyARN: "arn:dst-key", BucketOwnerEnforced: true})
			if err := f.PutDeclared("src", "big", tt.size); err != nil {
				t.Fatal(err)
			}
			args := map[string]any{"Bucket": "dst", "Key": "copy", "CopySource": "src/big"}
			for k, v := range tt.args {
				args[k] = v
			}
			res, err := call(t, f, "copyObject", args)
			checkErr(t, err, tt.wantErr, tt.wantCause)
			if tt.wantErr != "" {
				if _, ok := f.Object("dst", "copy"); ok {
					t.Fatal("failed copy wrote the object")
				}
				return
			}
			src, _ := f.Object("src", "big")
			got, _ := f.Object("dst", "copy")
			if got.Size != tt.size || got.HasContent || got.ETag != src.ETag {
				t.Fatalf("copy %+v of %+v", got, src)
			}
			if got.ServerSideEncryption != tt.wantSSE || got.SSEKMSKeyID != tt.wantKMS || res["ServerSideEncryption"] != tt.wantSSE {
				t.Fatalf("encryption %q %q, result %v; want %q %q", got.ServerSideEncryption, got.SSEKMSKeyID, res, tt.wantSSE, tt.wantKMS)
			}
			if etag := res["CopyObjectResult"].(map[string]any)["ETag"]; etag != got.ETag {
				t.Fatalf("result ETag %v, object %v", etag, got.ETag)
			}
			sameBytes(t, f, "src", "big", "dst", "copy", tt.size)
		})
	}
}

func TestCopyObjectToItself(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	if err := f.PutObject("b", "k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	_, err := call(t, f, "copyObject", map[string]any{"Bucket": "b", "Key": "k", "CopySource": "b/k"})
	checkErr(t, err, ErrS3, "InvalidRequest")
	mustCall(t, f, "copyObject", map[string]any{"Bucket": "b", "Key": "k", "CopySource": "b/k", "StorageClass": "GLACIER_IR"})
	if o, _ := f.Object("b", "k"); o.StorageClass != "GLACIER_IR" {
		t.Fatalf("storage class %q", o.StorageClass)
	}
}

func TestDeclaredContent(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	for _, k := range []string{"x", "y"} {
		if err := f.PutDeclared("b", k, 200*gib); err != nil {
			t.Fatal(err)
		}
	}
	x1, _ := f.ReadRange("b", "x", 150*gib, 100)
	x2, _ := f.ReadRange("b", "x", 150*gib, 100)
	y, _ := f.ReadRange("b", "y", 150*gib, 100)
	if string(x1) != string(x2) || string(x1) == string(y) || len(x1) != 100 {
		t.Fatal("declared bytes are not a deterministic function of bucket, key and offset")
	}
	whole, _ := f.ReadRange("b", "x", 150*gib-7, 107)
	if string(whole[7:]) != string(x1) {
		t.Fatal("unaligned read differs")
	}
	ox, _ := f.Object("b", "x")
	oy, _ := f.Object("b", "y")
	if ox.ETag == oy.ETag || ox.ETag[0] != '"' || ox.HasContent {
		t.Fatalf("ETags %s %s", ox.ETag, oy.ETag)
	}
	if _, err := f.Read("b", "x"); err == nil {
		t.Fatal("Read of declared content succeeded")
	}
	if _, err := f.ReadRange("b", "x", 200*gib-1, 2); err == nil {
		t.Fatal("ReadRange past the end succeeded")
	}
}
