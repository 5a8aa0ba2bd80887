package s3copy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/s3copy"
	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

const destKeyArn = "arn:aws:kms:ap-northeast-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"

type fixture struct {
	tpl                                  cdktest.Template
	copyID, tableID, multipartID         string
	copyDef, tableDef, multipartDef      map[string]any
	states, tableStates, multipartStates map[string]map[string]any
	copyRole, tableRole, multipartRole   string
	sourceBucket, sourceKey              string
}

// load: GIVEN an S3Copy from a staging bucket with its key into another
// account's bucket and key (imported by name and ARN), synthesized once.
var load = cdktest.Fixture(func() (f fixture, err error) {
	stack := cdktest.NewStack("Test")
	src := awss3.NewBucket(stack, jsii.String("ExportBucket"), nil)
	srcKey := awskms.NewKey(stack, jsii.String("ExportKey"), nil)
	dest := awss3.Bucket_FromBucketAttributes(stack, jsii.String("Dest"), &awss3.BucketAttributes{
		BucketName: jsii.String("analytics-bucket"), Account: jsii.String("444455556666"),
	})
	destKey := awskms.Key_FromKeyArn(stack, jsii.String("DestKey"), jsii.String(destKeyArn))
	if _, err = s3copy.New(stack, "S3Copy", &s3copy.Props{
		SourceBucket: src, SourceKey: srcKey, DestinationBucket: dest, DestinationKey: destKey,
		DestinationAccount: "444455556666",
	}); err != nil {
		return f, err
	}
	f.tpl = cdktest.FromStack(stack)
	ids := map[string]*string{
		"S3Copy/StateMachine": &f.copyID, "S3Copy/Table/StateMachine": &f.tableID, "S3Copy/Multipart/StateMachine": &f.multipartID,
	}
	for path, dst := range ids {
		if *dst, err = f.tpl.StateMachineByPath(path); err != nil {
			return f, err
		}
	}
	for typ, paths := range map[string]map[string]*string{
		"AWS::IAM::Role": {
			"S3Copy/StateMachine/Role": &f.copyRole, "S3Copy/Table/StateMachine/Role": &f.tableRole,
			"S3Copy/Multipart/StateMachine/Role": &f.multipartRole,
		},
		"AWS::S3::Bucket": {"ExportBucket": &f.sourceBucket},
		"AWS::KMS::Key":   {"ExportKey": &f.sourceKey},
	} {
		for path, dst := range paths {
			if *dst, err = f.tpl.ByPath(typ, path); err != nil {
				return f, err
			}
		}
	}
	if f.copyDef, err = f.tpl.Definition(f.copyID); err != nil {
		return f, err
	}
	if f.tableDef, err = f.tpl.Definition(f.tableID); err != nil {
		return f, err
	}
	if f.multipartDef, err = f.tpl.Definition(f.multipartID); err != nil {
		return f, err
	}
	f.states, f.tableStates, f.multipartStates = cdktest.States(f.copyDef), cdktest.States(f.tableDef), cdktest.States(f.multipartDef)
	return f, nil
})

func TestStateMachines_areJSONataStandardTracedLoggedWithTimeout(t *testing.T) {
	f := load(t)
	for _, id := range []string{f.copyID, f.tableID, f.multipartID} {
		props := f.tpl.Props(id)
		def, err := f.tpl.Definition(id)
		require.NoError(t, err)
		assert.Equal(t, "STANDARD", props["StateMachineType"], id)
		assert.Equal(t, "JSONata", def["QueryLanguage"], id)
		assert.EqualValues(t, 24*3600, def["TimeoutSeconds"], id)
		assert.Equal(t, map[string]any{"Enabled": true}, props["TracingConfiguration"], id)
		assert.NotNil(t, props["LoggingConfiguration"], id)
	}
	for _, lg := range f.tpl.OfType("AWS::Logs::LogGroup") {
		assert.NotEmpty(t, f.tpl.Props(lg)["KmsKeyId"], "log group %s encrypted", lg)
	}
}

