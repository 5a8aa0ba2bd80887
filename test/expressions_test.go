package test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/internal/cdktest"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/stacks"
)

// These tests evaluate the JSONata that the synthesized source stack holds,
// taken from its definitions, with the reference jsonata implementation.

// machines returns the source stack's state machine definitions by the
// construct path suffix ("RdsExport", "S3Copy", "S3Copy/Multipart").
func machines(t *testing.T) map[string]map[string]map[string]any {
	t.Helper()
	tpl := synth(t)[stacks.SourceStackName]
	out := map[string]map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] != "AWS::StepFunctions::StateMachine" {
			continue
		}
		path := r["Metadata"].(map[string]any)["aws:cdk:path"].(string)
		var def map[string]any
		require.NoError(t, json.Unmarshal([]byte(cdktest.Resolve(r["Properties"].(map[string]any)["DefinitionString"]).(string)), &def), id)
		name := strings.TrimSuffix(strings.TrimPrefix(path, stacks.SourceStackName+"/"), "/StateMachine/Resource")
		out[name] = cdktest.States(def)
	}
	require.Len(t, out, 3)
	return out
}

// expr strips the {% %} of a JSONata template.
func expr(t *testing.T, v any) string {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "want a JSONata template, got %v", v)
	require.True(t, strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}"), "want a JSONata template, got %q", s)
	return strings.TrimSpace(s[2 : len(s)-2])
}

func evaluator(t *testing.T) *jsonata.Evaluator {
	t.Helper()
	ev, err := jsonata.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = ev.Close() })
	return ev
}

func eval(t *testing.T, ev *jsonata.Evaluator, e string, bindings map[string]any) any {
	t.Helper()
	v, undefined, err := ev.Eval(e, nil, bindings)
	require.NoError(t, err, "expression:\n%s", e)
	require.False(t, undefined, "expression is undefined:\n%s", e)
	return v
}

var exportIDRule = regexp.MustCompile(`^[A-Za-z](?:-?[A-Za-z0-9])*$`)

func TestExportID_isValidDeterministicAndUniquePerSnapshot(t *testing.T) {
	ev := evaluator(t)
	st := machines(t)["RdsExport"]
	idExpr := expr(t, st["Describe cluster snapshot"]["Assign"].(map[string]any)["exportTaskIdentifier"])
	assert.Equal(t, idExpr, expr(t, st["Describe DB snapshot"]["Assign"].(map[string]any)["exportTaskIdentifier"]))

	arn := func(kind, id string) string { return "arn:aws:rds:ap-northeast-1:111122223333:" + kind + ":" + id }
	long := "nightly-" + strings.Repeat("analytics-warehouse-", 12) + "final"
	tests := []struct {
		name, kind, id string
		wantPrefix     string
	}{
		{"automated cluster", "cluster-snapshot", "rds:analytics-db-2026-11-24-03-04", "rds-analytics-db-2026-11-24-03-04-"},
		{"automated instance", "snapshot", "rds:orders-db-2026-11-24-04-24", "rds-orders-db-2026-11-24-04-24-"},
		{"manual", "cluster-snapshot", "before-migration-2026-11-24", "before-migration-2026-11-24-"},
		{"aws backup", "cluster-snapshot", "awsbackup:job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "awsbackup-job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5"},
		{"upper case and runs of separators", "cluster-snapshot", "Before--Migration__X", "before-migration-x-"},
		{"long manual name", "cluster-snapshot", long, "nightly-analytics-warehouse-analytics-warehouse-"},
		{"starts with a digit", "cluster-snapshot", "2026-11-24-copy", "s-2026-11-24-copy-"},
		{"trailing separator cut", "cluster-snapshot", "a" + strings.Repeat("b", 47) + "-cdef", "a" + strings.Repeat("b", 47) + "-"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := map[string]any{"detail": map[string]any{"SourceIdentifier": tt.id, "SourceArn": arn(tt.kind, tt.id)}}
			got := eval(t, ev, idExpr, map[string]any{"states": map[string]any{"input": event}}).(string)
			assert.Regexp(t, exportIDRule, got)
			assert.LessOrEqual(t, len(got), 60)
			assert.True(t, strings.HasPrefix(got, tt.wantPrefix), "%q should start with %q", got, tt.wantPrefix)
			assert.NotContains(t, got, "--")
			again := eval(t, ev, idExpr, map[string]any{"states": map[string]any{"input": event}})
			assert.Equal(t, got, again, "deterministic")
			if other, dup := seen[got]; dup {
				t.Errorf("%q and %q share the export id %q", other, tt.id, got)
			}
			seen[got] = tt.id
		})
	}
	// A cluster and an instance snapshot of the same name, and names that
	// sanitise alike, still get distinct ids.
	ids := map[string]bool{}
	for _, c := range []struct{ kind, id string }{
		{"cluster-snapshot", "rds:db-2026-11-24-03-04"}, {"snapshot", "rds:db-2026-11-24-03-04"}, {"cluster-snapshot", "rds-db-2026-11-24-03-04"},
	} {
		event := map[string]any{"detail": map[string]any{"SourceIdentifier": c.id, "SourceArn": arn(c.kind, c.id)}}
		ids[eval(t, ev, idExpr, map[string]any{"states": map[string]any{"input": event}}).(string)] = true
	}
	assert.Len(t, ids, 3)
}

