package test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // DuckDB reads the copied Parquet back
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/internal/cdktest"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/simulator/rdsfake"
	"github.com/snapshotlake/snapshotlake/simulator/sim"
)

// These tests execute the synthesized state machines locally (package sim)
// and check what lands in the destination bucket.

var (
	appsMu   sync.Mutex
	apps     = map[string]*sim.App{}
	evalOnce sync.Once
	sharedEv *jsonata.Evaluator
)

// simApp synthesizes the app for a context once per distinct context.
func simApp(t *testing.T, context map[string]any) *sim.App {
	t.Helper()
	key, err := json.Marshal(context)
	require.NoError(t, err)
	appsMu.Lock()
	defer appsMu.Unlock()
	if app, ok := apps[string(key)]; ok {
		return app
	}
	app, err := sim.Synthesize(context)
	require.NoError(t, err)
	apps[string(key)] = app
	return app
}

func simulate(t *testing.T, sc sim.Scenario) *sim.Run {
	t.Helper()
	r, err := sim.Execute(context.Background(), simApp(t, sc.Context), sc, sim.Options{Evaluator: sharedEvaluator(t)})
	require.NoError(t, err)
	return r
}

// sharedEvaluator is the JSONata process the package's runs share.
func sharedEvaluator(t *testing.T) *jsonata.Evaluator {
	t.Helper()
	evalOnce.Do(func() {
		var err error
		if sharedEv, err = jsonata.Start(); err != nil {
			panic(err)
		}
	})
	return sharedEv
}

