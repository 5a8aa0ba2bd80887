package s3copy

import (
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
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
	tableStateMachine     sfn.StateMachine
	multipartStateMachine sfn.StateMachine
	logGroup              awslogs.LogGroup
	tableLogGroup         awslogs.LogGroup
	multipartLogGroup     awslogs.LogGroup
	logKey                awskms.IKey
	maxConcurrency        int
}

// StateMachine returns the copy state machine (Standard), the one RdsExport
// runs. Its input: exportTaskIdentifier, s3Prefix, snapshotTime (ISO-8601),
// sourceIdentifier.
func (c *S3Copy) StateMachine() sfn.StateMachine { return c.stateMachine }

// TableStateMachine returns the state machine that copies one table folder
// (Standard), which the copy state machine runs for each table of the
// export. Its input: plan (the copy's plan) and table (the folder's key
// prefix in the export bucket).
func (c *S3Copy) TableStateMachine() sfn.StateMachine { return c.tableStateMachine }

// TableLogGroup returns the table copy state machine's execution log group,
// which also receives the logs of its Distributed Map children.
func (c *S3Copy) TableLogGroup() awslogs.LogGroup { return c.tableLogGroup }

// MultipartStateMachine returns the state machine that copies one object
// above MultipartThresholdBytes with UploadPartCopy.
func (c *S3Copy) MultipartStateMachine() sfn.StateMachine { return c.multipartStateMachine }

// LogGroup returns the copy state machine's execution log group, which also
// receives the logs of its Distributed Map children.
func (c *S3Copy) LogGroup() awslogs.LogGroup { return c.logGroup }

// MultipartLogGroup returns the multipart state machine's execution log group.
func (c *S3Copy) MultipartLogGroup() awslogs.LogGroup { return c.multipartLogGroup }

// MaxConcurrency returns how many child executions each Distributed Map runs at once.
func (c *S3Copy) MaxConcurrency() int { return c.maxConcurrency }

// CopiesPerChild returns how many objects each Express child copies at once.
func (c *S3Copy) CopiesPerChild() int { return childConcurrency }

// LogKey returns the key that encrypts the three execution log groups.
func (c *S3Copy) LogKey() awskms.IKey { return c.logKey }

// New creates an S3Copy. When props are invalid it returns one error
// joining a message per bad prop, each naming the bad value.
func New(scope constructs.Construct, id string, props *Props) (*S3Copy, error) {
	s, err := props.settings()
	if err != nil {
		return nil, err
	}
	c := &S3Copy{maxConcurrency: s.MaxConcurrency}
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

	tableScope := constructs.NewConstruct(c, jsii.String("Table"))
	tm := sfnkit.NewStateMachine(tableScope, sfnkit.MachineOptions{
		RoleName:     s.roleName("-table-"),
		Definition:   tableDefinition(tableScope, s, c.multipartStateMachine),
		Type:         sfn.StateMachineType_STANDARD,
		Timeout:      s.timeout,
		LogLevel:     s.LogLevel,
		LogRetention: s.LogRetention,
		LogKey:       mp.LogKey,
	})
	c.tableStateMachine, c.tableLogGroup = tm.StateMachine, tm.LogGroup

	m := sfnkit.NewStateMachine(c, sfnkit.MachineOptions{
		RoleName:     s.roleName("-"),
		Definition:   copyDefinition(c, s, c.tableStateMachine),
		Type:         sfn.StateMachineType_STANDARD,
		Timeout:      s.timeout,
		LogLevel:     s.LogLevel,
		LogRetention: s.LogRetention,
		LogKey:       mp.LogKey,
	})
	c.stateMachine, c.logGroup = m.StateMachine, m.LogGroup
	// The copy lists the export's folders with ListObjectsV2 Tasks (no
	// ItemReader of its own grants it).
	c.stateMachine.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{s.SourceBucket.BucketArn()},
	}))
	grantKeys(c.stateMachine.Role(), s)
	grantKeys(c.tableStateMachine.Role(), s)
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
			"; the table copy state machine's executions by pattern as CDK grants them for .sync",
		nag.AnyResource, nag.ObjectsOfBucket, nag.ExecutionsOfStateMachine)
	nag.Suppress(nag.Child(c.tableStateMachine.Role(), "DefaultPolicy"), "AwsSolutions-IAM5",
		"Resource * only for Step Functions log delivery and X-Ray actions, which have no resource type; "+objects+
			"; the multipart state machine's executions by pattern as CDK grants them for .sync",
		nag.AnyResource, nag.ObjectsOfBucket, nag.ExecutionsOfStateMachine)
	for _, m := range []sfn.StateMachine{c.stateMachine, c.tableStateMachine} {
		nag.Suppress(nag.Child(m, "DistributedMapPolicy"), "AwsSolutions-IAM5",
			"a Distributed Map starts, describes, stops and redrives executions of its own state machine, named by Step Functions",
			nag.ExecutionsOfStateMachine)
	}
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