func TestSnapshotType_followsTheSnapshotIdForm(t *testing.T) {
	ev := evaluator(t)
	e := expr(t, machines(t)["RdsExport"]["Describe cluster snapshot"]["Arguments"].(map[string]any)["SnapshotType"])
	for id, want := range map[string]string{
		"rds:analytics-db-2026-11-24-03-04": "automated", "awsbackup:job-1234": "awsbackup", "before-migration": "manual", "rdsx": "manual",
	} {
		got := eval(t, ev, e, map[string]any{"states": map[string]any{"input": map[string]any{"detail": map[string]any{"SourceIdentifier": id}}}})
		assert.Equal(t, want, got, id)
	}
}

func TestConfiguredSource_isMatchedWithoutCase(t *testing.T) {
	ev := evaluator(t)
	cond := expr(t, machines(t)["RdsExport"]["Is a configured source?"]["Choices"].([]any)[0].(map[string]any)["Condition"])
	for _, tt := range []struct {
		kind, source string
		want         bool
	}{
		{"cluster", "analytics-db", true}, {"cluster", "Reporting-DB", true}, {"instance", "orders-db", true},
		{"cluster", "orders-db", false}, {"instance", "analytics-db", false}, {"cluster", "analytics-db-2", false},
	} {
		got := eval(t, ev, cond, map[string]any{"snapshot": map[string]any{"sourceType": tt.kind, "sourceIdentifier": tt.source}})
		assert.Equal(t, tt.want, got, "%s %s", tt.kind, tt.source)
	}
}

// plan evaluates the copy's "Plan copy" state for a copy input.
func plan(t *testing.T, ev *jsonata.Evaluator, st map[string]map[string]any, s3Prefix string) any {
	t.Helper()
	input := map[string]any{
		"exportTaskIdentifier": "rds-analytics-db-2026-11-24-03-04-0123456789",
		"s3Prefix":             s3Prefix,
		"snapshotTime":         "2026-11-24T03:04:58.145Z",
		"sourceIdentifier":     "analytics-db",
	}
	return eval(t, ev, expr(t, st["Plan copy"]["Assign"].(map[string]any)["plan"]), map[string]any{"states": map[string]any{"input": input}})
}

