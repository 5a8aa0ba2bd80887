package s3copy

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
	"github.com/snapshotlake/snapshotlake/internal/nag"
)

// S3Copy copies a finished RDS export into the destination bucket under
// Hive-style keys.
type S3Copy struct {
	constructs.Construct
	stateMachine          sfn.StateMachine
	multipartStateMachine sfn.StateMachine
	logGroup              awslogs.LogGroup
	multipartLogGroup     awslogs.LogGroup
	logKey                awskms.IKey
}

// StateMachine returns the copy state machine (Standard), the one RdsExport
// runs. Its input: exportTaskIdentifier, s3Prefix, snapshotTime (ISO-8601),
// sourceIdentifier.
func (c *S3Copy) StateMachine() sfn.StateMachine { return c.stateMachine }

// MultipartStateMachine returns the state machine that copies one object
// above MultipartThreshold with UploadPartCopy.
func (c *S3Copy) MultipartStateMachine() sfn.StateMachine { return c.multipartStateMachine }

// LogGroup returns the copy state machine's execution log group, which also
// receives the logs of its Distributed Map children.
func (c *S3Copy) LogGroup() awslogs.LogGroup { return c.logGroup }

// MultipartLogGroup returns the multipart state machine's execution log group.
func (c *S3Copy) MultipartLogGroup() awslogs.LogGroup { return c.multipartLogGroup }

// LogKey returns the key that encrypts both execution log groups.
func (c *S3Copy) LogKey() awskms.IKey { return c.logKey }

// New creates an S3Copy. It returns an error naming the bad value when props
// are invalid.
func New(scope constructs.Construct, id string, props *Props) (*S3Copy, error) {
	s, err := props.settings()
	if err != nil {
		return nil, err
	}
	c := &S3Copy{}
	constructs.NewConstruct_Override(c, scope, jsii.String(id))

	multipartScope := constructs.NewConstruct(c, jsii.String("Multipart"))
	mp := sfnkit.NewStateMachine(multipartScope, sfnkit.MachineOptions{
		RoleName:     s.roleName("-multipart-"),
		Definition:   multipartDefinition(multipartScope, s),
		Type:         sfn.StateMachineType_STANDARD,
		Timeout:      s.timeout,
		LogLevel:     s.LogLevel,
		LogRetention: s.LogRetention,
	})
	c.multipartStateMachine, c.multipartLogGroup, c.logKey = mp.StateMachine, mp.LogGroup, mp.LogKey

	m := sfnkit.NewStateMachine(c, sfnkit.MachineOptions{
		RoleName:     s.roleName("-"),
		Definition:   copyDefinition(c, s, c.multipartStateMachine),
		Type:         sfn.StateMachineType_STANDARD,
		Timeout:      s.timeout,
		LogLevel:     s.LogLevel,
		LogRetention: s.LogRetention,
		LogKey:       mp.LogKey,
	})
	c.stateMachine, c.logGroup = m.StateMachine, m.LogGroup
	grantKeys(c.stateMachine.Role(), s)
	grantKeys(c.multipartStateMachine.Role(), s)
	c.suppressAcceptedFindings()
	return c, nil
}

// suppressAcceptedFindings records, on each resource, the cdk-nag findings
// this construct accepts and why.
func (c *S3Copy) suppressAcceptedFindings() {
	const objects = "objects of the export bucket and of the destination bucket (under DestinationPrefix) by pattern: their keys come from each export"
	nag.Suppress(nag.Child(c.stateMachine.Role(), "DefaultPolicy"), "AwsSolutions-IAM5",
		"Resource * only for Step Functions log delivery and X-Ray actions, which have no resource type; "+objects+
			"; the multipart state machine's executions by pattern as CDK grants them for .sync",
		nag.AnyResource, nag.ObjectsOfBucket, nag.ExecutionsOfStateMachine)
	nag.Suppress(nag.Child(c.stateMachine, "DistributedMapPolicy"), "AwsSolutions-IAM5",
		"a Distributed Map starts, describes, stops and redrives executions of its own state machine, named by Step Functions",
		nag.ExecutionsOfStateMachine)
	nag.Suppress(nag.Child(c.multipartStateMachine.Role(), "DefaultPolicy"), "AwsSolutions-IAM5",
		"Resource * only for Step Functions log delivery and X-Ray actions, which have no resource type; "+objects,
		nag.AnyResource, nag.ObjectsOfBucket)
}

