package test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // DuckDB reads the copied Parquet back
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/simulator/rdsfake"
	"github.com/snapshotlake/snapshotlake/simulator/sim"
	"github.com/snapshotlake/snapshotlake/stacks"
)

// These tests execute the synthesized state machines locally (package sim)
// and check what lands in the destination bucket.

// prefixedContext synthesizes a source stack with an S3Prefix and both
// cluster and instance sources.
var prefixedContext = map[string]any{
	"sourceClusters": "analytics-db", "sourceInstances": "orders-db",
	"destinationBucket": "analytics-bucket-444455556666", "s3Prefix": "exports/daily",
}

var (
	appsOnce sync.Once
	apps     map[string]*sim.App
	appsErr  error
	evalOnce sync.Once
	sharedEv *jsonata.Evaluator
)

func simApp(t *testing.T, name string) *sim.App {
	t.Helper()
	appsOnce.Do(func() {
		apps = map[string]*sim.App{}
		if apps["demo"], appsErr = sim.Synthesize(nil); appsErr != nil {
			return
		}
		apps["prefixed"], appsErr = sim.Synthesize(prefixedContext)
	})
	require.NoError(t, appsErr)
	return apps[name]
}

func simulate(t *testing.T, app string, sc sim.Scenario) *sim.Run {
	t.Helper()
	evalOnce.Do(func() {
		var err error
		if sharedEv, err = jsonata.Start(); err != nil {
			panic(err)
		}
	})
	r, err := sim.Execute(context.Background(), simApp(t, app), sc, sim.Options{Evaluator: sharedEv})
	require.NoError(t, err)
	return r
}

func destKeys(r *sim.Run) []string {
	var keys []string
	for _, o := range r.Result.Destination.Objects {
		keys = append(keys, o.Key)
	}
	return keys
}

func markers(r *sim.Run) []string {
	var out []string
	for _, k := range destKeys(r) {
		if strings.HasSuffix(k, "/_SUCCESS") {
			out = append(out, k)
		}
	}
	return out
}

func copiesOf(r *sim.Run, machine string) int {
	n := 0
	for _, e := range r.Result.Executions {
		if e.StateMachine == machine {
			n++
		}
	}
	return n
}

const part = "partition_datetime=20261124T030458Z"

func TestSimulate_demoLandsAsHivePartitionedParquetThatDuckDBReads(t *testing.T) {
	r := simulate(t, "demo", sim.Scenario{})
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	dir := t.TempDir()
	n, err := r.WriteOut(dir)
	require.NoError(t, err)
	assert.Equal(t, 8, n, "3 Parquet files, 3 markers, 2 metadata files")

	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	for _, table := range rdsfake.DemoTables() {
		t.Run(table.Table, func(t *testing.T) {
			glob := filepath.Join(dir, "postgres", "public."+table.Table, "*", "*", "*.parquet")
			rows, err := db.Query(fmt.Sprintf(`SELECT * FROM read_parquet('%s', hive_partitioning = true)`, glob))
			require.NoError(t, err)
			defer rows.Close()
			cols, err := rows.Columns()
			require.NoError(t, err)
			assert.Equal(t, append(append([]string{}, table.Columns...), "partition_datetime"), cols)
			var got []map[string]any
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				require.NoError(t, rows.Scan(ptrs...))
				row := map[string]any{}
				for i, c := range cols {
					row[c] = vals[i]
				}
				got = append(got, row)
			}
			require.NoError(t, rows.Err())
			require.Len(t, got, len(table.Rows))
			for i, want := range table.Rows {
				assert.Equal(t, "20261124T030458Z", got[i]["partition_datetime"], "partition column from the path")
				for _, c := range table.Columns {
					assert.EqualValues(t, normalise(want[c]), normalise(got[i][c]), "%s row %d column %s", table.Table, i, c)
				}
			}
		})
	}
}

// normalise makes DuckDB's and the seed's Go values comparable.
func normalise(v any) any {
	switch v := v.(type) {
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	case int:
		return float64(v)
	case float32:
		return float64(v)
	}
	return v
}

