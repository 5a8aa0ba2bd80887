package rdsexport

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
	"github.com/snapshotlake/snapshotlake/internal/nag"
)

// Event IDs of snapshot-created events (RDS event categories "backup" and
// "creation").
const (
	EventManualClusterSnapshot    = "RDS-EVENT-0075"
	EventAutomatedClusterSnapshot = "RDS-EVENT-0169"
	EventManualDBSnapshot         = "RDS-EVENT-0042"
	EventAutomatedDBSnapshot      = "RDS-EVENT-0091"

	clusterDetailType  = "RDS DB Cluster Snapshot Event"
	instanceDetailType = "RDS DB Snapshot Event"
)

// RdsExport exports every snapshot of the configured RDS/Aurora sources to S3
// and runs the copy state machine on the finished export.
type RdsExport struct {
	constructs.Construct
	stateMachine sfn.StateMachine
	rule         awsevents.Rule
	exportRole   awsiam.IRole
	// exportRoleCreated is false when Props.ExportRole was given.
	exportRoleCreated bool
	deadLetterQueue   awssqs.Queue
	logGroup          awslogs.LogGroup
	logKey            awskms.IKey
}

// StateMachine returns the export state machine.
func (r *RdsExport) StateMachine() sfn.StateMachine { return r.stateMachine }

// Rule returns the EventBridge rule that starts the state machine.
func (r *RdsExport) Rule() awsevents.Rule { return r.rule }

// ExportRole returns the role RDS assumes to write the export.
func (r *RdsExport) ExportRole() awsiam.IRole { return r.exportRole }

// DeadLetterQueue returns the queue receiving events the rule could not deliver.
func (r *RdsExport) DeadLetterQueue() awssqs.Queue { return r.deadLetterQueue }

// LogGroup returns the state machine's execution log group.
func (r *RdsExport) LogGroup() awslogs.LogGroup { return r.logGroup }

// LogKey returns the key that encrypts the execution log group.
func (r *RdsExport) LogKey() awskms.IKey { return r.logKey }

// New creates an RdsExport. It returns an error naming the bad value when
// props are invalid.
func New(scope constructs.Construct, id string, props *Props) (*RdsExport, error) {
	s, err := props.settings()
	if err != nil {
		return nil, err
	}
	r := &RdsExport{}
	constructs.NewConstruct_Override(r, scope, jsii.String(id))
	r.exportRole = s.ExportRole
	if r.exportRole == nil {
		r.exportRole, r.exportRoleCreated = newExportRole(r, s), true
	}
	machine := sfnkit.NewStateMachine(r, sfnkit.MachineOptions{
		Definition:   r.definition(s),
		Type:         sfn.StateMachineType_STANDARD,
		Timeout:      s.timeout,
		LogLevel:     s.LogLevel,
		LogRetention: s.LogRetention,
	})
	r.stateMachine, r.logGroup, r.logKey = machine.StateMachine, machine.LogGroup, machine.LogKey
	grantStartExport(r.stateMachine, r.exportRole, s)
	r.rule, r.deadLetterQueue = newRule(r, r.stateMachine, s)
	r.suppressAcceptedFindings()
	return r, nil
}

// suppressAcceptedFindings records, on each resource, the cdk-nag findings
// this construct accepts and why.
func (r *RdsExport) suppressAcceptedFindings() {
	nag.Suppress(nag.Child(r.stateMachine.Role(), "DefaultPolicy"), "AwsSolutions-IAM5",
		"Resource * only for actions without a resource type (Step Functions log delivery, X-Ray, rds:DescribeExportTasks); "+
			"snapshots of this account and region by pattern because every automated snapshot has a new name; "+
			"the copy state machine's executions by pattern as CDK grants them for .sync (execution names are export ids)",
		nag.AnyResource, nag.SnapshotsOfAccount, nag.ExecutionsOfStateMachine)
	if r.exportRoleCreated {
		nag.Suppress(nag.Child(r.exportRole, "DefaultPolicy"), "AwsSolutions-IAM5",
			"the export role has the S3 actions the RDS user guide lists for snapshot export (s3:PutObject*, s3:GetObject*, s3:DeleteObject*) "+
				"on the export bucket's objects (under S3Prefix when set), whose keys RDS chooses per export, and the key's encrypt/decrypt grant",
			"Action::s3:PutObject*", "Action::s3:GetObject*", "Action::s3:DeleteObject*",
			"Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*", nag.ObjectsOfBucket)
	}
	nag.Suppress(r.deadLetterQueue, "AwsSolutions-SQS3", "this queue is the dead-letter queue of the snapshot rule's target")
}

