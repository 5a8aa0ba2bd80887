package rdsexport

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
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

// New creates an RdsExport. When props are invalid it returns one error
// joining a message per bad prop, each naming the bad value.
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
		Actions:   jsii.Strings("s3:ListBucket", "s3:GetBucketLocation"),
		Resources: &[]*string{s.ExportBucket.BucketArn()},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutObject*", "s3:GetObject*", "s3:DeleteObject*"),
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
	s.ExportKey.Grant(sm.Role(), *jsii.Strings(
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
			Source:     jsii.Strings("aws.rds"),
			DetailType: jsii.Strings(detailTypes...),
			Detail:     &map[string]interface{}{"EventID": eventIDs},
		},
		Targets: &[]awsevents.IRuleTarget{sfnkit.StateMachineTarget(sm, sfnkit.TargetProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   185,
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
	isConfigured.When(sfn.Condition_Jsonata(jsii.String(sfnkit.Expr(configuredExpr(s)))), r.exportFlow(s, snapshotArns),
		&sfn.ChoiceTransitionOptions{Assign: ptrMap(deadlineAssign(s.exportSeconds))})
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

func (r *RdsExport) describeSnapshot(s *settings, name, action, idArg, kind, result, sourceField string, arn *string, failed sfn.IChainable) *sfnkit.Task {
	task := sfnkit.CallAwsService(r, name, sfnkit.SdkCall{
		Service:   "rds",
		Action:    action,
		IamAction: "rds:" + upperFirst(action),
		Arguments: map[string]interface{}{
			idArg:          sfnkit.Expr("$states.input.detail.SourceIdentifier"),
			"SnapshotType": sfnkit.Expr(snapshotTypeExpr(kind == "cluster")),
		},
		IamResources: []*string{arn},
		Assign:       snapshotAssign(kind, result, sourceField, s.ExportIDPrefix),
		Output:       sfnkit.Expr("$states.input"),
	})
	task.AddRetry(rdsTransientRetry())
	task.AddCatch(failed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL")})
	return task
}

// rdsTransientRetry retries throttling and other errors RDS reports without
// a modelled name, briefly.
func rdsTransientRetry() *sfn.RetryProps {
	return sfnkit.Retry(sfnkit.Backoff{Interval: 5 * time.Second, MaxAttempts: 6, MaxDelay: 2 * time.Minute}, rdsTransientErrors()...)
}

// rdsTransientErrors: throttling, the export quota and other errors RDS
// reports without a modelled name, and network trouble.
func rdsTransientErrors() []string {
	return []string{"Rds.RdsException", "Rds.ThrottlingException", "Rds.SdkClientException"}
}

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
	start := sfnkit.CallAwsService(r, "Start export", sfnkit.SdkCall{
		Comment:      "The export id is a function of the snapshot, so a redelivered event cannot start a second export",
		Service:      "rds",
		Action:       "startExportTask",
		IamAction:    "rds:StartExportTask",
		IamResources: snapshotArns,
		Arguments:    args,
		Output:       sfnkit.Expr("{'ExportTasks': [$states.result]}"),
	})
	// Throttling, the 5-concurrent-exports quota and permanent errors
	// (AccessDenied on iam:PassRole, InvalidParameterValue) all arrive as
	// Rds.RdsException: ExportTaskLimitReachedFault is not in the RDS model's
	// StartExportTask errors (aws-evidence 2d), and the SDK v2 cause carries
	// RDS's message, not its code. A few quick retries ride out throttling;
	// then "Count running exports" tells the quota (5 exports running) from a
	// permanent error, which fails the run within minutes.
	start.AddRetry(sfnkit.Retry(sfnkit.Backoff{Interval: 15 * time.Second, MaxAttempts: 4, MaxDelay: time.Minute}, rdsTransientErrors()...))
	alreadyStarted := sfn.Pass_Jsonata(r, jsii.String("Export already started"), &sfn.PassJsonataProps{
		Comment: jsii.String("A redelivered event: follow the export the first delivery started"),
		Assign:  ptrMap(deadlineAssign(s.exportSeconds)),
	})
	startFailed := sfn.Fail_Jsonata(r, jsii.String("Export not started"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`$startError.Error`),
		Cause: sfnkit.ExprPtr(`'StartExportTask ' & $exportTaskIdentifier & ' for ' & $snapshot.snapshotArn & ' failed: ' & $startError.Cause
  & (($exists($states.input.ExportTasks) and $count($states.input.ExportTasks) >= ` + fmt.Sprint(maxConcurrentExports) + `) ? ' (` + fmt.Sprint(maxConcurrentExports) + ` exports were still running when the export timeout passed)' : '')`),
	})
	remember := ptrMap(map[string]interface{}{"startError": sfnkit.Expr("$states.errorOutput")})
	start.AddCatch(alreadyStarted, &sfn.CatchProps{
		Errors: jsii.Strings("Rds.ExportTaskAlreadyExistsException", "Rds.ExportTaskAlreadyExistsFault"),
	})
	countRunning := sfnkit.CallAwsService(r, "Count running exports", sfnkit.SdkCall{
		Comment:      "StartExportTask failed: is it the account's concurrent-exports quota?",
		Service:      "rds",
		Action:       "describeExportTasks",
		IamAction:    "rds:DescribeExportTasks",
		IamResources: []*string{jsii.String("*")},
		Arguments: map[string]interface{}{
			// DescribeExportTasks filter "status": lowercase values (RDS API reference).
			"Filters":    []interface{}{map[string]interface{}{"Name": "status", "Values": []interface{}{"starting", "in_progress", "canceling"}}},
			"MaxRecords": 100,
		},
	})
	countRunning.AddRetry(rdsTransientRetry())
	countRunning.AddCatch(startFailed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL")})
	start.AddCatch(countRunning, &sfn.CatchProps{Errors: jsii.Strings("Rds.RdsException"), Assign: remember})
	start.AddCatch(startFailed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL"), Assign: remember})
	waitForSlot := sfn.Wait_Jsonata(r, jsii.String("Wait for an export slot"), &sfn.WaitJsonataProps{
		Time: sfn.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(float64(quotaWaitSeconds)))),
	})
	quotaReached := sfn.Choice_Jsonata(r, jsii.String("Export quota reached?"), nil)
	quotaReached.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(fmt.Sprintf(
		`$count($states.input.ExportTasks) >= %d and $toMillis($states.context.State.EnteredTime) + %d < $exportDeadline`,
		maxConcurrentExports, quotaWaitSeconds*1000))), waitForSlot.Next(start), nil)
	quotaReached.Otherwise(startFailed)
	countRunning.Next(quotaReached)

	describe := sfnkit.CallAwsService(r, "Describe export", sfnkit.SdkCall{
		Service:      "rds",
		Action:       "describeExportTasks",
		IamAction:    "rds:DescribeExportTasks",
		IamResources: []*string{jsii.String("*")},
		Arguments: map[string]interface{}{
			"ExportTaskIdentifier": sfnkit.Expr("$exportTaskIdentifier"),
		},
	})
	describe.AddRetry(rdsTransientRetry())
	describe.AddCatch(sfn.Fail_Jsonata(r, jsii.String("Export not described"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`$states.input.Error`),
		Cause: sfnkit.ExprPtr(`'DescribeExportTasks ' & $exportTaskIdentifier & ' failed: ' & $states.input.Cause`),
	}), &sfn.CatchProps{Errors: jsii.Strings("States.ALL")})

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
	status.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.ExportTasks[0].Status = 'COMPLETE'`)), r.copyFlow(s),
		&sfn.ChoiceTransitionOptions{Assign: ptrMap(map[string]interface{}{"snapshotTime": sfnkit.Expr("$states.input.ExportTasks[0].SnapshotTime")})})
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
	copyTask := sfnkit.StartExecutionSync(r, "Copy export", sfnkit.StartExecution{
		Comment:      "Runs the copy state machine and waits for it; named after the export so it runs once per export",
		StateMachine: s.CopyStateMachine,
		Name:         sfnkit.Expr("$exportTaskIdentifier"),
		Input:        sfnkit.Expr(copyInputExpr),
		Assign: map[string]interface{}{
			"copied":           sfnkit.Expr("$states.result.Output"),
			"copyExecutionArn": sfnkit.Expr("$states.result.ExecutionArn"),
			"alreadyCopied":    false,
		},
		Output: sfnkit.Expr(`$states.input`),
	})
	copyTask.AddRetry(sfnkit.Retry(sfnkit.Backoff{Interval: 5 * time.Second, MaxAttempts: 6}, sfnkit.StartExecutionErrors()...))
	copyFailed := sfn.Fail_Jsonata(r, jsii.String("Copy failed"), &sfn.FailJsonataProps{
		Error: jsii.String("CopyFailed"),
		Cause: sfnkit.ExprPtr(`'copy of export ' & $exportTaskIdentifier & ' failed: ' & $states.input.Error & ': ' & $states.input.Cause`),
	})

	// A redelivered event after the copy finished: read how that copy ended
	// and, if it succeeded, announce again, so that an announcement that
	// failed once is repaired by the next delivery.
	earlier := sfnkit.CallAwsService(r, "Describe earlier copy", sfnkit.SdkCall{
		Service:   "sfn",
		Action:    "describeExecution",
		IamAction: "states:DescribeExecution",
		Arguments: map[string]interface{}{
			"ExecutionArn": sfnkit.Expr(fmt.Sprintf(`$replace(%s, ':stateMachine:', ':execution:') & ':' & $exportTaskIdentifier`,
				sfnkit.Quote(*s.CopyStateMachine.StateMachineArn()))),
		},
		IamResources: []*string{copyExecutionsArn(r, s.CopyStateMachine)},
	})
	// aws-sdk integrations name errors after the service in the Resource: "Sfn.…"
	earlier.AddRetry(sfnkit.Retry(sfnkit.Backoff{Interval: 5 * time.Second, MaxAttempts: 4}, "Sfn.SfnException", "Sfn.SdkClientException"))
	earlier.AddCatch(copyFailed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL")})
	alreadyCopied := sfn.Succeed_Jsonata(r, jsii.String("Already copied"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{'status': 'ALREADY_COPIED', 'exportTaskIdentifier': $exportTaskIdentifier,
  'sourceIdentifier': $snapshot.sourceIdentifier, 'snapshotArn': $snapshot.snapshotArn,
  'copyExecutionArn': $copyExecutionArn, 'announced': true}`),
	})
	earlierFailed := sfn.Fail_Jsonata(r, jsii.String("Earlier copy did not succeed"), &sfn.FailJsonataProps{
		Error: jsii.String("CopyFailed"),
		Cause: sfnkit.ExprPtr(`'the copy of export ' & $exportTaskIdentifier & ' already ran and ended ' & $states.input.Status & ': redrive ' & $states.input.ExecutionArn`),
	})

	announce := sfnkit.CallAwsService(r, "Announce export", sfnkit.SdkCall{
		Comment:      "Tells downstream loads that the snapshot's tables are in place: one entry per event bus",
		Service:      "eventbridge",
		Action:       "putEvents",
		IamAction:    "events:PutEvents",
		IamResources: *r.announceBusArns(s),
		Arguments: map[string]interface{}{
			"Entries": r.announceEntries(s),
		},
		Output: sfnkit.Expr(`{'announced': $states.result.FailedEntryCount = 0, 'putEvents': $states.result}`),
	})
	announce.AddRetry(sfnkit.Retry(sfnkit.Backoff{Interval: 2 * time.Second, MaxAttempts: 6}, "EventBridge.EventBridgeException", "EventBridge.InternalException", "EventBridge.SdkClientException"))
	announceFailed := sfn.Fail_Jsonata(r, jsii.String("Announcement failed"), &sfn.FailJsonataProps{
		Error: jsii.String("AnnouncementFailed"),
		Cause: sfnkit.ExprPtr(`'export ' & $exportTaskIdentifier & ' is copied, but the event announcing it was not accepted (a redelivery of the snapshot event announces again): ' & $string($states.input)`),
	})
	announce.AddCatch(announceFailed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL")})

	earlierOK := sfn.Choice_Jsonata(r, jsii.String("Earlier copy succeeded?"), nil)
	earlierOK.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.Status = 'SUCCEEDED'`)), announce, &sfn.ChoiceTransitionOptions{
		Assign: ptrMap(map[string]interface{}{
			"copied":           sfnkit.Expr("$parse($states.input.Output)"),
			"copyExecutionArn": sfnkit.Expr("$states.input.ExecutionArn"),
			"alreadyCopied":    true,
		}),
	})
	earlierOK.Otherwise(earlierFailed)

	copyTask.AddCatch(earlier.Next(earlierOK), &sfn.CatchProps{
		Errors: jsii.Strings("StepFunctions.ExecutionAlreadyExistsException"),
	})
	copyTask.AddCatch(copyFailed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL")})

	announced := sfn.Choice_Jsonata(r, jsii.String("Announced?"), nil)
	done := sfn.Succeed_Jsonata(r, jsii.String("Exported and copied"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{'status': 'COPIED', 'exportTaskIdentifier': $exportTaskIdentifier,
  'sourceIdentifier': $snapshot.sourceIdentifier, 'snapshotArn': $snapshot.snapshotArn,
  'copyExecutionArn': $copyExecutionArn, 'copy': $copied, 'announced': true}`),
	})
	announced.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.announced and $alreadyCopied`)), alreadyCopied, nil)
	announced.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$states.input.announced`)), done, nil)
	announced.Otherwise(announceFailed)
	announce.Next(announced)
	return copyTask.Next(announce)
}

