package rdsfake

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi/fakeapitest"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
)

const (
	clusterSnap = "arn:aws:rds:ap-northeast-1:111122223333:cluster-snapshot:rds:analytics-db-2026-11-24-03-04"
	role        = "arn:aws:iam::111122223333:role/export-role"
	key         = "arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

var snapTime = time.Date(2026, 11, 24, 3, 4, 58, 145e6, time.UTC)

// newFake returns an RDS with one cluster snapshot, one instance snapshot
// and a bucket "export".
func newFake(t *testing.T) (*Fake, *s3fake.Fake) {
	t.Helper()
	s3 := s3fake.NewFake()
	s3.CreateBucket("export", s3fake.BucketOptions{KMSKeyARN: key})
	f := New(s3)
	f.SetClock(func() time.Time { return time.Date(2026, 11, 24, 3, 11, 2, 0, time.UTC) })
	f.AddClusterSnapshot(ClusterSnapshot{Identifier: "rds:analytics-db-2026-11-24-03-04", ClusterIdentifier: "analytics-db",
		EngineVersion: "16.4", CreateTime: snapTime, Type: "automated", StorageEncrypted: true})
	f.AddInstanceSnapshot(InstanceSnapshot{Identifier: "orders-db-manual-1", InstanceIdentifier: "orders-db", CreateTime: snapTime})
	return f, s3
}

// The fakes' shared test helpers.
var (
	call     = fakeapitest.Call
	mustCall = fakeapitest.MustCall
	checkErr = fakeapitest.CheckErr
)

func startArgs(id, source string) map[string]any {
	return map[string]any{"ExportTaskIdentifier": id, "SourceArn": source, "S3BucketName": "export", "IamRoleArn": role, "KmsKeyId": key}
}

func describe(t *testing.T, f *Fake, id string) map[string]any {
	t.Helper()
	res := mustCall(t, f, "describeExportTasks", map[string]any{"ExportTaskIdentifier": id})
	return res["ExportTasks"].([]any)[0].(map[string]any)
}

func TestDescribeSnapshots(t *testing.T) {
	f, _ := newFake(t)
	f.AddClusterSnapshot(ClusterSnapshot{Identifier: "foreign-1", ClusterIdentifier: "someone-elses-db", Type: "manual"})
	tests := []struct {
		name      string
		action    string
		args      map[string]any
		wantIDs   string
		wantErr   string
		wantCause string
	}{
		{name: "cluster by id", action: "describeDBClusterSnapshots", args: map[string]any{"DbClusterSnapshotIdentifier": "rds:analytics-db-2026-11-24-03-04"}, wantIDs: "rds:analytics-db-2026-11-24-03-04"},
		{name: "cluster by ARN", action: "describeDBClusterSnapshots", args: map[string]any{"DbClusterSnapshotIdentifier": clusterSnap}, wantIDs: "rds:analytics-db-2026-11-24-03-04"},
		{name: "foreign cluster", action: "describeDBClusterSnapshots", args: map[string]any{"DbClusterSnapshotIdentifier": "foreign-1"}, wantIDs: "foreign-1"},
		{name: "by cluster", action: "describeDBClusterSnapshots", args: map[string]any{"DbClusterIdentifier": "analytics-db"}, wantIDs: "rds:analytics-db-2026-11-24-03-04"},
		{name: "by type", action: "describeDBClusterSnapshots", args: map[string]any{"SnapshotType": "manual"}, wantIDs: "foreign-1"},
		{name: "all clusters", action: "describeDBClusterSnapshots", args: map[string]any{}, wantIDs: "rds:analytics-db-2026-11-24-03-04 foreign-1"},
		{name: "unknown cluster snapshot", action: "describeDBClusterSnapshots", args: map[string]any{"DbClusterSnapshotIdentifier": "nope"}, wantErr: ErrDBClusterSnapshotNotFound, wantCause: "nope"},
		{name: "instance snapshot is not a cluster snapshot", action: "describeDBClusterSnapshots", args: map[string]any{"DbClusterSnapshotIdentifier": "orders-db-manual-1"}, wantErr: ErrDBClusterSnapshotNotFound},
		{name: "instance by id", action: "describeDBSnapshots", args: map[string]any{"DbSnapshotIdentifier": "orders-db-manual-1"}, wantIDs: "orders-db-manual-1"},
		{name: "unknown instance snapshot", action: "describeDBSnapshots", args: map[string]any{"DbSnapshotIdentifier": "nope"}, wantErr: ErrDBSnapshotNotFound},
		{name: "wrong-typed identifier", action: "describeDBSnapshots", args: map[string]any{"DbSnapshotIdentifier": 1.0}, wantErr: ErrInvalidCall, wantCause: "rds:describeDBSnapshots: argument DbSnapshotIdentifier"},
		{name: "unknown action", action: "deleteDBSnapshot", args: map[string]any{}, wantErr: ErrInvalidCall, wantCause: "rds:deleteDBSnapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := call(t, f, tt.action, tt.args)
			checkErr(t, err, tt.wantErr, tt.wantCause)
			if err != nil {
				return
			}
			list, idKey := res["DbClusterSnapshots"], "DbClusterSnapshotIdentifier"
			if tt.action == "describeDBSnapshots" {
				list, idKey = res["DbSnapshots"], "DbSnapshotIdentifier"
			}
			var ids []string
			for _, s := range list.([]any) {
				ids = append(ids, s.(map[string]any)[idKey].(string))
			}
			if strings.Join(ids, " ") != tt.wantIDs {
				t.Fatalf("ids %v, want %s", ids, tt.wantIDs)
			}
		})
	}
	got := mustCall(t, f, "describeDBClusterSnapshots", map[string]any{"DbClusterSnapshotIdentifier": clusterSnap})["DbClusterSnapshots"].([]any)[0].(map[string]any)
	want := map[string]any{"DbClusterSnapshotArn": clusterSnap, "DbClusterIdentifier": "analytics-db", "SnapshotCreateTime": "2026-11-24T03:04:58.145Z",
		"Engine": "aurora-postgresql", "EngineVersion": "16.4", "SnapshotType": "automated", "Status": "available", "StorageEncrypted": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	inst := mustCall(t, f, "describeDBSnapshots", map[string]any{"DbSnapshotIdentifier": "orders-db-manual-1"})["DbSnapshots"].([]any)[0].(map[string]any)
	if inst["DbInstanceIdentifier"] != "orders-db" || inst["DbSnapshotArn"] != "arn:aws:rds:ap-northeast-1:111122223333:snapshot:orders-db-manual-1" || inst["Engine"] != "postgres" {
		t.Fatalf("instance snapshot %v", inst)
	}
}

func TestStartExportTaskValidation(t *testing.T) {
	long := "a" + strings.Repeat("b1", 29) + "c" // 60 characters
	tests := []struct {
		name      string
		edit      map[string]any // argument overrides; nil value removes
		wantErr   string
		wantCause string
	}{
		{name: "valid", edit: map[string]any{"ExportTaskIdentifier": "snap-analytics-db-20261124T0304"}},
		{name: "60 characters", edit: map[string]any{"ExportTaskIdentifier": long}},
		{name: "61 characters", edit: map[string]any{"ExportTaskIdentifier": long + "x"}, wantErr: ErrInvalidParameterValue, wantCause: long + "x"},
		{name: "starts with a digit", edit: map[string]any{"ExportTaskIdentifier": "1abc"}, wantErr: ErrInvalidParameterValue, wantCause: `"1abc"`},
		{name: "starts with a hyphen", edit: map[string]any{"ExportTaskIdentifier": "-abc"}, wantErr: ErrInvalidParameterValue, wantCause: `"-abc"`},
		{name: "double hyphen", edit: map[string]any{"ExportTaskIdentifier": "a--b"}, wantErr: ErrInvalidParameterValue, wantCause: `"a--b"`},
		{name: "trailing hyphen", edit: map[string]any{"ExportTaskIdentifier": "ab-"}, wantErr: ErrInvalidParameterValue, wantCause: `"ab-"`},
		{name: "colon", edit: map[string]any{"ExportTaskIdentifier": "rds:x"}, wantErr: ErrInvalidParameterValue, wantCause: `"rds:x"`},
		{name: "underscore", edit: map[string]any{"ExportTaskIdentifier": "a_b"}, wantErr: ErrInvalidParameterValue},
		{name: "non-ASCII letter", edit: map[string]any{"ExportTaskIdentifier": "é"}, wantErr: ErrInvalidParameterValue},
		{name: "empty", edit: map[string]any{"ExportTaskIdentifier": ""}, wantErr: ErrInvalidCall, wantCause: "ExportTaskIdentifier"},
		{name: "prefix with colon", edit: map[string]any{"S3Prefix": "a:b"}, wantErr: ErrInvalidParameterValue, wantCause: "S3Prefix"},
		{name: "prefix", edit: map[string]any{"S3Prefix": "exports/daily"}},
		{name: "unknown cluster snapshot", edit: map[string]any{"SourceArn": clusterSnap + "x"}, wantErr: ErrDBClusterSnapshotNotFound},
		{name: "unknown instance snapshot", edit: map[string]any{"SourceArn": "arn:aws:rds:ap-northeast-1:111122223333:snapshot:x"}, wantErr: ErrDBSnapshotNotFound},
		{name: "not a snapshot ARN", edit: map[string]any{"SourceArn": "analytics-db"}, wantErr: ErrInvalidParameterValue},
		{name: "instance snapshot", edit: map[string]any{"SourceArn": "arn:aws:rds:ap-northeast-1:111122223333:snapshot:orders-db-manual-1"}},
		{name: "creating snapshot", edit: map[string]any{"SourceArn": "arn:aws:rds:ap-northeast-1:111122223333:cluster-snapshot:creating"}, wantErr: ErrInvalidExportSourceState},
		{name: "unknown bucket", edit: map[string]any{"S3BucketName": "nope"}, wantErr: ErrInvalidS3Bucket},
		{name: "missing KmsKeyId", edit: map[string]any{"KmsKeyId": nil}, wantErr: ErrInvalidCall, wantCause: "rds:startExportTask: argument KmsKeyId is required"},
		{name: "ExportOnly", edit: map[string]any{"ExportOnly": []any{"postgres.public.city"}}},
		{name: "ExportOnly not strings", edit: map[string]any{"ExportOnly": []any{1.0}}, wantErr: ErrInvalidCall, wantCause: "ExportOnly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s3 := newFake(t)
			f.AddClusterSnapshot(ClusterSnapshot{Identifier: "creating", Status: "creating"})
			args := startArgs("export-1", clusterSnap)
			for k, v := range tt.edit {
				if v == nil {
					delete(args, k)
				} else {
					args[k] = v
				}
			}
			res, err := call(t, f, "startExportTask", args)
			checkErr(t, err, tt.wantErr, tt.wantCause)
			if err != nil {
				if _, ok := f.Task(fmt.Sprint(args["ExportTaskIdentifier"])); ok {
					t.Fatal("a refused task was created")
				}
				return
			}
			want := map[string]any{"ExportTaskIdentifier": args["ExportTaskIdentifier"], "SourceArn": args["SourceArn"],
				"Status": "STARTING", "PercentProgress": 0.0, "TotalExtractedDataInGB": 0.0, "SourceType": "SNAPSHOT",
				"S3Bucket": "export", "IamRoleArn": role, "KmsKeyId": key, "SnapshotTime": "2026-11-24T03:04:58.145Z"}
			for k, v := range want {
				if res[k] != v {
					t.Errorf("%s = %v, want %v", k, res[k], v)
				}
			}
			if len(s3.Objects("export", "")) != 0 {
				t.Fatal("a starting export wrote objects")
			}
		})
	}
}