func TestDestinationKeyAndCopySource_forEveryLayout(t *testing.T) {
	ev := evaluator(t)
	st := machines(t)["S3Copy"]
	copyArgs := st["Copy data file"]["Arguments"].(map[string]any)
	keyExpr, sourceExpr := expr(t, copyArgs["Key"]), expr(t, copyArgs["CopySource"])
	assert.Equal(t, copyArgs["Key"], st["Copy marker"]["Arguments"].(map[string]any)["Key"], "markers are placed like data")
	selector := expr(t, st["Copy each data file"]["ItemSelector"])
	const id = "rds-analytics-db-2026-11-24-03-04-0123456789"
	const part = "partition_datetime=20261124T030458Z"
	sourceBucket := cdktest.Resolve(map[string]any{"Ref": "x"}) // stand-in form of the export bucket's Ref
	_ = sourceBucket

	tests := []struct {
		name, prefix, rel, want string
	}{
		{"current layout", "", "postgres/public.city/1/part-00000-5d0f2a1e-c000.gz.parquet", "postgres/public.city/" + part + "/1/part-00000-5d0f2a1e-c000.gz.parquet"},
		{"current layout marker", "", "postgres/public.city/1/_SUCCESS", "postgres/public.city/" + part + "/1/_SUCCESS"},
		{"older layout without batch folder", "", "postgres/public.city/part-00000-5d0f2a1e-c000.gz.parquet", "postgres/public.city/" + part + "/part-00000-5d0f2a1e-c000.gz.parquet"},
		{"with S3Prefix, several batches", "exports/daily", "shop/shop.orders/2/part-00000-0a1b-c000.gz.parquet", "shop/shop.orders/" + part + "/2/part-00000-0a1b-c000.gz.parquet"},
		{"S3Prefix with trailing slash", "exports/daily/", "shop/shop.orders/1/_SUCCESS", "shop/shop.orders/" + part + "/1/_SUCCESS"},
		{"export_info metadata", "", "export_info_" + id + ".json", "_export_metadata/analytics-db/" + part + "/export_info_" + id + ".json"},
		{"tables info metadata with prefix", "exports", "export_tables_info_" + id + "_from_1_to_3.json", "_export_metadata/analytics-db/" + part + "/export_tables_info_" + id + "_from_1_to_3.json"},
		{"non-ASCII names", "", "データ/公開.都市/1/part-00000-ü.gz.parquet", "データ/公開.都市/" + part + "/1/part-00000-ü.gz.parquet"},
		{"percent, plus, ampersand, dollar", "", "db%1/s+x.t&y$/1/part-00000.gz.parquet", "db%1/s+x.t&y$/" + part + "/1/part-00000.gz.parquet"},
		{"deeper unknown naming kept opaque", "", "postgres/public.city/1/sub/part-9.gz.parquet", "postgres/public.city/" + part + "/1/sub/part-9.gz.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, ev, st, tt.prefix)
			root := strings.TrimSuffix(tt.prefix, "/")
			if root != "" {
				root += "/"
			}
			key := root + id + "/" + tt.rel
			batch := map[string]any{"Items": []any{map[string]any{"Key": key, "Size": 1234.0}}, "BatchInput": map[string]any{"plan": p}}
			item := eval(t, ev, selector, map[string]any{"states": map[string]any{
				"input": batch, "context": map[string]any{"Map": map[string]any{"Item": map[string]any{"Index": 0.0, "Value": batch["Items"].([]any)[0]}}},
			}})
			bind := map[string]any{"states": map[string]any{"input": item}}
			assert.Equal(t, tt.want, eval(t, ev, keyExpr, bind))

			cs := eval(t, ev, sourceExpr, bind).(string)
			bucket, encoded, ok := strings.Cut(cs, "/")
			require.True(t, ok)
			assert.Equal(t, "${ExportBucket}", bucket[:len("${ExportBucket")]+"}", "CopySource starts with the export bucket")
			decoded, err := url.PathUnescape(encoded)
			require.NoError(t, err)
			assert.Equal(t, key, decoded, "S3 decodes CopySource back to the source key")
			assert.Regexp(t, `^[A-Za-z0-9\-_.!~*'()%/]+$`, encoded, "every reserved or non-ASCII byte is percent-encoded")
		})
	}
}

