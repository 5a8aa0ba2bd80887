package rdsexport_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/rdsexport"
	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

const copyArn = "arn:aws:states:ap-northeast-1:111122223333:stateMachine:copy"

type fixture struct {
	tpl      cdktest.Template
	machine  string // logical id of the "Both" export state machine
	def      map[string]any
	states   map[string]map[string]any
	bucket   string
	key      string
	role     string // state machine role
	export   string // export role
	clusters string // logical id of the cluster-only rule
}

// load: GIVEN one stack with an RdsExport of a cluster and an instance
// (S3Prefix, ExportOnly set) and one of clusters only, synthesized once for
// all tests.
var load = cdktest.Fixture(func() (f fixture, err error) {
	stack := cdktest.NewStack("Test")
	bucket := awss3.NewBucket(stack, jsii.String("ExportBucket"), nil)
	key := awskms.NewKey(stack, jsii.String("ExportKey"), nil)
	copySM := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("Copy"), jsii.String(copyArn))
	if _, err = rdsexport.New(stack, "Both", &rdsexport.Props{
		ClusterIdentifiers:  []string{"analytics-db", "Reporting-DB"},
		InstanceIdentifiers: []string{"orders-db"},
		ExportBucket:        bucket, ExportKey: key, CopyStateMachine: copySM,
		S3Prefix: "exports/daily", ExportOnly: []string{"postgres.public"},
	}); err != nil {
		return f, err
	}
	if _, err = rdsexport.New(stack, "ClustersOnly", &rdsexport.Props{
		ClusterIdentifiers: []string{"analytics-db"},
		ExportBucket:       bucket, ExportKey: key, CopyStateMachine: copySM,
	}); err != nil {
		return f, err
	}
	f.tpl = cdktest.FromStack(stack)
	must := func(id string, e error) string {
		if e != nil && err == nil {
			err = e
		}
		return id
	}
	f.machine = must(f.tpl.StateMachineByPath("Both/StateMachine"))
	f.bucket = must(f.tpl.ByPath("AWS::S3::Bucket", "ExportBucket"))
	f.key = must(f.tpl.ByPath("AWS::KMS::Key", "ExportKey"))
	f.role = must(f.tpl.ByPath("AWS::IAM::Role", "Both/StateMachine/Role"))
	f.export = must(f.tpl.ByPath("AWS::IAM::Role", "Both/ExportRole"))
	f.clusters = must(f.tpl.ByPath("AWS::Events::Rule", "ClustersOnly/SnapshotCreated"))
	if err != nil {
		return f, err
	}
	if f.def, err = f.tpl.Definition(f.machine); err != nil {
		return f, err
	}
	f.states = cdktest.States(f.def)
	return f, nil
})

func TestRule_matchesSnapshotCreatedEventsOfConfiguredKinds(t *testing.T) {
	f := load(t)
	// THEN the rule of the cluster+instance export matches the four snapshot-created events
	cdktest.Check(t, func() {
		f.tpl.T.HasResourceProperties(jsii.String("AWS::Events::Rule"), &map[string]any{
			"EventPattern": map[string]any{
				"source":      []string{"aws.rds"},
				"detail-type": []string{"RDS DB Cluster Snapshot Event", "RDS DB Snapshot Event"},
				"detail":      map[string]any{"EventID": []string{"RDS-EVENT-0075", "RDS-EVENT-0169", "RDS-EVENT-0042", "RDS-EVENT-0091"}},
			},
			"Targets": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Arn":              map[string]any{"Ref": f.machine},
				"DeadLetterConfig": assertions.Match_ObjectLike(&map[string]any{}),
			})}),
		})
	})
	// AND the cluster-only export's rule matches cluster events only
	pattern := f.tpl.Props(f.clusters)["EventPattern"].(map[string]any)
	assert.Equal(t, []any{"RDS DB Cluster Snapshot Event"}, pattern["detail-type"])
	assert.Equal(t, []any{"RDS-EVENT-0075", "RDS-EVENT-0169"}, cdktest.At(t, pattern["detail"], "EventID"))
}