// newExportRole creates the role RDS assumes to write the export: S3 rights
// AWS documents for export, on the export bucket (and prefix) only.
func newExportRole(scope constructs.Construct, s *settings) awsiam.Role {
	role := awsiam.NewRole(scope, jsii.String("ExportRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("export.rds.amazonaws.com"), nil),
		Description: jsii.String("Assumed by RDS to write snapshot exports"),
	})
	objects := "*"
	if s.S3Prefix != "" {
		objects = s.S3Prefix + "/*"
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   sfnkit.Strings("s3:ListBucket", "s3:GetBucketLocation"),
		Resources: &[]*string{s.ExportBucket.BucketArn()},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   sfnkit.Strings("s3:PutObject*", "s3:GetObject*", "s3:DeleteObject*"),
		Resources: &[]*string{s.ExportBucket.ArnForObjects(jsii.String(objects))},
	}))
	s.ExportKey.GrantEncryptDecrypt(role)
	return role
}

// grantStartExport gives the state machine what StartExportTask needs beyond
// the task's own action: passing the export role, and the KMS operations the
// API reference lists for the caller.
func grantStartExport(sm sfn.StateMachine, exportRole awsiam.IRole, s *settings) {
	exportRole.GrantPassRole(sm.Role())
	s.ExportKey.Grant(sm.Role(), *sfnkit.Strings(
		"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
		"kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant")...)
}

func newRule(scope constructs.Construct, sm sfn.StateMachine, s *settings) (awsevents.Rule, awssqs.Queue) {
	var detailTypes, eventIDs []string
	if len(s.clusterIDs) > 0 {
		detailTypes = append(detailTypes, clusterDetailType)
		eventIDs = append(eventIDs, EventManualClusterSnapshot, EventAutomatedClusterSnapshot)
	}
	if len(s.instanceIDs) > 0 {
		detailTypes = append(detailTypes, instanceDetailType)
		eventIDs = append(eventIDs, EventManualDBSnapshot, EventAutomatedDBSnapshot)
	}
	dlq := awssqs.NewQueue(scope, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	rule := awsevents.NewRule(scope, jsii.String("SnapshotCreated"), &awsevents.RuleProps{
		Description: jsii.String("Starts an export for every snapshot created of the configured RDS sources"),
		EventPattern: &awsevents.EventPattern{
			Source:     sfnkit.Strings("aws.rds"),
			DetailType: sfnkit.Strings(detailTypes...),
			Detail:     &map[string]interface{}{"EventID": eventIDs},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, &awseventstargets.SfnStateMachineProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(185),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
		})},
	})
	return rule, dlq
}

