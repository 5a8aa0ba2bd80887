package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
	"github.com/snapshotlake/snapshotlake/internal/nag"
)

// Event the catalog consumes: the copied-export event, schema version 2.
const (
	EventSource     = "snapshotlake"
	EventDetailType = "RDS Snapshot Export Copied"
)

// DefaultDatabaseName names the Glue database.
const DefaultDatabaseName = "snapshotlake"

// Props configures a Catalog.
type Props struct {
	// Bucket is the analytics bucket the copies land in. Required.
	Bucket awss3.IBucket
	// Key encrypts Bucket; the state machine decrypts the export metadata
	// through S3 with it. Default: none (an unencrypted or SSE-S3 bucket).
	Key awskms.IKey
	// EventBus receives the copied-export events. Required.
	EventBus awsevents.IEventBus
	// DatabaseName of the Glue database: 1-255 lowercase letters, digits
	// and underscores. Default: DefaultDatabaseName.
	DatabaseName string
	// MaxConcurrency is how many children catalog tables at once (each
	// makes 2-3 Glue calls per table, 5 tables at a time). Default: 10.
	MaxConcurrency int
	// Timeout of one run. Default: 6 hours.
	Timeout awscdk.Duration
	// LogLevel of the execution log. Default: ERROR.
	LogLevel sfn.LogLevel
	// LogRetention of the execution log. Default: one year.
	LogRetention awslogs.RetentionDays
}

// Catalog is the Glue database and the state machine that catalogs every
// copied export in it.
type Catalog struct {
	constructs.Construct
	database     awsglue.CfnDatabase
	databaseName string
	stateMachine sfn.StateMachine
	logGroup     awslogs.LogGroup
	rule         awsevents.Rule
	// childStatements are the Distributed Map children's task policies.
	childStatements []awsiam.PolicyStatement
}

// Database returns the Glue database.
func (c *Catalog) Database() awsglue.CfnDatabase { return c.database }

// DatabaseName returns the Glue database's name.
func (c *Catalog) DatabaseName() string { return c.databaseName }

// StateMachine returns the catalog state machine (Standard). Its input: a
// copied-export event (EventSource, EventDetailType) as EventBridge
// delivers it.
func (c *Catalog) StateMachine() sfn.StateMachine { return c.stateMachine }

// LogGroup returns the state machine's execution log group.
func (c *Catalog) LogGroup() awslogs.LogGroup { return c.logGroup }

// Rule returns the EventBridge rule that starts the state machine.
func (c *Catalog) Rule() awsevents.Rule { return c.rule }

var databaseNameRE = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)

// Numbers of the table pass.
const (
	// tablesPerChild: each Express child catalogs this many tables (its
	// batch is also capped at batchBytes).
	tablesPerChild = 25
	// tableConcurrency: tables a child catalogs at once.
	tableConcurrency = 5
	// batchBytes caps a child's input below Step Functions' 256 KiB.
	batchBytes = 200 * 1024
)