func TestStateMachine_isJSONataStandardTracedLoggedEncryptedWithTimeout(t *testing.T) {
	f := load(t)
	props := f.tpl.Props(f.machine)
	assert.Equal(t, "STANDARD", props["StateMachineType"])
	assert.Equal(t, "JSONata", f.def["QueryLanguage"])
	assert.Equal(t, float64(48*3600), f.def["TimeoutSeconds"], "default whole-run timeout 48 h")
	assert.Equal(t, map[string]any{"Enabled": true}, props["TracingConfiguration"])
	logging := props["LoggingConfiguration"].(map[string]any)
	assert.Equal(t, "ERROR", logging["Level"])
	assert.Equal(t, true, logging["IncludeExecutionData"])
	logGroup, err := f.tpl.ByPath("AWS::Logs::LogGroup", "Both/LogGroup")
	require.NoError(t, err)
	logKey, err := f.tpl.ByPath("AWS::KMS::Key", "Both/LogKey")
	require.NoError(t, err)
	assert.Equal(t, cdktest.Arn(logKey), f.tpl.Props(logGroup)["KmsKeyId"])
	assert.Equal(t, true, f.tpl.Props(logKey)["EnableKeyRotation"])
}

func TestDefinition_routesEventsAndSkipsForeignSources(t *testing.T) {
	f := load(t)
	assert.Equal(t, "Read event", f.def["StartAt"])
	route := f.states["Read event"]
	choices := route["Choices"].([]any)
	require.Len(t, choices, 3)
	assert.Equal(t, "Invalid event", cdktest.At(t, choices[0], "Next"))
	assert.Equal(t, "Describe cluster snapshot", cdktest.At(t, choices[1], "Next"))
	assert.Equal(t, "Describe DB snapshot", cdktest.At(t, choices[2], "Next"))
	assert.Equal(t, "Skipped", route["Default"])

	for name, resource := range map[string]string{
		"Describe cluster snapshot": "arn:aws:states:::aws-sdk:rds:describeDBClusterSnapshots",
		"Describe DB snapshot":      "arn:aws:states:::aws-sdk:rds:describeDBSnapshots",
	} {
		st := f.states[name]
		assert.Equal(t, resource, st["Resource"], name)
		assert.Equal(t, "Is a configured source?", st["Next"], name)
		assert.Contains(t, st["Assign"], "exportTaskIdentifier", name)
		assert.Contains(t, st["Assign"], "snapshot", name)
	}
	configured := f.states["Is a configured source?"]
	assert.Equal(t, "Skipped", configured["Default"])
	cond := cdktest.As[string](t, configured["Choices"], 0, "Condition")
	for _, id := range []string{"'analytics-db'", "'Reporting-DB'", "'orders-db'", "$lowercase"} {
		assert.Contains(t, cond, id)
	}
	assert.Equal(t, "Succeed", f.states["Skipped"]["Type"])
	assert.Equal(t, "Start export", cdktest.At(t, configured["Choices"], 0, "Next"))
}

