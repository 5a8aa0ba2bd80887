package s3copy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
)

// Each expression of expressions/ evaluated on its own by the reference
// jsonata, with the bindings the state that holds it gives.

var (
	evOnce sync.Once
	ev     *jsonata.Evaluator
	evErr  error
)

func evaluate(t *testing.T, expr string, bindings map[string]any) any {
	t.Helper()
	evOnce.Do(func() { ev, evErr = jsonata.Start() })
	require.NoError(t, evErr)
	v, undefined, err := ev.Eval(expr, nil, bindings)
	require.NoError(t, err, "expression:\n%s", expr)
	require.False(t, undefined, "expression is undefined:\n%s", expr)
	return v
}

func states(input any) map[string]any {
	return map[string]any{"states": map[string]any{"input": input}}
}

const (
	exportID = "rds-analytics-db-2026-11-24-03-04-0123456789"
	part     = "partition_datetime=20261124T030458Z"
)

var defaultSettings = map[string]any{
	"sourceBucket": "export-bucket", "destinationBucket": "analytics-bucket",
	"metadataFolder": "_export_metadata", "partitionKey": "partition_datetime",
	"partitionValuePicture": DefaultPartitionValuePicture, "multipartThresholdBytes": float64(DefaultMultipartThresholdBytes),
}

func planFor(t *testing.T, s3Prefix string, settings map[string]any) map[string]any {
	t.Helper()
	b := states(map[string]any{
		"exportTaskIdentifier": exportID, "s3Prefix": s3Prefix,
		"snapshotTime": "2026-11-24T03:04:58.145Z", "sourceIdentifier": "analytics-db",
	})
	b["settings"] = settings
	return evaluate(t, planExpr, b).(map[string]any)
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name, s3Prefix, destPrefix string
		wantRoot, wantMetadata     string
	}{
		{"no prefixes", "", "", exportID + "/", "_export_metadata/analytics-db/" + part + "/"},
		{"S3Prefix", "exports/daily", "", "exports/daily/" + exportID + "/", "_export_metadata/analytics-db/" + part + "/"},
		{"S3Prefix with trailing slash", "exports/daily/", "", "exports/daily/" + exportID + "/", "_export_metadata/analytics-db/" + part + "/"},
		{"destination prefix", "", "rds/", exportID + "/", "rds/_export_metadata/analytics-db/" + part + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := map[string]any{}
			for k, v := range defaultSettings {
				s[k] = v
			}
			if tt.destPrefix != "" {
				s["destinationPrefix"] = tt.destPrefix
			}
			p := planFor(t, tt.s3Prefix, s)
			assert.Equal(t, tt.wantRoot, p["exportRoot"])
			assert.Equal(t, part, p["partition"])
			assert.Equal(t, tt.wantMetadata, p["metadataPrefix"])
			assert.Equal(t, tt.wantMetadata+"_tables/", p["manifestPrefix"])
			assert.Equal(t, "export-bucket", p["sourceBucket"])
			assert.EqualValues(t, DefaultMultipartThresholdBytes, p["multipartThresholdBytes"])
		})
	}
}

func TestPlan_partitionPictureAndKeyFromSettings(t *testing.T) {
	s := map[string]any{}
	for k, v := range defaultSettings {
		s[k] = v
	}
	s["partitionKey"], s["partitionValuePicture"] = "dt", "[Y0001]-[M01]-[D01]"
	assert.Equal(t, "dt=2026-11-24", planFor(t, "", s)["partition"])
}

func TestLargeBatch(t *testing.T) {
	tests := []struct {
		name                          string
		batches, largeFiles, perBatch float64
		want                          float64
	}{
		{"2,000 large files in 6 batches: 30 objects a batch", 6, 2000, 500, 30},
		{"every object large: 20 a batch", 100, 50000, 500, 20},
		{"a few large files among many: a data batch's size", 2000, 10, 500, 500},
		{"denser than one a batch: at least one object", 1, 10000, 500, 1},
		{"smaller data batches", 40, 2000, 100, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(t, largeBatchExpr, map[string]any{
				"settings": map[string]any{"itemsPerBatch": tt.perBatch, "largeFilesPerBatch": float64(largeFilesPerBatch)},
				"dataPass": map[string]any{"batches": tt.batches, "largeFiles": tt.largeFiles},
			})
			assert.EqualValues(t, tt.want, got)
		})
	}
}

var allKinds = []any{"data", "large", "marker", "metadata"}

