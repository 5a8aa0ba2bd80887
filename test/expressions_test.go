package test

import (
	"encoding/json"
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

// machines returns the source stack's state machine definitions, found by
// the stack's typed handles: "RdsExport", "S3Copy", "S3Copy/Multipart".
func machines(t *testing.T) map[string]map[string]map[string]any {
	t.Helper()
	tpl := synth(t)[stacks.SourceStackName]
	w := wiring(t, stacks.SourceStackName)
	out := map[string]map[string]map[string]any{}
	for name, id := range map[string]string{"RdsExport": w.ExportMachine, "S3Copy": w.CopyMachine, "S3Copy/Multipart": w.MultipartMachine} {
		var def map[string]any
		resolved := cdktest.Resolve(cdktest.At(t, tpl, "Resources", id, "Properties", "DefinitionString"))
		require.NoError(t, json.Unmarshal([]byte(cdktest.As[string](t, resolved)), &def), id)
		out[name] = cdktest.States(def)
	}
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
	idExpr := expr(t, cdktest.At(t, st["Describe cluster snapshot"], "Assign", "exportTaskIdentifier"))
	assert.Equal(t, idExpr, expr(t, cdktest.At(t, st["Describe DB snapshot"], "Assign", "exportTaskIdentifier")))

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
	for state, backup := range map[string]string{
		// Aurora: AWS Backup snapshots are manual cluster snapshots; instances have their own type
		"Describe cluster snapshot": "manual", "Describe DB snapshot": "awsbackup",
	} {
		e := expr(t, cdktest.At(t, machines(t)["RdsExport"][state], "Arguments", "SnapshotType"))
		for id, want := range map[string]string{
			"rds:analytics-db-2026-11-24-03-04": "automated", "awsbackup:job-1234": backup, "before-migration": "manual", "rdsx": "manual",
		} {
			got := eval(t, ev, e, map[string]any{"states": map[string]any{"input": map[string]any{"detail": map[string]any{"SourceIdentifier": id}}}})
			assert.Equal(t, want, got, "%s %s", state, id)
		}
	}
}

func TestConfiguredSource_isMatchedWithoutCase(t *testing.T) {
	ev := evaluator(t)
	cond := expr(t, cdktest.At(t, machines(t)["RdsExport"]["Is a configured source?"], "Choices", 0, "Condition"))
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

// The copy state machine's expressions are tested one by one in
// constructs/s3copy (expressions_test.go), on the files they are built from.

func TestAnnouncement_staysTheSameSizeWhateverTheTableCount(t *testing.T) {
	ev := evaluator(t)
	detailExpr := expr(t, cdktest.At(t, machines(t)["RdsExport"]["Announce export"], "Arguments", "Entries", 0, "Detail"))
	sizes := map[int]int{}
	for _, tables := range []float64{0, 3, 100000} {
		bind := map[string]any{
			"snapshot":             map[string]any{"sourceIdentifier": "analytics-db", "sourceType": "cluster", "snapshotArn": "arn:aws:rds:ap-northeast-1:111122223333:cluster-snapshot:rds:analytics-db-2026-11-24-03-04"},
			"exportTaskIdentifier": "rds-analytics-db-2026-11-24-03-04-0123456789",
			"snapshotTime":         "2026-11-24T03:04:58.145Z",
			"copied": map[string]any{
				"destinationBucket": "analytics", "destinationPrefix": "", "partition": "partition_datetime=20261124T030458Z",
				"metadataPrefix": "_export_metadata/analytics-db/partition_datetime=20261124T030458Z/",
				"manifestPrefix": "_export_metadata/analytics-db/partition_datetime=20261124T030458Z/_tables/",
				"tableCount":     tables, "largeFileCount": 0.0,
			},
		}
		raw := eval(t, ev, detailExpr, bind).(string)
		var detail map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &detail))
		assert.EqualValues(t, tables, detail["tableCount"])
		assert.EqualValues(t, 2, detail["schemaVersion"])
		sizes[int(tables)] = len(raw)
	}
	assert.Less(t, sizes[100000], 2048, "the detail is about a kilobyte for 100,000 tables")
	assert.InDelta(t, sizes[0], sizes[100000], 6, "only the digits of the count differ")
}