func TestDuplicateExportID(t *testing.T) {
	f, _ := newFake(t)
	mustCall(t, f, "startExportTask", startArgs("exp-1", clusterSnap))
	_, err := call(t, f, "startExportTask", startArgs("exp-1", clusterSnap))
	checkErr(t, err, ErrExportTaskAlreadyExists, "exp-1")
	describe(t, f, "exp-1") // COMPLETE (PollsBeforeDone 0)
	_, err = call(t, f, "startExportTask", startArgs("exp-1", clusterSnap))
	checkErr(t, err, ErrExportTaskAlreadyExists, "exp-1")
}

func TestExportQuota(t *testing.T) {
	f, _ := newFake(t)
	otherAccount := f.AddClusterSnapshot(ClusterSnapshot{Identifier: "x", ARN: "arn:aws:rds:ap-northeast-1:999999999999:cluster-snapshot:x"})
	f.SetDefaultPlan(ExportPlan{PollsBeforeDone: 2})
	for i := range MaxConcurrentExports {
		mustCall(t, f, "startExportTask", startArgs(fmt.Sprintf("exp-%d", i), clusterSnap))
	}
	_, err := call(t, f, "startExportTask", startArgs("exp-6", clusterSnap))
	checkErr(t, err, ErrRds, "You can't start more than 5 concurrent export tasks")
	mustCall(t, f, "startExportTask", startArgs("other-account", otherAccount))
	for _, want := range []string{"STARTING", "IN_PROGRESS"} {
		if got := describe(t, f, "exp-0")["Status"]; got != want {
			t.Fatalf("status %v, want %s", got, want)
		}
		_, err = call(t, f, "startExportTask", startArgs("exp-6", clusterSnap))
		checkErr(t, err, ErrRds, "concurrent export tasks")
	}
	if got := describe(t, f, "exp-0")["Status"]; got != "COMPLETE" {
		t.Fatalf("status %v", got)
	}
	mustCall(t, f, "startExportTask", startArgs("exp-6", clusterSnap))
	_, err = call(t, f, "startExportTask", startArgs("exp-7", clusterSnap))
	checkErr(t, err, ErrRds, "concurrent export tasks")
}