// The event put when an export is copied.
const (
	EventSource     = "snapshotlake"
	EventDetailType = "RDS Snapshot Export Copied"
	// EventSchemaVersion is the version of the event's detail (README,
	// "The copied-export event").
	EventSchemaVersion = 2
)

// announcementExpr is the detail of the copied-export event: where the
// export now lies and where its table manifest is. Its size does not grow
// with the export (PutEvents refuses an entry over 256 KB).
const announcementExpr = `{
  'schemaVersion': 2,
  'exportTaskIdentifier': $exportTaskIdentifier,
  'sourceIdentifier': $snapshot.sourceIdentifier,
  'sourceType': $snapshot.sourceType,
  'snapshotArn': $snapshot.snapshotArn,
  'snapshotTime': $snapshotTime,
  'destinationBucket': $copied.destinationBucket,
  'destinationPrefix': $copied.destinationPrefix,
  'partition': $copied.partition,
  'metadataPrefix': $copied.metadataPrefix,
  'manifestPrefix': $copied.manifestPrefix,
  'tableCount': $copied.tableCount,
  'largeFileCount': $copied.largeFileCount
}`

// announceEntries are the PutEvents entries: the source account's default
// bus, and the destination's bus when one is configured.
func (r *RdsExport) announceEntries(s *settings) []interface{} {
	entry := func(bus string) map[string]interface{} {
		e := map[string]interface{}{
			"Source":     EventSource,
			"DetailType": EventDetailType,
			"Detail":     sfnkit.Expr("$string(" + announcementExpr + ")"),
		}
		if bus != "" {
			e["EventBusName"] = bus
		}
		return e
	}
	entries := []interface{}{entry("")}
	if s.DestinationEventBus != nil {
		entries = append(entries, entry(*s.DestinationEventBus.EventBusArn()))
	}
	return entries
}

func (r *RdsExport) announceBusArns(s *settings) *[]*string {
	arns := []*string{defaultBusArn(r)}
	if s.DestinationEventBus != nil {
		arns = append(arns, s.DestinationEventBus.EventBusArn())
	}
	return &arns
}

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
