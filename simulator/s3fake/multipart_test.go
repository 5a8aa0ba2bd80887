package s3fake

import (
	"fmt"
	"regexp"
	"testing"
)

// multipartCopy copies src/key into dst/key with the given part ranges
// (inclusive) and returns the completion error.
func multipartCopy(t *testing.T, f *Fake, key string, ranges [][2]int64) (string, error) {
	t.Helper()
	up := mustCall(t, f, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": key, "ACL": "bucket-owner-full-control"})
	id := up["UploadId"].(string)
	var parts []any
	for i, r := range ranges {
		res := mustCall(t, f, "uploadPartCopy", map[string]any{
			"Bucket": "dst", "Key": key, "UploadId": id, "PartNumber": float64(i + 1),
			"CopySource": "src/" + key, "CopySourceRange": fmt.Sprintf("bytes=%d-%d", r[0], r[1]),
		})
		etag := res["CopyPartResult"].(map[string]any)["ETag"].(string)
		parts = append(parts, map[string]any{"ETag": etag, "PartNumber": float64(i + 1)})
	}
	_, err := call(t, f, "completeMultipartUpload", map[string]any{
		"Bucket": "dst", "Key": key, "UploadId": id, "MultipartUpload": map[string]any{"Parts": parts},
	})
	return id, err
}

func newCopyFake(t *testing.T) *Fake {
	t.Helper()
	f := NewFake()
	f.CreateBucket("src")
	f.CreateBucket("dst", BucketOptions{KMSKeyARN: "arn:dst-key", BucketOwnerEnforced: true})
	return f
}

func TestMultipartCopyDeclared(t *testing.T) {
	f := newCopyFake(t)
	size := 12*gib + 12345
	if err := f.PutDeclared("src", "huge.parquet", size); err != nil {
		t.Fatal(err)
	}
	ranges := [][2]int64{{0, 5*gib - 1}, {5 * gib, 10*gib - 1}, {10 * gib, size - 1}}
	if _, err := multipartCopy(t, f, "huge.parquet", ranges); err != nil {
		t.Fatal(err)
	}
	got, ok := f.Object("dst", "huge.parquet")
	if !ok || got.Size != size || got.HasContent || got.SSEKMSKeyID != "arn:dst-key" || got.ACL != "bucket-owner-full-control" {
		t.Fatalf("object %+v", got)
	}
	if !regexp.MustCompile(`^"[0-9a-f]{32}-3"$`).MatchString(got.ETag) {
		t.Fatalf("multipart ETag %s", got.ETag)
	}
	sameBytes(t, f, "src", "huge.parquet", "dst", "huge.parquet", size, 5*gib, 10*gib)
	if n := f.OpenUploads(); n != 0 {
		t.Fatalf("%d uploads left open", n)
	}
	if res := mustCall(t, f, "listMultipartUploads", map[string]any{"Bucket": "dst"}); res["Uploads"] != nil {
		t.Fatalf("uploads listed: %v", res)
	}
}

func TestMultipartCopyRealBytes(t *testing.T) {
	f := newCopyFake(t)
	data := make([]byte, 11*mib+3)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := f.PutObject("src", "k", data); err != nil {
		t.Fatal(err)
	}
	last := int64(len(data)) - 1
	if _, err := multipartCopy(t, f, "k", [][2]int64{{0, 5*mib - 1}, {5 * mib, 10*mib - 1}, {10 * mib, last}}); err != nil {
		t.Fatal(err)
	}
	got, err := f.Read("dst", "k")
	if err != nil || string(got) != string(data) {
		t.Fatalf("read back %d bytes, err %v", len(got), err)
	}
}

func TestMultipartRules(t *testing.T) {
	tests := []struct {
		name      string
		size      int64
		ranges    [][2]int64
		edit      func(parts []any) []any // changes the completion list
		wantErr   string
		wantCause string
	}{
		{name: "last part may be small", size: 6 * mib, ranges: [][2]int64{{0, 5*mib - 1}, {5 * mib, 6*mib - 1}}},
		{name: "single small part", size: 10, ranges: [][2]int64{{0, 9}}},
		{name: "small part before the last", size: 6 * mib, ranges: [][2]int64{{0, mib - 1}, {mib, 6*mib - 1}},
			wantErr: ErrS3, wantCause: "EntityTooSmall"},
		{name: "wrong ETag", size: 10 * mib, ranges: [][2]int64{{0, 5*mib - 1}, {5 * mib, 10*mib - 1}},
			edit: func(p []any) []any { p[1].(map[string]any)["ETag"] = `"0123"`; return p }, wantErr: ErrS3, wantCause: "InvalidPart"},
		{name: "unquoted ETag accepted", size: 10, ranges: [][2]int64{{0, 9}},
			edit: func(p []any) []any {
				m := p[0].(map[string]any)
				m["ETag"] = m["ETag"].(string)[1 : len(m["ETag"].(string))-1]
				return p
			}},
		{name: "part never uploaded", size: 10 * mib, ranges: [][2]int64{{0, 5*mib - 1}, {5 * mib, 10*mib - 1}},
			edit: func(p []any) []any { p[1].(map[string]any)["PartNumber"] = float64(7); return p }, wantErr: ErrS3, wantCause: "InvalidPart"},
		{name: "descending order", size: 10 * mib, ranges: [][2]int64{{0, 5*mib - 1}, {5 * mib, 10*mib - 1}},
			edit: func(p []any) []any { return []any{p[1], p[0]} }, wantErr: ErrS3, wantCause: "InvalidPartOrder"},
		{name: "duplicate part", size: 10 * mib, ranges: [][2]int64{{0, 5*mib - 1}, {5 * mib, 10*mib - 1}},
			edit: func(p []any) []any { return []any{p[0], p[0]} }, wantErr: ErrS3, wantCause: "InvalidPartOrder"},
		{name: "no parts", size: 10, ranges: [][2]int64{{0, 9}},
			edit: func(p []any) []any { return []any{} }, wantErr: ErrS3, wantCause: "MalformedXML"},
		{name: "more than 10000 parts", size: 10, ranges: [][2]int64{{0, 9}},
			edit: func(p []any) []any {
				for i := 2; i <= 10001; i++ {
					p = append(p, map[string]any{"ETag": `"x"`, "PartNumber": float64(i)})
				}
				return p
			}, wantErr: ErrS3, wantCause: "10001 parts"},
		{name: "bad part entry", size: 10, ranges: [][2]int64{{0, 9}},
			edit: func(p []any) []any { return []any{"x"} }, wantErr: ErrInvalidCall, wantCause: "completeMultipartUpload: MultipartUpload.Parts[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCopyFake(t)
			if err := f.PutDeclared("src", "k", tt.size); err != nil {
				t.Fatal(err)
			}
			up := mustCall(t, f, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": "k"})
			id := up["UploadId"].(string)
			var parts []any
			for i, r := range tt.ranges {
				res := mustCall(t, f, "uploadPartCopy", map[string]any{
					"Bucket": "dst", "Key": "k", "UploadId": id, "PartNumber": float64(i + 1),
					"CopySource": "src/k", "CopySourceRange": fmt.Sprintf("bytes=%d-%d", r[0], r[1]),
				})
				parts = append(parts, map[string]any{"ETag": res["CopyPartResult"].(map[string]any)["ETag"], "PartNumber": float64(i + 1)})
			}
			if tt.edit != nil {
				parts = tt.edit(parts)
			}
			_, err := call(t, f, "completeMultipartUpload", map[string]any{
				"Bucket": "dst", "Key": "k", "UploadId": id, "MultipartUpload": map[string]any{"Parts": parts},
			})
			checkErr(t, err, tt.wantErr, tt.wantCause)
			_, stored := f.Object("dst", "k")
			if stored != (tt.wantErr == "") || f.OpenUploads() != map[bool]int{true: 1, false: 0}[tt.wantErr != ""] {
				t.Fatalf("object stored %v, open uploads %d", stored, f.OpenUploads())
			}
		})
	}
}

func TestUploadPartCopyRules(t *testing.T) {
	tests := []struct {
		name      string
		args      map[string]any // overrides
		wantErr   string
		wantCause string
	}{
		{name: "whole 5 GiB source without range", args: map[string]any{"CopySource": "src/five", "CopySourceRange": nil}},
		{name: "whole 6 GiB source without range", args: map[string]any{"CopySourceRange": nil}, wantErr: ErrS3, wantCause: "InvalidRequest"},
		{name: "part number 0", args: map[string]any{"PartNumber": float64(0)}, wantErr: ErrS3, wantCause: "InvalidArgument: Part number"},
		{name: "part number 10000", args: map[string]any{"PartNumber": float64(10000)}},
		{name: "part number 10001", args: map[string]any{"PartNumber": float64(10001)}, wantErr: ErrS3, wantCause: "InvalidArgument: Part number"},
		{name: "fractional part number", args: map[string]any{"PartNumber": 1.5}, wantErr: ErrInvalidCall, wantCause: "uploadPartCopy: argument PartNumber"},
		{name: "range reversed", args: map[string]any{"CopySourceRange": "bytes=10-9"}, wantErr: ErrS3, wantCause: "Range specified is not valid"},
		{name: "range past the end", args: map[string]any{"CopySourceRange": fmt.Sprintf("bytes=0-%d", 6*gib)}, wantErr: ErrS3, wantCause: "Range specified is not valid"},
		{name: "range malformed", args: map[string]any{"CopySourceRange": "bytes=0-"}, wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "range over 5 GiB", args: map[string]any{"CopySourceRange": fmt.Sprintf("bytes=0-%d", 5*gib)}, wantErr: ErrS3, wantCause: "EntityTooLarge"},
		{name: "range of one byte", args: map[string]any{"CopySourceRange": "bytes=7-7"}},
		{name: "unknown upload", args: map[string]any{"UploadId": "nope"}, wantErr: ErrNoSuchUpload},
		{name: "upload of another key", args: map[string]any{"Key": "other"}, wantErr: ErrNoSuchUpload},
		{name: "source key not encoded", args: map[string]any{"CopySource": "src/a+b"}, wantErr: ErrNoSuchKey},
		{name: "missing CopySource", args: map[string]any{"CopySource": nil}, wantErr: ErrInvalidCall, wantCause: "uploadPartCopy: argument CopySource is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCopyFake(t)
			_ = f.PutDeclared("src", "six", 6*gib)
			_ = f.PutDeclared("src", "five", 5*gib)
			_ = f.PutDeclared("src", "a+b", 10)
			id := mustCall(t, f, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": "k"})["UploadId"]
			args := map[string]any{"Bucket": "dst", "Key": "k", "UploadId": id, "PartNumber": float64(1),
				"CopySource": "src/six", "CopySourceRange": "bytes=0-99"}
			for k, v := range tt.args {
				if v == nil {
					delete(args, k)
				} else {
					args[k] = v
				}
			}
			res, err := call(t, f, "uploadPartCopy", args)
			checkErr(t, err, tt.wantErr, tt.wantCause)
			if err == nil && res["CopyPartResult"].(map[string]any)["ETag"] == "" {
				t.Fatalf("no ETag in %v", res)
			}
		})
	}
}

func TestMultipartTotalOver5TiB(t *testing.T) {
	f := newCopyFake(t)
	_ = f.PutDeclared("src", "k", 5*gib)
	id := mustCall(t, f, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": "k"})["UploadId"]
	var parts []any
	for n := 1; n <= 1025; n++ { // 1025 × 5 GiB = 5 TiB + 5 GiB
		res := mustCall(t, f, "uploadPartCopy", map[string]any{"Bucket": "dst", "Key": "k", "UploadId": id,
			"PartNumber": float64(n), "CopySource": "src/k"})
		parts = append(parts, map[string]any{"ETag": res["CopyPartResult"].(map[string]any)["ETag"], "PartNumber": float64(n)})
	}
	_, err := call(t, f, "completeMultipartUpload", map[string]any{"Bucket": "dst", "Key": "k", "UploadId": id,
		"MultipartUpload": map[string]any{"Parts": parts}})
	checkErr(t, err, ErrS3, "EntityTooLarge")
	_, err = call(t, f, "completeMultipartUpload", map[string]any{"Bucket": "dst", "Key": "k", "UploadId": id,
		"MultipartUpload": map[string]any{"Parts": parts[:1024]}})
	checkErr(t, err, "", "")
	if o, _ := f.Object("dst", "k"); o.Size != 5<<40 {
		t.Fatalf("size %d", o.Size)
	}
}

func TestAbortMultipartUpload(t *testing.T) {
	f := newCopyFake(t)
	id1 := mustCall(t, f, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": "b"})["UploadId"]
	id2 := mustCall(t, f, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": "a"})["UploadId"]
	if id1 == id2 {
		t.Fatal("upload ids repeat")
	}
	res := mustCall(t, f, "listMultipartUploads", map[string]any{"Bucket": "dst"})
	ups := res["Uploads"].([]any)
	if len(ups) != 2 || ups[0].(map[string]any)["Key"] != "a" || f.OpenUploads() != 2 {
		t.Fatalf("uploads %v", res)
	}
	mustCall(t, f, "abortMultipartUpload", map[string]any{"Bucket": "dst", "Key": "b", "UploadId": id1})
	_, err := call(t, f, "abortMultipartUpload", map[string]any{"Bucket": "dst", "Key": "b", "UploadId": id1})
	checkErr(t, err, ErrNoSuchUpload, "")
	_, err = call(t, f, "completeMultipartUpload", map[string]any{"Bucket": "dst", "Key": "b", "UploadId": id1,
		"MultipartUpload": map[string]any{"Parts": []any{}}})
	checkErr(t, err, ErrNoSuchUpload, "")
	if f.OpenUploads() != 1 {
		t.Fatalf("open uploads %d", f.OpenUploads())
	}
	_, err = call(t, f, "createMultipartUpload", map[string]any{"Bucket": "dst", "Key": "c", "ACL": "private"})
	checkErr(t, err, ErrS3, "AccessControlListNotSupported")
}