func TestClassify_returnsOnlyTheKindsAsked(t *testing.T) {
	p := planFor(t, "", defaultSettings)
	root := p["exportRoot"].(string)
	items := []any{
		map[string]any{"Key": root + "export_info_x.json", "Size": 10.0},
		map[string]any{"Key": root + "db/public.t/1/_SUCCESS", "Size": 0.0},
		map[string]any{"Key": root + "db/public.t/1/part-00000.gz.parquet", "Size": 4e6},
		map[string]any{"Key": root + "db/public.t/1/part-00001.gz.parquet", "Size": 5e8},
	}
	for _, tt := range []struct {
		kinds []any
		want  []string
	}{
		{[]any{"data", "large"}, []string{"data", "large"}},
		{[]any{"large"}, []string{"large"}},
		{[]any{"marker", "metadata"}, []string{"metadata", "marker"}},
		{[]any{"nothing"}, nil},
	} {
		out := evaluate(t, classifyExpr, states(map[string]any{"Items": items, "BatchInput": map[string]any{"plan": p, "kinds": tt.kinds}}))
		var got []string
		for _, r := range out.([]any) {
			got = append(got, r.(map[string]any)["kind"].(string))
		}
		assert.Equal(t, tt.want, got, "kinds %v", tt.kinds)
	}
}

func TestClassify_failsWhenTheBatchNamesNoKinds(t *testing.T) {
	p := planFor(t, "", defaultSettings)
	items := []any{map[string]any{"Key": p["exportRoot"].(string) + "db/public.t/1/part-0.gz.parquet", "Size": 1.0}}
	_, _, err := ev.Eval(classifyExpr, nil, states(map[string]any{"Items": items, "BatchInput": map[string]any{"plan": p}}))
	require.Error(t, err, "a pass without kinds would copy nothing")
	assert.Contains(t, err.Error(), "BatchInput.kinds")
}

// classify runs classify.jsonata on one batch.
func classify(t *testing.T, plan map[string]any, items ...map[string]any) []map[string]any {
	t.Helper()
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = it
	}
	out := evaluate(t, classifyExpr, states(map[string]any{"Items": list, "BatchInput": map[string]any{"plan": plan, "kinds": allKinds}}))
	var recs []map[string]any
	for _, r := range out.([]any) {
		recs = append(recs, r.(map[string]any))
	}
	return recs
}

func TestClassify_destinationKeyAndCopySourceForEveryLayout(t *testing.T) {
	tests := []struct {
		name, prefix, rel, wantKey, wantKind string
	}{
		{"current layout", "", "postgres/public.city/1/part-00000-5d0f2a1e-c000.gz.parquet", "postgres/public.city/" + part + "/1/part-00000-5d0f2a1e-c000.gz.parquet", "data"},
		{"current layout marker", "", "postgres/public.city/1/_SUCCESS", "postgres/public.city/" + part + "/1/_SUCCESS", "marker"},
		{"older layout without batch folder", "", "postgres/public.city/part-00000-5d0f2a1e-c000.gz.parquet", "postgres/public.city/" + part + "/part-00000-5d0f2a1e-c000.gz.parquet", "data"},
		{"with S3Prefix, several batches", "exports/daily", "shop/shop.orders/2/part-00000-0a1b-c000.gz.parquet", "shop/shop.orders/" + part + "/2/part-00000-0a1b-c000.gz.parquet", "data"},
		{"export_info metadata", "", "export_info_" + exportID + ".json", "_export_metadata/analytics-db/" + part + "/export_info_" + exportID + ".json", "metadata"},
		{"tables info metadata with prefix", "exports", "export_tables_info_" + exportID + "_from_1_to_3.json", "_export_metadata/analytics-db/" + part + "/export_tables_info_" + exportID + "_from_1_to_3.json", "metadata"},
		{"non-ASCII names", "", "データ/公開.都市/1/part-00000-ü.gz.parquet", "データ/公開.都市/" + part + "/1/part-00000-ü.gz.parquet", "data"},
		{"percent, plus, ampersand, dollar", "", "db%1/s+x.t&y$/1/part-00000.gz.parquet", "db%1/s+x.t&y$/" + part + "/1/part-00000.gz.parquet", "data"},
		{"an encoded slash in a name stays a name", "", "db/s.t%2Fu/1/part-0%2F.gz.parquet", "db/s.t%2Fu/" + part + "/1/part-0%2F.gz.parquet", "data"},
		{"deeper unknown naming kept opaque", "", "postgres/public.city/1/sub/part-9.gz.parquet", "postgres/public.city/" + part + "/1/sub/part-9.gz.parquet", "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planFor(t, tt.prefix, defaultSettings)
			key := p["exportRoot"].(string) + tt.rel
			recs := classify(t, p, map[string]any{"Key": key, "Size": 1234.0})
			require.Len(t, recs, 1, "one record per object, also for a batch of one")
			assert.Equal(t, tt.wantKey, recs[0]["destinationKey"])
			assert.Equal(t, tt.wantKind, recs[0]["kind"])
			assert.Equal(t, key, recs[0]["key"])

			cs := evaluate(t, copySourceExpr, map[string]any{"plan": p, "states": map[string]any{"input": recs[0]}}).(string)
			bucket, encoded, ok := strings.Cut(cs, "/")
			require.True(t, ok)
			assert.Equal(t, "export-bucket", bucket)
			decoded, err := url.PathUnescape(encoded)
			require.NoError(t, err)
			assert.Equal(t, key, decoded, "S3 decodes CopySource back to the source key")
			assert.Regexp(t, `^[A-Za-z0-9\-_.!~*'()%/]+$`, encoded, "every reserved or non-ASCII byte is percent-encoded")
		})
	}
}