// New creates a Catalog. When props are invalid it returns one error
// joining a message per bad prop, each naming the bad value.
func New(scope constructs.Construct, id string, props *Props) (*Catalog, error) {
	p := Props{}
	if props != nil {
		p = *props
	}
	var errs []error
	if p.Bucket == nil {
		errs = append(errs, fmt.Errorf("catalog: Bucket is required"))
	}
	if p.EventBus == nil {
		errs = append(errs, fmt.Errorf("catalog: EventBus is required"))
	}
	if p.DatabaseName == "" {
		p.DatabaseName = DefaultDatabaseName
	}
	if !sfnkit.Unresolved(p.DatabaseName) && !databaseNameRE.MatchString(p.DatabaseName) {
		errs = append(errs, fmt.Errorf("catalog: DatabaseName must be 1-255 lowercase letters, digits and underscores (Athena's rule), got %q", p.DatabaseName))
	}
	if p.MaxConcurrency == 0 {
		p.MaxConcurrency = 10
	}
	if p.MaxConcurrency < 1 || p.MaxConcurrency > 10000 {
		errs = append(errs, fmt.Errorf("catalog: MaxConcurrency must be between 1 and 10000, got %d", p.MaxConcurrency))
	}
	if p.Timeout == nil {
		p.Timeout = awscdk.Duration_Hours(jsii.Number(6))
	}
	if _, err := sfnkit.Seconds("catalog: Timeout", p.Timeout); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	c := &Catalog{databaseName: p.DatabaseName}
	constructs.NewConstruct_Override(c, scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	c.database = awsglue.NewCfnDatabase(c, jsii.String("Database"), &awsglue.CfnDatabaseProps{
		CatalogId: stack.Account(),
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{
			Name:        jsii.String(p.DatabaseName),
			Description: jsii.String("RDS snapshot exports copied by snapshotlake, one table per source table, one partition per export"),
		},
	})

	m := sfnkit.NewStateMachine(c, sfnkit.MachineOptions{
		Definition:   definition(c, &p),
		Type:         sfn.StateMachineType_STANDARD,
		Timeout:      p.Timeout,
		LogLevel:     p.LogLevel,
		LogRetention: p.LogRetention,
	})
	c.stateMachine, c.logGroup = m.StateMachine, m.LogGroup
	c.grant(&p)

	c.rule = awsevents.NewRule(c, jsii.String("Rule"), &awsevents.RuleProps{
		Description: jsii.String("A source account copied an RDS snapshot export into the analytics bucket"),
		EventBus:    p.EventBus,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(EventSource),
			DetailType: jsii.Strings(EventDetailType),
			Detail: &map[string]interface{}{
				"schemaVersion":     []interface{}{2},
				"destinationBucket": []interface{}{p.Bucket.BucketName()},
			},
		},
		Targets: &[]awsevents.IRuleTarget{sfnkit.StateMachineTarget(c.stateMachine, sfnkit.TargetProps{
			RetryAttempts: 185,
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(24)),
		})},
	})
	return c, nil
}

// glueArns are the Data Catalog resources the state machine writes: the
// catalog, the database and its tables (Glue authorizes table calls on all
// three).
func (c *Catalog) glueArns() *[]*string {
	stack := awscdk.Stack_Of(c)
	// Partition-aware: the partition stays a token even where the stack's
	// region is known (FormatArn would write "aws" literally).
	arn := func(resource string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":glue:"), stack.Region(), jsii.String(":"), stack.Account(), jsii.String(":" + resource),
		})
	}
	return &[]*string{arn("catalog"), arn("database/" + c.databaseName), arn("table/" + c.databaseName + "/*")}
}

// grant gives the state machine what it reads: the export_tables_info
// files (listed under their prefix, read, decrypted through S3), and, as a
// Distributed Map, its own child executions.
func (c *Catalog) grant(p *Props) {
	role := c.stateMachine.Role()
	for _, st := range c.childStatements {
		role.AddToPrincipalPolicy(st)
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("s3:ListBucket"),
		Resources:  &[]*string{p.Bucket.BucketArn()},
		Conditions: &map[string]interface{}{"StringLike": map[string]interface{}{"s3:prefix": "*export_tables_info_"}},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: &[]*string{p.Bucket.ArnForObjects(jsii.String("*export_tables_info_*.json"))},
	}))
	if p.Key != nil {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{p.Key.KeyArn()},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
				"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3."), awscdk.Stack_Of(c).Region(), jsii.String(".amazonaws.com")}),
			}},
		}))
	}
	// A Distributed Map starts its children as executions of this state
	// machine: a separate policy, so the state machine does not depend on it.
	stack := awscdk.Stack_Of(c)
	executions := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":states:"), stack.Region(), jsii.String(":"), stack.Account(),
		jsii.String(":execution:"), c.stateMachine.StateMachineName(), jsii.String("/*"),
	})
	policy := awsiam.NewPolicy(c, jsii.String("DistributedMapPolicy"), &awsiam.PolicyProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("states:StartExecution"),
				Resources: &[]*string{c.stateMachine.StateMachineArn()},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("states:DescribeExecution", "states:StopExecution"),
				Resources: &[]*string{executions},
			}),
		},
		Roles: &[]awsiam.IRole{role},
	})
	nag.Suppress(nag.Child(role, "DefaultPolicy"), "AwsSolutions-IAM5",
		"Resource * only for Step Functions log delivery and X-Ray actions, which have no resource type; the tables of the one Glue database; the export_tables_info files wherever the sources' prefixes put them",
		nag.AnyResource, `/^Resource::arn:<AWS::Partition>:glue:.+:table\/[a-z0-9_]+\/\*$/`, `/^Resource::<[A-Za-z0-9]+\.Arn>\/\*export_tables_info_\*\.json$/`)
	nag.Suppress(policy, "AwsSolutions-IAM5",
		"a Distributed Map describes and stops executions of its own state machine, named by Step Functions",
		nag.ExecutionsOfStateMachine)
}