func TestSimulate_outcomes(t *testing.T) {
	polls := 0
	tests := []struct {
		name  string
		app   string
		give  sim.Scenario
		check func(t *testing.T, r *sim.Run)
	}{
		{"snapshot of a foreign cluster is skipped", "demo",
			sim.Scenario{Snapshot: sim.Snapshot{SourceIdentifier: "someone-elses-db"}},
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "SUCCEEDED", r.Result.Status)
				assert.Equal(t, "SKIPPED", r.Result.Deliveries[0].Output.(map[string]any)["status"])
				assert.Zero(t, r.Result.Calls["rds:startExportTask"])
				assert.Empty(t, r.Result.Destination.Objects)
			}},
		{"the same event twice exports and copies once", "demo",
			sim.Scenario{Deliveries: 2},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 2, r.Result.Calls["rds:startExportTask"])
				assert.Len(t, r.Result.ExportTasks, 1)
				assert.Equal(t, 1, copiesOf(r, "copy"))
				assert.Equal(t, 8, r.Result.Calls["s3:copyObject"], "every object copied once")
				assert.Equal(t, "ALREADY_COPIED", r.Result.Deliveries[1].Output.(map[string]any)["status"])
			}},
		{"export FAILED fails the run with RDS's cause", "demo",
			sim.Scenario{Export: sim.Export{FinalStatus: "FAILED", FailureCause: "The IAM role is missing s3:PutObject"}},
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "FAILED", r.Result.Status)
				assert.Equal(t, "ExportFAILED", r.Result.Error)
				assert.Contains(t, r.Result.Cause, "The IAM role is missing s3:PutObject")
				assert.Zero(t, copiesOf(r, "copy"))
			}},
		{"export CANCELED fails the run", "demo",
			sim.Scenario{Export: sim.Export{FinalStatus: "CANCELED", FailureCause: "canceled by an operator"}},
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "FAILED", r.Result.Status)
				assert.Equal(t, "ExportCANCELED", r.Result.Error)
				assert.Contains(t, r.Result.Cause, "canceled by an operator")
			}},
		{"the 5-export quota is waited out", "demo",
			sim.Scenario{Export: sim.Export{BusyExports: 5, BusyPolls: 3}},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 4, r.Result.Calls["rds:startExportTask"], "three refusals, then the start")
				assert.Len(t, r.Result.Destination.Objects, 8)
			}},
		{"throttled copies are retried and all land", "demo",
			sim.Scenario{Faults: []sim.Fault{{Call: "s3:copyObject", Error: "S3.S3Exception", Cause: "SlowDown: Please reduce your request rate.", Times: 4}}},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 12, r.Result.Calls["s3:copyObject"], "8 copies + 4 retries")
				assert.Len(t, r.Result.Destination.Objects, 8)
			}},
		{"a copy failing for good fails the run and writes no marker", "demo",
			sim.Scenario{Faults: []sim.Fault{{Call: "s3:copyObject", Error: "S3.S3Exception", Cause: "AccessDenied", KeyPattern: `public\.country/.*\.parquet$`}}},
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "FAILED", r.Result.Status)
				assert.Equal(t, "CopyFailed", r.Result.Error)
				assert.Contains(t, r.Result.Cause, "States.ExceedToleratedFailureThreshold")
				failedChild := ""
				for _, e := range r.Result.Executions {
					if e.MapRunChild && e.Status == "FAILED" {
						failedChild = e.Error + ": " + e.Cause
					}
				}
				assert.Equal(t, "S3.S3Exception: AccessDenied", failedChild, "the child's failure says why")
				assert.Empty(t, markers(r), "no _SUCCESS while a data file is missing")
				for _, k := range destKeys(r) {
					assert.NotContains(t, k, "public.country/", "nothing of the failed file")
				}
			}},
		{"older layout without batch folders", "demo",
			sim.Scenario{Export: sim.Export{Objects: []sim.Object{
				{Key: "postgres/public.city/part-00000-a.gz.parquet", Size: 2048},
				{Key: "postgres/public.city/part-00001-b.gz.parquet", Size: 4096},
				{Key: "postgres/public.city/_SUCCESS"},
			}}},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Subset(t, destKeys(r), []string{
					"postgres/public.city/" + part + "/part-00000-a.gz.parquet",
					"postgres/public.city/" + part + "/part-00001-b.gz.parquet",
					"postgres/public.city/" + part + "/_SUCCESS",
				})
			}},
		{"S3Prefix set", "prefixed",
			sim.Scenario{Stack: stacks.SourceStackName},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, "exports/daily", r.Result.ExportTasks[0].S3Prefix)
				assert.Contains(t, destKeys(r), "postgres/public.city/"+part+"/1/_SUCCESS")
				for _, k := range destKeys(r) {
					assert.NotContains(t, k, "exports/daily", "the staging prefix does not leak into the destination")
				}
			}},
		{"names with non-ASCII, percent and plus", "demo",
			sim.Scenario{Export: sim.Export{Objects: []sim.Object{
				{Key: "データ/公開.都市/1/part-00000-ü.gz.parquet", Size: 100},
				{Key: "db%25/s+x.t&y$/1/part-00000-a.gz.parquet", Size: 200},
				{Key: "db%25/s+x.t&y$/1/_SUCCESS"},
			}}},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Subset(t, destKeys(r), []string{
					"データ/公開.都市/" + part + "/1/part-00000-ü.gz.parquet",
					"db%25/s+x.t&y$/" + part + "/1/part-00000-a.gz.parquet",
					"db%25/s+x.t&y$/" + part + "/1/_SUCCESS",
				})
			}},
		{"a 12 GB file takes the multipart path", "demo",
			sim.Scenario{Export: sim.Export{Objects: []sim.Object{
				{Key: "analytics/analytics.events/1/part-00000-big.gz.parquet", Size: 12_000_000_000},
				{Key: "analytics/analytics.events/1/_SUCCESS"},
			}}},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 1, r.Result.Calls["s3:createMultipartUpload"])
				assert.Equal(t, 179, r.Result.Calls["s3:uploadPartCopy"], "64 MiB parts")
				assert.Equal(t, 1, r.Result.Calls["s3:completeMultipartUpload"])
				assert.Equal(t, 1, copiesOf(r, "multipart"))
				dest := "analytics/analytics.events/" + part + "/1/part-00000-big.gz.parquet"
				var size int64
				for _, o := range r.Result.Destination.Objects {
					if o.Key == dest {
						size = o.Size
					}
				}
				assert.EqualValues(t, 12_000_000_000, size)
				src := r.S3.Objects(r.ExportBucket, "")
				var srcKey string
				for _, o := range src {
					if strings.HasSuffix(o.Key, "part-00000-big.gz.parquet") {
						srcKey = o.Key
					}
				}
				for _, off := range []int64{0, 64<<20 - 8, 6_000_000_000, 12_000_000_000 - 16} {
					a, err := r.S3.ReadRange(r.ExportBucket, srcKey, off, 16)
					require.NoError(t, err)
					b, err := r.S3.ReadRange(r.DestinationBucket, dest, off, 16)
					require.NoError(t, err)
					assert.Equal(t, a, b, "bytes at %d", off)
				}
				assert.Zero(t, r.S3.OpenUploads())
			}},
		{"an instance snapshot", "prefixed",
			sim.Scenario{Stack: stacks.SourceStackName, Snapshot: sim.Snapshot{Type: "instance"}},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 1, r.Result.Calls["rds:describeDBSnapshots"])
				assert.True(t, strings.HasPrefix(r.Result.ExportTasks[0].Identifier, "rds-orders-db-2026-11-24-03-04-"))
				assert.Contains(t, destKeys(r), "postgres/public.country/"+part+"/1/_SUCCESS")
			}},
		{"an AWS Backup snapshot id", "prefixed",
			sim.Scenario{Stack: stacks.SourceStackName, Snapshot: sim.Snapshot{SnapshotID: "awsbackup:job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"}},
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Regexp(t, `^awsbackup-job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6-[0-9a-f]{10}$`, r.Result.ExportTasks[0].Identifier)
				assert.Len(t, r.Result.Destination.Objects, 8)
			}},
	}
	_ = polls
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := simulate(t, tt.app, tt.give)
			tt.check(t, r)
			if t.Failed() {
				var b strings.Builder
				r.Report(&b)
				t.Log(b.String())
			}
		})
	}
}