func TestClassify_splitsDataLargeMarkersAndMetadata(t *testing.T) {
	p := planFor(t, "exports", defaultSettings)
	root := p["exportRoot"].(string)
	recs := classify(t, p,
		map[string]any{"Key": root + "export_info_x.json", "Size": 700.0},
		map[string]any{"Key": root + "postgres/public.city/1/_SUCCESS", "Size": 0.0},
		map[string]any{"Key": root + "postgres/public.city/1/part-00000.gz.parquet", "Size": 5e6},
		map[string]any{"Key": root + "postgres/public.big/part-00000.gz.parquet", "Size": 12e9},
		map[string]any{"Key": root + "postgres/public.big/part-00001.gz.parquet", "Size": float64(256 << 20)},
	)
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r["kind"].(string))
	}
	assert.Equal(t, []string{"metadata", "marker", "data", "large", "data"}, kinds, "data up to the threshold, large above it")
}

func TestClassify_recordsStayUnderThePayloadLimitForAFullBatch(t *testing.T) {
	// GIVEN a batch as full as MaxInputBytesPerBatch allows, with long keys
	p := planFor(t, "exports/"+strings.Repeat("x", 100), defaultSettings)
	root := p["exportRoot"].(string)
	var items []map[string]any
	size := 0
	for i := 0; ; i++ {
		key := fmt.Sprintf("%sdatabase_%04d/public.table_with_a_long_name_%04d/1/part-%05d-5d0f2a1e-1234-4bcd-9abc-0123456789ab-c000.gz.parquet", root, i%7, i%13, i)
		item := map[string]any{"Etag": `"0123456789abcdef0123456789abcdef"`, "Key": key, "LastModified": 1.7e9, "Size": 4e6, "StorageClass": "STANDARD"}
		b, _ := json.Marshal(item)
		if size+len(b)+1 > maxBatchBytes {
			break
		}
		size += len(b) + 1
		items = append(items, item)
	}
	// WHEN it is classified THEN the records fit in a state's 256 KiB
	recs := classify(t, p, items...)
	b, err := json.Marshal(recs)
	require.NoError(t, err)
	assert.Less(t, len(b), 256*1024, "%d records of %d items", len(recs), len(items))
}

func TestListArguments_sendAContinuationTokenOnlyWhenThereIsOne(t *testing.T) {
	p := planFor(t, "", defaultSettings)
	first := evaluate(t, listDatabasesExpr, map[string]any{"plan": p})
	assert.Equal(t, map[string]any{"Bucket": "export-bucket", "Prefix": exportID + "/", "Delimiter": "/"}, first)
	next := evaluate(t, listDatabasesExpr, map[string]any{"plan": p, "databasesToken": "tok"})
	assert.Equal(t, "tok", next.(map[string]any)["ContinuationToken"])
	none := evaluate(t, listDatabasesExpr, map[string]any{"plan": p, "databasesToken": nil})
	assert.NotContains(t, none, "ContinuationToken")

	job := map[string]any{"plan": p, "database": exportID + "/postgres/", "index": 0.0}
	tables := evaluate(t, listTablesExpr, map[string]any{"job": job})
	assert.Equal(t, map[string]any{"Bucket": "export-bucket", "Prefix": exportID + "/postgres/", "Delimiter": "/"}, tables)
	assert.Equal(t, "t2", evaluate(t, listTablesExpr, map[string]any{"job": job, "tablesToken": "t2"}).(map[string]any)["ContinuationToken"])

	files := evaluate(t, listExportFilesExpr, map[string]any{"plan": p, "filesToken": nil})
	assert.Equal(t, map[string]any{"Bucket": "export-bucket", "Prefix": exportID + "/", "Delimiter": "/"}, files)
	assert.Equal(t, "f2", evaluate(t, listExportFilesExpr, map[string]any{"plan": p, "filesToken": "f2"}).(map[string]any)["ContinuationToken"])
}