// glueRetry retries what is transient in Glue: throttling and service
// errors (unmodelled codes arrive as Glue.GlueException), concurrent
// updates, the network. Anything else fails the run.
func glueRetry() *sfn.RetryProps {
	return sfnkit.Retry(sfnkit.Backoff{Interval: 2 * time.Second, MaxAttempts: 6, MaxDelay: time.Minute}, "Glue.GlueException", "Glue.InternalServiceException", "Glue.OperationTimeoutException",
		"Glue.ConcurrentModificationException", "Glue.ThrottlingException", "Glue.SdkClientException")
}

func glueTask(scope constructs.Construct, c *Catalog, name, action string, args map[string]interface{}, assign map[string]interface{}, outputs interface{}) *sfnkit.Task {
	t := sfnkit.CallAwsService(scope, name, sfnkit.SdkCall{
		Service:      "glue",
		Action:       action,
		IamAction:    "glue:" + strings.ToUpper(action[:1]) + action[1:],
		Arguments:    args,
		IamResources: *c.glueArns(),
		Assign:       assign,
		Output:       outputs,
	})
	t.AddRetry(glueRetry())
	return t
}

// definition is the catalog state machine. Reading the metadata: the
// export's export_tables_info_*.json files are listed (S3 ListObjectsV2,
// under 1,000 files), and each one is read by a Distributed Map ItemReader
// (s3:getObject, InputType JSON, ItemsPointer /perTableStatus), which
// streams the file's table entries to Express children in batches of at
// most 25 tables and 200 KiB. A GetObject task would return the whole file
// as one state payload, which Step Functions caps at 256 KiB: about 100
// tables of 10 columns, not 10,000. With the ItemReader, no payload grows
// with the table count: a table entry is read once into a child's batch,
// and each child returns 4 counters.
func definition(c *Catalog, p *Props) sfn.IChainable {
	bucket := *p.Bucket.BucketName()
	db := p.DatabaseName
	invalid := sfn.Fail_Jsonata(c, jsii.String("Invalid event"), &sfn.FailJsonataProps{
		Error: jsii.String("InvalidEvent"),
		Cause: sfnkit.ExprPtr(`'expected a copied-export event of schema version 2, got ' & $string($states.input)`),
	})
	plan := sfn.Pass_Jsonata(c, jsii.String("Plan catalog"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{"plan": sfnkit.Expr(planExpr)},
	})
	list := sfnkit.CallAwsService(c, "List table metadata", sfnkit.SdkCall{
		Service:   "s3",
		Action:    "listObjectsV2",
		IamAction: "s3:ListBucket",
		Arguments: map[string]interface{}{
			"Bucket": bucket,
			"Prefix": sfnkit.Expr(`$plan.metadataPrefix & 'export_tables_info_'`),
		},
		IamResources: []*string{p.Bucket.BucketArn()},
		Assign:       map[string]interface{}{"files": sfnkit.Expr(`[$states.result.Contents.Key]`)},
	})
	list.AddRetry(sfnkit.Retry(sfnkit.Backoff{Interval: time.Second, MaxAttempts: 6, MaxDelay: 30 * time.Second}, "S3.S3Exception", "S3.SdkClientException"))

	noMetadata := sfn.Succeed_Jsonata(c, jsii.String("No table metadata"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{'exportTaskIdentifier': $plan.exportTaskIdentifier, 'database': ` + sfnkit.Quote(db) + `, 'tables': 0, 'note': 'no export_tables_info file under ' & $plan.metadataPrefix}`),
	})
	done := sfn.Succeed_Jsonata(c, jsii.String("Cataloged"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`(
  $total := function($f) { $sum($states.input.$lookup($, $f)) };
  {
    'exportTaskIdentifier': $plan.exportTaskIdentifier,
    'database': ` + sfnkit.Quote(db) + `,
    'partition': $plan.partition,
    'tables': $total('tables'),
    'created': $total('created'),
    'updated': $total('updated'),
    'partitionsAdded': $total('partitionsAdded')
  }
)`),
	})

	eachFile := sfn.Map_Jsonata(c, jsii.String("Catalog each metadata file"), &sfn.MapJsonataProps{
		Items:          sfn.ProvideItems_Jsonata(sfnkit.ExprPtr("$files")),
		MaxConcurrency: jsii.Number(1),
		Outputs:        sfnkit.Expr(`$states.result`),
	})
	eachFile.ItemProcessor(tablesMap(c, p), nil)

	anyMetadata := sfn.Choice_Jsonata(c, jsii.String("Any table metadata?"), nil)
	anyMetadata.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$count($files) = 0`)), noMetadata, nil)
	anyMetadata.Otherwise(eachFile.Next(done))

	check := sfn.Choice_Jsonata(c, jsii.String("Read event"), nil)
	check.When(sfn.Condition_Jsonata(sfnkit.ExprPtr("$not("+fmt.Sprintf(validEventExpr, sfnkit.Quote(bucket))+")")), invalid, nil)
	check.Otherwise(plan.Next(list).Next(anyMetadata))
	return check
}