// roleName is "<prefix><infix><region>", or nil for a generated name.
func (s *settings) roleName(infix string) *string {
	if s.RoleNamePrefix == "" {
		return nil
	}
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(s.RoleNamePrefix + infix), awscdk.Aws_REGION()})
}

// grantKeys gives a copying role exactly the KMS rights a server-side copy
// needs: decrypt the source, encrypt (and, for multipart, decrypt) the
// destination.
func grantKeys(role awsiam.IRole, s *settings) {
	if s.SourceKey != nil {
		s.SourceKey.Grant(role, jsii.String("kms:Decrypt"))
	}
	if s.DestinationKey != nil {
		s.DestinationKey.Grant(role, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))
	}
}

// Object ARNs the copy reads and writes.
func sourceObjects(s *settings) *string {
	return s.SourceBucket.ArnForObjects(jsii.String("*"))
}

func destinationObjects(s *settings) *string {
	return s.DestinationBucket.ArnForObjects(jsii.String(s.destinationPrefix() + "*"))
}

func readSource(s *settings) *[]awsiam.PolicyStatement {
	return &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   sfnkit.Strings("s3:GetObject"),
		Resources: &[]*string{sourceObjects(s)},
	})}
}

// owned adds ExpectedBucketOwner to a request on the destination bucket
// when its account is known.
func owned(s *settings, args map[string]interface{}) *map[string]interface{} {
	if s.DestinationAccount != "" {
		args["ExpectedBucketOwner"] = s.DestinationAccount
	}
	return &args
}

// encryption holds the SSE arguments of a write into the destination.
func encryption(s *settings, args map[string]interface{}) *map[string]interface{} {
	if s.DestinationKey != nil {
		args["ServerSideEncryption"] = "aws:kms"
		// Step Functions spells members as the Java SDK v2 does: the API's
		// SSEKMSKeyId is SsekmsKeyId (as DBClusterIdentifier is DbClusterIdentifier).
		args["SsekmsKeyId"] = *s.DestinationKey.KeyArn()
	}
	return owned(s, args)
}

// s3Retry retries transient S3 errors: throttling (503 SlowDown) and server errors
// arrive as S3.S3Exception, network trouble as S3.SdkClientException.
// Anything else fails the copy of that object, and so the run.
func s3Retry(attempts, maxDelaySeconds float64) *sfn.RetryProps {
	return sfnkit.Retry(1, attempts, maxDelaySeconds, "S3.S3Exception", "S3.SdkClientException")
}

