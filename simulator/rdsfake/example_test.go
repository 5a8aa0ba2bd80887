package rdsfake_test

import (
	"context"
	"fmt"

	"github.com/snapshotlake/snapshotlake/simulator/rdsfake"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
)

func ExampleFake_Call() {
	s3 := s3fake.NewFake()
	s3.CreateBucket("export")
	rds := rdsfake.New(s3)
	arn := rds.AddClusterSnapshot(rdsfake.ClusterSnapshot{Identifier: "rds:demo-2026-11-24-03-04", ClusterIdentifier: "demo"})
	rds.SetPlan(arn, rdsfake.ExportPlan{PollsBeforeDone: 1, Tables: rdsfake.DemoTables()})

	ctx := context.Background()
	_, _ = rds.Call(ctx, "startExportTask", map[string]any{
		"ExportTaskIdentifier": "demo-20261124T0304", "SourceArn": arn, "S3BucketName": "export",
		"IamRoleArn": "arn:aws:iam::111122223333:role/export", "KmsKeyId": "arn:aws:kms:ap-northeast-1:111122223333:key/k",
	})
	for range 2 {
		res, _ := rds.Call(ctx, "describeExportTasks", map[string]any{"ExportTaskIdentifier": "demo-20261124T0304"})
		fmt.Println(res.(map[string]any)["ExportTasks"].([]any)[0].(map[string]any)["Status"])
	}
	fmt.Println(len(s3.Objects("export", "demo-20261124T0304/postgres/")))
	// Output:
	// STARTING
	// COMPLETE
	// 6
}
