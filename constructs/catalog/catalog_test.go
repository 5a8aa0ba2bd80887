package catalog_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/catalog"
	"github.com/snapshotlake/snapshotlake/internal/cdktest"
	"github.com/snapshotlake/snapshotlake/simulator/asl"
	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/gluefake"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
)

const bucketName = "analytics-bucket"

type fixture struct {
	tpl    cdktest.Template
	smID   string
	def    map[string]any
	roleID string
}

// load: GIVEN a Catalog of a named bucket with its key, on a bus,
// synthesized once.
var load = cdktest.Fixture(func() (f fixture, err error) {
	stack := cdktest.NewStack("Test")
	key := awskms.NewKey(stack, jsii.String("Key"), nil)
	bucket := awss3.NewBucket(stack, jsii.String("Bucket"), &awss3.BucketProps{BucketName: jsii.String(bucketName), EncryptionKey: key, Encryption: awss3.BucketEncryption_KMS})
	bus := awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{EventBusName: jsii.String("snapshotlake")})
	if _, err = catalog.New(stack, "Catalog", &catalog.Props{Bucket: bucket, Key: key, EventBus: bus, DatabaseName: "analytics_db"}); err != nil {
		return f, err
	}
	f.tpl = cdktest.FromStack(stack)
	if f.smID, err = f.tpl.StateMachineByPath("Catalog/StateMachine"); err != nil {
		return f, err
	}
	if f.roleID, err = f.tpl.ByPath("AWS::IAM::Role", "Catalog/StateMachine/Role"); err != nil {
		return f, err
	}
	if f.def, err = f.tpl.Definition(f.smID); err != nil {
		return f, err
	}
	// CloudFormation resolves the bucket's Ref to its name.
	bucketID, err := f.tpl.ByPath("AWS::S3::Bucket", "Bucket")
	if err != nil {
		return f, err
	}
	data, _ := json.Marshal(f.def)
	err = json.Unmarshal([]byte(strings.ReplaceAll(string(data), cdktest.Ref(bucketID), bucketName)), &f.def)
	return f, err
})

// world is a local run of the catalog state machine: S3 with the export's
// metadata, Glue with the database.
type world struct {
	t    *testing.T
	s3   *s3fake.Fake
	glue *gluefake.Fake
	exec *asl.Executor
	arn  string
	runs int
}

func newWorld(t *testing.T, ev *jsonata.Evaluator) *world {
	f := load(t)
	w := &world{t: t, s3: s3fake.NewFake(), glue: gluefake.New(), arn: "arn:aws:states:ap-northeast-1:444455556666:stateMachine:Catalog"}
	w.s3.CreateBucket(bucketName, s3fake.BucketOptions{})
	w.glue.AddDatabase("analytics_db")
	integ := asl.IntegrationFunc(func(ctx context.Context, service, action string, args map[string]any) (any, error) {
		switch service {
		case "s3":
			return w.s3.Call(ctx, action, args)
		case "glue":
			return w.glue.Call(ctx, action, args)
		}
		return nil, awserr.New("States.Runtime", "no fake for %s:%s", service, action)
	})
	w.exec = asl.New(integ, asl.FromJSONata(ev))
	require.NoError(t, w.exec.Register(w.arn, f.def, asl.TypeStandard))
	return w
}

type mapping struct{ name, original, exported string }

// putTablesInfo writes an export_tables_info file as the copy leaves it.
func (w *world) putTablesInfo(meta string, tables map[string][]mapping) {
	var statuses []any
	for target, cols := range tables {
		var m []any
		for _, c := range cols {
			m = append(m, map[string]any{"columnName": c.name, "originalType": c.original, "expectedExportedType": c.exported})
		}
		statuses = append(statuses, map[string]any{"target": target, "status": "COMPLETE", "schemaMetadata": map[string]any{"originalTypeMappings": m}})
	}
	data, err := json.Marshal(map[string]any{"perTableStatus": statuses})
	require.NoError(w.t, err)
	require.NoError(w.t, w.s3.PutObject(bucketName, meta+"export_tables_info_EXP_from_1_to_2.json", data))
}

func (w *world) deliver(partition, meta string) *asl.Execution {
	w.runs++
	event := map[string]any{
		"source": "snapshotlake", "detail-type": "RDS Snapshot Export Copied",
		"detail": map[string]any{
			"schemaVersion": 2.0, "exportTaskIdentifier": "EXP", "destinationBucket": bucketName,
			"destinationPrefix": "", "partition": partition, "metadataPrefix": meta,
		},
	}
	x, err := w.exec.Start(context.Background(), w.arn, "run-"+strings.Repeat("x", w.runs), event)
	require.NoError(w.t, err)
	w.exec.Wait()
	require.Equal(w.t, asl.StatusSucceeded, x.Status, "%s: %s", x.Error, x.Cause)
	return x
}