func TestDefinition_listsTablesAndCopiesEachInItsOwnExecution(t *testing.T) {
	f := load(t)
	// THEN the copy goes: check input → plan → list databases → (empty?) → copy tables → export files → done
	assert.Equal(t, "Check input", f.copyDef["StartAt"])
	assert.Equal(t, "Plan copy", f.states["Check input"]["Default"])
	assert.Equal(t, "List databases", f.states["Plan copy"]["Next"])
	assert.Equal(t, "More databases?", f.states["List databases"]["Next"])
	assert.Equal(t, "Anything exported?", f.states["More databases?"]["Default"])
	assert.Equal(t, "Export empty", cdktest.At(t, f.states["Anything exported?"]["Choices"], 0, "Next"))
	assert.Equal(t, "Copy tables", f.states["Anything exported?"]["Default"])
	assert.Equal(t, "Start export files", f.states["Copy tables"]["Next"])
	assert.Equal(t, "Copied", f.states["More export files?"]["Default"])
	// AND every constant setting reaches the expressions through $settings, not their text
	settings := cdktest.As[map[string]any](t, f.states["Check input"]["Assign"], "settings")
	assert.EqualValues(t, 256<<20, settings["multipartThresholdBytes"])
	assert.Equal(t, "partition_datetime", settings["partitionKey"])
	assert.Equal(t, "_export_metadata", settings["metadataFolder"])
	// the table machine assigns the same settings for its own expressions
	assert.Equal(t, settings, cdktest.At(t, f.tableStates["Start table copy"]["Assign"], "settings"))

	// AND each database folder is a Standard child, which copies the tables
	// of each page at once, each by a .sync execution of the table machine,
	// before it writes that page of the manifest
	tables := f.states["Copy tables"]
	assert.Equal(t, map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, cdktest.At(t, tables["ItemProcessor"], "ProcessorConfig"))
	assert.EqualValues(t, 10, tables["MaxConcurrency"])
	assert.Equal(t, "Copy tables on page", cdktest.At(t, f.states["Any tables on page?"]["Choices"], 0, "Next"))
	page := f.states["Copy tables on page"]
	assert.Equal(t, map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, cdktest.At(t, page["ItemProcessor"], "ProcessorConfig"))
	assert.EqualValues(t, 40, page["MaxConcurrency"])
	assert.Equal(t, "{% $found %}", page["Items"])
	assert.Equal(t, "Write manifest page", page["Next"])
	assert.Equal(t, "arn:aws:states:::states:startExecution.sync:2", f.states["Copy table"]["Resource"])
	assert.Equal(t, cdktest.Ref(f.tableID), cdktest.At(t, f.states["Copy table"]["Arguments"], "StateMachineArn"))

	// AND a table goes: data → (large) → markers → done, each pass over its own folder
	assert.Equal(t, "Start table copy", f.tableDef["StartAt"])
	ts := f.tableStates
	assert.Equal(t, "Copy data files", ts["Start table copy"]["Next"])
	assert.Equal(t, "Any large files?", ts["Copy data files"]["Next"])
	assert.Equal(t, "Write markers", ts["Any large files?"]["Default"])
	assert.Equal(t, "Copy large files", cdktest.At(t, ts["Any large files?"]["Choices"], 0, "Next"))
	assert.Equal(t, "Write markers", ts["Copy large files"]["Next"])
	assert.Equal(t, "Table copied", ts["Write markers"]["Next"])
	for name, want := range map[string]string{
		"Copy data files": "EXPRESS", "Copy large files": "STANDARD", "Write markers": "EXPRESS",
	} {
		m := ts[name]
		proc := cdktest.As[map[string]any](t, m["ItemProcessor"], "ProcessorConfig")
		assert.Equal(t, map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": want}, proc, name)
		batcher := m["ItemBatcher"].(map[string]any)
		switch name {
		case "Write markers":
			// the markers the data pass met: the table is listed once
			assert.NotContains(t, m, "ItemReader", name)
			assert.Equal(t, "{% $dataPass.markers %}", m["Items"], name)
		default:
			assert.Equal(t, map[string]any{
				"Resource":  "arn:aws:states:::s3:listObjectsV2",
				"Arguments": map[string]any{"Bucket": cdktest.Ref(f.sourceBucket), "Prefix": "{% $table %}"},
			}, m["ItemReader"], name)
		}
		if name == "Copy large files" {
			// sized from the data pass's totals (large_batch.jsonata), reading the batch size from $settings
			assert.Contains(t, batcher["MaxItemsPerBatch"], "$dataPass.largeFiles", name)
			assert.EqualValues(t, 100, settings["itemsPerBatch"])
		} else {
			assert.EqualValues(t, 100, batcher["MaxItemsPerBatch"], name)
		}
		assert.EqualValues(t, 96<<10, batcher["MaxInputBytesPerBatch"], name)
		assert.EqualValues(t, s3copy.DefaultMaxConcurrency, m["MaxConcurrency"], name)
		// no tolerated failures: Step Functions' default is 0, so a failed child fails the run
		assert.NotContains(t, m, "ToleratedFailurePercentage", name)
		assert.NotContains(t, m, "ToleratedFailureCount", name)
	}
	// AND no inline Map iterates in a Standard execution's own history:
	// every inline Map lives inside a Distributed Map's children or the
	// multipart machine
	for _, def := range []map[string]any{f.copyDef, f.tableDef} {
		for name, st := range def["States"].(map[string]any) {
			if st.(map[string]any)["Type"] == "Map" {
				mode := cdktest.At(t, st, "ItemProcessor", "ProcessorConfig", "Mode")
				assert.Equal(t, "DISTRIBUTED", mode, "top-level Map %q must be distributed", name)
			}
		}
	}
	// AND each child classifies its batch once, first
	for name, first := range map[string]string{
		"Copy data files": "Classify data batch", "Copy large files": "Classify large batch", "Write markers": "Classify marker batch",
	} {
		assert.Equal(t, first, cdktest.At(t, ts[name]["ItemProcessor"], "StartAt"), name)
	}
	for name, first := range map[string]string{
		"Copy export files": "Classify export file batch", "Copy database files": "Classify database file batch",
	} {
		assert.Equal(t, first, cdktest.At(t, f.states[name]["ItemProcessor"], "StartAt"), name)
	}
}

func TestDefinition_copyTasksWriteEncryptedToDestination(t *testing.T) {
	f := load(t)
	for _, name := range []string{"Copy data file", "Copy marker", "Copy export file", "Copy database file"} {
		st := f.tableStates[name]
		if st == nil {
			st = f.states[name]
		}
		assert.Equal(t, "arn:aws:states:::aws-sdk:s3:copyObject", st["Resource"], name)
		args := st["Arguments"].(map[string]any)
		assert.Equal(t, "analytics-bucket", args["Bucket"], name)
		assert.Equal(t, "aws:kms", args["ServerSideEncryption"], name)
		assert.Equal(t, destKeyArn, args["SsekmsKeyId"], name)
		assert.NotContains(t, args, "ACL", "BucketOwnerEnforced buckets take no ACL")
		assert.Contains(t, args["CopySource"], "$encodeUrlComponent", name)
		retry := cdktest.As[map[string]any](t, st["Retry"], 0)
		assert.Equal(t, []any{"S3.S3Exception", "S3.SdkClientException"}, retry["ErrorEquals"], name)
		assert.NotContains(t, st, "Catch", "a failed copy must fail the run, not be swallowed")
	}
	assert.EqualValues(t, 20, f.tableStates["Copy each data file"]["MaxConcurrency"])
	assert.EqualValues(t, 20, f.tableStates["Copy each marker"]["MaxConcurrency"])
	for _, name := range []string{"Copy data file", "Copy marker", "Copy export file", "Start upload", "Copy part", "Complete upload", "Abort upload"} {
		st := f.states[name]
		if st == nil {
			st = f.tableStates[name]
		}
		if st == nil {
			st = f.multipartStates[name]
		}
		assert.Equal(t, "444455556666", cdktest.At(t, st["Arguments"], "ExpectedBucketOwner"), "%s refuses a bucket of another owner", name)
	}
	page := f.states["Write manifest page"]
	assert.Equal(t, "arn:aws:states:::aws-sdk:s3:putObject", page["Resource"])
	assert.Equal(t, "analytics-bucket", cdktest.At(t, page["Arguments"], "Bucket"))
	assert.Equal(t, destKeyArn, cdktest.At(t, page["Arguments"], "SsekmsKeyId"))
	assert.Equal(t, "444455556666", cdktest.At(t, page["Arguments"], "ExpectedBucketOwner"))
	for _, name := range []string{"List databases", "List tables", "List export files"} {
		assert.Equal(t, "arn:aws:states:::aws-sdk:s3:listObjectsV2", f.states[name]["Resource"], name)
		assert.Contains(t, f.states[name]["Arguments"], "'Delimiter': '/'", name)
	}
	assert.Equal(t, "arn:aws:states:::states:startExecution.sync:2", f.tableStates["Copy large file"]["Resource"])
	assert.Equal(t, cdktest.Ref(f.multipartID), cdktest.At(t, f.tableStates["Copy large file"]["Arguments"], "StateMachineArn"))
}

func TestMultipart_abortsOnFailure(t *testing.T) {
	f := load(t)
	s := f.multipartStates
	assert.Equal(t, "Plan parts", f.multipartDef["StartAt"])
	assert.Equal(t, "Start upload", s["Plan parts"]["Next"])
	assert.Equal(t, "Copy parts", s["Start upload"]["Next"])
	assert.Equal(t, "Complete upload", s["Copy parts"]["Next"])
	for name, resource := range map[string]string{
		"Start upload": "createMultipartUpload", "Copy part": "uploadPartCopy",
		"Complete upload": "completeMultipartUpload", "Abort upload": "abortMultipartUpload",
	} {
		assert.Equal(t, "arn:aws:states:::aws-sdk:s3:"+resource, s[name]["Resource"], name)
	}
	for _, name := range []string{"Copy parts", "Complete upload"} {
		c := cdktest.As[map[string]any](t, s[name]["Catch"], 0)
		assert.Equal(t, "Abort upload", c["Next"], name)
		assert.Equal(t, map[string]any{"failure": "{% $states.errorOutput %}"}, c["Assign"], name)
	}
	assert.Equal(t, "Multipart copy failed", s["Abort upload"]["Next"])
	assert.Equal(t, "Fail", s["Multipart copy failed"]["Type"])
	assert.Equal(t, "{% $copy.copySource %}", cdktest.At(t, s["Copy part"]["Arguments"], "CopySource"))
}

func TestMultipart_cutsAnObjectIntoAsManyPartsAsAreCopiedAtOnce(t *testing.T) {
	f := load(t)
	s := f.multipartStates
	// parts.jsonata reads $partsAtOnce, which "Plan parts" assigns from the
	// same figure as the Map's MaxConcurrency
	assert.EqualValues(t, 10, cdktest.At(t, s["Plan parts"]["Assign"], "partsAtOnce"))
	assert.EqualValues(t, 10, s["Copy parts"]["MaxConcurrency"])
	assert.Contains(t, s["Copy parts"]["Items"], "$partsAtOnce")
	assert.Equal(t, "{% {'key': $copy.destinationKey, 'parts': $count($states.input)} %}", s["Complete upload"]["Output"])
}

func TestIAM_readsSourceWritesDestinationOnly(t *testing.T) {
	f := load(t)
	srcObjects := cdktest.Arn(f.sourceBucket) + "/*"
	destObjects := "arn:aws:s3:::analytics-bucket/*"
	for role, extra := range map[string][]string{
		f.copyRole:      {"s3:PutObject"},
		f.tableRole:     {"s3:PutObject"},
		f.multipartRole: {"s3:AbortMultipartUpload", "s3:PutObject"},
	} {
		sts := f.tpl.RoleStatements(role)
		assert.Equal(t, []string{"s3:GetObject"}, cdktest.ActionsOn(sts, srcObjects), role)
		assert.Equal(t, extra, cdktest.ActionsOn(sts, destObjects), role)
		assert.Equal(t, []string{"kms:Decrypt"}, cdktest.ActionsOn(sts, cdktest.Arn(f.sourceKey)), role)
		assert.Equal(t, []string{"kms:Decrypt", "kms:GenerateDataKey"}, cdktest.ActionsOn(sts, destKeyArn), role)
		for _, a := range cdktest.AllActions(sts) {
			assert.NotEqual(t, "s3:copyObject", a, "no pseudo-action")
			assert.NotEqual(t, "s3:*", a)
			assert.NotEqual(t, "kms:*", a)
		}
	}
	// AND only the copy (its folders) and table (ItemReader) machines list the source
	assert.Equal(t, []string{"s3:ListBucket"}, cdktest.ActionsOn(f.tpl.RoleStatements(f.copyRole), cdktest.Arn(f.sourceBucket)))
	assert.Equal(t, []string{"s3:ListBucket"}, cdktest.ActionsOn(f.tpl.RoleStatements(f.tableRole), cdktest.Arn(f.sourceBucket)))
	assert.Empty(t, cdktest.ActionsOn(f.tpl.RoleStatements(f.multipartRole), cdktest.Arn(f.sourceBucket)))
	assert.Empty(t, f.tpl.OfType("AWS::Lambda::Function"))
}

func TestNew_rejectsBadPropsNamingTheValue(t *testing.T) {
	tests := []struct {
		name string
		give func(p *s3copy.Props)
		want string
	}{
		{"missing source", func(p *s3copy.Props) { p.SourceBucket = nil }, "SourceBucket is required"},
		{"missing destination", func(p *s3copy.Props) { p.DestinationBucket = nil }, "DestinationBucket is required"},
		{"partition key with slash", func(p *s3copy.Props) { p.PartitionKey = "dt/x" }, `PartitionKey must not contain '/', '=' or surrounding spaces, got "dt/x"`},
		{"partition key with equals", func(p *s3copy.Props) { p.PartitionKey = "dt=" }, `got "dt="`},
		{"picture with slash", func(p *s3copy.Props) { p.PartitionValuePicture = "[Y]/[M]" }, `got "[Y]/[M]"`},
		{"picture without component", func(p *s3copy.Props) { p.PartitionValuePicture = "latest" }, `got "latest"`},
		{"destination prefix with leading slash", func(p *s3copy.Props) { p.DestinationPrefix = "/rds" }, `DestinationPrefix must not start with '/' nor contain '//', got "/rds"`},
		{"concurrency too high", func(p *s3copy.Props) { p.MaxConcurrency = 20000 }, "MaxConcurrency must be between 1 and 10000, got 20000"},
		{"batch too large", func(p *s3copy.Props) { p.ItemsPerBatch = 5000 }, "ItemsPerBatch must be between 1 and 1000, got 5000"},
		{"threshold too small", func(p *s3copy.Props) { p.MultipartThresholdBytes = 1024 }, "got 1024"},
		{"bad destination account", func(p *s3copy.Props) { p.DestinationAccount = "4444" }, `DestinationAccount must be a 12-digit AWS account id, got "4444"`},
		{"threshold above CopyObject limit", func(p *s3copy.Props) { p.MultipartThresholdBytes = 6 << 30 }, "got 6442450944"},
	}
	stack := cdktest.NewStack("Bad")
	src := awss3.Bucket_FromBucketName(stack, jsii.String("S"), jsii.String("export-bucket"))
	dest := awss3.Bucket_FromBucketName(stack, jsii.String("D"), jsii.String("analytics-bucket"))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &s3copy.Props{SourceBucket: src, DestinationBucket: dest}
			tt.give(p)
			_, err := s3copy.New(stack, fmt.Sprintf("C%d", i), p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNew_reportsEveryBadPropAtOnce(t *testing.T) {
	// GIVEN props without a source bucket, with a bad partition key and a batch too large
	stack := cdktest.NewStack("AllBad")
	dest := awss3.Bucket_FromBucketName(stack, jsii.String("D"), jsii.String("analytics-bucket"))
	// WHEN the construct is created
	_, err := s3copy.New(stack, "Copy", &s3copy.Props{DestinationBucket: dest, PartitionKey: "dt/x", ItemsPerBatch: 5000})
	// THEN the one error names all three, each on its own line
	require.Error(t, err)
	assert.Equal(t, []string{
		"s3copy: SourceBucket is required",
		`s3copy: PartitionKey must not contain '/', '=' or surrounding spaces, got "dt/x"`,
		"s3copy: ItemsPerBatch must be between 1 and 1000, got 5000",
	}, strings.Split(err.Error(), "\n"))
}