// tablesMap is the Distributed Map over one export_tables_info file. CDK
// 2.276 has no ItemsPointer on its JSON reader, so the state is written as
// ASL; its children are rendered from CDK states.
func tablesMap(c *Catalog, p *Props) sfn.IChainable {
	scope := constructs.NewConstruct(c, jsii.String("Tables"))
	child := sfn.NewStateGraph(tableChild(scope, c, p), jsii.String("Catalog tables"))
	processor := child.ToGraphJson(sfn.QueryLanguage_JSONATA)
	(*processor)["ProcessorConfig"] = map[string]interface{}{"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
	// The children's tasks are not in the state machine's graph: their
	// policy statements are added to its role by grant.
	c.childStatements = append(c.childStatements, *child.PolicyStatements()...)
	return sfn.NewCustomState(c, jsii.String("Catalog tables"), &sfn.CustomStateProps{StateJson: &map[string]interface{}{
		"Type":          "Map",
		"QueryLanguage": "JSONata",
		"ItemReader": map[string]interface{}{
			"Resource": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":states:::s3:getObject")}),
			// ItemsPointer selects the array inside the file's JSON object
			// (UNVERIFIED: see the README's unverified points).
			"ReaderConfig": map[string]interface{}{"InputType": "JSON", "ItemsPointer": "/perTableStatus"},
			"Arguments":    map[string]interface{}{"Bucket": *p.Bucket.BucketName(), "Key": sfnkit.Expr("$states.input")},
		},
		"ItemBatcher": map[string]interface{}{
			"MaxItemsPerBatch":      tablesPerChild,
			"MaxInputBytesPerBatch": batchBytes,
			"BatchInput":            map[string]interface{}{"plan": sfnkit.Expr("$plan")},
		},
		"ItemProcessor":              processor,
		"MaxConcurrency":             p.MaxConcurrency,
		"ToleratedFailurePercentage": 0,
		"Label":                      "CatalogTables",
		"Output": sfnkit.Expr(`{
  'tables': $sum($states.result.tables),
  'created': $sum($states.result.created),
  'updated': $sum($states.result.updated),
  'partitionsAdded': $sum($states.result.partitionsAdded)
}`),
	}})
}