// snapshotArn is the ARN pattern of the account's snapshots of one kind
// ("cluster-snapshot" or "snapshot").
func snapshotArn(scope constructs.Construct, resource string) *string {
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("rds"),
		Resource:     jsii.String(resource),
		ResourceName: jsii.String("*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

func (r *RdsExport) definition(s *settings) sfn.IChainable {
	var snapshotArns []*string
	if len(s.clusterIDs) > 0 {
		snapshotArns = append(snapshotArns, snapshotArn(r, "cluster-snapshot"))
	}
	if len(s.instanceIDs) > 0 {
		snapshotArns = append(snapshotArns, snapshotArn(r, "snapshot"))
	}

	invalidEvent := sfn.Fail_Jsonata(r, jsii.String("Invalid event"), &sfn.FailJsonataProps{
		Error: jsii.String("InvalidEvent"),
		Cause: sfnkit.ExprPtr(`'expected an RDS snapshot event with detail.SourceArn and detail.SourceIdentifier, got ' & $string($states.input)`),
	})
	skipped := sfn.Succeed_Jsonata(r, jsii.String("Skipped"), &sfn.SucceedJsonataProps{
		Comment: jsii.String("The snapshot is not of a configured source"),
		Outputs: sfnkit.Expr(`{'status': 'SKIPPED', 'reason': $exists($snapshot) ? 'snapshot of ' & $snapshot.sourceIdentifier & ', which is not a configured source' : 'source type ' & $states.input.detail.SourceType & ' is not configured', 'snapshotArn': $states.input.detail.SourceArn}`),
	})
	describeFailed := sfn.Fail_Jsonata(r, jsii.String("Snapshot not described"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`$states.input.Error`),
		Cause: sfnkit.ExprPtr(`$states.input.Cause`),
	})

	isConfigured := sfn.Choice_Jsonata(r, jsii.String("Is a configured source?"), nil)
	isConfigured.When(sfn.Condition_Jsonata(jsii.String(sfnkit.Expr(configuredExpr(s)))), r.exportFlow(s, snapshotArns), nil)
	isConfigured.Otherwise(skipped)

	route := sfn.Choice_Jsonata(r, jsii.String("Read event"), &sfn.ChoiceJsonataProps{
		Comment: jsii.String("Routes a snapshot-created event by the kind of snapshot"),
	})
	route.When(sfn.Condition_Jsonata(sfnkit.ExprPtr("$not("+validEventExpr+")")), invalidEvent, nil)
	if len(s.clusterIDs) > 0 {
		describe := r.describeSnapshot(s, "Describe cluster snapshot", "describeDBClusterSnapshots",
			"DbClusterSnapshotIdentifier", "cluster", "$states.result.DbClusterSnapshots[0]", "DbClusterIdentifier",
			snapshotArn(r, "cluster-snapshot"), describeFailed)
		route.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.detail.SourceType = 'CLUSTER_SNAPSHOT'`)), describe.Next(isConfigured), nil)
	}
	if len(s.instanceIDs) > 0 {
		describe := r.describeSnapshot(s, "Describe DB snapshot", "describeDBSnapshots",
			"DbSnapshotIdentifier", "instance", "$states.result.DbSnapshots[0]", "DbInstanceIdentifier",
			snapshotArn(r, "snapshot"), describeFailed)
		route.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.detail.SourceType = 'SNAPSHOT'`)), describe.Next(isConfigured), nil)
	}
	route.Otherwise(skipped)
	return route
}

// configuredExpr holds when the described snapshot belongs to a configured
// source. RDS keeps identifiers lowercase; compare without case.
func configuredExpr(s *settings) string {
	var ids []string
	switch s.snapshotKindCount() {
	case 2:
		return fmt.Sprintf(`$lowercase($snapshot.sourceIdentifier) in $map($snapshot.sourceType = 'cluster' ? %s : %s, $lowercase)`,
			sfnkit.QuoteList(s.clusterIDs), sfnkit.QuoteList(s.instanceIDs))
	default:
		ids = append(append(ids, s.clusterIDs...), s.instanceIDs...)
		return fmt.Sprintf(`$lowercase($snapshot.sourceIdentifier) in $map(%s, $lowercase)`, sfnkit.QuoteList(ids))
	}
}

func (s *settings) snapshotKindCount() int {
	n := 0
	if len(s.clusterIDs) > 0 {
		n++
	}
	if len(s.instanceIDs) > 0 {
		n++
	}
	return n
}

func (r *RdsExport) describeSnapshot(s *settings, name, action, idArg, kind, result, sourceField string, arn *string, failed sfn.IChainable) awsstepfunctionstasks.CallAwsService {
	task := awsstepfunctionstasks.CallAwsService_Jsonata(r, jsii.String(name), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:   jsii.String("rds"),
		Action:    jsii.String(action),
		IamAction: jsii.String("rds:" + upperFirst(action)),
		Parameters: &map[string]interface{}{
			idArg:          sfnkit.Expr("$states.input.detail.SourceIdentifier"),
			"SnapshotType": sfnkit.Expr(snapshotTypeExpr),
		},
		IamResources: &[]*string{arn},
		Assign:       ptrMap(snapshotAssign(kind, result, sourceField, s.ExportIDPrefix)),
		Outputs:      sfnkit.Expr("$states.input"),
	})
	task.AddRetry(rdsTransientRetry())
	task.AddCatch(failed, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL")})
	return task
}

// rdsTransientRetry retries throttling and other errors RDS reports without
// a modelled name, briefly.
func rdsTransientRetry() *sfn.RetryProps {
	return sfnkit.Retry(5, 6, 120, rdsTransientErrors...)
}

// rdsTransientErrors: throttling, the export quota and other errors RDS
// reports without a modelled name, and network trouble.
var rdsTransientErrors = []string{"Rds.RdsException", "Rds.ThrottlingException", "Rds.SdkClientException"}