func TestExportLifecycle(t *testing.T) {
	tests := []struct {
		name       string
		plan       ExportPlan
		wantStates []string
		wantCause  string
		wantKeys   int
	}{
		{name: "complete after 3 polls", plan: ExportPlan{PollsBeforeDone: 3, Objects: []DeclaredObject{{Key: "db/s.t/1/part-0.gz.parquet", Size: 3 << 30}}},
			wantStates: []string{"STARTING", "IN_PROGRESS", "IN_PROGRESS", "COMPLETE"}, wantKeys: 2},
		{name: "complete at once", plan: ExportPlan{}, wantStates: []string{"COMPLETE"}, wantKeys: 1},
		{name: "failed", plan: ExportPlan{PollsBeforeDone: 1, FinalStatus: "FAILED", FailureCause: "The export ran out of space",
			Tables: DemoTables()}, wantStates: []string{"STARTING", "FAILED"}, wantCause: "The export ran out of space"},
		{name: "canceled", plan: ExportPlan{PollsBeforeDone: 2, FinalStatus: "CANCELED", FailureCause: "Canceled by user",
			Objects: []DeclaredObject{{Key: "x", Size: 1}}}, wantStates: []string{"STARTING", "IN_PROGRESS", "CANCELED"}, wantCause: "Canceled by user"},
		{name: "unknown final status", plan: ExportPlan{FinalStatus: "DONE"}, wantStates: []string{"FAILED"}, wantCause: "unknown FinalStatus"},
		{name: "bad table fails the export", plan: ExportPlan{Tables: []Table{{Database: "d", Schema: "s", Table: "t", Rows: []map[string]any{{"a": 1.0}, {"a": "x"}}}}},
			wantStates: []string{"FAILED"}, wantCause: "mixed value kinds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s3 := newFake(t)
			f.SetPlan(clusterSnap, tt.plan)
			mustCall(t, f, "startExportTask", startArgs("exp-1", clusterSnap))
			var last map[string]any
			for i, want := range tt.wantStates {
				if n := len(s3.Objects("export", "")); n != 0 {
					t.Fatalf("poll %d: %d objects written before the end", i, n)
				}
				last = describe(t, f, "exp-1")
				if last["Status"] != want {
					t.Fatalf("poll %d: status %v, want %s", i, last["Status"], want)
				}
				if _, ended := last["TaskEndTime"]; ended != (i == len(tt.wantStates)-1) {
					t.Fatalf("poll %d: TaskEndTime %v", i, last["TaskEndTime"])
				}
			}
			if again := describe(t, f, "exp-1"); again["Status"] != last["Status"] {
				t.Fatalf("final status changed to %v", again["Status"])
			}
			if cause, _ := last["FailureCause"].(string); !strings.Contains(cause, tt.wantCause) || (tt.wantCause == "") != (cause == "") {
				t.Fatalf("FailureCause %q, want %q", cause, tt.wantCause)
			}
			if n := len(s3.Objects("export", "")); n != tt.wantKeys {
				t.Fatalf("%d objects written, want %d", n, tt.wantKeys)
			}
		})
	}
}