// A data child reports its large files and, when its batch held _SUCCESS
// markers, their keys below the table folder; the data pass's totals
// gather them, so the markers pass needs no listing of its own.
func TestDataChildOutputAndTotals_carryTheMarkersOfTheTable(t *testing.T) {
	p := planFor(t, "exports", defaultSettings)
	root := p["exportRoot"].(string)
	classified := func(keys ...string) any {
		var items []any
		for _, k := range keys {
			items = append(items, map[string]any{"Key": root + k, "Size": 1.0})
		}
		items = append(items, map[string]any{"Key": root + "db/public.t/2/big.parquet", "Size": float64(1 << 30)})
		return evaluate(t, classifyExpr, states(map[string]any{
			"Items": items, "BatchInput": map[string]any{"plan": p, "kinds": []any{"data", "large", "marker"}},
		}))
	}
	plain := evaluate(t, dataChildOutputExpr, map[string]any{"plan": p, "states": map[string]any{"input": classified("db/public.t/1/a.parquet")}})
	assert.EqualValues(t, 1, plain, "no marker: just the number of large files")
	marked := evaluate(t, dataChildOutputExpr, map[string]any{"plan": p, "states": map[string]any{"input": classified(
		"db/public.t/1/a.parquet", "db/public.t/1/_SUCCESS", "db/public.t/_SUCCESS", "db/public.t/2/x/_SUCCESS")}})
	assert.Equal(t, map[string]any{"l": 1.0, "m": []any{"1/_SUCCESS", "_SUCCESS", "2/x/_SUCCESS"}}, marked)

	totals := evaluate(t, dataPassTotalsExpr, states(nil))
	assert.Equal(t, map[string]any{"batches": 0.0, "largeFiles": 0.0, "markers": []any{}}, totals.(map[string]any), "no batch")
	totals = evaluate(t, dataPassTotalsExpr, map[string]any{"states": map[string]any{"result": []any{0.0, plain, marked, 2.0}}})
	assert.Equal(t, map[string]any{"batches": 4.0, "largeFiles": 4.0, "markers": []any{"1/_SUCCESS", "_SUCCESS", "2/x/_SUCCESS"}}, totals)
	one := evaluate(t, dataPassTotalsExpr, map[string]any{"states": map[string]any{"result": []any{map[string]any{"l": 0.0, "m": []any{"1/_SUCCESS"}}}}})
	assert.Equal(t, []any{"1/_SUCCESS"}, one.(map[string]any)["markers"], "one marker stays a list")
}

func TestManifestPage_listsEachTableFolderWithItsDestinationPrefix(t *testing.T) {
	s := map[string]any{}
	for k, v := range defaultSettings {
		s[k] = v
	}
	s["destinationPrefix"] = "rds/"
	p := planFor(t, "", s)
	job := map[string]any{"plan": p, "database": exportID + "/postgres/", "index": 3.0}
	for _, found := range [][]any{
		{exportID + "/postgres/public.city/"},
		{exportID + "/postgres/public.city/", exportID + "/postgres/public.country/"},
	} {
		body := evaluate(t, manifestPageExpr, map[string]any{"job": job, "found": found}).(string)
		var page struct {
			ExportTaskIdentifier, Partition string
			Tables                          []map[string]string
		}
		require.NoError(t, json.Unmarshal([]byte(body), &page))
		assert.Equal(t, exportID, page.ExportTaskIdentifier)
		assert.Equal(t, part, page.Partition)
		require.Len(t, page.Tables, len(found), "tables is an array whatever its length")
		assert.Equal(t, map[string]string{"database": "postgres", "table": "public.city", "prefix": "rds/postgres/public.city/" + part + "/"}, page.Tables[0])
	}
	key := evaluate(t, manifestKeyExpr, map[string]any{"job": job, "pages": 12.0})
	assert.Equal(t, "rds/_export_metadata/analytics-db/"+part+"/_tables/part-00003-00012.json", key)
}