func TestSimulate_everyDataFileLandsOnce(t *testing.T) {
	r := simulate(t, "demo", sim.Scenario{Export: sim.Export{Generate: &sim.Generate{Count: 2500, Size: 3 << 20, Tables: 7, Batches: 3}}})
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	want := map[string]bool{}
	exported := r.S3.Objects(r.ExportBucket, "")
	for _, o := range exported {
		// <export id>/<db>/<schema.table>/<rest> → <db>/<schema.table>/<partition>/<rest>
		segs := strings.SplitN(o.Key, "/", 4)
		if len(segs) == 4 {
			want[segs[1]+"/"+segs[2]+"/"+part+"/"+segs[3]] = true
		}
	}
	got := map[string]bool{}
	for _, k := range destKeys(r) {
		if !strings.HasPrefix(k, "_export_metadata/") {
			got[k] = true
		}
	}
	assert.Len(t, want, 2500+21, "2,500 data files and 21 markers exported")
	for k := range want {
		if !got[k] {
			t.Errorf("not copied: %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("copied to an unexpected key: %s", k)
		}
	}
	assert.Equal(t, len(exported), r.Result.Calls["s3:copyObject"], "every exported object copied exactly once")
	assert.Len(t, r.Result.Destination.Objects, len(exported))
}
