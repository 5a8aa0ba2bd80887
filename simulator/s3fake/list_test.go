package s3fake

import (
	"fmt"
	"sort"
	"testing"
)

// listAll pages through listObjectsV2 and returns the keys and page sizes.
func listAll(t *testing.T, f *Fake, args map[string]any) (keys []string, pages []int) {
	t.Helper()
	for {
		res := mustCall(t, f, "listObjectsV2", args)
		contents, _ := res["Contents"].([]any)
		if int(res["KeyCount"].(float64)) != len(contents) {
			t.Fatalf("KeyCount %v for %d keys", res["KeyCount"], len(contents))
		}
		for _, c := range contents {
			keys = append(keys, c.(map[string]any)["Key"].(string))
		}
		pages = append(pages, len(contents))
		if !res["IsTruncated"].(bool) {
			if res["NextContinuationToken"] != nil {
				t.Fatal("NextContinuationToken on the last page")
			}
			return keys, pages
		}
		next := map[string]any{}
		for k, v := range args {
			next[k] = v
		}
		next["ContinuationToken"] = res["NextContinuationToken"]
		args = next
	}
}

func TestListObjectsV2(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	var all []string
	for i := range 2500 {
		k := fmt.Sprintf("exp/db/public.t/1/part-%05d.parquet", i)
		all = append(all, k)
	}
	// UTF-8 binary order: "Z" < "a" < "é" (0xC3 0xA9) < "日" (0xE6...) < "\U0001F600" (0xF0...).
	odd := []string{"exp/\U0001F600", "exp/日", "exp/é", "exp/a", "exp/Z", "other/x"}
	for _, k := range append(all, odd...) {
		if err := f.PutDeclared("b", k, 1); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		args      map[string]any
		wantKeys  []string
		wantPages []int
	}{
		{name: "pages of 1000", args: map[string]any{"Prefix": "exp/db/"}, wantKeys: all, wantPages: []int{1000, 1000, 500}},
		{name: "MaxKeys", args: map[string]any{"Prefix": "exp/db/", "MaxKeys": float64(1200)}, wantKeys: all, wantPages: []int{1000, 1000, 500}},
		{name: "small pages", args: map[string]any{"Prefix": "exp/db/public.t/1/part-0000", "MaxKeys": float64(4)}, wantKeys: all[:10], wantPages: []int{4, 4, 2}},
		{name: "StartAfter", args: map[string]any{"Prefix": "exp/db/", "StartAfter": all[2490]}, wantKeys: all[2491:], wantPages: []int{9}},
		{name: "StartAfter before prefix", args: map[string]any{"Prefix": "exp/db/", "StartAfter": "a"}, wantKeys: all, wantPages: []int{1000, 1000, 500}},
		{name: "byte order", args: map[string]any{"Prefix": "exp/", "StartAfter": "exp/db/public.u"}, wantKeys: []string{"exp/é", "exp/日", "exp/\U0001F600"}, wantPages: []int{3}},
		{name: "empty prefix", args: map[string]any{"Prefix": "zzz"}, wantPages: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := map[string]any{"Bucket": "b"}
			for k, v := range tt.args {
				args[k] = v
			}
			keys, pages := listAll(t, f, args)
			if fmt.Sprint(pages) != fmt.Sprint(tt.wantPages) {
				t.Fatalf("pages %v, want %v", pages, tt.wantPages)
			}
			if fmt.Sprint(keys) != fmt.Sprint(tt.wantKeys) {
				t.Fatalf("got %d keys, want %d (first %v)", len(keys), len(tt.wantKeys), keys[:min(3, len(keys))])
			}
		})
	}

	all2 := append(append([]string{}, all...), odd...)
	sort.Strings(all2)
	if keys, _ := listAll(t, f, map[string]any{"Bucket": "b"}); fmt.Sprint(keys) != fmt.Sprint(all2) {
		t.Fatal("full listing is not in byte order")
	}
	first := mustCall(t, f, "listObjectsV2", map[string]any{"Bucket": "b", "Prefix": "exp/a"})
	item := first["Contents"].([]any)[0].(map[string]any)
	for _, k := range []string{"Key", "Size", "ETag", "LastModified", "StorageClass"} {
		if item[k] == nil {
			t.Fatalf("item lacks %s: %v", k, item)
		}
	}
	if first["Name"] != "b" || item["Size"] != float64(1) {
		t.Fatalf("page %v", first)
	}
}