func TestDefinition_startsExportIdempotentlyAndRetriesQuota(t *testing.T) {
	f := load(t)
	start := f.states["Start export"]
	assert.Equal(t, "arn:aws:states:::aws-sdk:rds:startExportTask", start["Resource"])
	assert.Equal(t, map[string]any{
		"ExportTaskIdentifier": "{% $exportTaskIdentifier %}",
		"SourceArn":            "{% $snapshot.snapshotArn %}",
		"S3BucketName":         cdktest.Ref(f.bucket),
		"IamRoleArn":           cdktest.Arn(f.export),
		"KmsKeyId":             cdktest.Arn(f.key),
		"S3Prefix":             "exports/daily",
		"ExportOnly":           []any{"postgres.public"},
	}, start["Arguments"])
	// THEN throttling gets a few quick retries (about 2 minutes in all), not a day
	retry := cdktest.As[map[string]any](t, start["Retry"], 0)
	assert.Contains(t, retry["ErrorEquals"], "Rds.RdsException")
	assert.EqualValues(t, 4, retry["MaxAttempts"])
	assert.EqualValues(t, 60, retry["MaxDelaySeconds"])
	catches := start["Catch"].([]any)
	assert.Equal(t, []any{"Rds.ExportTaskAlreadyExistsException", "Rds.ExportTaskAlreadyExistsFault"}, cdktest.At(t, catches[0], "ErrorEquals"))
	assert.Equal(t, "Export already started", cdktest.At(t, catches[0], "Next"))
	assert.Equal(t, "Describe export", f.states["Export already started"]["Next"])
	// AND a generic RDS error is looked at: the quota waits, anything else fails
	assert.Equal(t, []any{"Rds.RdsException"}, cdktest.At(t, catches[1], "ErrorEquals"))
	assert.Equal(t, "Count running exports", cdktest.At(t, catches[1], "Next"))
	assert.Equal(t, []any{"States.ALL"}, cdktest.At(t, catches[2], "ErrorEquals"))
	assert.Equal(t, "Export not started", cdktest.At(t, catches[2], "Next"))
	count := f.states["Count running exports"]
	assert.Equal(t, "arn:aws:states:::aws-sdk:rds:describeExportTasks", count["Resource"])
	assert.Equal(t, []any{map[string]any{"Name": "status", "Values": []any{"starting", "in_progress", "canceling"}}}, cdktest.At(t, count["Arguments"], "Filters"))
	quota := f.states["Export quota reached?"]
	assert.Contains(t, cdktest.At(t, quota["Choices"], 0, "Condition"), ">= 5")
	assert.Equal(t, "Wait for an export slot", cdktest.At(t, quota["Choices"], 0, "Next"))
	assert.Equal(t, "Export not started", quota["Default"])
	assert.EqualValues(t, 300, f.states["Wait for an export slot"]["Seconds"])
	assert.Equal(t, "Start export", f.states["Wait for an export slot"]["Next"])
	assert.Equal(t, "Fail", f.states["Export not started"]["Type"])
}

func TestDefinition_waitsForExportEveryMinuteAndFailsWithCause(t *testing.T) {
	f := load(t)
	assert.Equal(t, "arn:aws:states:::aws-sdk:rds:describeExportTasks", f.states["Describe export"]["Resource"])
	assert.Equal(t, "Export finished?", f.states["Describe export"]["Next"])
	assert.EqualValues(t, 60, f.states["Wait for export"]["Seconds"])
	assert.Equal(t, "Describe export", f.states["Wait for export"]["Next"])
	status := f.states["Export finished?"]
	assert.Equal(t, "Wait for export", status["Default"])
	next := map[string]string{}
	for _, c := range status["Choices"].([]any) {
		c := c.(map[string]any)
		next[c["Next"].(string)] = c["Condition"].(string)
	}
	assert.Contains(t, next["Copy export"], "'COMPLETE'")
	assert.Contains(t, next["Export failed"], "['FAILED', 'CANCELED']")
	assert.Contains(t, next["Export timed out"], "$exportDeadline")
	assert.Contains(t, next, "Export not found")
	failed := f.states["Export failed"]
	assert.Equal(t, "Fail", failed["Type"])
	assert.Contains(t, failed["Cause"], "FailureCause")
}