func TestItemSelection_splitsDataMarkersMetadataAndLargeFiles(t *testing.T) {
	ev := evaluator(t)
	st := machines(t)["S3Copy"]
	p := plan(t, ev, st, "exports")
	root := "exports/rds-analytics-db-2026-11-24-03-04-0123456789/"
	items := []any{
		map[string]any{"Key": root + "export_info_x.json", "Size": 700.0},
		map[string]any{"Key": root + "export_tables_info_x_from_1_to_2.json", "Size": 900.0},
		map[string]any{"Key": root + "postgres/public.city/1/_SUCCESS", "Size": 0.0},
		map[string]any{"Key": root + "postgres/public.city/1/part-00000.gz.parquet", "Size": 5e6},
		map[string]any{"Key": root + "postgres/public.big/part-00000.gz.parquet", "Size": 12e9},
		map[string]any{"Key": root + "postgres/public.big/part-00001.gz.parquet", "Size": float64(256 << 20)},
	}
	batch := map[string]any{"Items": items, "BatchInput": map[string]any{"plan": p}}
	keys := func(state string) []string {
		v := eval(t, ev, expr(t, st[state]["Items"]), map[string]any{"states": map[string]any{"input": batch}})
		var out []string
		for _, o := range v.([]any) {
			out = append(out, strings.TrimPrefix(o.(map[string]any)["Key"].(string), root))
		}
		return out
	}
	assert.Equal(t, []string{"postgres/public.city/1/part-00000.gz.parquet", "postgres/public.big/part-00001.gz.parquet"}, keys("Copy each data file"), "data up to 256 MiB")
	assert.Equal(t, []string{"postgres/public.big/part-00000.gz.parquet"}, keys("Copy each large file"), "data above 256 MiB")
	assert.Equal(t, []string{"export_info_x.json", "export_tables_info_x_from_1_to_2.json", "postgres/public.city/1/_SUCCESS"}, keys("Copy each marker"))
}

func TestPartRanges_coverTheObjectWithinS3Limits(t *testing.T) {
	ev := evaluator(t)
	e := expr(t, machines(t)["S3Copy/Multipart"]["Plan parts"]["Assign"].(map[string]any)["parts"])
	const mib, gib = 1 << 20, 1 << 30
	tests := []struct {
		name      string
		size      float64
		wantParts int
	}{
		{"just over the threshold", gib + 1, 17},
		{"12 GB", 12e9, 179},
		{"200 GB", 200e9, 999},
		{"5 TiB", 5 * 1024 * gib, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := eval(t, ev, e, map[string]any{"states": map[string]any{"input": map[string]any{"size": tt.size}}}).([]any)
			assert.Equal(t, tt.wantParts, len(parts))
			assert.LessOrEqual(t, len(parts), 10000)
			next := int64(0)
			for i, p := range parts {
				p := p.(map[string]any)
				assert.EqualValues(t, i+1, p["PartNumber"])
				var from, to int64
				_, err := fmt.Sscanf(p["CopySourceRange"].(string), "bytes=%d-%d", &from, &to)
				require.NoError(t, err)
				require.Equal(t, next, from, "part %d starts where the previous ended", i+1)
				n := to - from + 1
				assert.LessOrEqual(t, n, int64(5*gib), "part %d at most 5 GiB", i+1)
				if i < len(parts)-1 {
					assert.GreaterOrEqual(t, n, int64(5*mib), "part %d at least 5 MiB", i+1)
				}
				next = to + 1
			}
			assert.Equal(t, int64(tt.size), next, "parts end at the last byte")
		})
	}
}

func TestAnnouncement_listsTablesAsAnArrayWhateverTheirNumber(t *testing.T) {
	ev := evaluator(t)
	entry := machines(t)["RdsExport"]["Announce export"]["Arguments"].(map[string]any)["Entries"].([]any)[0].(map[string]any)
	detailExpr := expr(t, entry["Detail"])
	for _, tables := range [][]any{{}, {"postgres/public.city"}, {"postgres/public.city", "postgres/public.country"}} {
		bind := map[string]any{
			"snapshot":             map[string]any{"sourceIdentifier": "analytics-db", "sourceType": "cluster", "snapshotArn": "arn"},
			"exportTaskIdentifier": "rds-analytics-db-x",
			"states": map[string]any{"input": map[string]any{"snapshotTime": "2026-11-24T03:04:58.145Z", "copy": map[string]any{
				"destinationBucket": "analytics", "destinationPrefix": "", "partition": part, "tables": tables,
			}}},
		}
		var detail map[string]any
		require.NoError(t, json.Unmarshal([]byte(eval(t, ev, detailExpr, bind).(string)), &detail))
		got, ok := detail["tables"].([]any)
		require.True(t, ok, "tables is an array for %d tables: %v", len(tables), detail["tables"])
		assert.Len(t, got, len(tables))
	}
}