func TestListObjectsV2Errors(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	tests := []struct {
		name      string
		args      map[string]any
		wantErr   string
		wantCause string
	}{
		{name: "unknown bucket", args: map[string]any{"Bucket": "x"}, wantErr: ErrNoSuchBucket},
		{name: "bad token", args: map[string]any{"Bucket": "b", "ContinuationToken": "!!"}, wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "negative MaxKeys", args: map[string]any{"Bucket": "b", "MaxKeys": float64(-1)}, wantErr: ErrS3, wantCause: "InvalidArgument"},
		{name: "missing Bucket", args: map[string]any{}, wantErr: ErrInvalidCall, wantCause: "s3:listObjectsV2: argument Bucket is required"},
		{name: "wrong-typed Prefix", args: map[string]any{"Bucket": "b", "Prefix": 3.0}, wantErr: ErrInvalidCall, wantCause: "argument Prefix must be a string"},
		{name: "EncodingType unsupported", args: map[string]any{"Bucket": "b", "EncodingType": "url"}, wantErr: ErrInvalidCall, wantCause: "EncodingType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := call(t, f, "listObjectsV2", tt.args)
			checkErr(t, err, tt.wantErr, tt.wantCause)
		})
	}
}

func TestListSeesWritesAndDeletes(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	for _, k := range []string{"c", "a"} {
		_ = f.PutObject("b", k, nil)
	}
	keys, _ := listAll(t, f, map[string]any{"Bucket": "b"})
	_ = f.PutObject("b", "b", nil)
	mustCall(t, f, "deleteObject", map[string]any{"Bucket": "b", "Key": "c"})
	mustCall(t, f, "deleteObject", map[string]any{"Bucket": "b", "Key": "never"})
	keys2, _ := listAll(t, f, map[string]any{"Bucket": "b"})
	if fmt.Sprint(keys, keys2) != "[a c] [a b]" {
		t.Fatalf("listings %v %v", keys, keys2)
	}
}

func TestListObjectsV2_delimiterRollsUpCommonPrefixesAcrossPages(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	for _, k := range []string{"x/info.json", "x/db/t1/1/a", "x/db/t1/1/b", "x/db/t2/a", "x/db/t3/a", "x/db2/t/a"} {
		_ = f.PutObject("b", k, nil)
	}
	// GIVEN the export root: one file and two database folders
	page, err := call(t, f, "listObjectsV2", map[string]any{"Bucket": "b", "Prefix": "x/", "Delimiter": "/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(page["CommonPrefixes"], page["KeyCount"]); got != "[map[Prefix:x/db/] map[Prefix:x/db2/]] 3" {
		t.Fatalf("root page: %s", got)
	}
	// WHEN a database folder is listed one entry a page THEN each table comes once, in order
	var got []string
	args := map[string]any{"Bucket": "b", "Prefix": "x/db/", "Delimiter": "/", "MaxKeys": 1.0}
	for {
		page, err := call(t, f, "listObjectsV2", args)
		if err != nil {
			t.Fatal(err)
		}
		for _, cp := range page["CommonPrefixes"].([]any) {
			got = append(got, cp.(map[string]any)["Prefix"].(string))
		}
		if page["IsTruncated"] != true {
			break
		}
		args["ContinuationToken"] = page["NextContinuationToken"]
	}
	if fmt.Sprint(got) != "[x/db/t1/ x/db/t2/ x/db/t3/]" {
		t.Fatalf("tables: %v", got)
	}
}