func TestDefinition_runsCopyAndWaitsForIt(t *testing.T) {
	f := load(t)
	cp := f.states["Copy export"]
	assert.Equal(t, "arn:aws:states:::states:startExecution.sync:2", cp["Resource"])
	args := cp["Arguments"].(map[string]any)
	assert.Equal(t, copyArn, args["StateMachineArn"])
	assert.Equal(t, "{% $exportTaskIdentifier %}", args["Name"])
	for _, field := range []string{"'exportTaskIdentifier'", "'s3Prefix'", "'snapshotTime'", "'sourceIdentifier'", "'engine'", "'engineVersion'"} {
		assert.Contains(t, args["Input"], field)
	}
	assert.NotContains(t, args["Input"], "$states.context", "the copy input must not vary between deliveries")
	catches := cp["Catch"].([]any)
	assert.Equal(t, []any{"StepFunctions.ExecutionAlreadyExistsException"}, cdktest.At(t, catches[0], "ErrorEquals"))
	assert.Equal(t, "Describe earlier copy", cdktest.At(t, catches[0], "Next"))
	assert.Equal(t, "Copy failed", cdktest.At(t, catches[1], "Next"))
	assert.Equal(t, "Fail", f.states["Copy failed"]["Type"])
	retry := cdktest.As[map[string]any](t, f.states["Describe earlier copy"]["Retry"], 0)
	assert.Equal(t, []any{"Sfn.SfnException", "Sfn.SdkClientException"}, retry["ErrorEquals"], "aws-sdk:sfn errors are named Sfn.*")
	assert.Equal(t, "Announce export", cp["Next"])
}

func TestDefinition_announcesTheCopiedExportOnTheDefaultBus(t *testing.T) {
	f := load(t)
	a := f.states["Announce export"]
	assert.Equal(t, "arn:aws:states:::aws-sdk:eventbridge:putEvents", a["Resource"])
	entry := cdktest.As[map[string]any](t, a["Arguments"], "Entries", 0)
	assert.Equal(t, rdsexport.EventSource, entry["Source"])
	assert.Equal(t, rdsexport.EventDetailType, entry["DetailType"])
	for _, field := range []string{"'schemaVersion'", "'exportTaskIdentifier'", "'sourceIdentifier'", "'snapshotTime'", "'destinationBucket'", "'manifestPrefix'", "'tableCount'"} {
		assert.Contains(t, entry["Detail"], field)
	}
	assert.NotContains(t, entry["Detail"], "'tables'", "the event does not grow with the export's tables")
	assert.Equal(t, "Announced?", a["Next"])
	choices := f.states["Announced?"]["Choices"].([]any)
	assert.Equal(t, "Already copied", cdktest.At(t, choices[0], "Next"))
	assert.Equal(t, "Exported and copied", cdktest.At(t, choices[1], "Next"))
	// AND a redelivery that finds the copy done announces again
	assert.Equal(t, "Announce export", cdktest.At(t, f.states["Earlier copy succeeded?"]["Choices"], 0, "Next"))
	assert.Equal(t, "Announcement failed", f.states["Announced?"]["Default"])
	sts := f.tpl.RoleStatements(f.role)
	assert.Equal(t, []string{"events:PutEvents"}, cdktest.ActionsOn(sts, "arn:aws:events:ap-northeast-1:111122223333:event-bus/default"))
}

