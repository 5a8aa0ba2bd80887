package s3fake_test

import (
	"context"
	"fmt"

	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
)

func ExampleFake_Call() {
	f := s3fake.NewFake()
	f.CreateBucket("export")
	f.CreateBucket("lake", s3fake.BucketOptions{BucketOwnerEnforced: true})
	_ = f.PutDeclared("export", "exp-1/postgres/public.city/1/part-00000.gz.parquet", 200<<30)

	_, err := f.Call(context.Background(), "copyObject", map[string]any{
		"Bucket":     "lake",
		"Key":        "city.parquet",
		"CopySource": "export/exp-1/postgres/public.city/1/part-00000.gz.parquet",
	})
	fmt.Println(err)
	// Output: S3.S3Exception: InvalidRequest: The specified copy source is larger than the maximum allowable size for a copy source: 5368709120 (Service: S3, Status Code: 400)
}