func TestDescribeExportTasksFilters(t *testing.T) {
	f, _ := newFake(t)
	inst := "arn:aws:rds:ap-northeast-1:111122223333:snapshot:orders-db-manual-1"
	f.SetDefaultPlan(ExportPlan{PollsBeforeDone: 5})
	mustCall(t, f, "startExportTask", startArgs("a", clusterSnap))
	mustCall(t, f, "startExportTask", startArgs("b", inst))
	tests := []struct {
		name    string
		args    map[string]any
		wantIDs string
		wantErr string
	}{
		{name: "all", args: map[string]any{}, wantIDs: "a b"},
		{name: "by SourceArn", args: map[string]any{"SourceArn": inst}, wantIDs: "b"},
		{name: "by SourceArn without tasks", args: map[string]any{"SourceArn": "arn:x"}, wantIDs: ""},
		{name: "by id", args: map[string]any{"ExportTaskIdentifier": "a"}, wantIDs: "a"},
		{name: "unknown id", args: map[string]any{"ExportTaskIdentifier": "c"}, wantErr: ErrExportTaskNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := call(t, f, "describeExportTasks", tt.args)
			checkErr(t, err, tt.wantErr, "")
			if err != nil {
				return
			}
			var ids []string
			for _, x := range res["ExportTasks"].([]any) {
				ids = append(ids, x.(map[string]any)["ExportTaskIdentifier"].(string))
			}
			if strings.Join(ids, " ") != tt.wantIDs {
				t.Fatalf("ids %v", ids)
			}
		})
	}
	// "a" was described by "all" and "by id": two polls; Task does not advance it.
	if task, _ := f.Task("a"); task["Status"] != "IN_PROGRESS" || task["PercentProgress"] != 20.0 {
		t.Fatalf("task a %v", task)
	}
}