func readSource(s *settings) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{sourceObjects(s)},
	})}
}

// owned adds ExpectedBucketOwner to a request on the destination bucket
// when its account is known.
func owned(s *settings, args map[string]interface{}) map[string]interface{} {
	if s.DestinationAccount != "" {
		args["ExpectedBucketOwner"] = s.DestinationAccount
	}
	return args
}

// encryption holds the SSE arguments of a write into the destination.
func encryption(s *settings, args map[string]interface{}) map[string]interface{} {
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
func s3Retry(attempts int, maxDelay time.Duration) *sfn.RetryProps {
	return sfnkit.Retry(sfnkit.Backoff{Interval: time.Second, MaxAttempts: attempts, MaxDelay: maxDelay}, "S3.S3Exception", "S3.SdkClientException")
}

// copyDefinition is the copy state machine: it lists the export's database
// and table folders (ListObjectsV2 with a Delimiter) and runs the table copy
// state machine for each table folder, so that every table is listed by
// its own ItemReader at the same time as the others; then it writes the
// table manifest page by page and, last, the export's own files.
func copyDefinition(scope constructs.Construct, s *settings, table sfn.IStateMachine) sfn.IChainable {
	invalid := sfn.Fail_Jsonata(scope, jsii.String("Invalid input"), &sfn.FailJsonataProps{
		Error: jsii.String("InvalidInput"),
		Cause: sfnkit.ExprPtr(`'expected exportTaskIdentifier, snapshotTime and sourceIdentifier strings, got ' & $string($states.input)`),
	})
	plan := sfn.Pass_Jsonata(scope, jsii.String("Plan copy"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{"plan": sfnkit.Expr(planExpr), "exportFiles": 0},
	})
	listDatabases := listObjectsState(scope, "List databases", listDatabasesExpr, map[string]interface{}{
		"databases":      sfnkit.Expr(`$append($exists($databases) ? $databases : [], $append([], $states.result.CommonPrefixes.Prefix))`),
		"exportFiles":    sfnkit.Expr(`$exportFiles + $count($append([], $states.result.Contents))`),
		"databasesToken": sfnkit.Expr(`$exists($states.result.NextContinuationToken) ? $states.result.NextContinuationToken : null`),
	})
	moreDatabases := sfn.Choice_Jsonata(scope, jsii.String("More databases?"), nil)
	empty := sfn.Fail_Jsonata(scope, jsii.String("Export empty"), &sfn.FailJsonataProps{
		Error: jsii.String("ExportEmpty"),
		Cause: sfnkit.ExprPtr(`'no objects under s3://' & $plan.sourceBucket & '/' & $plan.exportRoot`),
	})
	anything := sfn.Choice_Jsonata(scope, jsii.String("Anything exported?"), nil)
	tables := copyTables(scope, s, table)
	done := sfn.Succeed_Jsonata(scope, jsii.String("Copied"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{
  'exportTaskIdentifier': $plan.exportTaskIdentifier,
  'destinationBucket': $plan.destinationBucket,
  'destinationPrefix': $plan.destinationPrefix,
  'partition': $plan.partition,
  'metadataPrefix': $plan.metadataPrefix,
  'manifestPrefix': $plan.manifestPrefix,
  'tableCount': $copied.tables,
  'manifestObjects': $copied.pages,
  'batches': $copied.batches,
  'largeFileCount': $copied.largeFiles,
  'markersAndMetadata': $copied.markers + $copied.files + $filesCopied
}`),
	})

	check := sfn.Choice_Jsonata(scope, jsii.String("Check input"), &sfn.ChoiceJsonataProps{
		Comment: jsii.String("Also assigns the construct's settings, so that every expression is a constant"),
		Assign:  &map[string]interface{}{"settings": s.planSettings()},
	})
	check.When(sfn.Condition_Jsonata(sfnkit.ExprPtr("$not("+validInputExpr+")")), invalid, nil)
	check.Otherwise(plan.Next(listDatabases).Next(moreDatabases))
	moreDatabases.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$type($databasesToken) = 'string'`)), listDatabases, nil)
	moreDatabases.Otherwise(anything)
	anything.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$count($databases) = 0 and $exportFiles = 0`)), empty, nil)
	anything.Otherwise(tables)
	tables.Next(copyExportFiles(scope, s, done))
	return check
}

// copyTables is a Distributed Map over the export's database folders. Each
// Standard child lists its database's table folders a page (up to 1,000) at
// a time; for each page it runs the table copy state machine for every
// table folder on it, at once (a Distributed Map in the child's workflow),
// then writes the page as a manifest object under $plan.manifestPrefix.
// Files directly in a database folder (RDS writes none) are copied as
// metadata. Totals are assigned to $copied.
func copyTables(scope constructs.Construct, s *settings, table sfn.IStateMachine) sfn.DistributedMap {
	start := sfn.Pass_Jsonata(scope, jsii.String("Start table listing"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{
			"job": sfnkit.Expr("$states.input"), "pages": 0, "tables": 0,
			"batches": 0, "largeFiles": 0, "markers": 0, "files": 0,
		},
	})
	listTables := listObjectsState(scope, "List tables", listTablesExpr, map[string]interface{}{
		"found":       sfnkit.Expr(`$append([], $states.result.CommonPrefixes.Prefix)`),
		"loose":       sfnkit.Expr(`$append([], $states.result.Contents)`),
		"tablesToken": sfnkit.Expr(`$exists($states.result.NextContinuationToken) ? $states.result.NextContinuationToken : null`),
	})
	anyTables := sfn.Choice_Jsonata(scope, jsii.String("Any tables on page?"), nil)

	copyTable := sfnkit.StartExecutionSync(scope, "Copy table", sfnkit.StartExecution{
		StateMachine: table,
		Input:        sfnkit.Expr(`{'plan': $states.input.plan, 'table': $states.input.table}`),
		Output:       sfnkit.Expr(`$states.result.Output`),
	})
	copyTable.AddRetry(sfnkit.Retry(sfnkit.Backoff{Interval: 5 * time.Second, MaxAttempts: 6}, sfnkit.StartExecutionErrors()...))
	// A Distributed Map inside a Distributed Map's Standard child: an
	// execution of that shape, recorded on AWS on 2024-12-13, succeeded with
	// the inner Map's results (localstack/localstack,
	// tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
	// test_map_state_nested_config_distributed). The table's own Maps run in
	// its own execution (.sync), so no Map is nested deeper than that.
	copyPage := sfn.DistributedMap_Jsonata(scope, jsii.String("Copy tables on page"), &sfn.DistributedMapJsonataProps{
		Items:               sfn.ProvideItems_Jsonata(jsii.String(sfnkit.Expr(`$found`))),
		JsonataItemSelector: sfnkit.ExprPtr(`{'plan': $job.plan, 'table': $states.context.Map.Item.Value}`),
		// Standard: a child waits for its table's execution (.sync), which
		// an Express workflow cannot.
		MapExecutionType:           sfn.StateMachineType_STANDARD,
		MaxConcurrency:             jsii.Number(tablesAtOnce),
		ToleratedFailurePercentage: jsii.Number(0),
		// Each child returns three numbers: a few dozen bytes per table.
		Assign: &map[string]interface{}{
			"batches":    sfnkit.Expr(`$batches + $sum($append([], $states.result.batches))`),
			"largeFiles": sfnkit.Expr(`$largeFiles + $sum($append([], $states.result.largeFiles))`),
			"markers":    sfnkit.Expr(`$markers + $sum($append([], $states.result.markers))`),
		},
		Outputs: sfnkit.Expr("$states.input"),
	})
	copyPage.ItemProcessor(copyTable, nil)

	writePage := sfnkit.CallAwsService(scope, "Write manifest page", sfnkit.SdkCall{
		Service:   "s3",
		Action:    "putObject",
		IamAction: "s3:PutObject",
		Arguments: encryption(s, map[string]interface{}{
			"Bucket":      *s.DestinationBucket.BucketName(),
			"Key":         sfnkit.Expr(manifestKeyExpr),
			"Body":        sfnkit.Expr(manifestPageExpr),
			"ContentType": "application/json",
		}),
		IamResources: []*string{destinationObjects(s)},
		Assign:       map[string]interface{}{"pages": sfnkit.Expr("$pages + 1"), "tables": sfnkit.Expr("$tables + $count($found)")},
	})
	writePage.AddRetry(s3Retry(8, 30*time.Second))

	anyLoose := sfn.Choice_Jsonata(scope, jsii.String("Any database files on page?"), nil)
	copyLoose := filesPass(scope, s, "Copy database files", "$loose", "$job.plan", "database file", "files")
	moreTables := sfn.Choice_Jsonata(scope, jsii.String("More tables?"), nil)
	listed := sfn.Succeed_Jsonata(scope, jsii.String("Tables listed"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{'tables': $tables, 'pages': $pages, 'batches': $batches, 'largeFiles': $largeFiles, 'markers': $markers, 'files': $files}`),
	})
	start.Next(listTables).Next(anyTables)
	anyTables.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$count($found) > 0`)), copyPage.Next(writePage).Next(anyLoose), nil)
	anyTables.Otherwise(anyLoose)
	anyLoose.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$count($loose) > 0`)), copyLoose.Next(moreTables), nil)
	anyLoose.Otherwise(moreTables)
	moreTables.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$type($tablesToken) = 'string'`)), listTables, nil)
	moreTables.Otherwise(listed)

	each := sfn.DistributedMap_Jsonata(scope, jsii.String("Copy tables"), &sfn.DistributedMapJsonataProps{
		Items:                      sfn.ProvideItems_Jsonata(jsii.String(sfnkit.Expr(`$databases`))),
		JsonataItemSelector:        sfnkit.ExprPtr(`{'database': $states.context.Map.Item.Value, 'index': $states.context.Map.Item.Index, 'plan': $plan}`),
		MapExecutionType:           sfn.StateMachineType_STANDARD,
		MaxConcurrency:             jsii.Number(databasesAtOnce),
		ToleratedFailurePercentage: jsii.Number(0),
		// Each child returns six numbers: a few dozen bytes per database folder.
		Assign: &map[string]interface{}{"copied": sfnkit.Expr(`{
  'tables': $sum($append([], $states.result.tables)),
  'pages': $sum($append([], $states.result.pages)),
  'batches': $sum($append([], $states.result.batches)),
  'largeFiles': $sum($append([], $states.result.largeFiles)),
  'markers': $sum($append([], $states.result.markers)),
  'files': $sum($append([], $states.result.files))
}`)},
		Outputs: sfnkit.Expr("$states.input"),
	})
	each.ItemProcessor(start, nil)
	return each
}

// copyExportFiles copies the files at the export root (export_info_*.json,
// export_tables_info_*.json) after every table: it lists the root again,
// with a Delimiter, a page at a time, and goes on to next. The count is
// assigned to $filesCopied.
func copyExportFiles(scope constructs.Construct, s *settings, next sfn.IChainable) sfn.IChainable {
	start := sfn.Pass_Jsonata(scope, jsii.String("Start export files"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{"filesCopied": 0, "filesToken": sfnkit.Expr("null")},
	})
	list := listObjectsState(scope, "List export files", listExportFilesExpr, map[string]interface{}{
		"page":       sfnkit.Expr(`$append([], $states.result.Contents)`),
		"filesToken": sfnkit.Expr(`$exists($states.result.NextContinuationToken) ? $states.result.NextContinuationToken : null`),
	})
	anyFiles := sfn.Choice_Jsonata(scope, jsii.String("Any export files on page?"), nil)
	copyFiles := filesPass(scope, s, "Copy export files", "$page", "$plan", "export file", "filesCopied")
	more := sfn.Choice_Jsonata(scope, jsii.String("More export files?"), nil)
	start.Next(list).Next(anyFiles)
	anyFiles.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$count($page) > 0`)), copyFiles.Next(more), nil)
	anyFiles.Otherwise(more)
	more.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$type($filesToken) = 'string'`)), list, nil)
	more.Otherwise(next)
	return start
}

// filesPass is a Distributed Map over a page of ListObjectsV2 Contents (at
// most 1,000 objects) whose Express children copy them as metadata; the
// count is added to variable. noun names its states.
func filesPass(scope constructs.Construct, s *settings, name, items, plan, noun, variable string) sfn.DistributedMap {
	return listedPass(scope, s, listed{
		name: name, noun: noun, items: items, plan: plan, kinds: []string{"metadata"},
		assign: map[string]interface{}{variable: sfnkit.Expr("$" + variable + ` + $sum($append([], $states.result))`)},
	})
}

// listed describes a Distributed Map over objects already listed (Items,
// not an ItemReader) whose Express children copy the given kinds.
type listed struct {
	name, noun string // the Map's name; its child states are "Classify <noun> batch", "Copy each <noun>", "Copy <noun>"
	items      string // JSONata: the objects, or what selector turns into {Key, Size}
	selector   string // JSONata ItemSelector; "" for none
	plan       string // JSONata: the plan the children receive
	kinds      []string
	assign     map[string]interface{}
}

func listedPass(scope constructs.Construct, s *settings, l listed) sfn.DistributedMap {
	var selector *string
	if l.selector != "" {
		selector = sfnkit.ExprPtr(l.selector)
	}
	m := sfn.DistributedMap_Jsonata(scope, jsii.String(l.name), &sfn.DistributedMapJsonataProps{
		Items:               sfn.ProvideItems_Jsonata(jsii.String(sfnkit.Expr(l.items))),
		JsonataItemSelector: selector,
		ItemBatcher: sfn.NewItemBatcher(&sfn.ItemBatcherProps{
			MaxItemsPerBatch:      jsii.Number(float64(s.ItemsPerBatch)),
			MaxInputBytesPerBatch: jsii.Number(maxBatchBytes),
			BatchInput:            &map[string]interface{}{"plan": sfnkit.Expr(l.plan), "kinds": l.kinds},
		}),
		MapExecutionType:           sfn.StateMachineType_EXPRESS,
		MaxConcurrency:             jsii.Number(float64(s.MaxConcurrency)),
		ToleratedFailurePercentage: jsii.Number(0),
		Assign:                     &l.assign,
		Outputs:                    sfnkit.Expr("$states.input"),
	})
	m.ItemProcessor(copyEach(scope, s, "Classify "+l.noun+" batch", "Copy each "+l.noun, "Copy "+l.noun, `$append([], $states.input)`,
		`$count($states.result)`), nil)
	return m
}

// tableDefinition is the table copy state machine: the copy of one table
// folder ($states.input.table, a source key prefix), in three Distributed
// Maps: data files (an ItemReader over the folder), then large files
// (multipart; the folder listed again, only when there are any), then the
// _SUCCESS markers the data pass met, only after all of the table's data
// is in place.
func tableDefinition(scope constructs.Construct, s *settings, multipart sfn.IStateMachine) sfn.IChainable {
	start := sfn.Pass_Jsonata(scope, jsii.String("Start table copy"), &sfn.PassJsonataProps{
		Comment: jsii.String("Also assigns the construct's settings, so that every expression is a constant"),
		Assign: &map[string]interface{}{
			"settings": s.planSettings(),
			"plan":     sfnkit.Expr("$states.input.plan"),
			"table":    sfnkit.Expr("$states.input.table"),
		},
	})
	// Each child returns one small number, and the keys of the markers its
	// batch held (data_child_output.jsonata), so a Map's gathered result
	// grows by a few bytes per batch (README "Limits").
	itemsPerBatch := jsii.Number(float64(s.ItemsPerBatch))
	dataPass := distributedPass(scope, s, "Copy data files", []string{"data", "large", "marker"}, itemsPerBatch, sfn.StateMachineType_EXPRESS,
		copyEach(scope, s, "Classify data batch", "Copy each data file", "Copy data file", `$append([], $states.input[kind = 'data'])`,
			dataChildOutputExpr),
		dataPassTotalsExpr, "dataPass")
	// Batches sized from the data pass (large_batch.jsonata): a JSONata
	// MaxItemsPerBatch, which CDK's ItemBatcher types as a number, so it goes
	// in as a number token that renders as the "{% … %}" string.
	largePass := distributedPass(scope, s, "Copy large files", []string{"large"}, awscdk.Token_AsNumber(sfnkit.Expr(largeBatchExpr)), sfn.StateMachineType_STANDARD,
		multipartEach(scope, s, multipart),
		`{'copied': $sum($append([], $states.result))}`, "largePass")
	// The markers the data pass met, so the table is listed once.
	markerPass := listedPass(scope, s, listed{
		name: "Write markers", noun: "marker", items: `$dataPass.markers`,
		selector: `{'Key': $table & $states.context.Map.Item.Value, 'Size': 0}`,
		plan:     "$plan", kinds: []string{"marker"},
		assign: map[string]interface{}{"markerPass": sfnkit.Expr(`{'copied': $sum($append([], $states.result))}`)},
	})
	done := sfn.Succeed_Jsonata(scope, jsii.String("Table copied"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{'batches': $dataPass.batches, 'largeFiles': $dataPass.largeFiles, 'markers': $markerPass.copied}`),
	})
	anyLarge := sfn.Choice_Jsonata(scope, jsii.String("Any large files?"), nil)
	anyLarge.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$dataPass.largeFiles > 0`)), largePass.Next(markerPass), nil)
	anyLarge.Otherwise(markerPass)
	markerPass.Next(done)
	return start.Next(dataPass).Next(anyLarge)
}

// planSettings are the props the plan is built from. An empty
// destinationPrefix is left out: asl-validator's schema refuses an empty
// string in Assign.
func (s *settings) planSettings() map[string]interface{} {
	m := map[string]interface{}{
		"sourceBucket":            *s.SourceBucket.BucketName(),
		"destinationBucket":       *s.DestinationBucket.BucketName(),
		"metadataFolder":          strings.Trim(s.MetadataPrefix, "/"),
		"partitionKey":            s.PartitionKey,
		"partitionValuePicture":   s.PartitionValuePicture,
		"multipartThresholdBytes": s.MultipartThresholdBytes,
		"itemsPerBatch":           s.ItemsPerBatch,
		"largeFilesPerBatch":      largeFilesPerBatch,
	}
	if p := s.destinationPrefix(); p != "" {
		m["destinationPrefix"] = p
	}
	return m
}

// distributedPass is one Distributed Map over the table folder ($table), in
// batches of at most maxItems objects, whose children classify the kinds
// of objects given; totals, an expression over its children's results, are
// assigned to variable.
func distributedPass(scope constructs.Construct, s *settings, name string, kinds []string, maxItems *float64, childType sfn.StateMachineType, child sfn.IChainable, totals, variable string) sfn.DistributedMap {
	m := sfn.DistributedMap_Jsonata(scope, jsii.String(name), &sfn.DistributedMapJsonataProps{
		ItemReader: sfn.NewS3ObjectsItemReader(&sfn.S3ObjectsItemReaderProps{
			Bucket: s.SourceBucket,
			Prefix: sfnkit.ExprPtr("$table"),
		}),
		ItemBatcher: sfn.NewItemBatcher(&sfn.ItemBatcherProps{
			MaxItemsPerBatch:      maxItems,
			MaxInputBytesPerBatch: jsii.Number(maxBatchBytes),
			BatchInput:            &map[string]interface{}{"plan": sfnkit.Expr("$plan"), "kinds": kinds},
		}),
		MapExecutionType:           childType,
		MaxConcurrency:             jsii.Number(float64(s.MaxConcurrency)),
		ToleratedFailurePercentage: jsii.Number(0),
		Assign:                     &map[string]interface{}{variable: sfnkit.Expr(totals)},
		Outputs:                    sfnkit.Expr("$states.input"),
	})
	m.ItemProcessor(child, nil)
	return m
}

// classifyBatch is a child's first state: it turns the batch into records
// (classify.jsonata) and keeps the plan in the child's scope.
func classifyBatch(scope constructs.Construct, name string) sfn.Pass {
	return sfn.Pass_Jsonata(scope, jsii.String(name), &sfn.PassJsonataProps{
		Assign:  &map[string]interface{}{"plan": sfnkit.Expr("$states.input.BatchInput.plan")},
		Outputs: sfnkit.Expr(classifyExpr),
	})
}

// copyEach is an Express child: CopyObject for each record that items
// selects; output is what the child reports (one number).
func copyEach(scope constructs.Construct, s *settings, classifyName, mapName, taskName, items, output string) sfn.IChainable {
	each := sfn.Map_Jsonata(scope, jsii.String(mapName), &sfn.MapJsonataProps{
		Items:          sfn.ProvideItems_Jsonata(jsii.String(sfnkit.Expr(items))),
		MaxConcurrency: jsii.Number(childConcurrency),
		Outputs:        sfnkit.Expr(output),
	})
	copyObject := sfnkit.CallAwsService(scope, taskName, sfnkit.SdkCall{
		Service:   "s3",
		Action:    "copyObject",
		IamAction: "s3:PutObject",
		Arguments: encryption(s, map[string]interface{}{
			"Bucket":     *s.DestinationBucket.BucketName(),
			"Key":        sfnkit.Expr("$states.input.destinationKey"),
			"CopySource": sfnkit.Expr(copySourceExpr),
		}),
		IamResources:    []*string{destinationObjects(s)},
		ExtraStatements: readSource(s),
		// One byte per copied object in the inline Map's result, whatever the key.
		Output: sfnkit.Expr("1"),
	})
	// 12 retries (1 s doubling to a 30 s cap, full jitter) ride out SlowDown
	// on a hot prefix; 8 did not (examples/throttled-hot-prefix.json), and
	// all 12 waits stay within an Express child's 5 minutes.
	copyObject.AddRetry(s3Retry(12, 30*time.Second))
	each.ItemProcessor(copyObject, nil)
	return classifyBatch(scope, classifyName).Next(each)
}

// multipartEach is a Standard child: for each large record of its batch,
// run the multipart state machine and wait for it.
func multipartEach(scope constructs.Construct, s *settings, multipart sfn.IStateMachine) sfn.IChainable {
	each := sfn.Map_Jsonata(scope, jsii.String("Copy each large file"), &sfn.MapJsonataProps{
		Items:          sfn.ProvideItems_Jsonata(jsii.String(sfnkit.Expr(`$append([], $states.input[kind = 'large'])`))),
		MaxConcurrency: jsii.Number(largeConcurrency),
		Outputs:        sfnkit.Expr(`$count($states.result)`),
	})
	start := sfnkit.StartExecutionSync(scope, "Copy large file", sfnkit.StartExecution{
		StateMachine: multipart,
		Input: sfnkit.Expr(`{
  'key': $states.input.key,
  'size': $states.input.size,
  'destinationKey': $states.input.destinationKey,
  'copySource': ` + copySourceExpr + `
}`),
		Output: sfnkit.Expr("1"),
	})
	start.AddRetry(sfnkit.Retry(sfnkit.Backoff{Interval: 5 * time.Second, MaxAttempts: 6}, sfnkit.StartExecutionErrors()...))
	each.ItemProcessor(start, nil)
	return classifyBatch(scope, "Classify large batch").Next(each)
}

// listObjectsState is an aws-sdk:s3:listObjectsV2 Task whose Arguments are
// one JSONata expression, so that ContinuationToken is sent only when there
// is one (sfnkit.CallAwsService takes Arguments field by field only).
func listObjectsState(scope constructs.Construct, name, arguments string, assign map[string]interface{}) sfn.CustomState {
	st := sfn.NewCustomState(scope, jsii.String(name), &sfn.CustomStateProps{
		StateJson: &map[string]interface{}{
			"Type": "Task",
			"Resource": awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":states:::aws-sdk:s3:listObjectsV2"),
			}),
			"Arguments": sfnkit.Expr(arguments),
			"Assign":    assign,
		},
	})
	st.AddRetry(s3Retry(8, 30*time.Second))
	return st
}

// multipartDefinition copies one large object: CreateMultipartUpload, an
// UploadPartCopy per byte range, CompleteMultipartUpload; on any failure
// AbortMultipartUpload, then fail with the original error.
func multipartDefinition(scope constructs.Construct, s *settings) sfn.IChainable {
	dest := *s.DestinationBucket.BucketName()
	objects := []*string{destinationObjects(s)}
	failed := sfn.Fail_Jsonata(scope, jsii.String("Multipart copy failed"), &sfn.FailJsonataProps{
		Error: sfnkit.ExprPtr(`$failure.Error`),
		Cause: sfnkit.ExprPtr(`'multipart copy of ' & $copy.key & ' to ' & $copy.destinationKey & ' failed: ' & $failure.Cause`),
	})
	abort := sfnkit.CallAwsService(scope, "Abort upload", sfnkit.SdkCall{
		Service:   "s3",
		Action:    "abortMultipartUpload",
		IamAction: "s3:AbortMultipartUpload",
		Arguments: owned(s, map[string]interface{}{
			"Bucket":   dest,
			"Key":      sfnkit.Expr("$copy.destinationKey"),
			"UploadId": sfnkit.Expr("$uploadId"),
		}),
		IamResources: objects,
	})
	abort.AddRetry(s3Retry(6, 30*time.Second))
	abort.AddCatch(failed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL")})
	abort.Next(failed)
	remember := &map[string]interface{}{"failure": sfnkit.Expr("$states.errorOutput")}

	plan := sfn.Pass_Jsonata(scope, jsii.String("Plan parts"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{
			"copy":        sfnkit.Expr("$states.input"),
			"partsAtOnce": partsAtOnce,
		},
	})
	create := sfnkit.CallAwsService(scope, "Start upload", sfnkit.SdkCall{
		Service:   "s3",
		Action:    "createMultipartUpload",
		IamAction: "s3:PutObject",
		Arguments: encryption(s, map[string]interface{}{
			"Bucket": dest,
			"Key":    sfnkit.Expr("$copy.destinationKey"),
		}),
		IamResources: objects,
		Assign:       map[string]interface{}{"uploadId": sfnkit.Expr("$states.result.UploadId")},
	})
	create.AddRetry(s3Retry(6, 30*time.Second))
	create.AddCatch(failed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL"), Assign: remember})

	copyParts := sfn.Map_Jsonata(scope, jsii.String("Copy parts"), &sfn.MapJsonataProps{
		Items:          sfn.ProvideItems_Jsonata(sfnkit.ExprPtr(partsExpr)),
		MaxConcurrency: jsii.Number(partsAtOnce),
	})
	copyPart := sfnkit.CallAwsService(scope, "Copy part", sfnkit.SdkCall{
		Service:   "s3",
		Action:    "uploadPartCopy",
		IamAction: "s3:PutObject",
		Arguments: owned(s, map[string]interface{}{
			"Bucket":          dest,
			"Key":             sfnkit.Expr("$copy.destinationKey"),
			"UploadId":        sfnkit.Expr("$uploadId"),
			"PartNumber":      sfnkit.Expr("$states.input.PartNumber"),
			"CopySource":      sfnkit.Expr("$copy.copySource"),
			"CopySourceRange": sfnkit.Expr("$states.input.CopySourceRange"),
		}),
		IamResources:    objects,
		ExtraStatements: readSource(s),
		Output:          sfnkit.Expr(`{'ETag': $states.result.CopyPartResult.ETag, 'PartNumber': $states.input.PartNumber}`),
	})
	copyPart.AddRetry(s3Retry(12, time.Minute))
	copyParts.ItemProcessor(copyPart, nil)
	copyParts.AddCatch(abort, &sfn.CatchProps{Errors: jsii.Strings("States.ALL"), Assign: remember})

	complete := sfnkit.CallAwsService(scope, "Complete upload", sfnkit.SdkCall{
		Service:   "s3",
		Action:    "completeMultipartUpload",
		IamAction: "s3:PutObject",
		Arguments: owned(s, map[string]interface{}{
			"Bucket":          dest,
			"Key":             sfnkit.Expr("$copy.destinationKey"),
			"UploadId":        sfnkit.Expr("$uploadId"),
			"MultipartUpload": map[string]interface{}{"Parts": sfnkit.Expr("$states.input")},
		}),
		IamResources: objects,
		Output:       sfnkit.Expr(`{'key': $copy.destinationKey, 'parts': $count($states.input)}`),
	})
	complete.AddRetry(s3Retry(6, 30*time.Second))
	complete.AddCatch(abort, &sfn.CatchProps{Errors: jsii.Strings("States.ALL"), Assign: remember})

	done := sfn.Succeed_Jsonata(scope, jsii.String("Large file copied"), nil)
	return plan.Next(create).Next(copyParts).Next(complete).Next(done)
}