func TestIAM_exportRoleAndStateMachineRoleAreExact(t *testing.T) {
	f := load(t)
	// THEN RDS's export service alone assumes the export role
	trust := f.tpl.ResourcePolicyStatements(f.export, "AssumeRolePolicyDocument")
	require.Len(t, trust, 1)
	assert.Equal(t, map[string]any{"Service": "export.rds.amazonaws.com"}, trust[0].Principal)
	// AND the export role writes only into the export bucket under the prefix
	exportSts := f.tpl.RoleStatements(f.export)
	assert.Equal(t, []string{"s3:GetBucketLocation", "s3:ListBucket"}, cdktest.ActionsOn(exportSts, cdktest.Arn(f.bucket)))
	assert.Equal(t, []string{"s3:DeleteObject*", "s3:GetObject*", "s3:PutObject*"}, cdktest.ActionsOn(exportSts, cdktest.Arn(f.bucket)+"/exports/daily/*"))
	assert.Equal(t, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, cdktest.ActionsOn(exportSts, cdktest.Arn(f.key)))

	// AND the state machine may pass exactly the export role and use the key as StartExportTask documents
	sts := f.tpl.RoleStatements(f.role)
	assert.Equal(t, []string{"iam:PassRole"}, cdktest.ActionsOn(sts, cdktest.Arn(f.export)))
	assert.Equal(t, []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
		"kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RetireGrant"}, cdktest.ActionsOn(sts, cdktest.Arn(f.key)))
	clusterSnapshots := "arn:aws:rds:ap-northeast-1:111122223333:cluster-snapshot:*"
	assert.Equal(t, []string{"rds:DescribeDBClusterSnapshots", "rds:StartExportTask"}, cdktest.ActionsOn(sts, clusterSnapshots))
	assert.Equal(t, []string{"rds:DescribeDBSnapshots", "rds:StartExportTask"}, cdktest.ActionsOn(sts, "arn:aws:rds:ap-northeast-1:111122223333:snapshot:*"))
	assert.Equal(t, []string{"states:StartExecution"}, cdktest.ActionsOn(sts, copyArn))
	for _, a := range cdktest.AllActions(sts) {
		assert.NotContains(t, a, "*", "no wildcard actions in the state machine role")
		assert.False(t, strings.HasPrefix(a, "s3:"), "the export state machine never touches S3 itself: %s", a)
	}
}

func TestTemplate_hasNoLambdaFunction(t *testing.T) {
	f := load(t)
	assert.Empty(t, f.tpl.OfType("AWS::Lambda::Function"))
}