// example loads a scenario shipped in examples/.
func example(t *testing.T, name string) sim.Scenario {
	t.Helper()
	sc, err := sim.LoadScenario(filepath.Join("..", "examples", name+".json"))
	require.NoError(t, err)
	return sc
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
	r := simulate(t, example(t, "demo"))
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	dir := t.TempDir()
	n, err := r.WriteOut(dir)
	require.NoError(t, err)
	assert.Equal(t, 9, n, "3 Parquet files, 3 markers, 2 metadata files, 1 table manifest")

	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer func() { _ = db.Close() }()
	for _, table := range rdsfake.DemoTables() {
		t.Run(table.Table, func(t *testing.T) {
			glob := filepath.Join(dir, "postgres", "public."+table.Table, "*", "*", "*.parquet")
			rows, err := db.Query(fmt.Sprintf(`SELECT * FROM read_parquet('%s', hive_partitioning = true)`, glob))
			require.NoError(t, err)
			defer func() { _ = rows.Close() }()
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
	case int16:
		return float64(v)
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
	tests := []struct {
		name    string
		example string
		check   func(t *testing.T, r *sim.Run)
	}{
		{"snapshot of a foreign cluster is skipped", "foreign-cluster",
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "SUCCEEDED", r.Result.Status)
				assert.Equal(t, "SKIPPED", cdktest.At(t, r.Result.Deliveries[0].Output, "status"))
				assert.Zero(t, r.Result.Calls["rds:startExportTask"])
				assert.Empty(t, r.Result.Destination.Objects)
			}},
		{"the same event twice exports and copies once", "delivered-twice",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 2, r.Result.Calls["rds:startExportTask"])
				assert.Len(t, r.Result.ExportTasks, 1)
				assert.Equal(t, 1, copiesOf(r, "copy"))
				assert.Equal(t, 8, r.Result.Calls["s3:copyObject"], "every object copied once")
				assert.Equal(t, "ALREADY_COPIED", cdktest.At(t, r.Result.Deliveries[1].Output, "status"))
			}},
		{"export FAILED fails the run with RDS's cause", "export-failed",
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "FAILED", r.Result.Status)
				assert.Equal(t, "ExportFAILED", r.Result.Error)
				assert.Contains(t, r.Result.Cause, "The IAM role is missing s3:PutObject")
				assert.Zero(t, copiesOf(r, "copy"))
			}},
		{"export CANCELED fails the run", "export-canceled",
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "FAILED", r.Result.Status)
				assert.Equal(t, "ExportCANCELED", r.Result.Error)
				assert.Contains(t, r.Result.Cause, "canceled by an operator")
			}},
		{"the 5-export quota is waited out", "export-quota",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 4, r.Result.Calls["rds:startExportTask"], "three refusals, then the start")
				assert.Len(t, r.Result.Destination.Objects, 9, "8 copies and the table manifest")
			}},
		{"throttled copies are retried and all land", "throttled-copies",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 12, r.Result.Calls["s3:copyObject"], "8 copies + 4 retries")
				assert.Len(t, r.Result.Destination.Objects, 9)
			}},
		{"a copy failing for good fails the run and writes no marker into its table", "copy-fails",
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
				// each table is marked when its own data is in place: the
				// failed file's table never is
				for _, k := range markers(r) {
					assert.NotContains(t, k, "public.country/", "no _SUCCESS while a data file of its table is missing")
				}
				for _, k := range destKeys(r) {
					assert.NotContains(t, k, "public.country/", "nothing of the failed file")
				}
			}},
		{"older layout without batch folders", "older-layout",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Subset(t, destKeys(r), []string{
					"postgres/public.city/" + part + "/part-00000-a.gz.parquet",
					"postgres/public.city/" + part + "/part-00001-b.gz.parquet",
					"postgres/public.city/" + part + "/_SUCCESS",
				})
			}},
		{"S3Prefix set", "s3-prefix",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, "exports/daily", r.Result.ExportTasks[0].S3Prefix)
				assert.Contains(t, destKeys(r), "postgres/public.city/"+part+"/1/_SUCCESS")
				for _, k := range destKeys(r) {
					assert.NotContains(t, k, "exports/daily", "the staging prefix does not leak into the destination")
				}
			}},
		{"names with non-ASCII, percent and plus", "odd-names",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Subset(t, destKeys(r), []string{
					"データ/公開.都市/" + part + "/1/part-00000-ü.gz.parquet",
					"db%25/s+x.t&y$/" + part + "/1/part-00000-a.gz.parquet",
					"db%25/s+x.t&y$/" + part + "/1/_SUCCESS",
				})
			}},
		{"a 12 GB file takes the multipart path", "large-file",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 1, r.Result.Calls["s3:createMultipartUpload"])
				assert.Equal(t, 30, r.Result.Calls["s3:uploadPartCopy"], "three rounds of ten 382 MiB parts")
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
		{"an instance snapshot", "instance-snapshot",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Equal(t, 1, r.Result.Calls["rds:describeDBSnapshots"])
				assert.True(t, strings.HasPrefix(r.Result.ExportTasks[0].Identifier, "rds-orders-db-2026-11-24-03-04-"))
				assert.Contains(t, destKeys(r), "postgres/public.country/"+part+"/1/_SUCCESS")
			}},
		{"a permanent StartExportTask error fails within 5 minutes with RDS's message", "start-export-denied",
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "FAILED", r.Result.Status)
				assert.Equal(t, "Rds.RdsException", r.Result.Error)
				assert.Contains(t, r.Result.Cause, "is not authorized to perform: iam:PassRole")
				assert.Equal(t, 5, r.Result.Calls["rds:startExportTask"], "one call and four quick retries, not a day of them")
				assert.Equal(t, 1, r.Result.Calls["rds:describeExportTasks"], "the running exports are counted once: fewer than 5")
				assert.Less(t, exportRunDuration(t, r), 5*time.Minute)
			}},
		{"tables come from the data files when the export has no _SUCCESS markers", "no-markers",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				require.Len(t, r.Result.Events, 1)
				assert.EqualValues(t, 3, r.Result.Events[0].Detail["tableCount"])
				assert.Empty(t, markers(r))
			}},
		{"an announcement that failed is repaired by the next delivery", "announce-repaired",
			func(t *testing.T, r *sim.Run) {
				assert.Equal(t, "FAILED", r.Result.Deliveries[0].Status)
				assert.Equal(t, "AnnouncementFailed", r.Result.Error)
				assert.Equal(t, "SUCCEEDED", r.Result.Deliveries[1].Status)
				assert.Equal(t, "ALREADY_COPIED", cdktest.At(t, r.Result.Deliveries[1].Output, "status"))
				assert.Equal(t, 1, copiesOf(r, "copy"), "the copy ran once")
				require.Len(t, r.Result.Events, 1, "announced once, by the second delivery")
				assert.Equal(t, 8, r.Result.Calls["eventbridge:putEvents"], "7 refused, then accepted")
			}},
		{"an AWS Backup snapshot id", "awsbackup",
			func(t *testing.T, r *sim.Run) {
				require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
				assert.Regexp(t, `^awsbackup-job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6-[0-9a-f]{10}$`, r.Result.ExportTasks[0].Identifier)
				assert.Len(t, r.Result.Destination.Objects, 9)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := simulate(t, example(t, tt.example))
			tt.check(t, r)
			if t.Failed() {
				var b strings.Builder
				r.Report(&b)
				t.Log(b.String())
			}
		})
	}
}