func (r *RdsExport) exportFlow(s *settings, snapshotArns []*string) sfn.IChainable {
	args := map[string]interface{}{
		"ExportTaskIdentifier": sfnkit.Expr("$exportTaskIdentifier"),
		"SourceArn":            sfnkit.Expr("$snapshot.snapshotArn"),
		"S3BucketName":         *s.ExportBucket.BucketName(),
		"IamRoleArn":           *r.exportRole.RoleArn(),
		"KmsKeyId":             *s.ExportKey.KeyArn(),
	}
	if s.S3Prefix != "" {
		args["S3Prefix"] = s.S3Prefix
	}
	if len(s.ExportOnly) > 0 {
		args["ExportOnly"] = s.ExportOnly
	}
	start := awsstepfunctionstasks.CallAwsService_Jsonata(r, jsii.String("Start export"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Comment:      jsii.String("The export id is a function of the snapshot, so a redelivered event cannot start a second export"),
		Service:      jsii.String("rds"),
		Action:       jsii.String("startExportTask"),
		IamAction:    jsii.String("rds:StartExportTask"),
		IamResources: &snapshotArns,
		Parameters:   &args,
		Assign:       ptrMap(deadlineAssign(s.exportSeconds)),
		Outputs:      sfnkit.Expr("{'ExportTasks': [$states.result]}"),
	})
	// The 5-concurrent-exports quota and throttling arrive without a modelled
	// error name: retry for about a day before giving up.
	start.AddRetry(sfnkit.Retry(30, 100, 900, rdsTransientErrors...))
	alreadyStarted := sfn.Pass_Jsonata(r, jsii.String("Export already started"), &sfn.PassJsonataProps{
		Comment: jsii.String("A redelivered event: follow the export the first delivery started"),
		Assign:  ptrMap(deadlineAssign(s.exportSeconds)),
	})
	startFailed := sfn.Fail_Jsonata(r, jsii.String("Export not started"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`$states.input.Error`),
		Cause: sfnkit.ExprPtr(`'StartExportTask ' & $exportTaskIdentifier & ' for ' & $snapshot.snapshotArn & ' failed: ' & $states.input.Cause`),
	})
	start.AddCatch(alreadyStarted, &sfn.CatchProps{
		Errors: sfnkit.Strings("Rds.ExportTaskAlreadyExistsException", "Rds.ExportTaskAlreadyExistsFault"),
	})
	start.AddCatch(startFailed, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL")})

	describe := awsstepfunctionstasks.CallAwsService_Jsonata(r, jsii.String("Describe export"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:      jsii.String("rds"),
		Action:       jsii.String("describeExportTasks"),
		IamAction:    jsii.String("rds:DescribeExportTasks"),
		IamResources: sfnkit.Strings("*"),
		Parameters: &map[string]interface{}{
			"ExportTaskIdentifier": sfnkit.Expr("$exportTaskIdentifier"),
		},
	})
	describe.AddRetry(rdsTransientRetry())
	describe.AddCatch(sfn.Fail_Jsonata(r, jsii.String("Export not described"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`$states.input.Error`),
		Cause: sfnkit.ExprPtr(`'DescribeExportTasks ' & $exportTaskIdentifier & ' failed: ' & $states.input.Cause`),
	}), &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL")})

	wait := sfn.Wait_Jsonata(r, jsii.String("Wait for export"), &sfn.WaitJsonataProps{
		Time: sfn.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(float64(s.pollSeconds)))),
	})
	exportFailed := sfn.Fail_Jsonata(r, jsii.String("Export failed"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`'Export' & $states.input.ExportTasks[0].Status`),
		Cause: sfnkit.ExprPtr(`'export ' & $exportTaskIdentifier & ' of ' & $snapshot.snapshotArn & ' ended ' & $states.input.ExportTasks[0].Status & ': ' & ($exists($states.input.ExportTasks[0].FailureCause) ? $states.input.ExportTasks[0].FailureCause : 'no failure cause given')`),
	})
	exportMissing := sfn.Fail_Jsonata(r, jsii.String("Export not found"), &sfn.FailJsonataProps{
		Error: jsii.String("ExportTaskNotFound"),
		Cause: sfnkit.ExprPtr(`'DescribeExportTasks returned no export task ' & $exportTaskIdentifier`),
	})
	timedOut := sfn.Fail_Jsonata(r, jsii.String("Export timed out"), &sfn.FailJsonataProps{
		Error: jsii.String("ExportTimedOut"),
		Cause: sfnkit.ExprPtr(fmt.Sprintf(`'export ' & $exportTaskIdentifier & ' did not finish within %d seconds; last status ' & $states.input.ExportTasks[0].Status`, s.exportSeconds)),
	})

	status := sfn.Choice_Jsonata(r, jsii.String("Export finished?"), nil)
	status.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$count($states.input.ExportTasks) = 0`)), exportMissing, nil)
	status.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.ExportTasks[0].Status = 'COMPLETE'`)), r.copyFlow(s), nil)
	status.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.ExportTasks[0].Status in ['FAILED', 'CANCELED']`)), exportFailed, nil)
	status.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$toMillis($states.context.State.EnteredTime) > $exportDeadline`)), timedOut, nil)
	status.Otherwise(wait.Next(describe))

	alreadyStarted.Next(describe)
	return start.Next(describe).Next(status)
}