// tableChild is an Express child: it catalogs each table of its batch
// ({Items: perTableStatus entries, BatchInput: {plan}}) and returns four
// counters.
func tableChild(scope constructs.Construct, c *Catalog, p *Props) sfn.State {
	db := p.DatabaseName
	each := sfn.Map_Jsonata(scope, jsii.String("Catalog each table"), &sfn.MapJsonataProps{
		Items:               sfn.ProvideItems_Jsonata(sfnkit.ExprPtr("$states.input.Items")),
		JsonataItemSelector: sfnkit.ExprPtr(`{'table': $states.context.Map.Item.Value, 'plan': $states.input.BatchInput.plan}`),
		MaxConcurrency:      jsii.Number(tableConcurrency),
		Outputs: sfnkit.Expr(`{
  'tables': $count($states.result),
  'created': $sum($states.result.created),
  'updated': $sum($states.result.updated),
  'partitionsAdded': $sum($states.result.partitionsAdded)
}`),
	})
	counts := func(partitions string) string {
		return `{'created': $action = 'created' ? 1 : 0, 'updated': $action = 'updated' ? 1 : 0, 'partitionsAdded': ` + partitions + `}`
	}
	planTable := sfn.Pass_Jsonata(scope, jsii.String("Plan table"), &sfn.PassJsonataProps{
		Assign: &map[string]interface{}{
			"t":      sfnkit.Expr(fmt.Sprintf(tablePlanExpr, typeLookup(PostgreSQLTypes()), typeLookup(ExportedTypes()))),
			"plan":   sfnkit.Expr("$states.input.plan"),
			"action": "none",
		},
	})
	notExported := sfn.Succeed_Jsonata(scope, jsii.String("Table not exported"), &sfn.SucceedJsonataProps{
		Outputs: sfnkit.Expr(`{'created': 0, 'updated': 0, 'partitionsAdded': 0}`),
	})
	tableInput := sfnkit.Expr(tableInputExpr)
	addPartition := glueTask(scope, c, "Add partition", "createPartition", map[string]interface{}{
		"DatabaseName": db,
		"TableName":    sfnkit.Expr("$t.name"),
		"PartitionInput": sfnkit.Expr(`{
  'Values': [$plan.partitionValue],
  'Parameters': {'snapshotlake.exportTaskIdentifier': $plan.exportTaskIdentifier},
  'StorageDescriptor': ` + storageExpr("$t.partitionLocation") + `
}`),
	}, nil, sfnkit.Expr(counts("1")))
	registered := sfn.Pass_Jsonata(scope, jsii.String("Partition already registered"), &sfn.PassJsonataProps{
		Outputs: sfnkit.Expr(counts("0")),
	})
	addPartition.AddCatch(registered, &sfn.CatchProps{Errors: jsii.Strings("Glue.AlreadyExistsException")})

	getTable := glueTask(scope, c, "Get table", "getTable", map[string]interface{}{
		"DatabaseName": db,
		"Name":         sfnkit.Expr("$t.name"),
	}, nil, sfnkit.Expr("$states.result"))
	createTable := glueTask(scope, c, "Create table", "createTable", map[string]interface{}{
		"DatabaseName": db,
		"TableInput":   tableInput,
	}, map[string]interface{}{"action": "created"}, nil)
	// Another run created it meanwhile: read it back and compare.
	createTable.AddCatch(getTable, &sfn.CatchProps{Errors: jsii.Strings("Glue.AlreadyExistsException")})
	createTable.Next(addPartition)
	getTable.AddCatch(createTable, &sfn.CatchProps{Errors: jsii.Strings("Glue.EntityNotFoundException")})
	updateTable := glueTask(scope, c, "Update table", "updateTable", map[string]interface{}{
		"DatabaseName": db,
		"TableInput":   tableInput,
	}, map[string]interface{}{"action": "updated"}, nil)
	updateTable.Next(addPartition)

	upToDate := sfn.Choice_Jsonata(scope, jsii.String("Table up to date?"), nil)
	upToDate.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(unchangedExpr)), addPartition, nil)
	upToDate.Otherwise(updateTable)
	getTable.Next(upToDate)

	exported := sfn.Choice_Jsonata(scope, jsii.String("Table exported?"), nil)
	exported.When(sfn.Condition_Jsonata(sfnkit.ExprPtr(`$exists($t.status) and $t.status != 'COMPLETE'`)), notExported, nil)
	exported.Otherwise(getTable)
	each.ItemProcessor(planTable.Next(exported), nil)
	return each
}