// exportRunDuration is the simulated duration of the first export run.
func exportRunDuration(t *testing.T, r *sim.Run) time.Duration {
	t.Helper()
	for _, e := range r.Result.Executions {
		if e.StateMachine == "export" {
			return e.StopDate.Sub(e.StartDate)
		}
	}
	t.Fatal("no export run")
	return 0
}

func TestSimulate_manyTablesStayWithinEveryPayloadLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 table copy executions: about 20 s")
	}
	// GIVEN an export of 5,000 tables of one file each: 5,000 executions of
	// the table copy machine, five manifest pages (examples/tables-20k.json
	// has 20,000; before the compact child outputs, that copy failed: "The
	// variable 'markerPass' … exceeds the maximum size of 256 KiB")
	r := simulate(t, sim.Scenario{Export: sim.Export{Generate: &sim.Generate{Count: 5000, Size: 4096, Tables: 5000, Batches: 1}}})
	// THEN it copies and announces, the event a kilobyte, the tables in 5 manifest objects
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	require.Len(t, r.Result.Events, 1)
	ev := r.Result.Events[0]
	assert.EqualValues(t, 5000, ev.Detail["tableCount"])
	b, err := json.Marshal(ev.Detail)
	require.NoError(t, err)
	assert.Less(t, len(b), 2048)
	assert.Len(t, r.S3.Objects(r.DestinationBucket, ev.Detail["manifestPrefix"].(string)), 5)
	assert.Equal(t, 10001, r.Result.Calls["s3:copyObject"], "5,000 data files, 5,000 markers, one metadata file")
	tables := 0
	for _, e := range r.Result.Executions {
		if e.StateMachine == "table" {
			tables++
			assert.Less(t, e.HistoryEvents, 100, "a table's execution keeps a short history")
		}
	}
	assert.Equal(t, 5000, tables, "one table copy execution per table")
}

func TestSimulate_everyDataFileLandsOnce(t *testing.T) {
	r := simulate(t, sim.Scenario{Export: sim.Export{Generate: &sim.Generate{Count: 2500, Size: 3 << 20, Tables: 7, Batches: 3}}})
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
	assert.Len(t, r.Result.Destination.Objects, len(exported)+1, "and one table manifest object")
}

func TestExamples_allLoadAndTheGivenEventRuns(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		_, err := sim.LoadScenario(f)
		assert.NoError(t, err, f)
	}
	r := simulate(t, example(t, "event-given"))
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	assert.True(t, strings.HasPrefix(r.Result.ExportTasks[0].Identifier, "before-migration-2026-11-24-"))
	assert.Contains(t, destKeys(r), "postgres/public.city/partition_datetime=20261124T091000Z/1/_SUCCESS")
}