func copyDefinition(scope constructs.Construct, s *settings, multipart sfn.IStateMachine) sfn.IChainable {
	invalid := sfn.Fail_Jsonata(scope, jsii.String("Invalid input"), &sfn.FailJsonataProps{
		Error: jsii.String("InvalidInput"),
		Cause: sfnkit.ExprPtr(`'expected exportTaskIdentifier, snapshotTime and sourceIdentifier strings, got ' & $string($states.input)`),
	})
	plan := sfn.Pass_Jsonata(scope, jsii.String("Plan copy"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{"plan": sfnkit.Expr(planExpr(s))},
	})
	dataPass := distributedPass(scope, s, "Copy data files", "dataPass", sfn.StateMachineType_EXPRESS,
		copyEach(scope, s, "Copy each data file", "Copy data file", smallDataPred(s.MultipartThreshold), childTotalsExpr(s.MultipartThreshold)))
	largePass := distributedPass(scope, s, "Copy large files", "largePass", sfn.StateMachineType_STANDARD,
		multipartEach(scope, s, multipart))
	markerPass := distributedPass(scope, s, "Write markers and metadata", "markerPass", sfn.StateMachineType_EXPRESS,
		copyEach(scope, s, "Copy each marker", "Copy marker", markerOrMetadataPred, `{'copied': $count($states.result), 'tables': `+tablesExpr+`}`))

	empty := sfn.Fail_Jsonata(scope, jsii.String("Export empty"), &sfn.FailJsonataProps{
		Error: jsii.String("ExportEmpty"),
		Cause: sfnkit.ExprPtr(`'no objects under s3://' & ` + sfnkit.Quote(*s.SourceBucket.BucketName()) + ` & '/' & $plan.exportRoot`),
	})
	done := sfn.Succeed_Jsonata(scope, jsii.String("Copied"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{
  'exportTaskIdentifier': $plan.exportTaskIdentifier,
  'destinationBucket': ` + sfnkit.Quote(*s.DestinationBucket.BucketName()) + `,
  'destinationPrefix': $plan.destinationPrefix,
  'partition': $plan.partition,
  'tables': $markerPass.tables,
  'objects': $dataPass.listed,
  'dataFiles': $dataPass.copied + ($exists($largePass) ? $largePass.copied : 0),
  'largeFiles': $dataPass.large,
  'markersAndMetadata': $markerPass.copied
}`),
	})

	anyLarge := sfn.Choice_Jsonata(scope, jsii.String("Any large files?"), nil)
	anyLarge.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$dataPass.large > 0`)), largePass.Next(markerPass), nil)
	anyLarge.Otherwise(markerPass)
	markerPass.Next(done)

	anything := sfn.Choice_Jsonata(scope, jsii.String("Anything exported?"), nil)
	anything.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$dataPass.listed = 0`)), empty, nil)
	anything.Otherwise(anyLarge)

	check := sfn.Choice_Jsonata(scope, jsii.String("Check input"), nil)
	check.When(sfn.Condition_Jsonata(sfnkit.ExprPtr("$not("+validInputExpr+")")), invalid, nil)
	check.Otherwise(plan.Next(dataPass).Next(anything))
	return check
}

// distributedPass is one Distributed Map over the whole export; its
// children's totals are summed into variable.
func distributedPass(scope constructs.Construct, s *settings, name, variable string, childType sfn.StateMachineType, child sfn.IChainable) sfn.DistributedMap {
	m := sfn.DistributedMap_Jsonata(scope, jsii.String(name), &sfn.DistributedMapJsonataProps{
		ItemReader: sfn.NewS3ObjectsItemReader(&sfn.S3ObjectsItemReaderProps{
			Bucket: s.SourceBucket,
			Prefix: sfnkit.ExprPtr("$plan.exportRoot"),
		}),
		ItemBatcher: sfn.NewItemBatcher(&sfn.ItemBatcherProps{
			MaxItemsPerBatch:      jsii.Number(float64(s.ItemsPerBatch)),
			MaxInputBytesPerBatch: jsii.Number(maxBatchBytes),
			BatchInput:            &map[string]interface{}{"plan": sfnkit.Expr("$plan")},
		}),
		MapExecutionType:           childType,
		MaxConcurrency:             jsii.Number(float64(s.MaxConcurrency)),
		ToleratedFailurePercentage: jsii.Number(0),
		Assign:                     &map[string]interface{}{variable: sfnkit.Expr(passTotalsExpr)},
		Outputs:                    sfnkit.Expr("$states.input"),
	})
	m.ItemProcessor(child, nil)
	return m
}

// copyEach is an Express child: CopyObject for each selected object of its
// batch.
func copyEach(scope constructs.Construct, s *settings, mapName, taskName, pred, output string) sfn.IChainable {
	each := sfn.Map_Jsonata(scope, jsii.String(mapName), &sfn.MapJsonataProps{
		Items:               sfn.ProvideItems_Jsonata(jsii.String(sfnkit.Expr(selectItemsExpr(pred)))),
		JsonataItemSelector: sfnkit.ExprPtr(itemSelectorExpr),
		MaxConcurrency:      jsii.Number(childConcurrency),
		Outputs:             sfnkit.Expr(output),
	})
	copyObject := awsstepfunctionstasks.CallAwsService_Jsonata(scope, jsii.String(taskName), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:   jsii.String("s3"),
		Action:    jsii.String("copyObject"),
		IamAction: jsii.String("s3:PutObject"),
		Parameters: encryption(s, map[string]interface{}{
			"Bucket":     *s.DestinationBucket.BucketName(),
			"Key":        sfnkit.Expr(destinationKeyExpr("$states.input.key", "$states.input.plan")),
			"CopySource": sfnkit.Expr(copySourceExpr(*s.SourceBucket.BucketName(), "$states.input.key")),
		}),
		IamResources:            &[]*string{destinationObjects(s)},
		AdditionalIamStatements: readSource(s),
		Outputs:                 sfnkit.Expr("$states.input.key"),
	})
	copyObject.AddRetry(s3Retry(8, 30))
	each.ItemProcessor(copyObject, nil)
	return each
}

// multipartEach is a Standard child: for each object of its batch above the
// threshold, run the multipart state machine and wait for it.
func multipartEach(scope constructs.Construct, s *settings, multipart sfn.IStateMachine) sfn.IChainable {
	each := sfn.Map_Jsonata(scope, jsii.String("Copy each large file"), &sfn.MapJsonataProps{
		Items:               sfn.ProvideItems_Jsonata(jsii.String(sfnkit.Expr(selectItemsExpr(largeDataPred(s.MultipartThreshold))))),
		JsonataItemSelector: sfnkit.ExprPtr(itemSelectorExpr),
		MaxConcurrency:      jsii.Number(largeConcurrency),
		Outputs:             sfnkit.Expr(`{'copied': $count($states.result)}`),
	})
	start := awsstepfunctionstasks.StepFunctionsStartExecution_Jsonata(scope, jsii.String("Copy large file"), &awsstepfunctionstasks.StepFunctionsStartExecutionJsonataProps{
		StateMachine:       multipart,
		IntegrationPattern: sfn.IntegrationPattern_RUN_JOB,
		Input: sfn.TaskInput_FromText(jsii.String(sfnkit.Expr(`{
  'key': $states.input.key,
  'size': $states.input.size,
  'destinationKey': ` + destinationKeyExpr("$states.input.key", "$states.input.plan") + `,
  'copySource': ` + copySourceExpr(*s.SourceBucket.BucketName(), "$states.input.key") + `
}`))),
		Outputs: sfnkit.Expr("$states.input.key"),
	})
	start.AddRetry(sfnkit.Retry(5, 6, 0, sfnkit.StartExecutionErrors...))
	each.ItemProcessor(start, nil)
	return each
}

// multipartDefinition copies one large object: CreateMultipartUpload, an
// UploadPartCopy per byte range, CompleteMultipartUpload; on any failure
// AbortMultipartUpload, then fail with the original error.
func multipartDefinition(scope constructs.Construct, s *settings) sfn.IChainable {
	dest := *s.DestinationBucket.BucketName()
	objects := &[]*string{destinationObjects(s)}
	failed := sfn.Fail_Jsonata(scope, jsii.String("Multipart copy failed"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`$failure.Error`),
		Cause: sfnkit.ExprPtr(`'multipart copy of ' & $copy.key & ' to ' & $copy.destinationKey & ' failed: ' & $failure.Cause`),
	})
	abort := awsstepfunctionstasks.CallAwsService_Jsonata(scope, jsii.String("Abort upload"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:   jsii.String("s3"),
		Action:    jsii.String("abortMultipartUpload"),
		IamAction: jsii.String("s3:AbortMultipartUpload"),
		Parameters: owned(s, map[string]interface{}{
			"Bucket":   dest,
			"Key":      sfnkit.Expr("$copy.destinationKey"),
			"UploadId": sfnkit.Expr("$uploadId"),
		}),
		IamResources: objects,
	})
	abort.AddRetry(s3Retry(6, 30))
	abort.AddCatch(failed, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL")})
	abort.Next(failed)
	remember := &map[string]interface{}{"failure": sfnkit.Expr("$states.errorOutput")}

	plan := sfn.Pass_Jsonata(scope, jsii.String("Plan parts"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{
			"copy":  sfnkit.Expr("$states.input"),
			"parts": sfnkit.Expr(partsExpr),
		},
	})
	create := awsstepfunctionstasks.CallAwsService_Jsonata(scope, jsii.String("Start upload"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:   jsii.String("s3"),
		Action:    jsii.String("createMultipartUpload"),
		IamAction: jsii.String("s3:PutObject"),
		Parameters: encryption(s, map[string]interface{}{
			"Bucket": dest,
			"Key":    sfnkit.Expr("$copy.destinationKey"),
		}),
		IamResources: objects,
		Assign:       &map[string]interface{}{"uploadId": sfnkit.Expr("$states.result.UploadId")},
	})
	create.AddRetry(s3Retry(6, 30))
	create.AddCatch(failed, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL"), Assign: remember})

	copyParts := sfn.Map_Jsonata(scope, jsii.String("Copy parts"), &sfn.MapJsonataProps{
		Items:          sfn.ProvideItems_Jsonata(sfnkit.ExprPtr("$parts")),
		MaxConcurrency: jsii.Number(10),
	})
	copyPart := awsstepfunctionstasks.CallAwsService_Jsonata(scope, jsii.String("Copy part"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:   jsii.String("s3"),
		Action:    jsii.String("uploadPartCopy"),
		IamAction: jsii.String("s3:PutObject"),
		Parameters: owned(s, map[string]interface{}{
			"Bucket":          dest,
			"Key":             sfnkit.Expr("$copy.destinationKey"),
			"UploadId":        sfnkit.Expr("$uploadId"),
			"PartNumber":      sfnkit.Expr("$states.input.PartNumber"),
			"CopySource":      sfnkit.Expr("$copy.copySource"),
			"CopySourceRange": sfnkit.Expr("$states.input.CopySourceRange"),
		}),
		IamResources:            objects,
		AdditionalIamStatements: readSource(s),
		Outputs:                 sfnkit.Expr(`{'ETag': $states.result.CopyPartResult.ETag, 'PartNumber': $states.input.PartNumber}`),
	})
	copyPart.AddRetry(s3Retry(8, 60))
	copyParts.ItemProcessor(copyPart, nil)
	copyParts.AddCatch(abort, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL"), Assign: remember})

	complete := awsstepfunctionstasks.CallAwsService_Jsonata(scope, jsii.String("Complete upload"), &awsstepfunctionstasks.CallAwsServiceJsonataProps{
		Service:   jsii.String("s3"),
		Action:    jsii.String("completeMultipartUpload"),
		IamAction: jsii.String("s3:PutObject"),
		Parameters: owned(s, map[string]interface{}{
			"Bucket":          dest,
			"Key":             sfnkit.Expr("$copy.destinationKey"),
			"UploadId":        sfnkit.Expr("$uploadId"),
			"MultipartUpload": map[string]interface{}{"Parts": sfnkit.Expr("$states.input")},
		}),
		IamResources: objects,
		Outputs:      sfnkit.Expr(`{'key': $copy.destinationKey, 'parts': $count($parts)}`),
	})
	complete.AddRetry(s3Retry(6, 30))
	complete.AddCatch(abort, &sfn.CatchProps{Errors: sfnkit.Strings("States.ALL"), Assign: remember})

	done := sfn.Succeed_Jsonata(scope, jsii.String("Large file copied"), nil)
	return plan.Next(create).Next(copyParts).Next(complete).Next(done)
}