func TestParts_coverTheObjectWithinS3Limits(t *testing.T) {
	const mib, gib = 1 << 20, 1 << 30
	tests := []struct {
		name      string
		size      float64
		wantParts int
	}{
		{"just over the 256 MiB threshold: 64 MiB parts", 256*mib + 1, 5},
		{"640 MiB: 64 MiB parts, one round", 640 * mib, 10},
		{"1 GiB: ten parts of 103 MiB, one round", gib, 10},
		{"just over 1 GiB", gib + 1, 10},
		{"5 GiB: ten parts of 512 MiB", 5 * gib, 10},
		{"12 GB: three rounds of 382 MiB parts", 12e9, 30},
		{"200 GB: 38 rounds of 502 MiB parts", 200e9, 380},
		{"1 TB: 1,000 parts of 954 MiB", 1e12, 1000},
		{"5 TiB: 5 GiB parts", 5 * 1024 * gib, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := evaluate(t, partsExpr, map[string]any{"copy": map[string]any{"size": tt.size}, "partsAtOnce": float64(partsAtOnce)}).([]any)
			assert.Equal(t, tt.wantParts, len(parts))
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

func TestValidInput(t *testing.T) {
	for _, tt := range []struct {
		give map[string]any
		want bool
	}{
		{map[string]any{"exportTaskIdentifier": "x", "snapshotTime": "2026-11-24T03:04:58.145Z", "sourceIdentifier": "db"}, true},
		{map[string]any{"exportTaskIdentifier": "", "snapshotTime": "t", "sourceIdentifier": "db"}, false},
		{map[string]any{"exportTaskIdentifier": "x", "sourceIdentifier": "db"}, false},
	} {
		assert.Equal(t, tt.want, evaluate(t, validInputExpr, states(tt.give)), "%v", tt.give)
	}
}

// The segment-by-segment forms classify.jsonata and copy_source.jsonata had
// before they were rewritten for speed: the rewrite must give the same
// records and the same CopySource for every key.
const (
	segmentwiseClassify = `(
  $plan := $states.input.BatchInput.plan;
  $append([], $map($states.input.Items, function($o) {(
    $rel := $substringAfter($o.Key, $plan.exportRoot);
    $afterDb := $substringAfter($rel, '/');
    $inTable := $contains($rel, '/') and $contains($afterDb, '/');
    {
      'key': $o.Key,
      'size': $o.Size,
      'kind': $inTable
        ? ($split($rel, '/')[-1] = '_SUCCESS' ? 'marker' : $o.Size > $plan.multipartThresholdBytes ? 'large' : 'data')
        : 'metadata',
      'destinationKey': $inTable
        ? $plan.destinationPrefix & $substringBefore($rel, '/') & '/' & $substringBefore($afterDb, '/') & '/' & $plan.partition & '/' & $substringAfter($afterDb, '/')
        : $plan.metadataPrefix & $rel
    }
  )}))
)`
	segmentwiseCopySource = `$plan.sourceBucket & '/' & $join($map($split($states.input.key, '/'), $encodeUrlComponent), '/')`
)

func TestClassify_sameAsTheSegmentwiseRuleForOddKeys(t *testing.T) {
	// GIVEN keys with every shape a folder test can get wrong
	rels := []string{
		"", "/", "//", "///", "a", "a/", "a/b", "a/b/", "a//", "/b/c", "a//c", "a/b/c", "a/b/c/",
		"db/t/_SUCCESS", "db/t/1/_SUCCESS", "db/t/1/_SUCCESS/x", "db/t/1/x_SUCCESS", "db/t/_SUCCESS_",
		"db/_SUCCESS", "_SUCCESS", "db/t/1/_success", "db/t/\n/_SUCCESS", "db\n/t\n/1\n/p", "db/t/1/p\n",
		"データ/公開.都市/1/part-ü.gz.parquet", "db%2F/t%2F/1/%2F", "db/t/a/b/c/d/e/f", "export_info_x.json",
		"db/t/1/part-00000.gz.parquet",
	}
	for _, prefix := range []string{"", "exports/daily"} {
		p := planFor(t, prefix, defaultSettings)
		var items []any
		for i, rel := range rels {
			items = append(items, map[string]any{"Key": p["exportRoot"].(string) + rel, "Size": float64(i) * 1e8})
		}
		input := states(map[string]any{"Items": items, "BatchInput": map[string]any{"plan": p, "kinds": allKinds}})
		// WHEN both forms classify the batch
		got := evaluate(t, classifyExpr, input)
		want := evaluate(t, segmentwiseClassify, input)
		// THEN the records are the same, and so is every CopySource
		require.Equal(t, want, got, "prefix %q", prefix)
		for _, r := range got.([]any) {
			b := map[string]any{"plan": p, "states": map[string]any{"input": r}}
			assert.Equal(t, evaluate(t, segmentwiseCopySource, b), evaluate(t, copySourceExpr, b), "key %q", r.(map[string]any)["key"])
		}
	}
}