func TestCatalog_catalogsEachTableAndPartitionIdempotently(t *testing.T) {
	ev, err := jsonata.Start()
	require.NoError(t, err)
	defer func() { _ = ev.Close() }()
	w := newWorld(t, ev)

	// GIVEN an export of two tables, one with odd characters in its names
	meta1 := "_export_metadata/demo/partition_datetime=20261124T030458Z/"
	tables := map[string][]mapping{
		"postgres.public.city": {{"id", "integer", "int32"}, {"name", "text", "binary (UTF8)"}, {"gnp", "numeric", "binary (UTF8)"},
			{"tags", "ARRAY", "binary (UTF8)"}, {"seen", "timestamp with time zone", "binary (UTF8)"}, {"small", "smallint", "int32"}},
		"postgres.Sales Data.Order-Items": {{"qty", "bigint", "int64"}, {"price", "character varying(20)", "binary (UTF8)"}, {"odd", "mystery", "double"}},
	}
	w.putTablesInfo(meta1, tables)

	// WHEN its event is delivered
	x := w.deliver("partition_datetime=20261124T030458Z", meta1)

	// THEN one table per source table, with the mapped types, and one partition each
	assert.Equal(t, map[string]any{"exportTaskIdentifier": "EXP", "database": "analytics_db", "partition": "partition_datetime=20261124T030458Z",
		"tables": 2.0, "created": 2.0, "updated": 0.0, "partitionsAdded": 2.0}, x.Output)
	names := w.glue.Tables("analytics_db")
	require.Len(t, names, 2)
	assert.Equal(t, "postgres_public_city", names[0])
	assert.Equal(t, "postgres_sales_data_order_items_9e209225", names[1], "odd characters: sanitized, with the MD5 of postgres/Sales Data.Order-Items (the README's example)")
	city, _ := w.glue.Table("analytics_db", "postgres_public_city")
	assert.Equal(t, [][2]string{{"id", "int"}, {"name", "string"}, {"gnp", "string"}, {"tags", "string"}, {"seen", "string"}, {"small", "smallint"}}, gluefake.Columns(city))
	sd := city.Input["StorageDescriptor"].(map[string]any)
	assert.Equal(t, "s3://analytics-bucket/postgres/public.city/", sd["Location"])
	assert.Equal(t, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", sd["SerdeInfo"].(map[string]any)["SerializationLibrary"])
	assert.Equal(t, []any{map[string]any{"Name": "partition_datetime", "Type": "string"}}, city.Input["PartitionKeys"])
	odd, _ := w.glue.Table("analytics_db", names[1])
	assert.Equal(t, [][2]string{{"qty", "bigint"}, {"price", "string"}, {"odd", "double"}}, gluefake.Columns(odd), "unknown originalType: expectedExportedType decides")
	assert.Equal(t, "s3://analytics-bucket/postgres/Sales_Data.Order-Items/", odd.Input["StorageDescriptor"].(map[string]any)["Location"], "RDS's path characters")
	parts := w.glue.Partitions("analytics_db", "postgres_public_city")
	require.Len(t, parts, 1)
	assert.Equal(t, []string{"20261124T030458Z"}, parts[0].Values)
	assert.Equal(t, "s3://analytics-bucket/postgres/public.city/partition_datetime=20261124T030458Z/", parts[0].Input["StorageDescriptor"].(map[string]any)["Location"])

	// WHEN the same event is delivered again THEN nothing changes
	before := w.glue.Mutations()
	x = w.deliver("partition_datetime=20261124T030458Z", meta1)
	assert.Equal(t, before, w.glue.Mutations())
	assert.Equal(t, 0.0, x.Output.(map[string]any)["partitionsAdded"])

	// WHEN a later export adds a column to city THEN city is updated, both get a partition
	meta2 := "_export_metadata/demo/partition_datetime=20261125T030458Z/"
	tables["postgres.public.city"] = append(tables["postgres.public.city"], mapping{"mayor", "text", "binary (UTF8)"})
	w.putTablesInfo(meta2, tables)
	x = w.deliver("partition_datetime=20261125T030458Z", meta2)
	assert.Equal(t, 1.0, x.Output.(map[string]any)["updated"])
	assert.Equal(t, 2.0, x.Output.(map[string]any)["partitionsAdded"])
	city, _ = w.glue.Table("analytics_db", "postgres_public_city")
	assert.Equal(t, "mayor", gluefake.Columns(city)[6][0])
	assert.Len(t, w.glue.Partitions("analytics_db", "postgres_public_city"), 2)
	assert.Len(t, w.glue.Partitions("analytics_db", names[1]), 2)
}