func TestNew_rejectsBadPropsNamingTheValue(t *testing.T) {
	tests := []struct {
		name string
		give func(p *rdsexport.Props)
		want string
	}{
		{"no source", func(p *rdsexport.Props) { p.ClusterIdentifiers = nil }, "at least one source is required"},
		{"bad cluster id", func(p *rdsexport.Props) { p.ClusterIdentifiers = []string{"analytics_db"} }, `got "analytics_db"`},
		{"cluster id with double hyphen", func(p *rdsexport.Props) { p.ClusterIdentifiers = []string{"a--b"} }, `got "a--b"`},
		{"bad instance id", func(p *rdsexport.Props) { p.InstanceIdentifiers = []string{"9orders"} }, `got "9orders"`},
		{"prefix with colon", func(p *rdsexport.Props) { p.S3Prefix = "exports:daily" }, `S3Prefix must not contain ':', got "exports:daily"`},
		{"prefix with trailing slash", func(p *rdsexport.Props) { p.S3Prefix = "exports/" }, `got "exports/"`},
		{"export id prefix starting with digit", func(p *rdsexport.Props) { p.ExportIDPrefix = "9abc" }, `export id prefix must start with a letter`},
		{"export id prefix ending with hyphen", func(p *rdsexport.Props) { p.ExportIDPrefix = "nightly-" }, `got "nightly-"`},
		{"empty ExportOnly entry", func(p *rdsexport.Props) { p.ExportOnly = []string{" "} }, `ExportOnly entries must be`},
		{"poll too short", func(p *rdsexport.Props) { p.PollInterval = awscdk.Duration_Seconds(jsii.Number(5)) }, "PollInterval must be at least 10 seconds, got 5 seconds"},
		{"timeout not above export timeout", func(p *rdsexport.Props) { p.Timeout = awscdk.Duration_Hours(jsii.Number(24)) }, "Timeout (1 day) must be longer than ExportTimeout (1 day)"},
		{"history budget", func(p *rdsexport.Props) {
			p.ExportTimeout = awscdk.Duration_Hours(jsii.Number(72))
			p.Timeout = awscdk.Duration_Hours(jsii.Number(96))
		}, "needs up to 39880 history events per execution, over Step Functions' limit of 25000: set PollInterval to at least 98 seconds"},
		{"missing bucket", func(p *rdsexport.Props) { p.ExportBucket = nil }, "ExportBucket is required"},
		{"missing key", func(p *rdsexport.Props) { p.ExportKey = nil }, "ExportKey is required"},
		{"missing copy", func(p *rdsexport.Props) { p.CopyStateMachine = nil }, "CopyStateMachine is required"},
	}
	stack := cdktest.NewStack("Bad")
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String("export-bucket"))
	key := awskms.Key_FromKeyArn(stack, jsii.String("K"), jsii.String("arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	copySM := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("C"), jsii.String(copyArn))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &rdsexport.Props{ClusterIdentifiers: []string{"analytics-db"}, ExportBucket: bucket, ExportKey: key, CopyStateMachine: copySM}
			tt.give(p)
			_, err := rdsexport.New(stack, fmt.Sprintf("E%d", i), p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNew_reportsEveryBadPropAtOnce(t *testing.T) {
	// GIVEN props with a bad cluster identifier, a missing key and a poll interval too short
	stack := cdktest.NewStack("AllBad")
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String("export-bucket"))
	copySM := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("C"), jsii.String(copyArn))
	// WHEN the construct is created
	_, err := rdsexport.New(stack, "Export", &rdsexport.Props{
		ClusterIdentifiers: []string{"analytics_db"}, ExportBucket: bucket, CopyStateMachine: copySM,
		PollInterval: awscdk.Duration_Seconds(jsii.Number(5)),
	})
	// THEN the one error names all three, each on its own line
	require.Error(t, err)
	assert.Equal(t, []string{
		"rdsexport: ExportKey is required",
		`rdsexport: cluster identifier must be 1-63 letters, digits or single hyphens starting with a letter and not ending with a hyphen, got "analytics_db"`,
		"rdsexport: PollInterval must be at least 10 seconds, got 5 seconds",
	}, strings.Split(err.Error(), "\n"))
}

func TestNew_bringYourOwnExportRole(t *testing.T) {
	// GIVEN an existing export role WHEN it is passed in
	stack := cdktest.NewStack("Byo")
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String("export-bucket"))
	key := awskms.Key_FromKeyArn(stack, jsii.String("K"), jsii.String("arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	role := awsiam.Role_FromRoleArn(stack, jsii.String("R"), jsii.String("arn:aws:iam::111122223333:role/rds-export"), nil)
	copySM := sfn.StateMachine_FromStateMachineArn(stack, jsii.String("C"), jsii.String(copyArn))
	exp, err := rdsexport.New(stack, "Export", &rdsexport.Props{
		ClusterIdentifiers: []string{"analytics-db"}, ExportBucket: bucket, ExportKey: key, CopyStateMachine: copySM, ExportRole: role,
	})
	require.NoError(t, err)
	tpl := cdktest.FromStack(stack)
	// THEN no role is created for RDS, and the state machine may pass exactly the given one
	assert.Equal(t, "arn:aws:iam::111122223333:role/rds-export", *exp.ExportRole().RoleArn())
	smRole, err := tpl.ByPath("AWS::IAM::Role", "Export/StateMachine/Role")
	require.NoError(t, err)
	assert.Len(t, tpl.OfType("AWS::IAM::Role"), 2, "the state machine's and the rule's roles only")
	assert.Equal(t, []string{"iam:PassRole"}, cdktest.ActionsOn(tpl.RoleStatements(smRole), "arn:aws:iam::111122223333:role/rds-export"))
	def, err := tpl.Definition(func() string { id, _ := tpl.StateMachineByPath("Export/StateMachine"); return id }())
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::111122223333:role/rds-export", cdktest.At(t, cdktest.States(def)["Start export"]["Arguments"], "IamRoleArn"))
}