// copyInputExpr is the copy state machine's input. It holds only facts of
// the snapshot and its export, so a redelivered event starts the copy with
// the same name and the same input, which Step Functions treats as the same
// execution.
const copyInputExpr = `{
  'exportTaskIdentifier': $exportTaskIdentifier,
  's3Prefix': $exists($states.input.ExportTasks[0].S3Prefix) ? $states.input.ExportTasks[0].S3Prefix : '',
  'snapshotTime': $states.input.ExportTasks[0].SnapshotTime,
  'sourceType': $snapshot.sourceType,
  'sourceIdentifier': $snapshot.sourceIdentifier,
  'snapshotId': $snapshot.snapshotId,
  'snapshotArn': $snapshot.snapshotArn,
  'engine': $snapshot.engine,
  'engineVersion': $snapshot.engineVersion
}`

func (r *RdsExport) copyFlow(s *settings) sfn.IChainable {
	copyTask := awsstepfunctionstasks.StepFunctionsStartExecution_Jsonata(r, jsii.String("Copy export"), &awsstepfunctionstasks.StepFunctionsStartExecutionJsonataProps{
		Comment:            jsii.String("Runs the copy state machine and waits for it; named after the export so it runs once per export"),
		StateMachine:       s.CopyStateMachine,
		IntegrationPattern: sfn.IntegrationPattern_RUN_JOB,
		Name:               jsii.String(sfnkit.Expr("$exportTaskIdentifier")),
		Input:              sfn.TaskInput_FromText(jsii.String(sfnkit.Expr(copyInputExpr))),
		Outputs: sfnkit.Expr(`{'status': 'COPIED', 'exportTaskIdentifier': $exportTaskIdentifier,
  'sourceIdentifier': $snapshot.sourceIdentifier, 'snapshotArn': $snapshot.snapshotArn,
  'snapshotTime': $states.input.ExportTasks[0].SnapshotTime,
  'copyExecutionArn': $states.result.ExecutionArn, 'copy': $states.result.Output}`),
	})
	copyTask.AddRetry(sfnkit.Retry(5, 6, 0, sfnkit.StartExecutionErrors...))
	copyFailed := sfn.Fail_Jsonata(r, jsii.String("Copy failed"), &sfn.FailJsonataProps{
		Error: jsii.String("CopyFailed"),
		Cause: sfnkit.ExprPtr(`'copy of export ' & $exportTaskIdentifier & ' failed: ' & $states.input.Error & ': ' & $states.input.Cause`),
	})

	// A redelivered event after the copy finished: report how that copy ended.
	earlier := awsstepfunctionstasks.CallAwsService_Jsonata(r, jsii.String("Describe earlier copy"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:   jsii.String("sfn"),
		Action:    jsii.String("describeExecution"),
		IamAction: jsii.String("states:DescribeExecution"),
		Parameters: &map[string]interface{}{
			"ExecutionArn": sfnkit.Expr(fmt.Sprintf(`$replace(%s, ':stateMachine:', ':execution:') & ':' & $exportTaskIdentifier`,
				sfnkit.Quote(*s.CopyStateMachine.StateMachineArn()))),
		},
		IamResources: &[]*string{copyExecutionsArn(r, s.CopyStateMachine)},
	})
	// aws-sdk integrations name errors after the service in the Resource: "Sfn.…"
	earlier.AddRetry(sfnkit.Retry(5, 4, 0, "Sfn.SfnException", "Sfn.SdkClientException"))
	earlier.AddCatch(copyFailed, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL")})
	alreadyCopied := sfn.Succeed_Jsonata(r, jsii.String("Already copied"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{'status': 'ALREADY_COPIED', 'exportTaskIdentifier': $exportTaskIdentifier,
  'sourceIdentifier': $snapshot.sourceIdentifier, 'snapshotArn': $snapshot.snapshotArn,
  'copyExecutionArn': $states.input.ExecutionArn}`),
	})
	earlierFailed := sfn.Fail_Jsonata(r, jsii.String("Earlier copy did not succeed"), &sfn.FailJsonataProps{
		Error: jsii.String("CopyFailed"),
		Cause: sfnkit.ExprPtr(`'the copy of export ' & $exportTaskIdentifier & ' already ran and ended ' & $states.input.Status & ': redrive ' & $states.input.ExecutionArn`),
	})
	earlierOK := sfn.Choice_Jsonata(r, jsii.String("Earlier copy succeeded?"), nil)
	earlierOK.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.Status = 'SUCCEEDED'`)), alreadyCopied, nil)
	earlierOK.Otherwise(earlierFailed)

	copyTask.AddCatch(earlier.Next(earlierOK), &sfn.CatchProps{
		Errors: sfnkit.Strings("StepFunctions.ExecutionAlreadyExistsException"),
	})
	copyTask.AddCatch(copyFailed, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL")})

	announce := awsstepfunctionstasks.CallAwsService_Jsonata(r, jsii.String("Announce export"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Comment:      jsii.String("Tells downstream loads on the default event bus that the snapshot's tables are in place"),
		Service:      jsii.String("eventbridge"),
		Action:       jsii.String("putEvents"),
		IamAction:    jsii.String("events:PutEvents"),
		IamResources: &[]*string{defaultBusArn(r)},
		Parameters: &map[string]interface{}{
			"Entries": []interface{}{map[string]interface{}{
				"Source":     EventSource,
				"DetailType": EventDetailType,
				"Detail":     sfnkit.Expr("$string(" + announcementExpr + ")"),
			}},
		},
		Outputs: sfnkit.Expr(`$merge([$states.input, {'announced': $states.result.FailedEntryCount = 0}])`),
	})
	announce.AddRetry(sfnkit.Retry(2, 6, 0, "EventBridge.EventBridgeException", "EventBridge.InternalException", "EventBridge.SdkClientException"))
	announceFailed := sfn.Fail_Jsonata(r, jsii.String("Announcement failed"), &sfn.FailJsonataProps{
		Error: jsii.String("AnnouncementFailed"),
		Cause: sfnkit.ExprPtr(`'export ' & $exportTaskIdentifier & ' is copied, but the event announcing it was not accepted: ' & $string($states.input)`),
	})
	announce.AddCatch(announceFailed, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL")})
	announced := sfn.Choice_Jsonata(r, jsii.String("Announced?"), nil)
	done := sfn.Succeed_Jsonata(r, jsii.String("Exported and copied"), nil)
	announced.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.announced`)), done, nil)
	announced.Otherwise(announceFailed)
	return copyTask.Next(announce).Next(announced)
}

// The event put on the default bus when an export is copied.
const (
	EventSource     = "snapshotlake"
	EventDetailType = "RDS Snapshot Export Copied"
)

// announcementExpr is the detail of the copied-export event: where each
// table of the snapshot now lies.
const announcementExpr = `{
  'sourceIdentifier': $snapshot.sourceIdentifier,
  'sourceType': $snapshot.sourceType,
  'snapshotArn': $snapshot.snapshotArn,
  'snapshotTime': $states.input.snapshotTime,
  'exportTaskIdentifier': $exportTaskIdentifier,
  'destinationBucket': $states.input.copy.destinationBucket,
  'partition': $states.input.copy.partition,
  'tables': $append([], $map($states.input.copy.tables, function($t) {{
    'table': $t,
    'prefix': $states.input.copy.destinationPrefix & $t & '/' & $states.input.copy.partition & '/'
  }}))
}`

func defaultBusArn(scope constructs.Construct) *string {
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("events"), Resource: jsii.String("event-bus"), ResourceName: jsii.String("default"),
	})
}

// copyExecutionsArn is the ARN pattern of the copy state machine's executions.
func copyExecutionsArn(scope constructs.Construct, sm sfn.IStateMachine) *string {
	name := awscdk.Arn_Split(sm.StateMachineArn(), awscdk.ArnFormat_COLON_RESOURCE_NAME).ResourceName
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("states"),
		Resource:     jsii.String("execution"),
		ResourceName: jsii.String(*name + ":*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func ptrMap(m map[string]interface{}) *map[string]interface{} { return &m }