func TestFaultsAndCalls(t *testing.T) {
	f, _ := newFake(t)
	f.AddFault(Fault{Action: "startExportTask", Error: "Rds.RdsException", Cause: "Rate exceeded", Times: 2, KeyPattern: "^exp-1$"})
	f.AddFault(Fault{Action: "describeDBClusterSnapshots", Error: "Rds.RdsException", Cause: "Throttling"})
	for i, want := range []bool{true, true, false} {
		_, err := call(t, f, "startExportTask", startArgs("exp-1", clusterSnap))
		if (err != nil) != want {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	mustCall(t, f, "startExportTask", startArgs("exp-2", clusterSnap))
	for range 3 {
		_, err := call(t, f, "describeDBClusterSnapshots", map[string]any{})
		checkErr(t, err, "Rds.RdsException", "Throttling")
	}
	calls := f.Calls()
	if calls["rds:startExportTask"] != 4 || calls["rds:describeDBClusterSnapshots"] != 3 {
		t.Fatalf("calls %v", calls)
	}
}

func TestConcurrentExports(t *testing.T) {
	f, s3 := newFake(t)
	f.SetDefaultPlan(ExportPlan{PollsBeforeDone: 3, Tables: DemoTables()[:1]})
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			id := fmt.Sprintf("exp-%d", g)
			for {
				_, err := f.Call(ctx, "startExportTask", startArgs(id, clusterSnap))
				if err == nil {
					break
				}
				if awserr.As(err).Name != ErrRds {
					t.Error(err)
					return
				}
				_, _ = f.Call(ctx, "describeExportTasks", map[string]any{}) // moves every task along
			}
			for {
				res, err := f.Call(ctx, "describeExportTasks", map[string]any{"ExportTaskIdentifier": id})
				if err != nil {
					t.Error(err)
					return
				}
				if res.(map[string]any)["ExportTasks"].([]any)[0].(map[string]any)["Status"] == "COMPLETE" {
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(s3.Objects("export", "")); n != 20*4 {
		t.Fatalf("%d objects", n)
	}
}

func TestDescribeSnapshots_refusesASnapshotTypeTheCallDoesNotTake(t *testing.T) {
	f, _ := newFake(t)
	f.AddClusterSnapshot(ClusterSnapshot{Identifier: "awsbackup:job-1", ClusterIdentifier: "analytics-db", Type: "manual"})
	// GIVEN an AWS Backup cluster snapshot THEN it is described as manual, never as awsbackup
	res := mustCall(t, f, "describeDBClusterSnapshots", map[string]any{"DbClusterSnapshotIdentifier": "awsbackup:job-1", "SnapshotType": "manual"})
	if n := len(res["DbClusterSnapshots"].([]any)); n != 1 {
		t.Fatalf("%d snapshots", n)
	}
	_, err := call(t, f, "describeDBClusterSnapshots", map[string]any{"DbClusterSnapshotIdentifier": "awsbackup:job-1", "SnapshotType": "awsbackup"})
	checkErr(t, err, ErrRds, "Invalid value for SnapshotType: awsbackup")
	// AND instances take awsbackup
	_, err = call(t, f, "describeDBSnapshots", map[string]any{"SnapshotType": "awsbackup"})
	checkErr(t, err, "", "")
	_, err = call(t, f, "describeDBSnapshots", map[string]any{"SnapshotType": "Manual"})
	checkErr(t, err, ErrRds, "Manual")
}

func TestDescribeExportTasks_statusFilter(t *testing.T) {
	f, _ := newFake(t)
	f.SetDefaultPlan(ExportPlan{PollsBeforeDone: 5})
	mustCall(t, f, "startExportTask", startArgs("running", clusterSnap))
	running := map[string]any{"Filters": []any{map[string]any{"Name": "status", "Values": []any{"starting", "in_progress", "canceling"}}}}
	if n := len(mustCall(t, f, "describeExportTasks", running)["ExportTasks"].([]any)); n != 1 {
		t.Fatalf("running: %d", n)
	}
	done := map[string]any{"Filters": []any{map[string]any{"Name": "status", "Values": []any{"complete"}}}}
	if n := len(mustCall(t, f, "describeExportTasks", done)["ExportTasks"].([]any)); n != 0 {
		t.Fatalf("complete: %d", n)
	}
	upper := map[string]any{"Filters": []any{map[string]any{"Name": "status", "Values": []any{"IN_PROGRESS"}}}}
	_, err := call(t, f, "describeExportTasks", upper)
	checkErr(t, err, ErrRds, "IN_PROGRESS")
}