func TestScenario_rejectsBadValuesNamingThem(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{`{"deliveries": -1}`, "deliveries must be at least 1, got -1"},
		{`{"snapshot": {"type": "table"}}`, `snapshot.type must be "cluster" or "instance", got "table"`},
		{`{"snapshot": {"snapshotTime": "yesterday"}}`, `got "yesterday"`},
		{`{"export": {"finalStatus": "DONE"}}`, `got "DONE"`},
		{`{"faults": [{"call": "copyObject", "error": "S3.S3Exception"}]}`, `got "copyObject"`},
		{`{"faults": [{"call": "s3:copyObject", "error": "S3.S3Exception", "keyPattern": "("}]}`, `keyPattern "("`},
		{`{"exports": {}}`, `unknown field "exports"`},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "s.json")
		require.NoError(t, os.WriteFile(path, []byte(tt.give), 0o600))
		_, err := sim.LoadScenario(path)
		require.Error(t, err, tt.give)
		assert.Contains(t, err.Error(), tt.want)
	}
}

func TestSimulate_crossAccountCopyLandsEncryptedWithTheDestinationKeyAndIsAnnounced(t *testing.T) {
	sc := example(t, "cross-account")
	r := simulate(t, sc)
	require.Equal(t, "SUCCEEDED", r.Result.Status, r.Result.Cause)
	keyArn := sc.Context["destinationKeyArn"].(string)
	assert.Equal(t, sc.Context["destinationBucket"], r.DestinationBucket)
	require.Len(t, r.Result.Destination.Objects, 9)
	for _, o := range r.Result.Destination.Objects {
		info, ok := r.S3.Object(r.DestinationBucket, o.Key)
		require.True(t, ok)
		assert.Equal(t, "aws:kms", info.ServerSideEncryption, o.Key)
		assert.Equal(t, keyArn, info.SSEKMSKeyID, "%s encrypted with the destination key, by full ARN", o.Key)
		assert.Empty(t, info.ACL, "%s: no ACL into a BucketOwnerEnforced bucket", o.Key)
	}
	// AND downstream loads hear where each table landed
	require.Len(t, r.Result.Events, 2, "one entry for the source's default bus, one for the analytics account's bus")
	assert.Equal(t, "arn:aws:events:"+sim.Region+":"+sim.Account+":event-bus/default", r.Result.Events[0].Bus)
	assert.Equal(t, "arn:aws:events:"+sim.Region+":"+sc.Context["destinationAccount"].(string)+":event-bus/snapshotlake", r.Result.Events[1].Bus)
	assert.Equal(t, r.Result.Events[0].Detail, r.Result.Events[1].Detail)
	ev := r.Result.Events[0]
	assert.Equal(t, "snapshotlake", ev.Source)
	assert.Equal(t, "RDS Snapshot Export Copied", ev.DetailType)
	assert.Equal(t, "orders-db", ev.Detail["sourceIdentifier"])
	assert.Equal(t, sc.Context["destinationBucket"], ev.Detail["destinationBucket"])
	assert.EqualValues(t, 2, ev.Detail["schemaVersion"])
	assert.EqualValues(t, 3, ev.Detail["tableCount"])
	// AND the manifest the event points to lists each table and where it landed
	manifest := r.S3.Objects(r.DestinationBucket, ev.Detail["manifestPrefix"].(string))
	require.Len(t, manifest, 1)
	body, err := r.S3.Read(r.DestinationBucket, manifest[0].Key)
	require.NoError(t, err)
	var page struct {
		ExportTaskIdentifier string           `json:"exportTaskIdentifier"`
		Tables               []map[string]any `json:"tables"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Equal(t, ev.Detail["exportTaskIdentifier"], page.ExportTaskIdentifier)
	assert.ElementsMatch(t, []map[string]any{
		{"database": "postgres", "table": "public.city", "prefix": "postgres/public.city/" + part + "/"},
		{"database": "postgres", "table": "public.country", "prefix": "postgres/public.country/" + part + "/"},
		{"database": "postgres", "table": "public.countrylanguage", "prefix": "postgres/public.countrylanguage/" + part + "/"},
	}, page.Tables)
}
